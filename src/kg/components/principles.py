"""Guiding principles and slogans: the known concepts of the reference scheme wherever the text
names them (in any of their written variants), and — as candidates — slogans quoted right after a
cue word such as "phương châm", "tinh thần", "chủ trương" or "mục tiêu"."""

from __future__ import annotations

import re
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import DocAnalysis, Mention, get_analysis
from kg.gazetteers import Gazetteers, default_gazetteers, slug
from kg.matching import words_of
from kg.reference import Principle
from kg.text import fold

_QUOTED = re.compile(r"[“\"«]([^”\"»\n]{3,200})[”\"»]")


@lru_cache(maxsize=1024)
def _cue_before(cue: str) -> re.Pattern[str]:
    """The cue and at most three more words at the end of a text, compiled once."""
    return re.compile(rf"(?:^|\s){re.escape(cue)}(?:\s+\S+){{0,3}}$")


def register_principle(analysis: DocAnalysis, principle: Principle) -> str:
    key = f"principle:{principle.id}"
    analysis.add_entity(
        "principle",
        key,
        principle.label_vi,
        iri=principle.iri,
        candidate=False,
        label_en=principle.label_en,
    )
    return key


class PrincipleFinder:
    def __init__(self, gazetteers: Gazetteers, max_words: int = 14) -> None:
        self.g = gazetteers
        self.max_words = max_words
        self.parents: dict[str, set[str]] = {}
        for principle in gazetteers.ref.principles.values():
            for part in principle.parts:
                self.parents.setdefault(part, set()).add(principle.id)

    def __call__(self, doc: Doc) -> Doc:
        analysis = get_analysis(doc)
        text = analysis.text
        words = analysis.words()
        known_spans: list[tuple[int, int]] = []
        matches = list(self.g.principles.find_all(text, words, analysis.word_positions()))
        for m in matches:
            parents = self.parents.get(m.value.id, set())
            if parents and not m.value.parts:
                sentence = analysis.sentence_of(m.start)
                beside = {x.value.id for x in matches if sentence[0] <= x.start < sentence[1]}
                if not parents & beside:
                    continue  # a component ("khai báo y tế") counts only beside its whole
            key = register_principle(analysis, m.value)
            analysis.add_mention(
                Mention("principle", m.start, m.end, key, m.surface, "reference-scheme")
            )
            known_spans.append((m.start, m.end))
        cues = self.g.lexicon.texts("principle_cue")
        for q in _QUOTED.finditer(text):
            inner_start, inner_end = q.span(1)
            if any(inner_start <= s and e <= inner_end + 1 for s, e in known_spans):
                continue
            before = fold(text[max(0, q.start() - 40) : q.start()])
            tail = re.sub(r"[\s,:]+$", "", before)
            if not any(_cue_before(c).search(tail) for c in cues):
                continue
            name = q.group(1)
            colon = name.find(":")
            if colon > 0:
                name = name[:colon]
            name = name.strip(" .,;…")
            n_words = len(words_of(name))
            if not 2 <= n_words <= self.max_words or not any(ch.isalpha() for ch in name):
                continue
            label = name[0].upper() + name[1:]
            key = f"principle:candidate-{slug(label)}"
            analysis.add_entity("principle", key, label, candidate=True)
            end = inner_start + len(q.group(1)[: colon if colon > 0 else None].rstrip(" .,;…"))
            analysis.add_mention(
                Mention(
                    "principle",
                    inner_start,
                    end,
                    key,
                    text[inner_start:end],
                    "quoted-after-cue",
                    0.6,
                )
            )
        return doc


@Language.factory("kg_principles", default_config={"data_dir": None, "max_words": 14})
def make_principles(
    nlp: Language, name: str, data_dir: str | None, max_words: int
) -> PrincipleFinder:
    return PrincipleFinder(default_gazetteers(data_dir), max_words)
