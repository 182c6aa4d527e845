"""Word-level phrase matching over analysed Vietnamese text, insensitive to case, tone-mark
placement and the punctuation inside abbreviations ("TP.HCM" = "TP HCM")."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, KeysView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, chain, compress, count
from operator import itemgetter
from typing import Generic, NamedTuple, TypeVar

from kg.text import fold

WORD = re.compile(r"[^\W_]+")
_SPLIT = re.compile(f"({WORD.pattern})")  # gaps and words, alternating
_PLAIN_GAP = re.compile(r"^[ \-\u2010-\u2015.&/']{1,5}$")
_COMMA_GAP = re.compile(r"^[ ,\-\u2010-\u2015.&/']{1,5}$")

T = TypeVar("T")
# the test a phrase's gaps must pass, and its value
_Entry = tuple[Callable[[str], "re.Match[str] | None"], T]
# a first key's one-word phrase, and its longer phrases by second key and length
_Phrases = tuple[_Entry[T] | None, dict[str, list[tuple[int, dict[tuple[str, ...], _Entry[T]]]]]]


class Word(NamedTuple):
    """One word of the analysed text. A named tuple, not a dataclass: a document has thousands
    of words and a tuple is several times quicker to make."""

    start: int
    end: int
    text: str
    key: str  # folded

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


_new_word = partial(tuple.__new__, Word)


def words_of(text: str, start: int = 0, end: int | None = None) -> list[Word]:
    end = len(text) if end is None else end
    if start == 0 and end == len(text):
        # The whole text, as every component asks for it: split it into gaps and words and
        # add up their lengths for the offsets, in loops that run in C (`fold` is memoised).
        pieces = _SPLIT.split(text)
        bounds = list(accumulate(map(len, pieces)))
        found = pieces[1::2]
        return list(
            map(_new_word, zip(bounds[0:-1:2], bounds[1::2], found, map(fold, found), strict=True))
        )
    return [
        Word(m.start(), m.end(), w := m.group(), fold(w)) for m in WORD.finditer(text, start, end)
    ]


def key_positions(words: list[Word]) -> dict[str, list[int]]:
    """For each key, the indices of the words that have it: made once per document, it lets
    each phrase index find the words it can start at without visiting every word."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(map(_KEY, words)):
        positions[key].append(i)
    return dict(positions)


def words_keyed(
    words: list[Word], keys: AbstractSet[str], positions: dict[str, list[int]] | None = None
) -> Iterator[int]:
    """Indices of the words whose key is in `keys`, ascending: where a phrase index can match,
    so rule loops visit those words instead of all of them. `positions` is
    `key_positions(words)`, when the caller has it."""
    if positions is None:
        return compress(count(), map(keys.__contains__, map(_KEY, words)))
    found = keys & positions.keys()
    if len(found) == 1:
        return iter(positions[next(iter(found))])
    return iter(sorted(chain.from_iterable(map(positions.__getitem__, found))))


_KEY = itemgetter(3)  # Word.key


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
        self._lookups: dict[str, _Phrases[T]] | None = None

    def add(self, phrase: str, value: T) -> None:
        key = phrase_key(phrase)
        if not key:
            return
        entries = self._by_first.setdefault(key[0], [])
        if any(existing == key for existing, _, _ in entries):
            return  # first registration wins: callers add canonical names before variants
        entries.append((key, "," in phrase, value))
        entries.sort(key=lambda entry: -len(entry[0]))
        self._lookups = None

    def add_all(self, items: Iterable[tuple[str, T]]) -> None:
        for phrase, value in items:
            self.add(phrase, value)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_first.values())

    @property
    def first_keys(self) -> KeysView[str]:
        """Folded first words of the phrases: a match can start only at a word with one of
        these keys, so hot loops test this before calling `match_at`."""
        return self._by_first.keys()

    def _lookup(self) -> dict[str, _Phrases[T]]:
        """For each first key: its one-word phrase, and its longer phrases by second key, by
        length (longest first), each length a dict from the phrase's keys. Phrases are
        distinct, so at a word at most one phrase of each length has the keys that follow,
        and one dict lookup finds it."""
        if self._lookups is None:
            lookups: dict[str, _Phrases[T]] = {}
            for first, entries in self._by_first.items():
                single: _Entry[T] | None = None
                by_second: dict[str, dict[int, dict[tuple[str, ...], _Entry[T]]]] = {}
                for key, commas, value in entries:  # longest first
                    entry = ((_COMMA_GAP if commas else _PLAIN_GAP).match, value)
                    if len(key) == 1:
                        single = entry
                    else:
                        by_second.setdefault(key[1], {}).setdefault(len(key), {})[key] = entry
                lookups[first] = (
                    single,
                    {second: list(lengths.items()) for second, lengths in by_second.items()},
                )
            self._lookups = lookups
        return self._lookups

    def match_at(self, text: str, words: list[Word], i: int) -> Match[T] | None:
        """The longest phrase starting at word i: every word's key equal and every gap
        between words plain (or with a comma, for phrases written with one)."""
        phrases = (self._lookups or self._lookup()).get(words[i].key)
        if phrases is None:
            return None
        single, by_second = phrases
        lengths = by_second.get(words[i + 1].key) if i + 1 < len(words) else None
        if lengths is not None:
            ahead = tuple(map(_KEY, words[i : i + lengths[0][0]]))  # keys from word i on
            for n, by_keys in lengths:
                if n > len(ahead):
                    continue  # runs past the last word
                entry = by_keys.get(ahead[:n])
                if entry is None:
                    continue
                gap_ok, value = entry
                for k in range(i + 1, i + n):
                    if not gap_ok(text[words[k - 1].end : words[k].start]):
                        break
                else:
                    start, end = words[i].start, words[i + n - 1].end
                    return Match(start, end, i, i + n, value, text[start:end])
        if single is not None:
            start, end = words[i].start, words[i].end
            return Match(start, end, i, i + 1, single[1], text[start:end])
        return None

    def candidates(
        self, words: list[Word], positions: dict[str, list[int]] | None = None
    ) -> list[int]:
        """The indices, ascending, of the words where `match_at` may find a phrase: its first
        key, and a one-word phrase or a longer one with the next word's key. Elsewhere it
        finds none, so rule loops need not ask."""
        lookups = self._lookups or self._lookup()
        n_words = len(words)
        found = []
        for i in words_keyed(words, self._by_first.keys(), positions):
            single, by_second = lookups[words[i].key]
            if single is not None or (i + 1 < n_words and words[i + 1].key in by_second):
                found.append(i)
        return found

    def find_all(
        self, text: str, words: list[Word], positions: dict[str, list[int]] | None = None
    ) -> Iterator[Match[T]]:
        """Non-overlapping longest matches, left to right. `positions`, the
        `key_positions(words)` of a caller that has them, saves a pass over the words."""
        i = 0
        for start in self.candidates(words, positions):
            if start < i:
                continue  # inside the last match
            match = self.match_at(text, words, start)
            if match is not None:
                yield match
                i = match.last


def is_caps_line(text: str, offset: int) -> bool:
    """Whether the line holding `offset` is written in capitals (a header or stamp)."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    letters = 0
    for c in text[start : end if end >= 0 else len(text)]:
        if c.isalpha():
            if not c.isupper():
                return False  # most lines stop at their second letter
            letters += 1
    return letters >= 4
