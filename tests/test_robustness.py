"""The same facts come out of a messy copy of the seed corpus: decomposed Unicode, old-style tone
marks, a byte-order mark and CRLF line ends, common abbreviations and a title in capitals — and
every evidence span still points at the messy file's own characters."""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
from conftest import SCORER, SEEDS, build
from conftest import score as run_scorer

pytestmark = pytest.mark.skipif(
    not SCORER.is_file(), reason="../shared (corpus and scorer) is absent"
)

_TONE = "[\u0300\u0301\u0303\u0309\u0323]"
_NEW_STYLE = re.compile(
    rf"(?<![qQ])([oO])({_TONE})([aAeE])(?![^\W\d_])|(?<![qQ])([uU])({_TONE})([yY])(?![^\W\d_])"
)


def old_style_tones(text: str) -> str:
    """ "hòa" → "hoà", "thủy" → "thuỷ": the placement older documents use."""

    def move(m: re.Match[str]) -> str:
        first, tone, second = m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)
        return first + second + tone

    return _NEW_STYLE.sub(move, unicodedata.normalize("NFD", text))


ABBREVIATIONS = (
    ("Thành phố Hồ Chí Minh", "TP.HCM"),
    ("Bộ Lao động - Thương binh và Xã hội", "Bộ LĐ-TB&XH"),
    ("Bộ Thông tin và Truyền thông", "Bộ TT&TT"),
    ("Ủy ban nhân dân", "UBND"),
)


def abbreviate(text: str) -> str:
    """What hurried writers do: common abbreviations, and a title line in capitals."""
    for full, short in ABBREVIATIONS:
        text = text.replace(full, short)
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    lines[first] = lines[first].upper()
    return "\n".join(lines)


def messy_copy(target: Path) -> None:
    target.mkdir()
    shutil.copy(SEEDS / "manifest.csv", target / "manifest.csv")
    for path in sorted(SEEDS.glob("*.txt")):
        text = abbreviate(path.read_bytes().decode("utf-8-sig"))
        text = old_style_tones(text)  # NFD as a side effect
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        (target / path.name).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def score(corpus: Path, out: Path) -> dict:
    build(corpus, out / "graph.ttl", "--no-validate")
    return run_scorer(corpus, out / "graph.ttl", out / "scores.json")


def test_old_style_transform_really_changes_the_text() -> None:
    assert unicodedata.normalize("NFC", old_style_tones("Trương Hòa Bình, Khánh Hòa, thủy")) == (
        "Trương Hoà Bình, Khánh Hoà, thuỷ"
    )


def test_messy_corpus_scores_like_the_clean_one(tmp_path: Path) -> None:
    messy = tmp_path / "messy"
    messy_copy(messy)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clean_scores = score(SEEDS, tmp_path / "a")
    messy_scores = score(messy, tmp_path / "b")
    assert messy_scores["overall"]["f1"] >= clean_scores["overall"]["f1"] - 0.02
    evidence = messy_scores["evidence"]
    assert evidence["verified"] == evidence["total"] > 0
