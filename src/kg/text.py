"""Clean Vietnamese text for the extractors while keeping every character's place in the
original file, so evidence offsets always point into the text exactly as the user has it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Markup and scan artefacts that carry no words: removed from the analysed text.
_MARKUP = re.compile(r"\*\*|__|</?(?:u|b|i|em|strong|sup|sub)>|<br\s*/?>", re.IGNORECASE)
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad"}
_SPACES = {"\t", "\u00a0", "\u2002", "\u2003", "\u2009", "\u202f", "\u3000", "\x0b", "\x0c"}

# Old-style tone placement on the open diphthongs oa, oe, uy ("hoà", "khoẻ", "thuỷ") is folded
# to the placement the reference data uses ("hòa", "khỏe", "thủy"); same length, so offsets hold.
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_TONES = (_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT)
_OLD_TONE = re.compile(
    r"(?<![qQ])([oO])([aAeE])([\u0300\u0301\u0309\u0303\u0323])(?![^\W\d_])"
    r"|(?<![qQ])([uU])([yY])([\u0300\u0301\u0309\u0303\u0323])(?![^\W\d_])"
)


def _move_tone(match: re.Match[str]) -> str:
    first, second, tone = (
        match.group(1, 2, 3) if match.group(1) is not None else match.group(4, 5, 6)
    )
    return first + tone + second


def canonical_tones(text: str) -> str:
    """Return `text` (NFC) with old-style tone marks on oa/oe/uy moved to the first vowel."""
    decomposed = unicodedata.normalize("NFD", text)
    # Only tone marks that directly follow the vowel are moved; other diacritics stay put.
    moved = _OLD_TONE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", moved)


@dataclass(frozen=True)
class CleanText:
    """Analysed text plus, for each of its characters, the span it came from in the original."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the analysed text back to the original text."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span {start}:{end} outside text of length {len(self.text)}")
        return self.starts[start], self.ends[end - 1]

    def original_slice(self, start: int, end: int) -> str:
        ostart, oend = self.to_original(start, end)
        return self.original[ostart:oend]


def _clusters(text: str) -> list[tuple[int, int]]:
    """Split into base character + combining marks, the unit NFC composes."""
    bounds: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        bounds.append((i, j))
        i = j
    return bounds


def clean(original: str, blank: list[tuple[int, int]] | None = None) -> CleanText:
    """Normalise `original` for analysis: NFC, one tone-mark style, markup and zero-width
    characters removed, CRLF and odd spaces folded. `blank` lists original spans (captions'
    credits, bylines, repeated lines) to replace with spaces so extractors skip them."""
    removed = [False] * (len(original) + 1)
    for m in _MARKUP.finditer(original):
        for k in range(m.start(), m.end()):
            removed[k] = True
    blanked = [False] * (len(original) + 1)
    for start, end in blank or ():
        for k in range(max(0, start), min(len(original), end)):
            blanked[k] = True

    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for cstart, cend in _clusters(original):
        if removed[cstart]:
            continue
        chunk = original[cstart:cend]
        if chunk in _ZERO_WIDTH:
            continue
        if chunk == "\r":
            if cend < len(original) and original[cend] == "\n":
                continue  # the "\n" that follows stands for both
            chunk = "\n"
        elif chunk in _SPACES:
            chunk = " "
        if blanked[cstart] and chunk != "\n":
            chunk = " " * len(unicodedata.normalize("NFC", chunk))
        composed = unicodedata.normalize("NFC", chunk)
        for ch in composed:
            out.append(ch)
            ostart = cstart - 1 if chunk == "\n" and cstart > 0 and original[cstart - 1] == "\r" else cstart
            starts.append(ostart)
            ends.append(cend)
    text = canonical_tones("".join(out))
    if len(text) != len(out):  # pragma: no cover - canonical_tones is length-preserving
        raise AssertionError("tone normalisation changed the text length")
    return CleanText(original, text, tuple(starts), tuple(ends))


def fold(text: str) -> str:
    """Matching key: canonical tones, case-folded, single spaces, dashes unified."""
    text = canonical_tones(unicodedata.normalize("NFC", text)).casefold()
    text = re.sub(r"\s*[-\u2010-\u2015]\s*", " - ", text)
    return re.sub(r"\s+", " ", text).strip()


def strip_tones(text: str) -> str:
    """Key without tone marks (and đ→d): two names equal under it differ only by tone marks,
    the commonest slip in scanned or hastily typed text."""
    decomposed = unicodedata.normalize("NFD", fold(text))
    kept = "".join(c for c in decomposed if c not in _TONES)
    return unicodedata.normalize("NFC", kept).replace("đ", "d")
