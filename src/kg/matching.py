"""Word-level phrase matching over analysed Vietnamese text, insensitive to case, tone-mark
placement and the punctuation inside abbreviations ("TP.HCM" = "TP HCM")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from kg.text import fold

WORD = re.compile(r"[^\W_]+")
_PLAIN_GAP = re.compile(r"^[ \-\u2010-\u2015.&/']{1,5}$")
_COMMA_GAP = re.compile(r"^[ ,\-\u2010-\u2015.&/']{1,5}$")

T = TypeVar("T")


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str
    key: str  # folded

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def words_of(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    end = len(text) if end is None else end
    return [
        Word(m.start(), m.end(), m.group(), fold(m.group()))
        for m in WORD.finditer(text, start, end)
    ]


def phrase_key(text: str) -> tuple[str, ...]:
    return tuple(fold(m.group()) for m in WORD.finditer(text))


@dataclass(frozen=True)
class Match(Generic[T]):
    start: int  # character offsets in the analysed text
    end: int
    first: int  # word indices, end exclusive
    last: int
    value: T
    surface: str


class PhraseIndex(Generic[T]):
    """Longest-match lookup of many phrases at once."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], bool, T]]] = {}

    def add(self, phrase: str, value: T) -> None:
        key = phrase_key(phrase)
        if not key:
            return
        entries = self._by_first.setdefault(key[0], [])
        if any(existing == key for existing, _, _ in entries):
            return  # first registration wins: callers add canonical names before variants
        entries.append((key, "," in phrase, value))
        entries.sort(key=lambda entry: -len(entry[0]))

    def add_all(self, items: Iterable[tuple[str, T]]) -> None:
        for phrase, value in items:
            self.add(phrase, value)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_first.values())

    def match_at(self, text: str, words: list[Word], i: int) -> Match[T] | None:
        for key, commas, value in self._by_first.get(words[i].key, ()):
            n = len(key)
            if i + n > len(words):
                continue
            ok = True
            for k in range(1, n):
                if words[i + k].key != key[k]:
                    ok = False
                    break
                gap = text[words[i + k - 1].end : words[i + k].start]
                if not (_COMMA_GAP if commas else _PLAIN_GAP).match(gap):
                    ok = False
                    break
            if ok:
                start, end = words[i].start, words[i + n - 1].end
                return Match(start, end, i, i + n, value, text[start:end])
        return None

    def find_all(self, text: str, words: list[Word]) -> Iterator[Match[T]]:
        """Non-overlapping longest matches, left to right."""
        i = 0
        while i < len(words):
            match = self.match_at(text, words, i)
            if match is None:
                i += 1
                continue
            yield match
            i = match.last


def is_caps_line(text: str, offset: int) -> bool:
    """Whether the line holding `offset` is written in capitals (a header or stamp)."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)]
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)
