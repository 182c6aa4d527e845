"""`kg evaluate` counts exactly what the shared scorer counts, also when the graph has misses
and false facts, and shows the sentence a false fact came from."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import GOLD, SCORER, SEEDS, score

from kg.cli import main

pytestmark = pytest.mark.skipif(
    not SCORER.is_file(), reason="../shared (corpus and scorer) is absent"
)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("g") / "seeds.ttl"
    result = CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(out), "-q", "--no-validate"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def harder_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed gold with facts added that the graph lacks and acceptable facts removed, so the
    graph now has misses and false facts in several categories."""
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    changed = copy.deepcopy(gold)
    first = next(k for k in changed if not k.startswith("_"))
    changed[first]["person"]["required"].append("Nguyễn Văn Không Có")
    changed[first]["oversees"]["required"].append(["Vũ Đức Đam", "VN-HN"])
    for source, spec in changed.items():
        if source.startswith("_"):
            continue
        for category in ("principle", "organization", "holds_post", "attends"):
            if category in spec:
                spec[category]["acceptable"] = []
        if "province" in spec and spec["province"]["required"]:
            spec["province"]["required"].pop()
    folder = tmp_path_factory.mktemp("gold")
    shutil.copy(GOLD.parent.parent / "aliases.json", folder / "aliases.json")
    path = folder / "harder.json"
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    return path


def _scorer(graph: Path, gold: Path, tmp: Path) -> dict:
    return score(SEEDS, graph, tmp / "score.json", gold=gold, aliases=gold.parent / "aliases.json")


def test_evaluate_agrees_with_the_shared_scorer(
    graph: Path, harder_gold: Path, tmp_path: Path
) -> None:
    theirs = _scorer(graph, harder_gold, tmp_path)
    result = CliRunner().invoke(
        main, ["evaluate", "--gold", str(harder_gold), "--graph", str(graph), "--json"]
    )
    assert result.exit_code == 0, result.output
    ours = json.loads(result.output)

    def counts(scores: dict) -> dict:
        return {
            c: (v["tp"], v["fp"], v["fn"])
            for c, v in scores.items()
            if isinstance(v, dict) and "tp" in v
        }

    assert counts(ours) == counts(theirs)
    assert sum(fp for _, fp, _ in counts(ours).values()) > 0, (
        "the harder gold should leave false facts"
    )
    assert ours["overall"]["f1"] == pytest.approx(theirs["overall"]["f1"])


def test_false_facts_come_with_their_sentence(graph: Path, harder_gold: Path) -> None:
    result = CliRunner().invoke(
        main, ["evaluate", "--gold", str(harder_gold), "--graph", str(graph), "--json"]
    )
    report = json.loads(result.output)
    false_facts = [f for items in report["false"].values() for f in items]
    assert false_facts
    with_sentence = [f for f in false_facts if f["evidence"]]
    assert len(with_sentence) >= len(false_facts) * 0.9
    misses = report["misses"]
    assert ["Nguyễn Văn Không Có"] in [m["fact"] for m in misses["person"]]


def test_evaluate_text_report_and_bad_gold(graph: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["evaluate", "--gold", str(GOLD), "--graph", str(graph)])
    assert result.exit_code == 0
    assert "overall P=" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", "--gold", str(bad), "--graph", str(graph)])
    assert result.exit_code == 2
    assert "bad.json" in result.output
