"""Shared test helpers: where the shared corpora and scorer are, and how to run the scorer
(driving our own CLI, as the evaluation does)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "corpus" / "seeds"
NEWS = SHARED / "corpus" / "news"
GOLD = SHARED / "eval" / "gold" / "seeds.json"
SCORER = SHARED / "eval" / "score.py"
KG_COMMAND = f"{shlex.quote(sys.executable)} -m kg"


def build(corpus: Path, graph: Path, *options: str) -> None:
    """`kg build` in a subprocess, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", str(corpus), "-o", str(graph), "-q", *options],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def score(
    corpus: Path, graph: Path, report: Path, gold: Path = GOLD, aliases: Path | None = None
) -> dict:
    """The shared scorer's results (its --json output) for an already built graph."""
    command = [sys.executable, str(SCORER), "--corpus", str(corpus), "--gold", str(gold)]
    if aliases is not None:
        command += ["--aliases", str(aliases)]
    command += ["--kg", KG_COMMAND, "--graph", str(graph), "--json", str(report)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())
