"""The kg command line as a user (and the evaluation scorer) drives it: help, exit codes
(0 ok, 1 invalid or skipped under --strict, 2 error), deterministic atomic output, JSON results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import main

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "corpus"
CANNED = {
    "assignments",
    "attendance",
    "documents",
    "evidence",
    "leadership",
    "meetings",
    "organizations",
    "oversight",
    "people",
    "principles",
    "province-status",
    "provinces",
}


def make_runner() -> CliRunner:
    """A runner that keeps stderr apart from stdout (click < 8.2 needs mix_stderr=False)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def stderr_of(result: Result) -> str:
    """What the command wrote to stderr (or everything, if the runner cannot separate it)."""
    try:
        return result.stderr
    except ValueError:
        return result.output


def invoke(*args: str | Path) -> Result:
    return make_runner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example corpus built through the CLI."""
    out = tmp_path_factory.mktemp("cli") / "examples.ttl"
    result = invoke("build", EXAMPLES, "-o", out)
    assert result.exit_code == 0, stderr_of(result)
    return out


@pytest.fixture
def mixed_corpus(tmp_path: Path) -> Path:
    """One good document and one PDF saved as .txt."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(EXAMPLES / "2021-07-20_thong-bao-200-TB-VPCP.txt", folder / "good.txt")
    (folder / "scanned.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n\x00\x00")
    return folder


# --- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "purpose"),
    [
        ((), "knowledge graph"),
        (("build",), "Build a graph"),
        (("query",), "canned query"),
        (("validate",), "SHACL"),
    ],
)
def test_help_exits_0_and_states_the_purpose(args: tuple[str, ...], purpose: str) -> None:
    for flag in ("--help", "-h"):
        result = invoke(*args, flag)
        assert result.exit_code == 0
        assert purpose in result.output
        assert "Usage:" in result.output


def test_top_level_help_lists_the_subcommands() -> None:
    output = invoke("--help").output
    assert all(name in output for name in ("build", "query", "validate"))


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.startswith("kg")


# --- build -----------------------------------------------------------------------------------


def test_build_writes_turtle_that_pyoxigraph_parses(graph: Path) -> None:
    triples = list(ox.parse(path=str(graph), format=ox.RdfFormat.TURTLE))
    assert len(triples) > 100
    paths = {
        t.object.value
        for t in triples
        if t.predicate.value == "https://w3id.org/kgvn/ontology#path"
    }
    assert paths == {p.name for p in EXAMPLES.glob("*.txt")}


def test_build_is_byte_identical_across_runs(graph: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.ttl"
    result = invoke("build", EXAMPLES, "-o", again, "-q")
    assert result.exit_code == 0, stderr_of(result)
    assert again.read_bytes() == graph.read_bytes()


def test_build_leaves_no_temporary_files(graph: Path) -> None:
    assert [p.name for p in graph.parent.iterdir()] == [graph.name]


def test_build_reports_progress_on_stderr_not_stdout(tmp_path: Path) -> None:
    result = invoke("build", EXAMPLES, "-o", tmp_path / "g.ttl")
    assert result.exit_code == 0
    assert "wrote" in stderr_of(result)
    try:
        result.stderr  # noqa: B018 - only a runner that separates the streams can check stdout
    except ValueError:
        return
    assert result.stdout == ""


def test_build_empty_folder_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out.ttl"
    result = invoke("build", empty, "-o", out)
    assert result.exit_code == 2
    assert "kg: error:" in stderr_of(result)
    assert not out.exists()


def test_build_missing_folder_exits_2(tmp_path: Path) -> None:
    result = invoke("build", tmp_path / "nope", "-o", tmp_path / "out.ttl")
    assert result.exit_code == 2
    assert "nope" in stderr_of(result)


@pytest.mark.parametrize("base", ["not an iri", "http://example.org/a b/", "relative/path/"])
def test_build_bad_base_exits_2_naming_it(tmp_path: Path, base: str) -> None:
    """Regression: a base with a space reached the loader, which stopped with a traceback
    after rdflib had printed a warning for every IRI."""
    out = tmp_path / "out.ttl"
    result = invoke("build", EXAMPLES, "-o", out, "--base", base)
    assert result.exit_code == 2
    assert f"kg: error: base IRI {base!r} is not an absolute IRI" in stderr_of(result)
    assert "does not look like a valid URI" not in stderr_of(result)
    assert not out.exists()


def test_build_skips_a_bad_file_and_names_it(mixed_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "mixed.ttl"
    result = invoke("build", mixed_corpus, "-o", out)
    assert result.exit_code == 0, stderr_of(result)
    skipped = [line for line in stderr_of(result).splitlines() if "skipped" in line]
    assert any("scanned.txt" in line and "binary" in line for line in skipped)
    assert not any("good.txt" in line for line in skipped)
    sources = {
        t.object.value
        for t in ox.parse(path=str(out), format=ox.RdfFormat.TURTLE)
        if t.predicate.value == "https://w3id.org/kgvn/ontology#path"
    }
    assert sources == {"good.txt"}


def test_build_strict_exits_1_and_keeps_the_old_output(mixed_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "previous.ttl"
    previous = b"# an earlier graph\n<urn:a> <urn:b> <urn:c> .\n"
    out.write_bytes(previous)
    result = invoke("build", mixed_corpus, "-o", out, "--strict")
    assert result.exit_code == 1
    assert "scanned.txt" in stderr_of(result)
    assert out.read_bytes() == previous
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["previous.ttl"]


def test_build_strict_on_a_clean_corpus_exits_0(tmp_path: Path) -> None:
    corpus = tmp_path / "clean"
    corpus.mkdir()
    shutil.copy(EXAMPLES / "2021-07-20_thong-bao-200-TB-VPCP.txt", corpus / "a.txt")
    result = invoke("build", corpus, "-o", tmp_path / "a.ttl", "--strict", "-q")
    assert result.exit_code == 0, stderr_of(result)
    assert (tmp_path / "a.ttl").stat().st_size > 0


# --- query -----------------------------------------------------------------------------------


def test_query_people_json(graph: Path) -> None:
    result = invoke("query", "people", "--graph", graph, "--format", "json")
    assert result.exit_code == 0, stderr_of(result)
    payload = json.loads(result.stdout)
    assert {"source", "name", "post"} <= set(payload["head"]["vars"])
    bindings = payload["results"]["bindings"]
    assert bindings
    assert all(b["name"]["type"] == "literal" and b["name"]["value"] for b in bindings)


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv"])
def test_query_other_formats(graph: Path, fmt: str) -> None:
    result = invoke("query", "provinces", "-g", graph, "-f", fmt)
    assert result.exit_code == 0
    assert "VN-SG" in result.stdout


def test_query_unknown_name_exits_2_and_lists_known_names(graph: Path) -> None:
    result = invoke("query", "nosuch", "--graph", graph)
    assert result.exit_code == 2
    err = stderr_of(result)
    assert "nosuch" in err
    assert all(name in err for name in CANNED)
    assert "Traceback" not in result.output


def test_query_missing_graph_exits_2(tmp_path: Path) -> None:
    result = invoke("query", "people", "--graph", tmp_path / "missing.ttl")
    assert result.exit_code == 2
    assert "missing.ttl" in stderr_of(result)


def test_query_list_names_all_twelve() -> None:
    result = invoke("query", "--list")
    assert result.exit_code == 0
    assert set(result.stdout.split()) == CANNED


def test_query_without_a_name_exits_2(graph: Path) -> None:
    result = invoke("query", "--graph", graph)
    assert result.exit_code == 2
    assert "--list" in stderr_of(result)


def test_query_param_filters_and_is_not_injected(graph: Path) -> None:
    result = invoke("query", "oversight", "-g", graph, "-f", "json", "-p", "code=VN-57")
    assert result.exit_code == 0, stderr_of(result)
    bindings = json.loads(result.stdout)["results"]["bindings"]
    assert bindings and {b["code"]["value"] for b in bindings} == {"VN-57"}
    hostile = invoke("query", "oversight", "-g", graph, "-p", 'code=VN-57" } #')
    assert hostile.exit_code == 0
    assert hostile.stdout.rstrip().endswith("(0 rows)")


@pytest.mark.parametrize("param", ["novalue", "nosuch=1"])
def test_query_bad_param_exits_2(graph: Path, param: str) -> None:
    result = make_runner().invoke(main, ["query", "people", "-g", str(graph), "-p", param])
    assert result.exit_code == 2, result.exception
    assert "kg: error:" in stderr_of(result)


def test_query_sparql_text_and_rq_file(graph: Path, tmp_path: Path) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    inline = invoke("query", "--sparql", text, "-g", graph, "-f", "csv")
    assert inline.exit_code == 0
    rq = tmp_path / "count.rq"
    rq.write_text(text, encoding="utf-8")
    from_file = invoke("query", rq, "-g", graph, "-f", "csv")
    assert from_file.exit_code == 0
    assert inline.stdout == from_file.stdout
    assert int(inline.stdout.splitlines()[1]) > 100


def test_query_min_confidence(graph: Path) -> None:
    every = json.loads(invoke("query", "assignments", "-g", graph, "-f", "json").stdout)
    high = json.loads(
        invoke("query", "assignments", "-g", graph, "-f", "json", "--min-confidence", "0.85").stdout
    )
    kept = high["results"]["bindings"]
    assert all(float(b["confidence"]["value"]) >= 0.85 for b in kept)
    expected = [b for b in every["results"]["bindings"] if float(b["confidence"]["value"]) >= 0.85]
    assert kept == expected


# --- validate --------------------------------------------------------------------------------


@pytest.fixture
def broken_graph(graph: Path, tmp_path: Path) -> Path:
    """The example graph with Ho Chi Minh City's ISO code replaced by an impossible one."""
    text = graph.read_text(encoding="utf-8")
    assert 'kgo:isoCode "VN-SG"' in text
    broken = tmp_path / "broken.ttl"
    broken.write_text(text.replace('kgo:isoCode "VN-SG"', 'kgo:isoCode "VN-999"', 1), "utf-8")
    return broken


def test_validate_example_graph_exits_0(graph: Path) -> None:
    result = invoke("validate", graph)
    assert result.exit_code == 0
    assert "Violation" not in result.stdout


def test_validate_bad_iso_code_exits_1_and_says_why(broken_graph: Path) -> None:
    result = invoke("validate", broken_graph)
    assert result.exit_code == 1
    violations = [line for line in result.stdout.splitlines() if "Violation" in line]
    assert any("isoCode" in line and "VN-999" in line for line in violations)
    assert "province/VN-SG" in result.stdout  # the node concerned is named


def test_validate_json_prints_conforms(graph: Path, broken_graph: Path) -> None:
    good = invoke("validate", graph, "--format", "json")
    assert good.exit_code == 0
    assert json.loads(good.stdout)["conforms"] is True
    bad = invoke("validate", broken_graph, "--format", "json")
    assert bad.exit_code == 1
    payload = json.loads(bad.stdout)
    assert payload["conforms"] is False
    assert any(r["value"] == "VN-999" and r["severity"] == "Violation" for r in payload["results"])


def test_validate_not_turtle_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "not.ttl"
    bad.write_text("this is not { turtle", encoding="utf-8")
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert "not.ttl" in stderr_of(result)


def test_validate_missing_file_exits_2(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path / "missing.ttl")
    assert result.exit_code == 2


def test_build_max_size_skips_larger_documents_by_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "short.txt").write_text("Phó Thủ tướng Vũ Đức Đam thăm Bắc Giang.\n", "utf-8")
    (corpus / "long.txt").write_text("Bộ Y tế. " * 400, encoding="utf-8")
    out = tmp_path / "g.ttl"
    result = invoke("build", corpus, "-o", out, "--max-size", "0.001", "--no-validate")
    assert result.exit_code == 0
    assert "long.txt" in stderr_of(result) and "limit" in stderr_of(result)
    graph = out.read_text(encoding="utf-8")
    assert "short.txt" in graph and "long.txt" not in graph
