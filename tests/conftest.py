"""Shared test helpers: where the shared corpora and scorer are, and how to run the scorer
(driving our own CLI, as the evaluation does)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

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


def child_pids(pid: int) -> list[int]:
    """Process ids whose parent is `pid`, from /proc (a server's query workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


@pytest.fixture(scope="session")
def graph_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The graph of the seeds (of the example corpus when ../shared is missing) as Turtle."""
    from kg.build import build_graph

    corpus = SEEDS if SEEDS.is_dir() else Path(__file__).resolve().parents[1] / "examples/corpus"
    result = build_graph(corpus)
    assert result.documents > 0
    path = tmp_path_factory.mktemp("graph") / "graph.ttl"
    result.write_turtle(path)
    return path


def stop_process(process: subprocess.Popen, wait: float = 10) -> None:
    """Stop a server started for a test: SIGTERM, then SIGKILL if it does not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
