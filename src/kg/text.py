"""Clean Vietnamese text for the extractors while keeping every character's place in the
original file, so evidence offsets always point into the text exactly as the user has it."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

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
_LETTERS = re.compile(r"[^\W\d_]+")
_TONED_PIECES = re.compile(f"({_TONED_WORD.pattern})")  # gaps and words, alternating
_LETTER_PIECES = re.compile(f"({_LETTERS.pattern})")
_STRAY_MARK = re.compile(r"[\u0300-\u036f]")
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212]")
_SPACED_DASH = re.compile(r"\s*-\s+|\s+-\s*")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# What `clean` changes in a text whose characters each stand alone (NFC, no combining marks):
# markup first, as `_MARKUP` alone would find it, then single characters to drop or rewrite.
_SPECIAL = re.compile(
    _MARKUP.pattern + "|\r\n?|[" + "".join(sorted(_ZERO_WIDTH | _SPACES)) + "]", re.IGNORECASE
)
_SPECIAL_CHARS = frozenset(_ZERO_WIDTH | _SPACES | {"\r"})
_MARKUP_CHARS = frozenset("*_<")  # every markup match starts with one of them
_NOT_NEWLINE = re.compile("[^\n]")
# A corpus has tens of thousands of distinct words and syllables: caches of this size hold them
# all while staying bounded.
_WORD_CACHE = 1 << 16


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


@lru_cache(maxsize=_WORD_CACHE)
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


@lru_cache(maxsize=_WORD_CACHE)
def fold(text: str) -> str:
    """The matching key of a name: equal keys mean "the same name as written".

    NFC, case-folded, the tone mark of every syllable moved to its new-style place ("hoà" →
    "hòa", "thuỷ" → "thủy"), invisible characters dropped, whitespace collapsed, and any dash
    (-, –, —, …) with whitespace on either side written as " - ". An unspaced hyphen stays as it
    is, so "BR-VT" and "COVID-19" keep their shape.
    """
    # invisible characters go first: dropped after composing, they would leave a mark to
    # compose with the letter before them on the next fold
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text)).casefold()
    text = _DASHES.sub("-", text)
    # a word followed by a stray combining mark keeps its tone where it is, as in
    # canonical_tones: moving it would let the stray mark compose on the next fold
    text = _TONED_WORD.sub(lambda m: _place_tone(m.group(0)), text)
    text = " ".join(_SPACED_DASH.sub(" - ", " ".join(text.split())).split())
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
    if _STRAY_MARK.search(text):
        # Most texts already write every tone where it belongs: find that out from the
        # distinct words before rewriting the text word by word.
        if all(_canonical_word(word) == word for word in set(_TONED_WORD.findall(text))):
            return text
        return _rewrite_words(text, _TONED_PIECES)
    # Without stray marks the look-ahead of `_TONED_WORD` always holds: its words are the
    # letter runs. No run crosses white space, so short white-space separated chunks, which
    # texts repeat, can be checked and rewritten once each (memoised) instead of word by word.
    chunks = set(text.split())
    if max(map(len, chunks), default=0) > _CHUNK_LIMIT:
        in_place = all(_canonical_word(word) == word for word in set(_LETTERS.findall(text)))
    else:
        in_place = all(map(_chunk_in_place, chunks))
    if in_place:
        return text
    parts = text.split(" ")
    if max(map(len, parts)) > _CHUNK_LIMIT:
        return _rewrite_words(text, _LETTER_PIECES)
    return " ".join(map(_canonical_chunk, parts))


def _rewrite_words(text: str, pieces: re.Pattern[str]) -> str:
    """Each word (what `pieces` captures) with `_canonical_word`, like `words.sub` would."""
    parts = pieces.split(text)  # gaps and words, alternating
    parts[1::2] = map(_canonical_word, parts[1::2])
    return "".join(parts)


# Chunks longer than this are rare and not worth memoising.
_CHUNK_LIMIT = 64


@lru_cache(maxsize=_WORD_CACHE)
def _chunk_in_place(chunk: str) -> bool:
    """Whether every letter run of `chunk` already has its tone in place."""
    return all(_canonical_word(word) == word for word in _LETTERS.findall(chunk))


@lru_cache(maxsize=_WORD_CACHE)
def _canonical_chunk(chunk: str) -> str:
    """`chunk` with the tone of each of its letter runs in place."""
    return _rewrite_words(chunk, _LETTER_PIECES)


@lru_cache(maxsize=_WORD_CACHE)
def _canonical_word(word: str) -> str:
    """One word with its tone mark placed, case kept (memoised: texts repeat their words)."""
    lower = word.lower()
    placed = _place_tone(lower)
    if placed == lower or len(placed) != len(word):
        return word
    return "".join(p.upper() if w.isupper() else p for p, w in zip(placed, word, strict=True))


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
    chars = set(original)
    if unicodedata.is_normalized("NFC", original) and not any(map(unicodedata.combining, chars)):
        # every character is its own NFC cluster and normalising changes none of them
        return _clean_plain(original, blank, chars)
    return _clean_clusters(original, blank)


def _counting(start: int, stop: int) -> tuple[int, ...]:
    """`tuple(range(start, stop))`, sliced from one shared tuple when it is short enough:
    offset maps are made of such runs, and slicing creates no int objects."""
    if stop <= _COUNTING_LIMIT:
        return _counting_tuple()[start:stop]
    return tuple(range(start, stop))


_COUNTING_LIMIT = 1 << 16


@lru_cache(maxsize=1)
def _counting_tuple() -> tuple[int, ...]:
    return tuple(range(_COUNTING_LIMIT))


def _clean_plain(original: str, blank: list[tuple[int, int]] | None, chars: set[str]) -> CleanText:
    """`clean` for text whose characters each stand alone (`chars` is the set of them): copy
    the runs between markup and odd characters whole; a text with none of them keeps the
    identity offset map."""
    n = len(original)
    if _SPECIAL_CHARS.isdisjoint(chars) and (
        _MARKUP_CHARS.isdisjoint(chars) or _MARKUP.search(original) is None
    ):
        text = original
        starts = _counting(0, n)
        ends = _counting(1, n + 1)
    else:
        out: list[str] = []
        start_list: list[int] = []
        end_list: list[int] = []
        pos = 0
        for m in _SPECIAL.finditer(original):
            a, b = m.span()
            if a > pos:
                out.append(original[pos:a])
                start_list.extend(_counting(pos, a))
                end_list.extend(_counting(pos + 1, a + 1))
            pos = b
            found = m.group()
            if found[0] == "\r":
                out.append("\n")  # of a CRLF, the "\n" stands for both
                start_list.append(a)
                end_list.append(b)
            elif found in _SPACES:
                out.append(" ")
                start_list.append(a)
                end_list.append(b)
            # markup and zero-width characters are dropped
        if pos < n:
            out.append(original[pos:])
            start_list.extend(_counting(pos, n))
            end_list.extend(_counting(pos + 1, n + 1))
        text = "".join(out)
        starts, ends = tuple(start_list), tuple(end_list)
    for start, end in blank or ():
        # each analysed character came from the original character just before its end
        lo = bisect_right(ends, max(0, start))
        hi = bisect_right(ends, min(n, end))
        if lo < hi:
            text = text[:lo] + _NOT_NEWLINE.sub(" ", text[lo:hi]) + text[hi:]
    return CleanText(original, canonical_tones(text, compose=False), starts, ends)


def _clean_clusters(original: str, blank: list[tuple[int, int]] | None = None) -> CleanText:
    """`clean` for any text, one NFC cluster at a time."""
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
