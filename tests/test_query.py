"""kg.sparql on the graph of the example corpus: every canned query binds the variables the
evaluation contract names, results print as valid SPARQL JSON / CSV / table, evidence offsets
reproduce their quotes, and parameters are bound as terms, never pasted into the query."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build_graph, serialize
from kg.errors import QueryError
from kg.sparql import (
    canned_names,
    filter_confidence,
    format_rows,
    load_query,
    open_graph,
    query,
    run,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "corpus"

# query -> (variables the contract names, those of them every row must bind)
CONTRACT: dict[str, tuple[set[str], set[str]]] = {
    "people": ({"source", "name", "post"}, {"source", "name"}),
    "organizations": ({"source", "name"}, {"source", "name"}),
    "provinces": ({"source", "code", "name"}, {"source", "code", "name"}),
    "documents": ({"source", "number", "type", "issuer", "date", "signer"}, {"source", "number"}),
    "principles": ({"source", "name"}, {"source", "name"}),
    "leadership": ({"source", "person", "organization"}, {"source", "person", "organization"}),
    "oversight": (
        {"source", "leader", "code", "province"},
        {"source", "leader", "code", "province"},
    ),
    "meetings": ({"source", "date", "chair"}, {"source", "date", "chair"}),
    "attendance": ({"source", "date", "person"}, {"source", "date", "person"}),
    "assignments": ({"source", "agency", "task"}, {"source", "agency", "task"}),
    "evidence": ({"source", "start", "end", "quote"}, {"source", "start", "end", "quote"}),
    "province-status": ({"source", "code", "status"}, {"source", "code", "status"}),
}
ISO_CODE = re.compile(r"^VN-([0-9]{2}|HN|SG|DN|HP|CT)$")
STATUSES = {"hotspot", "controlled", "on_track", "improving"}


@pytest.fixture(scope="module")
def graph_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example corpus built once and written as Turtle."""
    result = build_graph(EXAMPLES)
    assert result.problems == []
    assert result.documents == len(list(EXAMPLES.glob("*.txt")))
    path = tmp_path_factory.mktemp("graph") / "examples.ttl"
    path.write_bytes(serialize(result.graph))
    return path


@pytest.fixture(scope="module")
def store(graph_path: Path) -> ox.Store:
    return open_graph(graph_path)


@pytest.fixture(scope="module")
def example_texts() -> dict[str, str]:
    """Each example file's text exactly as evidence offsets index it."""
    return {p.name: p.read_bytes().decode("utf-8-sig") for p in EXAMPLES.glob("*.txt")}


# --- canned queries against the contract -----------------------------------------------------


def test_canned_queries_are_exactly_the_contract() -> None:
    assert set(canned_names()) == set(CONTRACT)
    assert canned_names() == sorted(canned_names())


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_canned_query_binds_the_contract_variables(
    store: ox.Store, example_texts: dict[str, str], name: str
) -> None:
    named, always = CONTRACT[name]
    variables, rows = run(store, load_query(name))
    assert named <= set(variables)
    assert rows, f"{name} finds nothing in the example corpus"
    for row in rows:
        assert always <= set(row), row
        assert row["source"].value in example_texts  # the file name, as in the corpus folder
        for var in named & set(row):
            assert isinstance(row[var], ox.Literal), (var, row[var])  # labels, not IRIs


def test_values_have_the_contract_shapes(store: ox.Store) -> None:
    for name in ("provinces", "oversight", "province-status"):
        for row in run(store, load_query(name))[1]:
            assert ISO_CODE.match(row["code"].value), row
    for name in ("meetings", "attendance", "documents"):
        for row in run(store, load_query(name))[1]:
            if "date" in row:
                date.fromisoformat(row["date"].value)
    statuses = {row["status"].value for row in run(store, load_query("province-status"))[1]}
    assert statuses and statuses <= STATUSES


def test_evidence_quotes_reproduce_the_files(
    store: ox.Store, example_texts: dict[str, str]
) -> None:
    _, rows = run(store, load_query("evidence"))
    assert len(rows) >= 10
    for row in rows:
        text = example_texts[row["source"].value]
        start, end = int(row["start"].value), int(row["end"].value)
        assert 0 <= start < end <= len(text)
        assert text[start:end] == row["quote"].value, row


def test_every_statement_source_has_evidence_rows(store: ox.Store) -> None:
    evidence_sources = {r["source"].value for r in run(store, load_query("evidence"))[1]}
    for name in CONTRACT:
        sources = {r["source"].value for r in run(store, load_query(name))[1]}
        assert sources <= evidence_sources, name


# --- output formats --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["people", "documents", "evidence", "principles"])
def test_json_is_sparql_results_json(store: ox.Store, name: str) -> None:
    variables, rows = run(store, load_query(name))
    payload = json.loads(format_rows(variables, rows, "json"))
    assert payload["head"]["vars"] == variables
    bindings = payload["results"]["bindings"]
    assert len(bindings) == len(rows)
    for binding, row in zip(bindings, rows, strict=True):
        assert set(binding) == set(row)
        for var, term in binding.items():
            assert set(term) <= {"type", "value", "datatype", "xml:lang"}
            assert term["type"] in {"uri", "literal", "bnode"}
            assert term["value"] == row[var].value
            assert not ("datatype" in term and "xml:lang" in term)


def test_json_terms_carry_language_and_datatype(store: ox.Store) -> None:
    variables, rows = run(store, load_query("principles"))
    bindings = json.loads(format_rows(variables, rows, "json"))["results"]["bindings"]
    assert all(b["name"].get("xml:lang") == "vi" for b in bindings)
    assert all(b["concept"]["type"] == "uri" for b in bindings)
    assert all(
        b["confidence"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal" for b in bindings
    )
    # plain xsd:string literals are written without a datatype, as the format recommends
    assert all("datatype" not in b["source"] for b in bindings)


def test_csv_has_header_and_one_line_per_row(store: ox.Store) -> None:
    variables, rows = run(store, load_query("assignments"))
    parsed = list(csv.reader(io.StringIO(format_rows(variables, rows, "csv"))))
    assert parsed[0] == variables
    assert len(parsed) == len(rows) + 1
    assert [r[variables.index("task")] for r in parsed[1:]] == [r["task"].value for r in rows]


def test_tsv_separates_with_tabs(store: ox.Store) -> None:
    variables, rows = run(store, load_query("provinces"))
    lines = format_rows(variables, rows, "tsv").splitlines()
    assert lines[0].split("\t") == variables
    assert len(lines) == len(rows) + 1


def test_table_ends_with_row_count(store: ox.Store) -> None:
    variables, rows = run(store, load_query("people"))
    table = format_rows(variables, rows, "table")
    lines = table.rstrip("\n").split("\n")
    assert lines[-1] == f"({len(rows)} rows)"
    assert lines[0].split() == variables
    assert len(lines) == len(rows) + 3  # header, rule, rows, count


def test_table_singular_and_empty() -> None:
    one = format_rows(["x"], [{"x": ox.Literal("a\nb")}], "table")
    assert one.endswith("(1 row)\n")
    assert "a b" in one  # a newline in a cell does not break the table
    assert format_rows(["x"], [], "table").endswith("(0 rows)\n")


def test_unknown_format_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="xml"):
        format_rows(["x"], [], "xml")


# --- parameters --------------------------------------------------------------------------------


INJECTION = 'a" } ; DROP ALL #'


def test_param_inside_the_pattern_is_bound_as_a_literal_not_pasted() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(INJECTION)))
    store.add(ox.Quad(ox.NamedNode("urn:t"), ox.NamedNode("urn:p"), ox.Literal("other")))
    query = "SELECT ?s WHERE { ?s <urn:p> ?v }"
    _, rows = run(store, query, {"v": INJECTION})
    assert rows == [{"s": ox.NamedNode("urn:s")}]
    _, rows = run(store, query, {"v": INJECTION + "\n} UNION { ?s ?p ?o"})
    assert rows == []
    assert len(store) == 2


def test_projected_param_is_bound_as_the_exact_literal() -> None:
    store = ox.Store()
    for value in ("o", INJECTION):
        store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(value)))
    variables, rows = run(store, "SELECT ?v WHERE { ?s <urn:p> ?v }", {"v": INJECTION})
    assert rows == [{"v": ox.Literal(INJECTION)}]
    assert len(store) == 2  # nothing was dropped
    # a variable the query does not return is bound (with a VALUES clause) as exactly one term
    _, rows = run(store, "SELECT ?s WHERE { ?s <urn:p> ?v }", {"v": INJECTION})
    assert rows == [{"s": ox.NamedNode("urn:s")}]


def test_param_that_looks_like_an_iri_is_an_iri() -> None:
    store = ox.Store()
    iri = ox.NamedNode("https://w3id.org/kgvn/id/x")
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), iri))
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(iri.value)))
    _, rows = run(store, "SELECT ?v WHERE { ?s <urn:p> ?v }", {"v": iri.value})
    assert rows == [{"v": iri}]


def test_param_filters_a_canned_query(store: ox.Store) -> None:
    _, everything = run(store, load_query("oversight"))
    code = everything[0]["code"].value
    _, rows = run(store, load_query("oversight"), {"code": code})
    assert rows and all(r["code"].value == code for r in rows)
    assert len(rows) == sum(r["code"].value == code for r in everything)


def test_unknown_param_is_a_query_error(store: ox.Store) -> None:
    with pytest.raises(QueryError):
        run(store, load_query("people"), {"nosuch": "x"})


# --- loading queries and graphs ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "nosuch", "People", "people.rq", "/etc/passwd", "", "a/b"]
)
def test_load_query_refuses_unknown_names_and_paths(name: str) -> None:
    with pytest.raises(QueryError):
        load_query(name)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(QueryError) as caught:
        load_query("nosuch")
    assert all(n in str(caught.value) for n in CONTRACT)


def test_load_query_reads_a_rq_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.rq"
    path.write_text("SELECT ?x WHERE { }", encoding="utf-8")
    assert load_query(str(path)) == "SELECT ?x WHERE { }"


def test_syntax_error_is_a_query_error(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="parse"):
        run(store, "SELECT ?x WHERE { ?x")


def test_non_select_is_a_query_error(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="SELECT"):
        run(store, "ASK { ?s ?p ?o }")


def test_open_graph_errors(tmp_path: Path) -> None:
    from kg.errors import GraphError

    with pytest.raises(GraphError, match="no such file"):
        open_graph(tmp_path / "missing.ttl")
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is { not turtle", encoding="utf-8")
    with pytest.raises(GraphError, match="bad.ttl"):
        open_graph(bad)
    with pytest.raises(GraphError, match="format"):
        open_graph(tmp_path / "graph.json")


# --- the notebook helper -----------------------------------------------------------------------


def test_query_helper_returns_plain_dicts(graph_path: Path, example_texts: dict[str, str]) -> None:
    rows = query(graph_path, "oversight")
    assert isinstance(rows, list) and rows
    assert all(isinstance(r, dict) for r in rows)
    assert all(isinstance(v, str) for r in rows for v in r.values())
    # "Phó Thủ tướng Vũ Đức Đam trực tiếp chỉ đạo, kiểm tra ... tại Thành phố Hồ Chí Minh và
    # tỉnh Bình Dương" in the example notice
    notice = "2021-07-20_thong-bao-200-TB-VPCP.txt"
    assert "Vũ Đức Đam" in example_texts[notice]
    found = {(r["leader"], r["code"]) for r in rows if r["source"] == notice}
    assert {("Vũ Đức Đam", "VN-SG"), ("Vũ Đức Đam", "VN-57")} <= found


def test_query_helper_accepts_a_store_and_params(store: ox.Store) -> None:
    rows = query(store, "oversight", code="VN-57")
    assert rows and {r["code"] for r in rows} == {"VN-57"}


def test_lexical_rows_keep_empty_values_and_leave_out_unbound_ones(tmp_path: Path) -> None:
    store = ox.Store()
    ex = "http://example.org/"
    store.add(ox.Quad(ox.NamedNode(ex + "a"), ox.NamedNode(ex + "p"), ox.Literal("")))
    store.add(ox.Quad(ox.NamedNode(ex + "b"), ox.NamedNode(ex + "p"), ox.Literal("x")))
    rq = tmp_path / "q.rq"
    rq.write_text(
        f"SELECT ?s ?o ?missing WHERE {{ ?s <{ex}p> ?o OPTIONAL {{ ?s <{ex}q> ?missing }} }}"
        " ORDER BY ?s",
        encoding="utf-8",
    )
    expected = [{"s": ex + "a", "o": ""}, {"s": ex + "b", "o": "x"}]
    assert query(store, str(rq)) == expected
    assert query(store, str(rq), o="x") == expected[1:]  # filtered on the terms, then made text
    _, terms = run(store, rq.read_text(encoding="utf-8"))
    assert [{k: v.value for k, v in row.items()} for row in terms] == expected


# --- filter_confidence() -----------------------------------------------------------------------


def _rows(*values: str | None) -> list[dict]:
    rows: list[dict] = []
    for i, value in enumerate(values):
        row: dict = {"i": ox.Literal(str(i))}
        if value is not None:
            row["confidence"] = ox.Literal(
                value, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
            )
        rows.append(row)
    return rows


def test_filter_confidence_keeps_rows_at_or_above_the_minimum() -> None:
    rows = _rows("0.8", "0.9", "1", "0.85", None)
    kept = filter_confidence(rows, 0.85)
    assert [r["i"].value for r in kept] == ["1", "2", "3", "4"]


def test_filter_confidence_none_keeps_everything() -> None:
    rows = _rows("0.1", "0.2")
    assert filter_confidence(rows, None) == rows


def test_filter_confidence_is_exact_for_decimals() -> None:
    """0.7 as a float is 0.69999...; a row at exactly 0.7 must survive --min-confidence 0.7."""
    assert len(filter_confidence(_rows("0.7"), 0.7)) == 1
    assert filter_confidence(_rows("0.6999"), 0.7) == []


def test_filter_confidence_on_the_example_graph(store: ox.Store) -> None:
    _, rows = run(store, load_query("assignments"))
    kept = filter_confidence(rows, 0.9)
    assert all(Decimal(r["confidence"].value) >= Decimal("0.9") for r in kept)
    assert len(kept) == sum(Decimal(r["confidence"].value) >= Decimal("0.9") for r in rows)
    assert filter_confidence(rows, 0.0) == rows
    assert filter_confidence(rows, 1.01) == []
