"""Messy folders: every bad file is reported by name and skipped, the good ones build exactly as
they would alone, and an interrupted build never damages the previous output."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.build import build_graph, serialize
from kg.cli import main

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "corpus" / "seeds"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"


def windows_1258(text: str) -> bytes:
    """Text as legacy Vietnamese Windows software saved it: letters precomposed, tone marks
    as separate combining characters."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def bad_files(folder: Path) -> dict[str, str]:
    """Write one file of each kind of trouble; returns file name -> words its report must hold."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "only-bom.txt").write_bytes(b"\xef\xbb\xbf  \n")
    (folder / "scan.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (folder / "archive.txt").write_bytes(b"PK\x03\x04\x14\x00\x00\x00")
    (folder / "legacy.txt").write_bytes(windows_1258("Thủ tướng chỉ đạo phòng chống dịch"))
    (folder / "huge.txt").write_bytes(b"a" * 2_000_001)
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    return {
        "empty.txt": "empty",
        "only-bom.txt": "empty",
        "scan.txt": "binary",
        "archive.txt": "binary",
        "legacy.txt": "UTF-8",
        "huge.txt": "MB",
        "dangling.txt": "cannot read",
    }


def test_bad_files_are_reported_and_the_good_ones_build_as_alone(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, corpus)
    expected = bad_files(corpus)
    (corpus / "sub").mkdir()
    shutil.copy(EXAMPLES / "manifest.csv", corpus / "sub" / "notes.md")  # text, but not a notice
    result = build_graph(corpus, max_bytes=2_000_000)
    problems = "\n".join(result.problems)
    for name, words in expected.items():
        line = next((p for p in result.problems if name in p), None)
        assert line is not None, f"{name} not reported:\n{problems}"
        assert words in line, line
    clean = build_graph(EXAMPLES)
    paths = {s.path for s in result.report.sources}
    assert {s.path for s in clean.report.sources} <= paths
    assert "sub/notes.md" in paths
    alone = {t for t in clean.graph}
    together = {t for t in result.graph}
    assert alone <= together, "a bad neighbour changed what the good documents give"


def test_cli_exit_codes_for_bad_folders(tmp_path: Path) -> None:
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    bad_files(only_bad)
    (only_bad / "huge.txt").unlink()  # text after all, under the default size limit
    out = tmp_path / "out.ttl"
    result = CliRunner().invoke(main, ["build", str(only_bad), "-o", str(out), "-q"])
    assert result.exit_code == 2
    assert not out.exists()
    mixed = tmp_path / "mixed"
    shutil.copytree(EXAMPLES, mixed)
    (mixed / "empty.txt").write_bytes(b"")
    assert CliRunner().invoke(main, ["build", str(mixed), "-o", str(out), "-q"]).exit_code == 0
    before = out.read_bytes()
    strict = CliRunner().invoke(main, ["build", str(mixed), "-o", str(out), "-q", "--strict"])
    assert strict.exit_code == 1
    assert out.read_bytes() == before


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared is absent")
def test_killing_a_build_mid_write_leaves_the_previous_graph_intact(tmp_path: Path) -> None:
    out = tmp_path / "graph.ttl"
    out.write_bytes(serialize(build_graph(EXAMPLES).graph))
    before = out.read_bytes()
    for delay in (0.5, 1.5, 2.5):
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "build", str(SEEDS), "-o", str(out), "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        data = out.read_bytes()
        if data != before:  # the build finished before the kill: the new graph must be whole
            ox.Store().load(data, format=ox.RdfFormat.TURTLE)
        before = data
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "graph.ttl"]
    assert all(name.endswith(".part") for name in leftovers)
