"""People, found by the shape of the text rather than by list: a post or honorific before a
Vietnamese personal name ("Phó Thủ tướng Lê Văn Thành", "ông Võ Ngọc Thành", "TS. Đặng Quang
Tấn"), an apposition after it ("Nguyễn Xuân Phúc, Chủ tịch nước"), a signature ("Đã ký: …").
Names link to the reference office-holders, also across a lost tone mark when that is
unambiguous; bare titles and given names ("Thủ tướng", "ông Thành") resolve within the document."""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from itertools import compress, count
from operator import attrgetter, itemgetter

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import DocAnalysis, Fact, Mention, get_analysis
from kg.gazetteers import Gazetteers, default_gazetteers, slug
from kg.matching import Word, words_of
from kg.reference import Person
from kg.text import fold, fold_tones

_SIGNATURE = re.compile(r"(?:Đã ký|\(Đã ký\)|\(đã ký\)|Ký tên)\s*:?\s*$")
_LIST_CUE = re.compile(r"(?:các )?đồng chí\s*:\s*$|(?:gồm|có)\s*:\s*$", re.IGNORECASE)
_PLURAL = re.compile(r"(?:các|những|Các|Những)\s+$")


@lru_cache(maxsize=1024)
def _link_pattern(link: str) -> re.Pattern[str]:
    """The link word between white space, compiled once rather than per person."""
    return re.compile(rf"\s+{re.escape(link)}\s+", re.IGNORECASE)


def person_key(person: Person | None, name: str) -> str:
    return f"person:{person.id}" if person else f"person:{slug(name)}"


class PeopleFinder:
    def __init__(self, gazetteers: Gazetteers) -> None:
        self.g = gazetteers

    def __call__(self, doc: Doc) -> Doc:
        analysis = get_analysis(doc)
        text = analysis.text
        words = analysis.words()
        posts = sorted(analysis.mentions_of("post"), key=lambda m: m.start)
        orgs = analysis.mentions_of("organization")
        covered: set[int] = set()
        word_starts = [w.start for w in words]  # ascending, so each mention's words are a range
        for m in [*orgs, *posts]:
            covered.update(
                range(bisect_left(word_starts, m.start), bisect_left(word_starts, m.end))
            )
        post_ending = {m.end: m for m in posts}
        post_starting = {m.start: m for m in posts}
        people: list[Mention] = []

        provinces = [(m.start, m.end) for m in analysis.mentions_of("province")]
        for start, end, person, rule, confidence in self._candidates(
            text, words, covered, post_ending, post_starting, provinces, analysis.word_positions()
        ):
            name = text[start:end]
            label = person.name if person else _display(name)
            key = person_key(person, name)
            analysis.add_entity("person", key, label, reference=bool(person))
            mention = Mention("person", start, end, key, name, rule, confidence)
            analysis.add_mention(mention)
            people.append(mention)
            self._posts_of(analysis, text, mention, post_ending, post_starting)

        self._drop_provinces_inside(analysis, people)
        self._title_coreference(analysis, text, posts, people)
        self._given_name_coreference(analysis, text, words, people)
        self._post_links(analysis, text)
        return doc

    @staticmethod
    def drop_subsumed_posts(analysis: DocAnalysis) -> None:
        """ "Bộ trưởng Nguyễn Thanh Long" after "Bộ trưởng Bộ Y tế Nguyễn Thanh Long": the bare
        role says nothing the full post does not, so it is not a post of its own."""
        full: dict[str, set[str]] = {}
        for fact in analysis.facts:
            if fact.kind == "holds_post":
                entity = analysis.entities[fact.args["post"]]
                if entity.label != entity.attrs.get("role"):
                    full.setdefault(fact.args["person"], set()).add(str(entity.attrs.get("role")))
        kept = []
        for fact in analysis.facts:
            if fact.kind == "holds_post":
                entity = analysis.entities[fact.args["post"]]
                if entity.label == entity.attrs.get("role") and entity.label in full.get(
                    fact.args["person"], ()
                ):
                    continue
            kept.append(fact)
        analysis.facts = kept

    # candidates ---------------------------------------------------------------------------
    def _candidates(
        self, text, words, covered, post_ending, post_starting, provinces, positions=None
    ):
        taken: list[tuple[int, int]] = []
        for m in self.g.people.find_all(text, words, positions):
            if text[m.start].isupper():
                taken.append((m.start, m.end))
                yield m.start, m.end, m.value, "reference", 1.0
        for first, last in self._runs(text, words, covered):
            start, end = words[first].start, words[last - 1].end
            if any(s < end and start < e for s, e in taken):
                continue
            if any(s <= start and end <= e for s, e in provinces):
                continue  # "Chủ tịch Hà Nội": a place, not a person
            cue = self._cue(text, start, end, post_ending, post_starting)
            if cue is None and any(
                re.fullmatch(r"(?:,| và|, và) ", text[e:start]) for _, e in taken
            ):
                cue = "name-list"  # "các ông Nguyễn Văn A và Trần Văn B"
            if cue is None:
                continue
            taken.append((start, end))
            person, rule, confidence = self._link(text[start:end])
            yield start, end, person, rule if person else cue, confidence if person else 0.9

    def _runs(self, text: str, words: list[Word], covered: set[int]):
        """Capitalised word runs that end in a personal name: (first, last) word indices."""
        i = 0
        # only a capitalised word opens a run: visit those, not every word
        first_letters = map(itemgetter(0), map(attrgetter("text"), words))
        for opener in list(compress(count(), map(str.isupper, first_letters))):
            if opener < i:
                continue  # inside the run just read
            i = opener
            if i in covered or words[i].text.isupper() and len(words[i].text) > 1:
                continue
            j = i + 1
            while (
                j < len(words)
                and j not in covered
                and words[j].capitalised
                and not (words[j].text.isupper() and len(words[j].text) > 1)
                and text[words[j - 1].end : words[j].start] == " "
            ):
                j += 1
            for k in range(min(4, j - i), 1, -1):
                first = j - k
                if words[first].key in self.g.surnames:
                    yield first, j
                    break
            i = j

    def _cue(self, text, start, end, post_ending, post_starting) -> str | None:
        before = text[max(0, start - 40) : start]
        if start - 1 in post_ending or start - 2 in post_ending and text[start - 2 : start] == ", ":
            return "post-name"
        stem = before.rstrip()
        if stem != before:
            folded = fold(stem).rstrip(".")
            for cue in (c.rstrip(".") for c in self.g.lexicon.texts("honorific")):
                if folded.endswith(cue) and (
                    len(folded) == len(cue) or not folded[-len(cue) - 1].isalpha()
                ):
                    return "honorific-name"
        if _SIGNATURE.search(before) or _LIST_CUE.search(before):
            return "list-or-signature"
        if self._apposition_post(text, end, post_starting) is not None:
            return "name-apposition"
        return None

    @staticmethod
    def _apposition_post(text: str, pos: int, post_starting: dict) -> Mention | None:
        """The post right after a name: "X, Bộ trưởng …", "X (Cục trưởng …)", "X, nguyên …"."""
        m = re.match(r"(?:, |,? \()(?:(?:nguyên|hiện là|là)\s+)?", text[pos : pos + 16])
        if m and m.end() > 0:
            return post_starting.get(pos + m.end())
        return None

    def _link(self, name: str) -> tuple[Person | None, str, float]:
        """Reference person for a name found by pattern: exact, else across tone marks."""
        candidates = self.g.people_by_tone_free.get(fold_tones(name), [])
        exact = [
            p
            for p in candidates
            if fold(p.name) == fold(name) or fold(name) in map(fold, p.variants)
        ]
        if len(exact) == 1:
            return exact[0], "reference", 1.0
        if len(candidates) == 1 and len(name.split()) >= 3:
            return candidates[0], "reference-tone-slip", 0.8
        return None, "", 0.0

    # posts --------------------------------------------------------------------------------
    def _posts_of(self, analysis, text, person: Mention, post_ending, post_starting) -> None:
        posts = []
        before = post_ending.get(person.start - 1)
        if before is not None and text[before.end : person.start] == " ":
            posts.append(before)
        pos = person.end
        while (post := self._apposition_post(text, pos, post_starting)) is not None:
            if self._name_follows(text, post.end):
                break  # "A, Bí thư X B": the post introduces the next name
            posts.append(post)
            pos = post.end
        for post in posts:
            self._hold(
                analysis,
                person.key,
                post,
                (min(post.start, person.start), max(post.end, person.end)),
            )

    def _name_follows(self, text: str, pos: int) -> bool:
        words = words_of(text, pos, min(len(text), pos + 40))
        if not words or text[pos : words[0].start] != " ":
            return False
        run = []
        for w in words:
            if not w.capitalised or (run and text[run[-1].end : w.start] != " "):
                break
            run.append(w)
        return len(run) >= 2 and run[0].key in self.g.surnames

    @staticmethod
    def _hold(
        analysis: DocAnalysis,
        person_key_: str,
        post: Mention,
        span,
        rule="post-name",
        confidence=1.0,
    ) -> None:
        analysis.add_fact(
            Fact("holds_post", {"person": person_key_, "post": post.key}, span, rule, confidence)
        )
        info = analysis.entities[post.key].attrs
        if info.get("role_heads") and info.get("organization") and not rule.startswith("title"):
            analysis.add_fact(
                Fact(
                    "heads",
                    {"person": person_key_, "organization": str(info["organization"])},
                    span,
                    rule,
                    confidence,
                )
            )

    @staticmethod
    def _drop_provinces_inside(analysis: DocAnalysis, people: list[Mention]) -> None:
        analysis.mentions = [
            m
            for m in analysis.mentions
            if m.kind != "province"
            or not any(p.start <= m.start and m.end <= p.end for p in people)
        ]

    # coreference ----------------------------------------------------------------------------
    def _title_coreference(self, analysis, text, posts, people) -> None:
        """A post named without a person ("Thủ tướng nhấn mạnh") stands for the person who held
        it earlier in the document, else for the reference office-holder on the document's date."""
        named = {(m.start, m.end) for m in people}
        holders: dict[str, str] = {}
        for fact in analysis.facts:
            if fact.kind == "holds_post":
                holders.setdefault(fact.args["post"], fact.args["person"])
        for post in posts:
            attached = any(
                s == post.end + 1 or e == post.start - 2 or e == post.start - 1 for s, e in named
            )
            if attached or _PLURAL.search(text[max(0, post.start - 8) : post.start]):
                continue
            info = analysis.entities[post.key].attrs
            person_key_ = holders.get(post.key)
            rule, confidence = "title-in-document", 0.8
            if person_key_ is None and info.get("post_id") and analysis.ref_date:
                current = self.g.ref.holders(str(info["post_id"]), analysis.ref_date)
                if len(current) != 1:
                    continue
                person = current[0]
                person_key_ = person_key(person, person.name)
                analysis.add_entity("person", person_key_, person.name, reference=True)
                rule, confidence = "title-reference", 0.6
            if person_key_ is None:
                continue
            analysis.add_mention(
                Mention("person", post.start, post.end, person_key_, post.surface, rule, confidence)
            )

    def _given_name_coreference(self, analysis, text, words, people) -> None:
        by_given: dict[str, set[str]] = {}
        for m in people:
            by_given.setdefault(fold(m.surface.split()[-1]), set()).add(m.key)
        honorifics = ("ông", "bà", "đồng chí")
        if not by_given:
            return  # no name to refer back to
        positions = analysis.positions_for(words)
        if positions is None:
            after = range(1, len(words))
        else:  # only the words right after an honorific can qualify
            after = sorted(p + 1 for h in honorifics for p in positions.get(h, ()))
        for i in after:
            if i >= len(words):
                continue
            w = words[i]
            if words[i - 1].key in honorifics and w.capitalised and w.key in by_given:
                nxt = words[i + 1] if i + 1 < len(words) else None
                if nxt is not None and nxt.capitalised and text[w.end : nxt.start] == " ":
                    continue
                keys = by_given[w.key]
                if len(keys) == 1:
                    key = next(iter(keys))
                    analysis.add_mention(
                        Mention("person", w.start, w.end, key, w.text, "given-name", 0.8)
                    )

    def _post_links(self, analysis: DocAnalysis, text: str) -> None:
        """ "… đồng chí Thủ tướng Chính phủ làm Trưởng Ban Chỉ đạo …": the person takes the post."""
        persons = sorted(analysis.mentions_of("person"), key=lambda m: m.end)
        posts = {m.start: m for m in analysis.mentions_of("post")}
        links = self.g.lexicon.texts("post_link")
        for person in persons:
            rest = text[person.end : person.end + 30]
            for link in links:
                m = _link_pattern(link).match(rest)
                if m and person.end + m.end() in posts:
                    post = posts[person.end + m.end()]
                    span = (person.start, post.end)
                    analysis.add_fact(
                        Fact(
                            "holds_post",
                            {"person": person.key, "post": post.key},
                            span,
                            "post-link",
                            0.8,
                        )
                    )
                    info = analysis.entities[post.key].attrs
                    in_document = person.rule != "title-reference"
                    if info.get("role_heads") and info.get("organization") and in_document:
                        analysis.add_fact(
                            Fact(
                                "heads",
                                {"person": person.key, "organization": str(info["organization"])},
                                span,
                                "post-link",
                                0.8,
                            )
                        )
                    break


def _display(name: str) -> str:
    """A name as it should be labelled: capitals only at word starts."""
    if name.isupper():
        return " ".join(w[:1] + w[1:].lower() for w in name.split())
    return name


@Language.factory("kg_people", default_config={"data_dir": None})
def make_people(nlp: Language, name: str, data_dir: str | None) -> PeopleFinder:
    return PeopleFinder(default_gazetteers(data_dir))
