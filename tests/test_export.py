"""kg export: every format re-imports into pyoxigraph with exactly the Turtle's triples; TriG
and N-Quads hold one named graph per source document with that source's statements, evidence
and meetings, entities and sources in the default graph; JSON-LD is compact; output is
deterministic and written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from kg.export import CONTEXT_PREFIXES, FORMATS, export_store
from kg.sparql import open_graph

KGO = "https://w3id.org/kgvn/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LOAD_FORMAT = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
SUFFIX = {"turtle": "ttl", "ntriples": "nt", "nquads": "nq", "trig": "trig", "jsonld": "jsonld"}


def make_runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def kg_cli(*args: str) -> Result:
    return make_runner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def turtle_triples(graph_file: Path) -> set[ox.Triple]:
    return {quad.triple for quad in open_graph(graph_file)}


@pytest.fixture(scope="module")
def exported(graph_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The graph exported by the command line in every format."""
    folder = tmp_path_factory.mktemp("export")
    out = {}
    for fmt in FORMATS:
        path = folder / f"graph.{SUFFIX[fmt]}"
        result = kg_cli("export", str(graph_file), "--format", fmt, "-o", str(path))
        assert result.exit_code == 0, result.stderr
        assert f"as {fmt}" in result.stderr
        out[fmt] = path
    return out


def load(path: Path, fmt: str) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path), format=LOAD_FORMAT[fmt])
    return store


def sources_of(triples: set[ox.Triple]) -> dict[ox.NamedNode, ox.NamedNode]:
    return {t.subject: t.object for t in triples if t.predicate.value == KGO + "source"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reimports_with_the_same_triples(
    fmt: str, exported: dict[str, Path], turtle_triples: set[ox.Triple]
) -> None:
    store = load(exported[fmt], fmt)
    triples = [quad.triple for quad in store]
    assert len(triples) == len(turtle_triples)  # nothing is said twice across graphs
    assert set(triples) == turtle_triples


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_one_named_graph_per_source_document(
    fmt: str, exported: dict[str, Path], turtle_triples: set[ox.Triple]
) -> None:
    store = load(exported[fmt], fmt)
    sources = sources_of(turtle_triples)
    documents = {
        t.subject
        for t in turtle_triples
        if t.predicate.value == RDF_TYPE and t.object.value == KGO + "SourceDocument"
    }
    graphs = set(store.named_graphs())
    assert graphs == set(sources.values())
    assert graphs == documents  # every source document states something
    for quad in store:
        if isinstance(quad.graph_name, ox.DefaultGraph):
            # entity descriptions and the sources themselves: nothing with a kgo:source
            assert quad.subject not in sources, quad
        else:
            assert sources.get(quad.subject) == quad.graph_name, quad
    # the named graphs hold the statements, their evidence and the meetings
    kinds_in_graphs = {
        q.object.value.removeprefix(KGO)
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None)
        if not isinstance(q.graph_name, ox.DefaultGraph)
    }
    assert {"Evidence", "Mention"} <= kinds_in_graphs
    assert "SourceDocument" not in kinds_in_graphs and "Person" not in kinds_in_graphs
    if any(t.object.value == KGO + "Meeting" for t in turtle_triples):
        assert "Meeting" in kinds_in_graphs
    default_kinds = {
        q.object.value.removeprefix(KGO)
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, ox.DefaultGraph())
    }
    assert {"SourceDocument", "Person", "Province"} <= default_kinds


def test_jsonld_is_compact_and_readable(exported: dict[str, Path]) -> None:
    document = json.loads(exported["jsonld"].read_text(encoding="utf-8"))
    context = document["@context"]
    for prefix in ("kgo", "rdfs", "skos", "prov", "dcterms", "org", "xsd", "schema", "foaf"):
        assert context[prefix] == CONTEXT_PREFIXES[prefix]
    assert context["@base"] == "https://w3id.org/kgvn/id/"
    nodes = document["@graph"]
    oversight = next(n for n in nodes if n.get("@type") == "kgo:Oversight")
    assert not oversight["@id"].startswith("http")  # relative to @base
    assert oversight["kgo:source"]["@id"].startswith("source/")
    assert oversight["kgo:confidence"]["@type"] == "xsd:decimal"
    person = next(n for n in nodes if n.get("@type") == "kgo:Person")
    assert person["rdfs:label"]["@language"] == "vi"
    text = exported["jsonld"].read_text(encoding="utf-8")
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" not in text


def test_turtle_export_of_a_built_graph_has_its_triples_and_is_a_fixed_point(
    graph_file: Path, exported: dict[str, Path], tmp_path: Path
) -> None:
    # through a store, which compares values: the decimal 1.0 may be written "1" or 1.0
    assert set(open_graph(exported["turtle"])) == set(open_graph(graph_file))
    again = tmp_path / "again.ttl"
    assert kg_cli("export", str(exported["turtle"]), "-o", str(again)).exit_code == 0
    assert again.read_bytes() == exported["turtle"].read_bytes()


def test_turtle_export_has_one_block_per_subject_in_order(exported: dict[str, Path]) -> None:
    text = exported["turtle"].read_text(encoding="utf-8")
    subjects = [
        line.split(" ", 1)[0]
        for line in text.splitlines()
        if line and not line.startswith(("@prefix", "\t", " "))
    ]
    assert len(subjects) > 100
    assert len(subjects) == len(set(subjects))  # every subject's triples in one block
    iris = [s for s in subjects if s.startswith("<")]  # prefixed names sort as their IRIs
    assert iris == sorted(iris)


def test_output_is_deterministic(graph_file: Path, exported: dict[str, Path]) -> None:
    """Exporting again, or from another format, gives the same bytes."""
    from_trig = open_graph(exported["trig"])
    from_nt = open_graph(exported["ntriples"])
    for fmt in FORMATS:
        expected = exported[fmt].read_bytes()
        assert export_store(from_trig, fmt) == expected, fmt
        assert export_store(from_nt, fmt) == expected, fmt


def test_blank_nodes_survive_every_format(tmp_path: Path) -> None:
    source = tmp_path / "blank.ttl"
    source.write_text(
        "@prefix ex: <http://example.org/> .\n"
        'ex:a ex:has [ ex:name "one"@en ; ex:list ( 1 2.5 [ ex:deep "x" ] ) ] .\n',
        encoding="utf-8",
    )
    expected = ox.Dataset(open_graph(source))
    expected.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    for fmt in FORMATS:
        out = tmp_path / f"out.{SUFFIX[fmt]}"
        assert kg_cli("export", str(source), "-o", str(out)).exit_code == 0
        got = ox.Dataset(ox.Quad(q.subject, q.predicate, q.object) for q in load(out, fmt))
        got.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        assert got == expected, fmt


def test_errors_exit_2_and_leave_earlier_output(graph_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.trig"
    out.write_text("earlier", encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text("not turtle at all", encoding="utf-8")
    result = kg_cli("export", str(bad), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: error: ")
    assert out.read_text(encoding="utf-8") == "earlier"
    result = kg_cli("export", str(tmp_path / "missing.ttl"), "-o", str(out))
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = kg_cli("export", str(graph_file), "-o", str(tmp_path / "out.unknown"))
    assert result.exit_code == 2 and "--format" in result.stderr
    assert not list(tmp_path.glob(".*.part"))


def test_export_to_standard_output(graph_file: Path, exported: dict[str, Path]) -> None:
    result = kg_cli("export", str(graph_file), "--format", "nquads", "-o", "-")
    assert result.exit_code == 0
    assert result.stdout_bytes == exported["nquads"].read_bytes()
