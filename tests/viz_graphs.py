"""Graphs the `kg viz` tests draw, built once per test session and shared by test_viz.py and
test_viz_browser.py (building the seeds takes seconds; drawing them takes milliseconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "corpus"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "seeds"

_built: dict[Path, Path] = {}


def built_graph(corpus: Path, factory: pytest.TempPathFactory) -> Path:
    """The Turtle graph of `corpus` (skips the test if the corpus is absent)."""
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is absent (../shared must sit beside the checkout)")
    if corpus not in _built:
        from kg.build import build_graph, serialize

        out = factory.mktemp("viz-graph") / f"{corpus.name}.ttl"
        out.write_bytes(serialize(build_graph(corpus).graph))
        _built[corpus] = out
    return _built[corpus]


def _literal(text: str) -> str:
    """A Turtle string literal (JSON's escapes are Turtle's)."""
    return json.dumps(text, ensure_ascii=False)


# A hand-made graph whose names and quotes contain markup, quotes and ampersands: the page must
# show them as text and nothing in them may run or become markup.
HOSTILE_NAME = 'Nguyễn <script>alert("x")</script> Văn & "An"'
HOSTILE_QUOTE = 'Ông </script><b id="injected">An</b> phụ trách "Hà Nội" & <!-- tỉnh --> Bắc Ninh.'
HOSTILE_TTL = f"""
@prefix kgo: <https://w3id.org/kgvn/ontology#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/kgvn/id/> .

<https://w3id.org/kgvn/id/person/an> a kgo:Person ; rdfs:label {_literal(HOSTILE_NAME)}@vi .
<https://w3id.org/kgvn/id/province/VN-HN> a kgo:Province ; rdfs:label "Hà Nội"@vi ;
    kgo:isoCode "VN-HN" ; kgo:region "Đồng bằng sông Hồng" .
<https://w3id.org/kgvn/id/source/a.txt> a kgo:SourceDocument ; kgo:path "<a>&b\\".txt" ;
    dcterms:date "2021-08-01"^^xsd:date .
<https://w3id.org/kgvn/id/evidence/a.txt/0-10> a kgo:Evidence ;
    kgo:source <https://w3id.org/kgvn/id/source/a.txt> ; kgo:start 0 ; kgo:end 10 ;
    kgo:quote {_literal(HOSTILE_QUOTE)} .
<https://w3id.org/kgvn/id/statement/1> a kgo:Oversight ;
    kgo:leader <https://w3id.org/kgvn/id/person/an> ;
    kgo:province <https://w3id.org/kgvn/id/province/VN-HN> ;
    kgo:source <https://w3id.org/kgvn/id/source/a.txt> ; kgo:confidence 0.9 ;
    kgo:rule "test" ; prov:wasDerivedFrom <https://w3id.org/kgvn/id/evidence/a.txt/0-10> .
"""


def hostile_graph(folder: Path) -> Path:
    path = folder / "hostile.ttl"
    path.write_text(HOSTILE_TTL, encoding="utf-8")
    return path
