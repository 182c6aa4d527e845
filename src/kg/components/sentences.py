"""Sentence boundaries for Vietnamese official prose: every line break, and a full stop, question
or exclamation mark before a capital, digit or opening quote — but not after abbreviations
such as "TP.", "TS." or "PGS."."""

from __future__ import annotations

import re

import numpy
from spacy.errors import Errors
from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import get_analysis

# The punctuation is matched, not looked behind for, so the regex engine skips to the next
# one instead of trying every position; group 1 is the boundary, group 2 the next letter.
_BOUNDARY = re.compile(r"[.!?…]([\"”’)]*\s+(?=[\"“‘(]?(\w)))")
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
            following = m.group(2)
            if not (following.isupper() or following.isdigit()):
                continue
            boundary = m.start(1)
            # an abbreviation is at most 4 characters ("PGS.", "v.v."): a window of twice that
            # sees the character before it, for `\b`, as the whole line would
            if _ABBREVIATION.search(line[max(0, boundary - 8) : boundary]) or _ENUMERATOR.match(
                line[start:boundary]
            ):
                continue
            spans.append((line_start + start, line_start + boundary))
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
        analysis.sentences = split_sentences(analysis.text)
        if len(doc) == 0:
            return doc
        # What setting `token.is_sent_start` on every token does, in one pass: that setter
        # checks the whole Doc for a parse each time, which is quadratic in its length.
        if doc.has_annotation("DEP"):
            raise ValueError(Errors.E043)
        starts = numpy.fromiter((s for s, _ in analysis.sentences), dtype=numpy.uint64)
        idx = doc.to_array("IDX")
        # `starts` ascend: a token starts a sentence when the first start not below its
        # offset is its offset
        at = numpy.minimum(numpy.searchsorted(starts, idx), max(len(starts) - 1, 0))
        hit = starts[at] == idx if len(starts) else numpy.zeros(len(idx), dtype=bool)
        flags = numpy.where(hit, 1, -1).astype(numpy.int64)
        flags[0] = 1
        doc.from_array(["SENT_START"], flags.view(numpy.uint64))  # -1 wraps as spaCy stores it
        return doc


@Language.factory("kg_sentences")
def make_sentencizer(nlp: Language, name: str) -> SentenceSplitter:
    return SentenceSplitter()
