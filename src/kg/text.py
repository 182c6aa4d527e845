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

# The tone mark of every syllable goes where the reference data writes it ("hòa", "thủy",
# "hoàng"); moving a mark never changes the text's length, so offsets hold.
# The five Vietnamese tone marks as combining characters (grave, acute, tilde, hook, dot below).
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Vowels that carry a quality mark (breve, circumflex, horn); the tone goes on them.
_MARKED_VOWELS = frozenset("ăâêôơư")
_SYLLABLE = re.compile(
    r"(ngh|ng|gh|gi|qu|ch|kh|nh|ph|th|tr|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?"
)
_WORD = re.compile(r"[^\W\d_]+")
# a word not followed by a stray combining mark, which moving its tone would leave dangling
_TONED_WORD = re.compile(r"[^\W\d_]+(?![\u0300-\u036f])")
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]")
_SPACED_DASH = re.compile(r"\s*-\s+|\s+-\s*")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _tone_index(vowels: str, final: str) -> int:
    """Where the new-style orthography ("hòa", "thủy", "người", "hoàng") puts the tone mark."""
    marked = [i for i, ch in enumerate(vowels) if ch in _MARKED_VOWELS]
    if marked:
        return marked[-1]  # "ươ" takes it on ơ, "uyê" on ê
    if len(vowels) == 1:
        return 0
    if len(vowels) == 3:
        return 1  # "oai", "uya", "oeo"
    return 1 if final else 0  # "hoàng" but "hòa", "thủy", "mùa"


def _place_tone(word: str) -> str:
    """Move the tone mark of one lower-case syllable to its canonical vowel.

    Words that are not a well-formed Vietnamese syllable, or carry no tone, are left alone.
    """
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return word
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    match = _SYLLABLE.fullmatch(bare)
    if match is None:
        return word
    initial, vowels, final = match.group(1) or "", match.group(2), match.group(3) or ""
    i = _tone_index(vowels, final)
    toned = unicodedata.normalize("NFC", vowels[i] + tones[0])
    return initial + vowels[:i] + toned + vowels[i + 1 :] + final


def fold(text: str) -> str:
    """The matching key of a name: equal keys mean "the same name as written".

    NFC, case-folded, the tone mark of every syllable moved to its new-style place ("hoà" →
    "hòa", "thuỷ" → "thủy"), invisible characters dropped, whitespace collapsed, and any dash
    (-, –, —, …) with whitespace on either side written as " - ". An unspaced hyphen stays as it
    is, so "BR-VT" and "COVID-19" keep their shape.
    """
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text).casefold()
    text = _DASHES.sub("-", text)
    text = _WORD.sub(lambda m: _place_tone(m.group(0)), text)
    text = " ".join(text.split())
    text = _SPACED_DASH.sub(" - ", text)
    return unicodedata.normalize("NFC", text)


def fold_tones(text: str) -> str:
    """A looser key for text that lost its diacritics (scanned slips, OCR, ASCII input).

    `fold(text)` with every diacritic removed — the five tone marks and also the breve,
    circumflex and horn — and "đ" written as "d": "Bà Rịa - Vũng Tàu" → "ba ria - vung tau",
    "BLĐTBXH" → "bldtbxh". Distinct names can share this key, so use it only as a fallback.
    """
    decomposed = unicodedata.normalize("NFD", fold(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.replace("đ", "d"))


def canonical_tones(text: str, compose: bool = True) -> str:
    """`text` with each syllable's tone mark on its canonical vowel, case kept; in NFC first
    unless `compose` is false (the caller composed it cluster by cluster). Never changes the
    text's length when `compose` is false."""
    if compose:
        text = unicodedata.normalize("NFC", text)

    def place(m: re.Match[str]) -> str:
        word = m.group(0)
        lower = word.lower()
        placed = _place_tone(lower)
        if placed == lower or len(placed) != len(word):
            return word
        return "".join(p.upper() if w.isupper() else p for p, w in zip(placed, word, strict=True))

    return _TONED_WORD.sub(place, text)


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
    carriage_return: int | None = None  # where a CRLF began, so its "\n" covers both
    for cstart, cend in _clusters(original):
        if removed[cstart]:
            continue
        chunk = original[cstart:cend]
        if chunk in _ZERO_WIDTH:
            continue
        if chunk == "\r":
            if cend < len(original) and original[cend] == "\n":
                carriage_return = cstart
                continue  # the "\n" that follows stands for both
            chunk = "\n"
        elif chunk in _SPACES:
            chunk = " "
        if blanked[cstart] and chunk != "\n":
            chunk = " " * len(unicodedata.normalize("NFC", chunk))
        composed = unicodedata.normalize("NFC", chunk)
        ostart = cstart
        if carriage_return is not None and original[cstart] == "\n":
            ostart, carriage_return = carriage_return, None
        for ch in composed:
            out.append(ch)
            starts.append(ostart)
            ends.append(cend)
    text = canonical_tones("".join(out), compose=False)
    return CleanText(original, text, tuple(starts), tuple(ends))
