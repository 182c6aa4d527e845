"""Sentence boundaries for Vietnamese official prose: every line break, and a full stop, question
or exclamation mark before a capital, digit or opening quote — but not after abbreviations
such as "TP.", "TS." or "PGS."."""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import get_analysis

_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?(\w))")
_ENUMERATOR = re.compile(r"^\s*(?:[0-9]{1,3}|[IVXL]{1,5}|[a-zđ])(?:\.[0-9]{1,3})*[.)]$")
_ABBREVIATION = re.compile(
    r"(?:\b(?:TP|Tp|TS|ThS|GS|PGS|BS|Th|St|Mr|Ms|Dr|TT|Q|P|H|T|v\.v|tr|Ông|Bà)|\b[A-ZĐ])\.$"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`, without surrounding white space."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        start = 0
        for m in _BOUNDARY.finditer(line):
            following = m.group(1)
            if not (following.isupper() or following.isdigit()):
                continue
            if _ABBREVIATION.search(line[: m.start()]) or _ENUMERATOR.match(
                line[start : m.start()]
            ):
                continue
            spans.append((line_start + start, line_start + m.start()))
            start = m.end()
        spans.append((line_start + start, line_start + len(line)))
    result = []
    for s, e in spans:
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        if e > s:
            result.append((s, e))
    return result


class SentenceSplitter:
    """Sets `doc._.kg.sentences` and spaCy's own sentence starts."""

    def __call__(self, doc: Doc) -> Doc:
        analysis = get_analysis(doc)
        analysis.sentences = split_sentences(doc.text)
        starts = {s for s, _ in analysis.sentences}
        for token in doc:
            token.is_sent_start = token.i == 0 or token.idx in starts
        return doc


@Language.factory("kg_sentences")
def make_sentencizer(nlp: Language, name: str) -> SentenceSplitter:
    return SentenceSplitter()
