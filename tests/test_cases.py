"""Expected-output tests: each folder in tests/cases/ holds an `input/` corpus and the graph it
must give, `expected.ttl`, compared by isomorphism with a readable diff. After a deliberate
change, regenerate with `KG_UPDATE_CASES=1 pytest tests/test_cases.py` and review the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, to_isomorphic

from kg.build import build_graph, serialize

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "input").is_dir())


def _turtle(graph: Graph) -> str:
    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace)
    for triple in graph:
        out.add(triple)
    return out.serialize(format="turtle")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gives_expected_graph(case: Path) -> None:
    result = build_graph(case / "input")
    assert not result.problems
    expected_file = case / "expected.ttl"
    if os.environ.get("KG_UPDATE_CASES") or not expected_file.exists():
        expected_file.write_bytes(serialize(result.graph))
        pytest.skip(f"wrote {expected_file}; review it and commit")
    expected = Graph().parse(expected_file, format="turtle")
    # both through Turtle, so equal values with different lexical forms (the store keeps
    # "1" for the decimal 1.0) compare equal
    built = Graph().parse(data=serialize(result.graph), format="turtle")
    got, want = to_isomorphic(built), to_isomorphic(expected)
    if got != want:
        _, missing, extra = graph_diff(want, got)
        pytest.fail(
            f"{case.name}: graph differs from expected.ttl\n"
            f"--- missing ({len(missing)} triples):\n{_turtle(missing)}\n"
            f"--- unexpected ({len(extra)} triples):\n{_turtle(extra)}"
        )
