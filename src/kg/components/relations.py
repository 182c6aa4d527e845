"""Relations between the entities of a sentence: a leader sent to direct a province, who chaired
and who attended a meeting, which agencies were given a task, and the epidemic situation a text
gives a province. Rules read the clause structure of Vietnamese official prose; cue words come
from `data/cues.csv`."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from datetime import date
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import DocAnalysis, Fact, Mention, get_analysis
from kg.components.people import PeopleFinder
from kg.gazetteers import Gazetteers, default_gazetteers
from kg.lexicon import Cue

_LIST_SEP = re.compile(r"^\s*(?:,|;|và|,\s*và|-|–|hoặc)\s*$")
_NUMBERING = re.compile(
    r"^\s*(?:[-+•*]|\(?[0-9IVXivx]{1,4}[.)]|[a-zđ]\))?[\s.)]*(?:đồng chí\s+)?$", re.IGNORECASE
)
_DELEGATION = re.compile(r"\b(?:giao|phân công|cử|chỉ định|đề nghị|yêu cầu)\b", re.IGNORECASE)
_ASSIGN_BEFORE = re.compile(
    r"(?:\bgiao(?: cho)?|\byêu cầu|\bđề nghị)\s+(?:(?:các|cho)\s+)?(?:Bộ\s*:?\s*)?$", re.IGNORECASE
)


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for m in re.finditer(r";", text[start:end]):
        spans.append((pos, start + m.start()))
        pos = start + m.end()
    spans.append((pos, end))
    return spans


def _inside(m: Mention, span: tuple[int, int]) -> bool:
    return span[0] <= m.start and m.end <= span[1]


class _ByStart:
    """Mentions sorted by start, for the ones `_inside` a span without testing them all."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = mentions
        self.starts = [m.start for m in mentions]

    def inside(self, span: tuple[int, int]) -> list[Mention]:
        """`[m for m in mentions if _inside(m, span)]`, in the same order."""
        lo = bisect_left(self.starts, span[0])
        hi = bisect_right(self.starts, span[1])
        return [m for m in self.mentions[lo:hi] if m.end <= span[1]]


@lru_cache(maxsize=4096)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    """The cue as a whole word or phrase, compiled once rather than per clause."""
    return re.compile(rf"(?<!\w){re.escape(cue)}(?!\w)")


@lru_cache(maxsize=4096)
def _negation_pattern(negation: str) -> re.Pattern[str]:
    """A negation followed by at most one word before the end of the text."""
    return re.compile(rf"(?<!\w){re.escape(negation)}\s+(?:\w+\s+)?$")


def _find_cues(
    text: str, start: int, end: int, cues: tuple[Cue, ...]
) -> list[tuple[int, int, Cue]]:
    lowered = text[start:end].casefold()
    found = []
    for cue in cues:
        if cue.text not in lowered:
            continue  # a match is an occurrence of the cue itself: most cues have none
        for m in _cue_pattern(cue.text).finditer(lowered):
            s, e = start + m.start(), start + m.end()
            if not any(fs <= s and e <= fe for fs, fe, _ in found):
                found.append((s, e, cue))
    return sorted(found, key=lambda c: c[0])


class RelationFinder:
    def __init__(self, gazetteers: Gazetteers) -> None:
        self.g = gazetteers
        lex = gazetteers.lexicon
        self.status_cues = lex.of("status")
        self.negations = lex.texts("negation")
        self.oversight_cues = lex.of("oversight")
        self.chair_cues = lex.of("chair")
        self.meeting_cues = lex.of("meeting")
        self.attendance_cues = lex.of("attendance")
        self.directive_cues = lex.of("directive")
        self.report_cues = lex.of("report_verb")

    def __call__(self, doc: Doc) -> Doc:
        a = get_analysis(doc)
        text = a.text
        persons = sorted(a.mentions_of("person"), key=lambda m: (m.start, -m.end))
        provinces = sorted(a.mentions_of("province"), key=lambda m: m.start)
        orgs = sorted(a.mentions_of("organization"), key=lambda m: m.start)
        by_start = _ByStart(persons), _ByStart(provinces), _ByStart(orgs)
        meeting: tuple[str, str] | None = None
        paragraph_of = _paragraphs(text)
        for s_start, s_end in a.sentences:
            sentence = (s_start, s_end)
            in_s = by_start[0].inside(sentence)
            found = self._meeting(a, text, sentence, in_s, paragraph_of)
            if found is not None:
                meeting = found
            near = (
                meeting is not None
                and 0 <= paragraph_of(s_start) - paragraph_of(int(meeting[2])) <= 3
            )
            if meeting is not None and (found is not None or near):
                self._attendance(a, text, sentence, in_s, meeting)
            for clause in _clauses(text, s_start, s_end):
                self._oversight(a, text, clause, [p for p in in_s if _inside(p, clause)], provinces)
                self._status(a, text, clause, by_start[1].inside(clause), orgs)
            self._assignments(a, text, sentence, orgs, provinces, by_start)
        PeopleFinder.drop_subsumed_posts(a)
        return doc

    # oversight ---------------------------------------------------------------------------
    def _oversight(self, a, text, clause, people, provinces) -> None:
        """ "Phó Thủ tướng X trực tiếp chỉ đạo … tại tỉnh Y", or "Thủ tướng giao Phó Thủ tướng X
        chỉ đạo … tại Y": the person who does the directing must be the clause's subject, or
        the one a head of the clause assigns the task to."""
        if not people:
            return
        first = people[0]
        head = text[clause[0] : first.start]
        posts = [m for m in a.mentions_of("post") if clause[0] <= m.start and m.end <= first.start]
        for post in posts:
            head = head.replace(post.surface, "")
        if not _NUMBERING.match(head):
            return
        cues = _find_cues(text, first.end, clause[1], self.oversight_cues)
        if not cues:
            return
        cue_start, cue_end = cues[0][0], cues[0][1]
        before_cue = [p for p in people if p.end <= cue_start]
        subject = before_cue[-1] if before_cue else first
        if subject.key != first.key and not _DELEGATION.search(text[first.end : subject.start]):
            return
        if re.search(r"[.;:]", text[subject.end : cue_start]):
            return
        targets = [p for p in provinces if _inside(p, clause) and p.start >= cue_end]
        for province in targets:
            a.add_fact(
                Fact(
                    "oversight",
                    {"leader": subject.key, "province": province.key},
                    clause,
                    "oversight-cue",
                    0.9,
                )
            )

    # meetings ---------------------------------------------------------------------------
    def _meeting(self, a: DocAnalysis, text, sentence, people, paragraph_of):
        chairs = _find_cues(text, *sentence, self.chair_cues)
        if not chairs or not people:
            return None
        cue_start, cue_end = chairs[0][0], chairs[0][1]
        after = [
            p
            for p in people
            if p.start >= cue_end
            and re.fullmatch(r"\s+(?:của|bởi)\s+(?:đồng chí\s+)?", text[cue_end : p.start])
        ]
        posts_after = [
            m
            for m in a.mentions_of("post")
            if m.start >= cue_end and re.fullmatch(r"\s+(?:của|bởi)\s+", text[cue_end : m.start])
        ]
        if not after and posts_after:
            after = [p for p in people if p.start == posts_after[0].end + 1]
        before = [p for p in people if p.end <= cue_start]
        if after:
            chair = after[0]  # "dưới sự chủ trì của Thủ tướng Phạm Minh Chính"
        elif before and not re.search(r"[.;:]", text[before[-1].end : cue_start]):
            chair = before[-1]
        else:
            return None
        prev = self._previous_sentence(a, sentence, paragraph_of)
        meeting_words = _find_cues(text, *sentence, self.meeting_cues) or (
            _find_cues(text, *prev, self.meeting_cues) if prev else []
        )
        if not meeting_words:
            return None
        when = self._meeting_date(a, text, sentence) or (
            self._meeting_date(a, text, prev) if prev else None
        )
        span_extra: tuple[tuple[int, int], ...] = ()
        if when is None:
            if a.source.meta.date is None:
                return None
            when, confidence = a.source.meta.date, 0.6
        else:
            when, date_span = when
            confidence = 0.9
            if not (sentence[0] <= date_span[0] < sentence[1]):
                span_extra = (date_span,)
        key = f"meeting:{when.isoformat()}"
        a.add_entity("meeting", key, f"Cuộc họp ngày {when.isoformat()}", date=when.isoformat())
        a.add_fact(
            Fact(
                "chairs",
                {"person": chair.key, "meeting": key, "date": when.isoformat()},
                sentence,
                "chair-cue",
                confidence,
                span_extra,
            )
        )
        return key, chair.key, str(sentence[0])

    @staticmethod
    def _previous_sentence(a, sentence, paragraph_of):
        earlier = [s for s in a.sentences if s[1] <= sentence[0]]
        if earlier and paragraph_of(earlier[-1][0]) == paragraph_of(sentence[0]):
            return earlier[-1]
        return None

    @staticmethod
    def _meeting_date(a: DocAnalysis, text, sentence) -> tuple[date, tuple[int, int]] | None:
        cited = [m for m in a.mentions_of("document") if sentence[0] <= m.start < sentence[1]]
        for start, end, value, _ in a.dates:
            if not (sentence[0] <= start < sentence[1]):
                continue
            if any(0 <= start - m.end <= 30 for m in cited):
                continue  # the date of a cited document, not of the meeting
            return value, (start, end)
        return None

    def _attendance(self, a, text, sentence, people, meeting) -> None:
        key, chair_key, _ = meeting
        cues = _find_cues(text, *sentence, self.attendance_cues)
        if not cues:
            return
        first_cue = cues[0][0]
        for person in people:
            if (
                person.start > first_cue
                and person.key != chair_key
                and person.rule != "title-reference"
            ):
                a.add_fact(
                    Fact(
                        "attends",
                        {"person": person.key, "meeting": key, "date": key.split(":", 1)[1]},
                        sentence,
                        "attendance-cue",
                        0.9,
                    )
                )

    # assignments --------------------------------------------------------------------------
    def _assignments(self, a, text, sentence, orgs, provinces, by_start=None) -> None:
        """`by_start`: the persons, provinces and orgs as `_ByStart`, when sorted by start."""
        if by_start is None:
            in_orgs = [m for m in orgs if _inside(m, sentence)]
            in_provinces = [p for p in provinces if _inside(p, sentence)]
        else:
            in_orgs, in_provinces = by_start[2].inside(sentence), by_start[1].inside(sentence)
        agents = [m for m in in_orgs if not m.in_post]
        agents += [p for p in in_provinces if not any(o.start <= p.start < o.end for o in orgs)]
        agents.sort(key=lambda m: m.start)
        groups: list[list[Mention]] = []
        for m in agents:
            if groups and _LIST_SEP.match(text[groups[-1][-1].end : m.start]):
                groups[-1].append(m)
            else:
                groups.append([m])
        for group in groups:
            first, last = group[0], group[-1]
            before = text[sentence[0] : first.start]
            task_start = None
            rule = None
            if _ASSIGN_BEFORE.search(before):
                task_start, rule = last.end, "assign-verb"
            else:
                clause_start = max(before.rfind(";"), before.rfind(":"), before.rfind(","))
                head = before[clause_start + 1 :] if clause_start >= 0 else before
                if not _NUMBERING.match(head):
                    continue
                cue = self._directive_after(text, last.end, sentence[1])
                if cue is None:
                    continue
                task_start, rule = cue, "agency-directive"
            task = text[task_start : sentence[1]].strip(" ,.:;")[:300]
            if not task:
                continue
            for m in group:
                if m.kind == "province" and rule != "assign-verb":
                    continue
                a.add_fact(Fact("assigned", {"agency": m.key, "task": task}, sentence, rule, 0.8))

    def _directive_after(self, text, pos, limit) -> int | None:
        window_end = min(limit, pos + 160)
        directives = _find_cues(text, pos, window_end, self.directive_cues)
        if not directives:
            return None
        start = directives[0][0]
        gap = text[pos:start]
        if re.search(r"[.;:]", gap):
            return None
        if gap.strip() and not re.match(r"^\s*(?:,|và)\s*(?:các|những)\s", gap):
            return None
        if not gap.strip() and _find_cues(text, pos, start + 1, self.report_cues):
            return None
        return start

    # province status ------------------------------------------------------------------------
    def _status(self, a, text, clause, provinces, orgs) -> None:
        provinces = [p for p in provinces if not any(o.start <= p.start < o.end for o in orgs)]
        if not provinces:
            return
        cues = [
            c
            for c in _find_cues(text, *clause, self.status_cues)
            if not self._negated(text, c[0], clause[0])
        ]
        if not cues:
            return
        groups: list[list[Mention]] = []
        for p in provinces:
            gap = text[groups[-1][-1].end : p.start] if groups else ""
            if groups and (
                _LIST_SEP.match(gap) or re.match(r"^\s*,?\s*(?:các tỉnh|tỉnh|thành phố)\s*$", gap)
            ):
                groups[-1].append(p)
            else:
                groups.append([p])
        for group in groups:
            g_start, g_end = group[0].start, group[-1].end

            def distance(c, g_start=g_start, g_end=g_end):
                return g_start - c[1] if c[1] <= g_start else c[0] - g_end if c[0] >= g_end else 0

            best = min(cues, key=lambda c: (distance(c), -(c[1] - c[0])))
            if distance(best) > 160:
                continue
            for p in group:
                a.add_fact(
                    Fact(
                        "status",
                        {"province": p.key, "status": best[2].value},
                        clause,
                        "status-cue",
                        0.8,
                        ((best[0], best[1]),),
                    )
                )

    def _negated(self, text: str, cue_start: int, clause_start: int) -> bool:
        before = text[max(clause_start, cue_start - 14) : cue_start].casefold()
        return any(n in before and _negation_pattern(n).search(before) for n in self.negations)


def _paragraphs(text: str):
    breaks = [m.start() for m in re.finditer(r"\n", text)]

    def paragraph_of(offset: int) -> int:
        import bisect

        return bisect.bisect_right(breaks, offset)

    return paragraph_of


@Language.factory("kg_relations", default_config={"data_dir": None})
def make_relations(nlp: Language, name: str, data_dir: str | None) -> RelationFinder:
    return RelationFinder(default_gazetteers(data_dir))
