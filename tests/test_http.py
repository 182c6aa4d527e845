"""kg over HTTP against real servers on loopback ports: the graph pushed into Oxigraph's server
(Graph Store Protocol and SPARQL Update) gives every canned query the same rows remotely as
locally; `kg serve` answers SPARQLWrapper in each format, refuses updates, stops a runaway query
at its deadline, caps rows, shows its page and stops cleanly on Ctrl-C; with --allow-update it
applies updates that carry its bearer token on every worker, and never logs the token;
credentials are sent and never printed."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from conftest import child_pids, stop_process
from SPARQLWrapper import CSV, JSON, TURTLE, SPARQLWrapper

import kg
from kg.cli import main
from kg.sparql import canned_names, load_query, open_graph, run

XSD = "http://www.w3.org/2001/XMLSchema#"
KGO = "https://w3id.org/kgvn/ontology#"
SERVE_TIMEOUT = 1.5
MAX_ROWS = 1000
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


# --- helpers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    pytest.fail(f"server at {url} not up after {seconds} s:\n{log.read_text()}")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def make_runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def kg_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """`kg ARGS` in-process; credentials in the developer's environment are hidden (None
    unsets a variable for the call) so only `env` decides what is sent."""
    ambient = dict.fromkeys(("KG_SPARQL_USER", "KG_SPARQL_PASSWORD", "KG_SPARQL_TOKEN"))
    return make_runner().invoke(
        main, list(args), env={**ambient, **(env or {})}, catch_exceptions=False
    )


_NUMBER_FAMILIES = {
    **dict.fromkeys(
        ["integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger"],
        "integer",
    ),
    "decimal": "decimal",
    "double": "float",
    "float": "float",
}


def normalise(binding: dict) -> tuple:
    """One SPARQL JSON term, compared by meaning: numbers by value within their family
    (integer, decimal, floating), language tags case-insensitively, xsd:string as a plain
    literal, blank nodes as anonymous. Everything else must match exactly."""
    kind, value = binding["type"], binding["value"]
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", value)
    assert kind in ("literal", "typed-literal"), binding
    if binding.get("xml:lang"):
        return ("literal", value, "@" + binding["xml:lang"].lower())
    datatype = binding.get("datatype", XSD + "string")
    family = _NUMBER_FAMILIES.get(datatype.removeprefix(XSD)) if datatype.startswith(XSD) else None
    if family is not None:
        return ("number", family, Decimal(value).normalize())
    if datatype == XSD + "boolean":
        return ("boolean", value in ("true", "1"))
    return ("literal", value, "" if datatype == XSD + "string" else datatype)


def normalised_rows(payload: dict) -> list[tuple]:
    rows = [
        tuple(sorted((name, normalise(term)) for name, term in binding.items()))
        for binding in payload["results"]["bindings"]
    ]
    return sorted(rows)


def count(endpoint: str, graph_iri: str | None = None) -> int:
    where = "{ ?s ?p ?o }" if graph_iri is None else f"{{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"
    result = kg_cli(
        "query",
        "--sparql",
        f"SELECT (COUNT(*) AS ?n) WHERE {where}",
        "--endpoint",
        endpoint,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    return int(json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"])


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_triples(graph_file: Path) -> int:
    return len(open_graph(graph_file))


@pytest.fixture(scope="module")
def subset_file(graph_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 100 triples of the graph: a smaller graph to replace the big one with."""
    triples = sorted((q.triple for q in open_graph(graph_file)), key=str)[:100]
    path = tmp_path_factory.mktemp("subset") / "subset.nt"
    path.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
    return path


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Oxigraph's own server (the `oxigraph` package) on a free loopback port, in a
    temporary folder; its base URL."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(binary).is_file():
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    folder = tmp_path_factory.mktemp("oxigraph")
    log = folder / "server.log"
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/query?query=ASK%7B%7D", process, log)
        yield base
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def pushed(oxigraph: str, graph_file: Path) -> str:
    """The graph in Oxigraph's default graph; the query endpoint's URL."""
    result = kg_cli("push", str(graph_file), "--store", f"{oxigraph}/store", "--replace")
    assert result.exit_code == 0, result.stderr
    return f"{oxigraph}/query"


def start_kg_serve(
    graph: Path, folder: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = folder / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", str(graph), "--port", str(port), *extra],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/", process, log)
    except BaseException:
        stop_process(process)
        raise
    return process, base, log


@pytest.fixture(scope="module")
def served(graph_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """`kg serve` on the graph with a short timeout and a row cap: (process, base URL)."""
    folder = tmp_path_factory.mktemp("serve")
    process, base, _ = start_kg_serve(
        graph_file,
        folder,
        "--timeout",
        str(SERVE_TIMEOUT),
        "--max-rows",
        str(MAX_ROWS),
        "--max-body",
        "100000",
    )
    try:
        yield process, base
    finally:
        stop_process(process)


def sparql(url: str, query: str, fmt: str = JSON) -> SPARQLWrapper:
    client = SPARQLWrapper(url)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setTimeout(30)
    return client


# --- kg push and kg query --endpoint against Oxigraph --------------------------------------


@pytest.mark.parametrize("name", canned_names())
def test_canned_query_on_endpoint_equals_local(name: str, pushed: str, graph_file: Path) -> None:
    local = kg_cli("query", name, "--graph", str(graph_file), "--format", "json")
    remote = kg_cli("query", name, "--endpoint", pushed, "--format", "json")
    assert local.exit_code == 0, local.stderr
    assert remote.exit_code == 0, remote.stderr
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    assert theirs["head"]["vars"] == mine["head"]["vars"]
    assert normalised_rows(theirs) == normalised_rows(mine)


def test_canned_queries_are_not_vacuous(pushed: str) -> None:
    """The comparisons above mean something: most canned queries return rows."""
    sizes = {}
    for name in canned_names():
        result = kg_cli("query", name, "--endpoint", pushed, "-f", "json")
        sizes[name] = len(json.loads(result.stdout)["results"]["bindings"])
    assert sum(1 for n in sizes.values() if n) >= len(sizes) // 2, sizes


def test_the_pushed_graph_is_the_local_graph(pushed: str, local_triples: int) -> None:
    assert count(pushed) == local_triples


def test_params_min_confidence_and_table_match_local(pushed: str, graph_file: Path) -> None:
    rows = run(open_graph(graph_file), load_query("people"))[1]
    source = rows[0]["source"].value
    for args in (
        ["people", "--param", f"source={source}", "-f", "json"],
        ["oversight", "--min-confidence", "0.9", "-f", "json"],
        ["documents", "-f", "csv"],
        ["provinces", "-f", "tsv"],
        ["meetings"],
    ):
        local = kg_cli("query", *args, "--graph", str(graph_file))
        remote = kg_cli("query", *args, "--endpoint", pushed)
        assert local.exit_code == remote.exit_code == 0, remote.stderr
        if "json" in args:
            assert normalised_rows(json.loads(remote.stdout)) == normalised_rows(
                json.loads(local.stdout)
            )
        else:
            assert sorted(remote.stdout.splitlines()) == sorted(local.stdout.splitlines())
    result = kg_cli("query", "people", "-p", f"source={source}", "--endpoint", pushed, "-f", "json")
    bound = json.loads(result.stdout)["results"]["bindings"]
    assert bound and {b["source"]["value"] for b in bound} == {source}


def test_python_api_takes_an_endpoint_url(
    pushed: str, graph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KG_SPARQL_USER", "KG_SPARQL_PASSWORD", "KG_SPARQL_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    remote = kg.query(pushed, "oversight")
    assert remote
    assert sorted(map(sorted, map(dict.items, remote))) == sorted(
        map(sorted, map(dict.items, kg.query(str(graph_file), "oversight")))
    )


def test_kg_query_refuses_updates_on_an_endpoint(pushed: str, local_triples: int) -> None:
    result = kg_cli("query", "--sparql", "DELETE WHERE { ?s ?p ?o }", "--endpoint", pushed)
    assert result.exit_code == 2
    assert "not updates" in result.stderr
    assert count(pushed) == local_triples


@pytest.mark.parametrize("way", ["store", "update"])
def test_push_twice_leaves_one_copy_and_replace_replaces(
    way: str, oxigraph: str, graph_file: Path, subset_file: Path, local_triples: int
) -> None:
    endpoint = f"{oxigraph}/query"
    graph_iri = f"urn:kg:test:{way}"
    target = (
        ["--store", f"{oxigraph}/store"] if way == "store" else ["--update", f"{oxigraph}/update"]
    )
    extra = ["--batch-size", "700"] if way == "update" else []  # several INSERT DATA requests
    for _ in range(2):
        result = kg_cli("push", str(graph_file), *target, "--graph-iri", graph_iri, *extra)
        assert result.exit_code == 0, result.stderr
        assert count(endpoint, graph_iri) == local_triples
    if way == "update":
        assert f"{-(-local_triples // 700)} requests" in result.stderr
    result = kg_cli("push", str(subset_file), *target, "--graph-iri", graph_iri, "--replace")
    assert result.exit_code == 0, result.stderr
    assert count(endpoint, graph_iri) == 100
    result = kg_cli("push", str(graph_file), *target, "--graph-iri", graph_iri, "--replace")
    assert result.exit_code == 0, result.stderr
    assert "replaced graph" in result.stderr
    assert count(endpoint, graph_iri) == local_triples


@pytest.mark.parametrize("way", ["store", "update"])
def test_named_graphs_of_a_file_are_pushed_as_one_graph_once(
    way: str, oxigraph: str, tmp_path: Path
) -> None:
    """Regression: a triple held by several graphs of an N-Quads file was pushed once per
    graph and counted so."""
    path = tmp_path / "graphs.nq"
    path.write_text(
        '<http://example.org/a> <http://example.org/p> "x" .\n'
        '<http://example.org/a> <http://example.org/p> "x" <http://example.org/g1> .\n'
        '<http://example.org/b> <http://example.org/p> "y" <http://example.org/g1> .\n',
        encoding="utf-8",
    )
    graph_iri = f"urn:kg:test:graphs-{way}"
    target = (
        ["--store", f"{oxigraph}/store"] if way == "store" else ["--update", f"{oxigraph}/update"]
    )
    result = kg_cli("push", str(path), *target, "--graph-iri", graph_iri)
    assert result.exit_code == 0, result.stderr
    assert "pushed 2 triples" in result.stderr
    assert count(f"{oxigraph}/query", graph_iri) == 2


@pytest.mark.parametrize("way", ["store", "update"])
def test_blank_nodes_do_not_duplicate(way: str, oxigraph: str, tmp_path: Path) -> None:
    path = tmp_path / "blank.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\n"
        'ex:a ex:has [ ex:name "one" ; ex:list ( 1 2 [ ex:deep "x" ] ) ] .\n'
        'ex:b ex:has [ ex:name "one" ] , [ ex:name "two" ] .\n',
        encoding="utf-8",
    )
    triples = len(open_graph(path))
    graph_iri = f"urn:kg:test:blank-{way}"
    target = (
        ["--store", f"{oxigraph}/store"] if way == "store" else ["--update", f"{oxigraph}/update"]
    )
    for _ in range(2):
        result = kg_cli("push", str(path), *target, "--graph-iri", graph_iri)
        assert result.exit_code == 0, result.stderr
        assert "blank node(s) named" in result.stderr
        assert count(f"{oxigraph}/query", graph_iri) == triples
    blanks = kg_cli(
        "query",
        "--sparql",
        f"SELECT ?s WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}",
        "--endpoint",
        f"{oxigraph}/query",
        "-f",
        "json",
    )
    assert json.loads(blanks.stdout)["results"]["bindings"] == []


def test_failed_push_exits_2_with_status_and_answer(
    oxigraph: str, graph_file: Path, tmp_path: Path
) -> None:
    secret = "correct-horse-battery-staple"
    result = kg_cli(
        "push",
        str(graph_file),
        "--store",
        f"{oxigraph}/nope",
        "--user",
        "bob",
        "--password",
        secret,
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: error: ")
    assert "HTTP 404" in result.stderr and "not supported" in result.stderr
    assert secret not in result.stderr + result.stdout
    result = kg_cli(
        "push", str(graph_file), "--update", f"http://bob:{secret}@{oxigraph[7:]}/query"
    )
    assert result.exit_code == 2
    assert "HTTP 4" in result.stderr
    assert secret not in result.stderr + result.stdout
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    assert kg_cli("push", str(bad), "--store", f"{oxigraph}/store").exit_code == 2
    result = kg_cli("push", str(graph_file), "--store", f"http://127.0.0.1:{free_port()}/store")
    assert result.exit_code == 2
    assert "cannot reach" in result.stderr


class _Recorder(BaseHTTPRequestHandler):
    """A server that refuses everyone and echoes what it was sent: kg must not print it."""

    seen: list[dict[str, str]] = []

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _Recorder.seen.append(dict(self.headers))
        body = f"denied: {self.headers.get('Authorization')}".encode()
        self.send_response(401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _refuse

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def recorder() -> Iterator[str]:
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_credentials_are_sent_and_never_printed(recorder: str, graph_file: Path) -> None:
    password, token = "pw-correct-horse-battery", "tok-0123456789abcdef"
    endpoint = recorder + "/sparql"
    result = kg_cli(
        "query", "people", "--endpoint", endpoint, "--user", "ann", "--password", password
    )
    assert result.exit_code == 2
    assert "HTTP 401" in result.stderr
    basic = base64.b64encode(f"ann:{password}".encode()).decode()
    assert _Recorder.seen[-1]["Authorization"] == f"Basic {basic}"
    assert password not in result.stderr + result.stdout and basic not in result.stderr

    env = {"KG_SPARQL_TOKEN": token}
    result = kg_cli("query", "people", "--endpoint", recorder + "/sparql", env=env)
    assert result.exit_code == 2
    assert _Recorder.seen[-1]["Authorization"] == f"Bearer {token}"
    assert token not in result.stderr + result.stdout

    result = kg_cli("push", str(graph_file), "--store", recorder + "/store", env=env)
    assert result.exit_code == 2
    assert "HTTP 401" in result.stderr and token not in result.stderr
    assert _Recorder.seen[-1]["Authorization"] == f"Bearer {token}"

    env = {"KG_SPARQL_USER": "ann", "KG_SPARQL_PASSWORD": password}
    result = kg_cli("push", str(graph_file), "--update", recorder + "/update", env=env)
    assert result.exit_code == 2
    assert _Recorder.seen[-1]["Authorization"] == f"Basic {basic}"
    assert password not in result.stderr and basic not in result.stderr

    # the user on the command line, the password only in the environment
    env = {"KG_SPARQL_PASSWORD": password}
    result = kg_cli("query", "people", "--endpoint", endpoint, "--user", "ann", env=env)
    assert result.exit_code == 2
    assert _Recorder.seen[-1]["Authorization"] == f"Basic {basic}"
    assert password not in result.stderr + result.stdout


# --- kg serve, with SPARQLWrapper as the client ---------------------------------------------


def test_serve_select_json_matches_local(served: tuple, graph_file: Path) -> None:
    _, base = served
    for name in ("oversight", "people", "documents"):
        result = sparql(base + "/sparql", load_query(name)).queryAndConvert()
        local = json.loads(kg_cli("query", name, "-g", str(graph_file), "-f", "json").stdout)
        assert result["head"]["vars"] == local["head"]["vars"]
        assert normalised_rows(result) == normalised_rows(local)


def test_serve_select_csv(served: tuple, graph_file: Path) -> None:
    _, base = served
    raw = sparql(base + "/sparql", load_query("provinces"), CSV).queryAndConvert()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    variables, local = run(open_graph(graph_file), load_query("provinces"))
    assert rows[0] == variables
    assert sorted(rows[1:]) == sorted([row[v].value for v in variables] for row in local)


def test_serve_construct_turtle(served: tuple, graph_file: Path) -> None:
    _, base = served
    query = (
        f"PREFIX kgo: <{KGO}> CONSTRUCT {{ ?st kgo:leader ?l ; kgo:province ?p }} "
        "WHERE { ?st a kgo:Oversight ; kgo:leader ?l ; kgo:province ?p }"
    )
    data = sparql(base + "/sparql", query, TURTLE).queryAndConvert()
    triples = {quad.triple for quad in ox.parse(data, format=ox.RdfFormat.TURTLE)}
    expected = set(open_graph(graph_file).query(query))
    assert triples == expected and triples


def test_serve_refuses_updates(served: tuple, local_triples: int) -> None:
    _, base = served
    client = sparql(base + "/sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert client.isSparqlUpdateRequest()
    client.setMethod("POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.query()
    assert caught.value.code == 403
    assert b"read-only" in caught.value.read()
    for text in ("DELETE WHERE { ?s ?p ?o }", "PREFIX x: <urn:x> DROP ALL"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{base}/sparql?query={urllib.parse.quote(text)}", timeout=10)
        assert caught.value.code == 403
    got = sparql(base + "/sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").queryAndConvert()
    assert int(got["results"]["bindings"][0]["n"]["value"]) == local_triples


def test_serve_stops_a_runaway_query(served: tuple) -> None:
    process, base = served
    before = set(child_pids(process.pid))
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as caught:
        sparql(base + "/sparql", RUNAWAY).query()
    elapsed = time.monotonic() - started
    assert caught.value.code == 503
    assert b"time limit" in caught.value.read()
    assert SERVE_TIMEOUT - 0.1 <= elapsed < SERVE_TIMEOUT + 3
    killed = {pid for pid in before if not alive(pid)}
    assert len(killed) == 1  # the worker that ran it, killed: the query really stopped
    deadline = time.monotonic() + 20
    while len(set(child_pids(process.pid)) - before) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)  # its replacement starts
    assert set(child_pids(process.pid)) - before
    result = sparql(base + "/sparql", "ASK { ?s ?p ?o }").queryAndConvert()
    assert result["boolean"] is True


def test_serve_caps_rows(served: tuple, local_triples: int) -> None:
    _, base = served
    assert local_triples > MAX_ROWS
    response = sparql(base + "/sparql", "SELECT * WHERE { ?s ?p ?o }").query()
    assert response.info()["kg-truncated"] == "true"
    assert len(response.convert()["results"]["bindings"]) == MAX_ROWS
    data = sparql(base + "/sparql", "CONSTRUCT WHERE { ?s ?p ?o }", TURTLE).queryAndConvert()
    assert len(list(ox.parse(data, format=ox.RdfFormat.TURTLE))) == MAX_ROWS
    small = sparql(base + "/sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 3").query()
    assert small.info().get("kg-truncated") is None


def test_serve_page_lists_the_canned_queries(served: tuple) -> None:
    _, base = served
    with urllib.request.urlopen(base + "/", timeout=10) as response:
        page = response.read().decode("utf-8")
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["Content-Type"].startswith("text/html")
    for name in canned_names():
        assert f'data-name="{name}"' in page
    assert "a leader assigned to direct or inspect a province" in page  # oversight's comment
    assert "<form" in page and "<textarea" in page
    lowered = page.lower()
    for external in ("<script src", "<link", "@import", "url(", 'src="http', 'href="http'):
        assert external not in lowered
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


def _request(method: str, url: str, body: bytes | None = None, **headers: str) -> tuple:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_serve_protocol_details(served: tuple) -> None:
    _, base = served
    endpoint = base + "/sparql"
    ask = "ASK { ?s ?p ?o }"
    status, headers, body = _request(
        "POST", endpoint, ask.encode(), **{"Content-Type": "application/sparql-query"}
    )
    assert status == 200 and json.loads(body)["boolean"] is True
    status, headers, body = _request(
        "GET",
        endpoint + "?query=" + urllib.parse.quote(ask),
        Accept="application/sparql-results+xml",
    )
    assert status == 200 and b"<boolean>true</boolean>" in body
    select = urllib.parse.quote(f"SELECT ?code WHERE {{ ?p <{KGO}isoCode> ?code }} LIMIT 2")
    status, headers, body = _request("GET", f"{endpoint}?query={select}&format=tsv")
    assert status == 200 and headers["Content-Type"].startswith("text/tab-separated-values")
    assert body.decode().splitlines()[0] == "?code" and len(body.decode().splitlines()) == 3
    status, headers, body = _request(
        "GET", f"{endpoint}?query={select}", Accept="text/html, application/xml;q=0.9, */*;q=0.8"
    )
    assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+xml")
    status, _, body = _request("GET", f"{endpoint}?query={select}", Accept="image/png")
    assert status == 406
    form = urllib.parse.urlencode({"query": "SELECT * WHERE { ?s ?p ?o } " + "#" * 200_000})
    status, _, body = _request(
        "POST", endpoint, form.encode(), **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 413 and b"larger than" in body
    status, _, _ = _request("POST", endpoint, b"x", **{"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = _request("PUT", base + "/sparql", b"<a> <b> <c> .")
    assert status == 405
    status, _, body = _request("GET", endpoint + "?query=" + urllib.parse.quote("SELECT WHERE"))
    assert status == 400 and b"does not parse" in body
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    status, _, body = _request("GET", endpoint + "?query=" + urllib.parse.quote(service))
    assert status == 403 and b"SERVICE" in body
    harmless = 'SELECT ?service WHERE { BIND("delete service" AS ?service) }'
    status, _, body = _request("GET", endpoint + "?query=" + urllib.parse.quote(harmless))
    assert status == 200 and b"delete service" in body
    status, _, _ = _request("GET", base + "/nothing-here")
    assert status == 404


def test_serve_trig_and_ctrl_c(graph_file: Path, tmp_path: Path) -> None:
    """A TriG export serves like the Turtle (the default graph is the union), and Ctrl-C
    stops the server and its workers."""
    trig = tmp_path / "graph.trig"
    assert kg_cli("export", str(graph_file), "-o", str(trig)).exit_code == 0
    process, base, log = start_kg_serve(trig, tmp_path, "--workers", "1")
    try:
        workers = set(child_pids(process.pid))
        assert workers
        result = sparql(base + "/sparql", load_query("oversight")).queryAndConvert()
        local = json.loads(kg_cli("query", "oversight", "-g", str(graph_file), "-f", "json").stdout)
        assert normalised_rows(result) == normalised_rows(local)
        process.send_signal(signal.SIGINT)
        assert process.wait(15) == 0
    finally:
        stop_process(process)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)
    assert "kg: stopped" in log.read_text()


def test_serve_bad_graph_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kg", "serve", str(bad), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("kg: error: ") and "cannot load the graph" in result.stderr


# --- kg serve --allow-update --------------------------------------------------------------------

UPDATE_TOKEN = "kg-test-token-0123456789abcdef"
SPARQL_UPDATE = "application/sparql-update"


@pytest.fixture(scope="module")
def updatable(graph_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """`kg serve --allow-update` (token from KG_SERVE_TOKEN), two workers and a short timeout:
    (process, base URL, log file)."""
    folder = tmp_path_factory.mktemp("serve-update")
    process, base, log = start_kg_serve(
        graph_file,
        folder,
        "--allow-update",
        "--timeout",
        str(SERVE_TIMEOUT),
        "--max-body",
        "100000",
        "--workers",
        "2",
        env={"KG_SERVE_TOKEN": UPDATE_TOKEN},
    )
    try:
        yield process, base, log
    finally:
        stop_process(process)


def _update(base: str, text: str, token: str | None = UPDATE_TOKEN, path: str = "/update") -> tuple:
    headers = {"Content-Type": SPARQL_UPDATE}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return _request("POST", base + path, text.encode(), **headers)


def _ask(base: str, pattern: str, times: int = 4) -> set[bool]:
    """The answers to ASK { pattern }, asked `times` times: the workers take turns."""
    url = base + "/sparql?query=" + urllib.parse.quote(f"ASK {{ {pattern} }}")
    answers = set()
    for _ in range(times):
        status, _, body = _request("GET", url)
        assert status == 200, body
        answers.add(json.loads(body)["boolean"])
    return answers


def test_serve_updates_need_the_bearer_token(updatable: tuple) -> None:
    _, base, _ = updatable
    insert = "INSERT DATA { <urn:kg:test:a> <urn:kg:test:p> 'token-checked' }"
    for token in (None, "wrong-token-0123456789", UPDATE_TOKEN + "x", ""):
        status, headers, body = _update(base, insert, token)
        assert status == 401, body
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert UPDATE_TOKEN.encode() not in body
    basic = base64.b64encode(f"kg:{UPDATE_TOKEN}".encode()).decode()
    status, _, _ = _request(
        "POST",
        base + "/update",
        insert.encode(),
        **{"Content-Type": SPARQL_UPDATE, "Authorization": f"Basic {basic}"},
    )
    assert status == 401
    assert _ask(base, "<urn:kg:test:a> ?p ?o") == {False}
    status, _, body = _update(base, insert)
    assert status == 200, body
    assert _ask(base, "<urn:kg:test:a> <urn:kg:test:p> 'token-checked'") == {True}
    # the other ways the protocol allows: a form, and an update POSTed to /sparql
    form = urllib.parse.urlencode({"update": "INSERT DATA { <urn:kg:test:b> <urn:kg:test:p> 1 }"})
    status, _, body = _request(
        "POST",
        base + "/sparql",
        form.encode(),
        **{
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Bearer {UPDATE_TOKEN}",
        },
    )
    assert status == 200, body
    status, _, body = _update(
        base, "DELETE DATA { <urn:kg:test:b> <urn:kg:test:p> 1 }", path="/sparql"
    )
    assert status == 200, body
    assert _ask(base, "<urn:kg:test:b> ?p ?o") == {False}
    # updates are POSTed, never sent in a URL, and a query is not the place for one
    status, _, _ = _request("GET", base + "/sparql?update=" + urllib.parse.quote(insert))
    assert status == 405
    status, _, _ = _request("GET", base + "/update")
    assert status == 405
    status, _, body = _request("GET", base + "/sparql?query=" + urllib.parse.quote(insert))
    assert status == 400 and b"/update" in body
    status, _, page = _request("GET", base + "/")
    assert b"updates at <code>/update</code>" in page and b"read-only" not in page


def test_serve_update_refusals_change_nothing(updatable: tuple, local_triples: int) -> None:
    _, base, _ = updatable
    before = _count_on(base)
    status, _, body = _update(base, "LOAD <http://127.0.0.1:9/data.ttl>")
    assert status == 403 and b"LOAD" in body
    service = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    status, _, body = _update(base, service)
    assert status == 403 and b"SERVICE" in body
    status, _, body = _update(base, "INSERT DATA { <urn:kg:test:c> <urn:kg:test:p> ")
    assert status == 400 and b"does not parse" in body
    random_id = "INSERT { <urn:kg:test:c> <urn:kg:test:p> ?u } WHERE { BIND(struuid () AS ?u) }"
    status, _, body = _update(base, random_id)  # each worker would store another value
    assert status == 400 and b"STRUUID()" in body
    status, _, body = _update(base, "INSERT DATA { <urn:kg:test:c> <urn:kg:test:p> 'now()' }")
    assert status == 200, body  # the name in a string is no call
    status, _, body = _update(base, "DELETE DATA { <urn:kg:test:c> <urn:kg:test:p> 'now()' }")
    assert status == 200, body
    big = "INSERT DATA { <urn:kg:test:d> <urn:kg:test:p> '" + "x" * 200_000 + "' }"
    status, _, body = _update(base, big)
    assert status == 413
    status, _, _ = _request("PUT", base + "/sparql", b"<a> <b> <c> .")
    assert status == 405
    assert _count_on(base) == before >= local_triples


def _count_on(base: str) -> int:
    query = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    status, _, body = _request("GET", f"{base}/sparql?query={query}")
    assert status == 200, body
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_updates_survive_a_worker_being_replaced(updatable: tuple) -> None:
    """A worker killed at the deadline is replaced by one that replays the accepted updates,
    and an update stopped at the deadline is applied nowhere."""
    process, base, _ = updatable
    status, _, body = _update(base, "INSERT DATA { <urn:kg:test:kept> <urn:kg:test:p> 'kept' }")
    assert status == 200, body
    before = set(child_pids(process.pid))
    slow = (
        "INSERT { <urn:kg:test:slow> <urn:kg:test:p> ?n } WHERE { SELECT (COUNT(*) AS ?n) "
        "WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } }"
    )
    status, _, body = _update(base, slow)
    assert status == 503 and b"time limit" in body
    status, _, body = _request("GET", base + "/sparql?query=" + urllib.parse.quote(RUNAWAY))
    assert status == 503
    deadline = time.monotonic() + 30
    while len(set(child_pids(process.pid)) - before) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # both replacements start
    assert len(set(child_pids(process.pid)) - before) == 2
    assert _ask(base, "<urn:kg:test:kept> <urn:kg:test:p> 'kept'", times=6) == {True}
    assert _ask(base, "<urn:kg:test:slow> ?p ?o", times=6) == {False}


def test_kg_push_into_kg_serve_with_the_token(updatable: tuple, subset_file: Path) -> None:
    _, base, _ = updatable
    graph_iri = "urn:kg:test:pushed"
    target = ["--update", f"{base}/update", "--graph-iri", graph_iri]
    refused = kg_cli("push", str(subset_file), *target)
    assert refused.exit_code == 2 and "HTTP 401" in refused.stderr
    env = {"KG_SPARQL_TOKEN": UPDATE_TOKEN}
    for _ in range(2):  # --replace: the second push leaves one copy
        result = kg_cli("push", str(subset_file), *target, "--replace", env=env)
        assert result.exit_code == 0, result.stderr
        assert UPDATE_TOKEN not in result.stderr + result.stdout
        assert count(f"{base}/sparql", graph_iri) == 100


def test_the_update_token_is_never_logged(updatable: tuple) -> None:
    _, base, log = updatable
    for url in (
        f"{base}/sparql?query=ASK%7B%7D&access_token={UPDATE_TOKEN}",
        f"{base}/sparql?query=ASK%7B%7D&token={urllib.parse.quote(UPDATE_TOKEN)}",
    ):
        status, _, body = _request("GET", url)
        assert status == 200, body
    _update(base, "INSERT DATA { <urn:kg:test:e> <urn:kg:test:p> 1 }")
    _update(base, "INSERT DATA { <urn:kg:test:e> <urn:kg:test:p> 1 }", token="not-the-token")
    text = log.read_text()
    assert "access_token=[token]" in text  # the request was logged, without its secret
    assert UPDATE_TOKEN not in text
    assert "/update" in text and "401" in text


def test_serve_listens_on_loopback_by_default(updatable: tuple) -> None:
    _, base, log = updatable
    text = log.read_text()
    assert f"at {base}/sparql" in text and base.startswith("http://127.0.0.1:")
    assert f"SPARQL Update accepted at {base}/update" in text
    assert "warning" not in text
    host = next(p for p in main.commands["serve"].params if p.name == "host")
    assert host.default == "127.0.0.1"
    from kg.graph_commands import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("192.168.1.5")


def test_a_read_only_server_refuses_updates_even_with_a_token(served: tuple) -> None:
    _, base = served
    for path in ("/update", "/sparql"):
        status, _, body = _update(base, "INSERT DATA { <urn:a> <urn:b> <urn:c> }", path=path)
        assert status == 403 and b"read-only" in body
    status, _, _ = _request("GET", base + "/update")
    assert status == 403
    status, _, page = _request("GET", base + "/")
    assert b"read-only" in page and b"/update" not in page


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--allow-update"], {}, "--allow-update needs --token"),
        (["--token", UPDATE_TOKEN], {}, "--token goes with --allow-update"),
        (["--allow-update", "--token", "short"], {}, "at least 16"),
        (["--allow-update"], {"KG_SERVE_TOKEN": "has a space in it!"}, "without spaces"),
    ],
)
def test_serve_update_options_are_checked(
    graph_file: Path, args: list[str], env: dict[str, str], words: str
) -> None:
    result = kg_cli(
        "serve",
        str(graph_file),
        "--port",
        str(free_port()),
        *args,
        env={"KG_SERVE_TOKEN": None, **env},  # type: ignore[dict-item]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: error: ") and words in result.stderr
    assert UPDATE_TOKEN not in result.stderr


def test_connections_beyond_the_cap_get_503_and_the_server_recovers(graph_file: Path) -> None:
    """Clients that connect and say nothing hold a thread each; past --max-connections the
    server answers 503 at once instead of starting more threads, and serves again once they
    are gone."""
    from kg.serve import start

    server = start(graph_file, "127.0.0.1", 0, workers=1, max_connections=2)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        time.sleep(0.3)  # both accepted and holding their threads
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 503
        assert "too many connections" in refused.value.read().decode()
        for connection in stalled:
            connection.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    assert response.status == 200
                break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503 and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        for connection in stalled:
            connection.close()
        server.shutdown()
        server.server_close()
        server.pool.close()
        thread.join(5)
