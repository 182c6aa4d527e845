"""Cue words of Vietnamese administrative prose (status phrases, directive verbs, honorifics…),
kept in `data/cues.csv` so linguists can extend them without touching code."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.errors import DataFileError
from kg.text import fold

DATA_DIR = Path(__file__).parent / "data"
CUE_KINDS = frozenset(
    {
        "status",
        "negation",
        "oversight",
        "oversight_place",
        "chair",
        "meeting",
        "attendance",
        "directive",
        "report_verb",
        "assign_verb",
        "principle_cue",
        "honorific",
        "post_link",
        "date_cue",
        "function_word",
    }
)
STATUS_VALUES = frozenset({"hotspot", "controlled", "on_track", "improving"})


@dataclass(frozen=True)
class Cue:
    kind: str
    text: str
    value: str


@dataclass(frozen=True)
class Lexicon:
    """Cues by kind; `fold`ed forms for matching, longest first so "trực tiếp chỉ đạo" wins
    over "chỉ đạo"."""

    cues: dict[str, tuple[Cue, ...]]

    def of(self, kind: str) -> tuple[Cue, ...]:
        return self.cues.get(kind, ())

    def texts(self, kind: str) -> tuple[str, ...]:
        return tuple(cue.text for cue in self.of(kind))


def load_lexicon(path: Path | None = None) -> Lexicon:
    path = path or DATA_DIR / "cues.csv"
    try:
        rows = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataFileError(path, f"cannot read cue lexicon: {exc}") from exc
    reader = csv.DictReader(rows)
    expected = ["kind", "cue", "value", "source"]
    if reader.fieldnames != expected:
        raise DataFileError(path, f"header must be {','.join(expected)}", 1)
    by_kind: dict[str, list[Cue]] = defaultdict(list)
    for row in reader:
        kind, text, value = ((row.get(k) or "").strip() for k in ("kind", "cue", "value"))
        if kind not in CUE_KINDS:
            raise DataFileError(path, f"unknown cue kind {kind!r}", reader.line_num)
        if not text:
            raise DataFileError(path, "empty cue", reader.line_num)
        if kind == "status" and value not in STATUS_VALUES:
            raise DataFileError(
                path, f"status cue needs a value in {sorted(STATUS_VALUES)}", reader.line_num
            )
        by_kind[kind].append(Cue(kind, fold(text), value))
    return Lexicon(
        {k: tuple(sorted(v, key=lambda c: -len(c.text))) for k, v in sorted(by_kind.items())}
    )


@lru_cache(maxsize=4)
def default_lexicon() -> Lexicon:
    return load_lexicon()
