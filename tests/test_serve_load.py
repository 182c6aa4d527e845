"""`kg serve` under load: 20 concurrent clients each send 100 canned queries (GET, POSTed forms
and POSTed queries; SPARQL JSON and CSV), every answer equals the answer kg.sparql gives locally,
nothing fails, and the memory of the server and its workers stays flat. The throughput is
printed and written to serve_load.json in the test's temporary folder."""

from __future__ import annotations

import csv
import io
import json
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEEDS, build, child_pids, stop_process

from kg.sparql import canned_names, format_rows, load_query, open_graph, run

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"
CLIENTS = 20
QUERIES_PER_CLIENT = 100
WARM_UP_PER_CLIENT = 12
MB = 1024 * 1024
FORMATS = {"json": "application/sparql-results+json", "csv": "text/csv"}
METHODS = ("get", "form", "direct")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss(pid: int) -> int:
    """Resident memory of a process in bytes (VmRSS in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


# --- what the answers must be -------------------------------------------------------------------


def canonical_json(payload: dict) -> tuple[list[str], list[str]]:
    """Variables and rows (each as sorted JSON) of SPARQL JSON results, rows sorted: ORDER BY
    leaves ties in whatever order the store gives them."""
    rows = [
        json.dumps(b, sort_keys=True, ensure_ascii=False) for b in payload["results"]["bindings"]
    ]
    return payload["head"]["vars"], sorted(rows)


def canonical_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], sorted(rows[1:])


def answer_of(fmt: str, body: bytes) -> tuple:
    text = body.decode("utf-8")
    return canonical_json(json.loads(text)) if fmt == "json" else canonical_csv(text)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = SEEDS if SEEDS.is_dir() else EXAMPLES
    path = tmp_path_factory.mktemp("graph") / "graph.ttl"
    build(corpus, path, "--no-validate")
    return path


@pytest.fixture(scope="module")
def expected(graph: Path) -> dict[tuple[str, str], tuple]:
    """(query name, format) -> the answer kg.sparql gives locally."""
    store = open_graph(graph)
    answers = {}
    for name in canned_names():
        variables, rows = run(store, load_query(name))
        for fmt in FORMATS:
            answers[name, fmt] = answer_of(fmt, format_rows(variables, rows, fmt).encode())
    assert sum(1 for (_, fmt), (_, rows) in answers.items() if fmt == "json" and rows) >= 6
    return answers


@pytest.fixture(scope="module")
def server(graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """`kg serve` on the graph (logging every request): (process, base URL, log file)."""
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", str(graph), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield process, base, log
    finally:
        stop_process(process, wait=15)


# --- the clients ----------------------------------------------------------------------------------


def ask(base: str, name: str, fmt: str, method: str) -> tuple[int, bytes]:
    text = load_query(name)
    headers = {"Accept": FORMATS[fmt]}
    if method == "get":
        url, body = f"{base}/sparql?{urllib.parse.urlencode({'query': text})}", None
    elif method == "form":
        url, body = f"{base}/sparql", urllib.parse.urlencode({"query": text}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        url, body = f"{base}/sparql", text.encode()
        headers["Content-Type"] = "application/sparql-query"
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def hammer(
    base: str, expected: dict[tuple[str, str], tuple], clients: int, per_client: int
) -> tuple[float, list[str], int]:
    """`clients` threads each sending `per_client` queries, cycling through every canned query,
    format and method from a different starting point; (seconds, failures, answers checked)."""
    plan = [(n, f, m) for n in canned_names() for f in FORMATS for m in METHODS]
    failures: list[str] = []
    checked = [0] * clients
    start = threading.Barrier(clients + 1)

    def client(number: int) -> None:
        mine = random.Random(number)
        offset = mine.randrange(len(plan))
        start.wait()
        for i in range(per_client):
            name, fmt, method = plan[(offset + i) % len(plan)]
            try:
                status, body = ask(base, name, fmt, method)
            except OSError as exc:
                failures.append(f"{name} {fmt} {method}: {type(exc).__name__}: {exc}")
                continue
            if status != 200:
                failures.append(f"{name} {fmt} {method}: HTTP {status}: {body[:200]!r}")
            elif answer_of(fmt, body) != expected[name, fmt]:
                failures.append(f"{name} {fmt} {method}: a different answer")
            else:
                checked[number] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(300)
    return time.monotonic() - began, failures, sum(checked)


def test_twenty_clients_get_the_local_answers_with_flat_memory(
    server: tuple, expected: dict[tuple[str, str], tuple], tmp_path: Path, capsys
) -> None:
    process, base, log = server
    _, failures, _ = hammer(base, expected, CLIENTS, WARM_UP_PER_CLIENT)
    assert not failures, failures[:5]
    workers = child_pids(process.pid)
    assert workers, "kg serve runs its queries in worker processes"
    before = {pid: rss(pid) for pid in [process.pid, *workers]}

    seconds, failures, checked = hammer(base, expected, CLIENTS, QUERIES_PER_CLIENT)

    total = CLIENTS * QUERIES_PER_CLIENT
    assert not failures, f"{len(failures)} of {total} failed, e.g. {failures[:5]}"
    assert checked == total
    assert child_pids(process.pid) == workers, "no worker died or was replaced"
    after = {pid: rss(pid) for pid in before}
    throughput = total / seconds
    report = {
        "clients": CLIENTS,
        "queries": total,
        "seconds": round(seconds, 3),
        "queries_per_second": round(throughput, 1),
        "server_rss_mb": [round(before[process.pid] / MB, 1), round(after[process.pid] / MB, 1)],
        "workers_rss_mb": [
            [round(before[pid] / MB, 1), round(after[pid] / MB, 1)] for pid in workers
        ],
    }
    (tmp_path / "serve_load.json").write_text(json.dumps(report, indent=1) + "\n")
    with capsys.disabled():
        print(
            f"\nkg serve: {total} queries from {CLIENTS} clients in {seconds:.1f} s = "
            f"{throughput:.0f} queries/s; server RSS {report['server_rss_mb'][0]} -> "
            f"{report['server_rss_mb'][1]} MB ({tmp_path / 'serve_load.json'})"
        )
    for pid, was in before.items():
        grew = after[pid] - was
        assert grew < 30 * MB or grew < 0.2 * was, (pid, was / MB, after[pid] / MB)
    assert log.read_text().count('"GET /sparql?query=') >= total // len(METHODS) // 2
