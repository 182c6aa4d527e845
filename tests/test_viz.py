"""`kg viz` and `kg.to_networkx` as a user drives them: the oversight view of the seed documents
holds the leaders sent to provinces with the sentences that say so, every format is written
with the same nodes and edges as the networkx graph, --on and --source restrict what is shown,
and a bad output name is an error (exit 2) that writes nothing."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph
from viz_graphs import EXAMPLES, HOSTILE_NAME, HOSTILE_QUOTE, SEEDS, built_graph, hostile_graph

import kg
from kg.cli import main
from kg.errors import KgError
from kg.viz import LIST_SEPARATOR, VIEWS, to_networkx

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def invoke(*args: str | Path) -> Result:
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 keeps stderr apart by itself
        runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def output_of(result: Result) -> str:
    try:
        return result.stderr
    except ValueError:
        return result.output


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_graph(SEEDS, tmp_path_factory)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_graph(EXAMPLES, tmp_path_factory)


def read_graphml(path: Path) -> tuple[dict[str, dict], list[dict]]:
    """Nodes (id -> attributes) and edges (attributes with source and target) of a GraphML
    file, read with the standard library so the test does not trust networkx's reader."""
    root = ET.parse(path).getroot()
    names = {k.get("id"): k.get("attr.name") for k in root.iter(f"{GRAPHML}key")}

    def attrs(element: ET.Element) -> dict[str, str]:
        return {names[d.get("key")]: d.text or "" for d in element.findall(f"{GRAPHML}data")}

    nodes = {n.get("id"): attrs(n) for n in root.iter(f"{GRAPHML}node")}
    edges = [
        {"source": e.get("source"), "target": e.get("target"), **attrs(e)}
        for e in root.iter(f"{GRAPHML}edge")
    ]
    return nodes, edges


def edge_between(nodes: dict, edges: list, leader: str, code: str, kind: str) -> dict:
    found = [
        e
        for e in edges
        if nodes[e["source"]]["label"] == leader
        and nodes[e["target"]].get("iso_code") == code
        and e["kind"] == kind
    ]
    assert len(found) == 1, f"no single {kind} edge {leader} -> {code}: {found}"
    return found[0]


# --- the seed documents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leader", "code", "place"),
    [
        ("Trương Hòa Bình", "VN-SG", "Thành phố Hồ Chí Minh"),
        ("Lê Văn Thành", "VN-56", "Bắc Ninh"),
        ("Lê Văn Thành", "VN-54", "Bắc Giang"),
    ],
)
def test_seed_oversight_graphml_has_each_assignment_with_its_evidence(
    seeds: Path, tmp_path: Path, leader: str, code: str, place: str
) -> None:
    out = tmp_path / "oversight.graphml"
    result = invoke("viz", "oversight", seeds, "-o", out)
    assert result.exit_code == 0, output_of(result)
    nodes, edges = read_graphml(out)
    edge = edge_between(nodes, edges, leader, code, "oversight")
    assert nodes[edge["target"]]["label"] == place
    assert nodes[edge["target"]]["region"]
    # the sentence that states it, the document it is in and that document's date
    evidence = edge["evidence"].split(LIST_SEPARATOR)
    assert any(leader in q and place.split()[-1] in q for q in evidence), evidence
    sources = edge["sources"].split(LIST_SEPARATOR)
    assert sources and all((SEEDS / s).is_file() for s in sources)
    assert edge["dates"].startswith("2021-")
    statements = json.loads(edge["statements"])
    assert {s["source"] for s in statements} == set(sources)
    assert all(s["evidence"] for s in statements)
    # the leader's posts are node attributes
    assert "Phó Thủ tướng" in nodes[edge["source"]]["posts"]


def test_seed_graphml_and_gexf_have_the_networkx_graphs_nodes_and_edges(
    seeds: Path, tmp_path: Path
) -> None:
    for view in VIEWS:
        g = to_networkx(seeds, view)
        assert g.number_of_edges() > 0, view
        out = tmp_path / f"{view}.graphml"
        assert invoke("viz", view, seeds, "-o", out).exit_code == 0
        nodes, edges = read_graphml(out)
        assert len(nodes) == g.number_of_nodes()
        assert len(edges) == g.number_of_edges()
        assert set(nodes) == set(g.nodes)
        gexf = tmp_path / f"{view}.gexf"
        assert invoke("viz", view, seeds, "-o", gexf).exit_code == 0
        back = nx.read_gexf(gexf)
        assert (back.number_of_nodes(), back.number_of_edges()) == (
            g.number_of_nodes(),
            g.number_of_edges(),
        )


def test_seed_leaders_of_provinces_are_dashed_leads_edges(seeds: Path) -> None:
    g = to_networkx(seeds)
    leads = {
        (g.nodes[u]["label"], g.nodes[v]["iso_code"]): d
        for u, v, k, d in g.edges(keys=True, data=True)
        if k == "leads"
    }
    assert ("Đinh Tiến Dũng", "VN-HN") in leads
    assert leads[("Đinh Tiến Dũng", "VN-HN")]["posts"] == ["Bí thư Thành ủy Hà Nội"]
    assert all(d["evidence"] for d in leads.values())
    kinds = {d["kind"] for _, _, d in g.edges(data=True)}
    assert kinds == {"oversight", "leads"}


def test_on_a_date_before_a_posts_source_drops_the_post(seeds: Path, tmp_path: Path) -> None:
    g = to_networkx(seeds)
    thanh = next(n for n, d in g.nodes(data=True) if d["label"] == "Lê Văn Thành")
    dated = [s["date"] for s in g.nodes[thanh]["statements"] if s["post"] == "Phó Thủ tướng"]
    first = min(d for d in dated if d)
    day_before = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()

    before, on = tmp_path / "before.graphml", tmp_path / "on.graphml"
    assert invoke("viz", "oversight", seeds, "-o", before, "--on", day_before).exit_code == 0
    assert invoke("viz", "oversight", seeds, "-o", on, "--on", first).exit_code == 0
    nodes_before, edges_before = read_graphml(before)
    nodes_on, _ = read_graphml(on)
    assert "Phó Thủ tướng" not in nodes_before[thanh]["posts"]
    assert "Phó Thủ tướng" in nodes_on[thanh]["posts"]
    # posts, and so leading a province, are as of the date; assignments keep their own dates
    assert not [e for e in edges_before if e["kind"] == "leads"]
    assert [e for e in edges_before if e["kind"] == "oversight"]


def test_source_restricts_to_one_document(seeds: Path, examples: Path, tmp_path: Path) -> None:
    g = to_networkx(seeds)
    one = sorted({s for _, _, d in g.edges(data=True) for s in d["sources"]})[0]
    only = to_networkx(seeds, source=one)
    assert only.number_of_edges() > 0
    assert all(d["sources"] == [one] for _, _, d in only.edges(data=True))
    # a path to the file (as a user types it) names the same source
    assert to_networkx(seeds, source=SEEDS / one).number_of_edges() == only.number_of_edges()

    out = tmp_path / "x.html"
    result = invoke("viz", "agencies", examples, "-o", out, "--source", "no-such-file.txt")
    assert result.exit_code == 2
    assert "no-such-file.txt" in output_of(result)
    assert not out.exists()


# --- the example corpus (always present) -------------------------------------------------


def test_status_is_the_latest_by_source_date(examples: Path) -> None:
    def status(**options: str) -> str:
        g = to_networkx(examples, **options)
        return next(d["status"] for _, d in g.nodes(data=True) if d.get("iso_code") == "VN-SG")

    assert status() == "improving"  # the report of 2021-09-25
    assert status(on="2021-07-31") == "hotspot"  # the notice of 2021-07-20
    assert status(source="2021-07-14_hop-truc-tuyen-cac-tinh-phia-nam.txt") == "hotspot"


def test_example_posts_as_of_a_date(examples: Path) -> None:
    def posts(on: str | None) -> dict[str, list[str]]:
        g = to_networkx(examples, on=on)
        return {d["label"]: d["posts"] for _, d in g.nodes(data=True) if d["kind"] == "person"}

    assert posts("2021-07-13") == {"Vũ Đức Đam": []}  # his assignments, no post stated yet
    assert "Phó Thủ tướng" in posts("2021-07-14")["Vũ Đức Đam"]
    assert "Nguyễn Văn Nên" in posts(None)


def test_agencies_and_documents_views(examples: Path) -> None:
    agencies = to_networkx(examples, "agencies")
    tasked = {
        (agencies.nodes[u]["path"], agencies.nodes[v]["label"]): d
        for u, v, d in agencies.edges(data=True)
    }
    edge = tasked[("2021-07-20_thong-bao-200-TB-VPCP.txt", "Bộ Y tế")]
    assert edge["kind"] == "tasked" and edge["tasks"] and edge["evidence"]
    documents = to_networkx(examples, "documents")
    kinds = {
        (documents.nodes[u]["label"], documents.nodes[v]["label"], k)
        for u, v, k in documents.edges(keys=True)
    }
    assert ("Chính phủ", "68/NQ-CP", "issued") in kinds
    cites = [k for k in kinds if k[1] == "16/CT-TTg" and k[2] == "cites"]
    assert len(cites) >= 3  # cited by several sources
    assert documents.nodes[
        next(n for n, d in documents.nodes(data=True) if d["label"] == "16/CT-TTg")
    ]["types"] == ["Chỉ thị"]
    assert to_networkx(examples, "documents", on="2021-07-15").number_of_edges() < len(kinds)


@pytest.mark.parametrize("suffix", [".html", ".svg", ".png", ".graphml", ".gexf"])
def test_every_format_is_written(examples: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"oversight{suffix.upper() if suffix == '.png' else suffix}"
    result = invoke("viz", "oversight", examples, "-o", out)
    assert result.exit_code == 0, output_of(result)
    data = out.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    elif suffix in (".svg", ".graphml", ".gexf"):
        ET.fromstring(data)
    else:
        assert b"Content-Security-Policy" in data
    assert "nodes" in output_of(result)
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".html"])
def test_same_bytes_whatever_the_string_hashes(seeds: Path, tmp_path: Path, suffix: str) -> None:
    """Regression: GraphML's keys were numbered in the order of a set of attribute names, so
    two runs (with Python's per-process string hashing) wrote different files."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"agencies-{seed}{suffix}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-m", "kg", "viz", "agencies", str(seeds), "-o", str(out)]
        subprocess.run(command, check=True, env=env, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


@pytest.mark.parametrize("name", ["graph.pdf", "graph", "graph.html.txt"])
def test_unknown_output_extension_is_an_error(examples: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = invoke("viz", "oversight", examples, "-o", out)
    assert result.exit_code == 2
    assert ".graphml" in output_of(result)
    assert not out.exists()


def test_errors_exit_2(tmp_path: Path) -> None:
    assert (
        invoke("viz", "oversight", tmp_path / "missing.ttl", "-o", tmp_path / "a.html").exit_code
        == 2
    )
    assert (
        invoke(
            "viz", "oversight", tmp_path / "x.ttl", "-o", "a.html", "--on", "30/5/2021"
        ).exit_code
        == 2
    )
    assert invoke("viz", "nosuchview", tmp_path / "x.ttl", "-o", "a.html").exit_code == 2
    result = invoke("viz", "--help")
    assert result.exit_code == 0
    assert all(view in result.output for view in VIEWS)


def test_empty_view_is_drawn_not_failed(examples: Path, tmp_path: Path) -> None:
    for suffix in (".html", ".png", ".graphml"):
        out = tmp_path / f"empty{suffix}"
        result = invoke(
            "viz",
            "oversight",
            examples,
            "-o",
            out,
            "--source",
            "2021-10-15_hoi-dap-phuong-cham-phong-chong-dich.txt",
        )
        assert result.exit_code == 0, output_of(result)
        assert out.stat().st_size > 0


# --- the Python API ------------------------------------------------------------------------


def test_to_networkx_takes_a_path_a_store_or_an_rdflib_graph(examples: Path) -> None:
    from_path = kg.to_networkx(examples)
    store = ox.Store()
    store.bulk_load(path=str(examples), format=ox.RdfFormat.TURTLE)
    from_store = kg.to_networkx(store, view="oversight")
    from_rdflib = kg.to_networkx(Graph().parse(examples), "oversight")
    assert isinstance(from_path, nx.MultiDiGraph)
    for g in (from_store, from_rdflib):
        assert set(g.nodes) == set(from_path.nodes)
        assert set(g.edges(keys=True)) == set(from_path.edges(keys=True))
    assert "to_networkx" in kg.__all__
    with pytest.raises(KgError, match="unknown view"):
        kg.to_networkx(store, view="people")
    with pytest.raises(KgError, match="not a date"):
        kg.to_networkx(store, on="yesterday")


# --- escaping ------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained_and_escapes_every_text(tmp_path: Path) -> None:
    out = tmp_path / "hostile.html"
    assert invoke("viz", "oversight", hostile_graph(tmp_path), "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert tags.count("script") == 2 and "b" not in tags  # the quote's <b> stayed text
    assert not [a for _, a in parser.tags if "src" in a or "href" in a]  # nothing fetched
    assert "<link" not in page and "@import" not in page and "url(http" not in page
    # the data block gives back exactly the names and quotes of the graph
    start = page.index('id="kg-data">') + len('id="kg-data">')
    data = json.loads(page[start : page.index("</script>", start)])
    assert {n["label"] for n in data["nodes"]} == {HOSTILE_NAME, "Hà Nội"}
    assert data["edges"][0]["evidence"] == [HOSTILE_QUOTE]
    assert page.count("</script>") == 2
