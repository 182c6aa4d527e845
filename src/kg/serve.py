"""`kg serve`: a SPARQL 1.1 Protocol endpoint over a graph file, with a small page of the canned
queries; read-only unless started with an update token. pyoxigraph cannot interrupt a query, so
queries run in worker processes that are killed at the deadline and replaced; the HTTP side
never evaluates SPARQL itself. Each worker holds its own copy of the graph: an accepted update
is logged and every worker applies the log, in order, before its next request (a replacement
worker replays it from the start), so every answer after an update's 200 includes it."""

from __future__ import annotations

import hmac
import json
import multiprocessing
import queue
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from kg.errors import GraphError, KgError

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_BODY = 1 << 20
DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_WORKERS = 2
_DRAIN_LIMIT = 64 << 20  # an oversized body is read and dropped up to this, so the 413 arrives
_STARTUP_TIMEOUT = 300.0
ENDPOINT_PATHS = ("/sparql", "/query")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# name: (the media type we answer with, the media types that select it)
_JSON_RESULTS, _XML_RESULTS = "application/sparql-results+json", "application/sparql-results+xml"
RESULT_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "json": (_JSON_RESULTS, (_JSON_RESULTS, "application/json")),
    "xml": (_XML_RESULTS, (_XML_RESULTS, "application/xml", "text/xml")),
    "csv": ("text/csv", ("text/csv",)),
    "tsv": ("text/tab-separated-values", ("text/tab-separated-values",)),
}  # fmt: skip
GRAPH_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "turtle": ("text/turtle", ("text/turtle", "application/turtle", "application/x-turtle")),
    "jsonld": ("application/ld+json", ("application/ld+json", "application/json")),
    "ntriples": ("application/n-triples", ("application/n-triples", "text/plain")),
    "rdfxml": ("application/rdf+xml", ("application/rdf+xml", "application/xml", "text/xml")),
}  # fmt: skip
# values of the `format` parameter: (name for SELECT/ASK, name for CONSTRUCT/DESCRIBE)
_FORMAT_NAMES: dict[str, tuple[str | None, str | None]] = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", None),
    "tsv": ("tsv", None),
    "turtle": (None, "turtle"),
    "ttl": (None, "turtle"),
    "jsonld": (None, "jsonld"),
    "json-ld": (None, "jsonld"),
    "nt": (None, "ntriples"),
    "ntriples": (None, "ntriples"),
    "n-triples": (None, "ntriples"),
    "rdfxml": (None, "rdfxml"),
    "rdf": (None, "rdfxml"),
}

# --- reading the query text without a SPARQL parser -------------------------------------------


def screen(query_text: str, updates_allowed: bool = False) -> tuple[int, str] | None:
    """Why a query must not run here, as (HTTP status, message), or None. SERVICE is refused
    because pyoxigraph would fetch any URL a client names."""
    from kg import sparql_text

    if sparql_text.is_update(query_text):
        if updates_allowed:
            return 400, (
                "this is an update: POST it to /update as application/sparql-update (or as a "
                "form with update=…) with the bearer token"
            )
        return 403, _READ_ONLY
    if sparql_text.uses_service(query_text):
        return 403, "federated queries (SERVICE) are disabled on this endpoint"
    if "\\" in sparql_text.bare(query_text):
        return 400, "escape sequences outside strings and IRIs are not supported"
    return None


_LOAD = re.compile(r"(?<![\w:?$])LOAD(?![\w:])", re.IGNORECASE)
# functions whose value differs from one evaluation to the next: every worker applies an update
# on its own copy of the graph, so they would make the copies differ
_VOLATILE = re.compile(r"(?<![\w:?$])(UUID|STRUUID|RAND|NOW|BNODE)\s*\(", re.IGNORECASE)


def screen_update(update_text: str) -> tuple[int, str] | None:
    """Why an update must not run here, as (HTTP status, message), or None. LOAD and SERVICE
    are refused because they would make the server fetch any URL a client names."""
    from kg import sparql_text

    code = sparql_text.bare(update_text)
    if _LOAD.search(code):
        return 403, "LOAD is disabled on this endpoint: send the data in INSERT DATA"
    volatile = _VOLATILE.search(code)
    if volatile:
        return 400, (
            f"{volatile.group(1).upper()}() is not allowed in updates here: each query worker "
            "applies the update to its own copy of the graph, and the copies would differ"
        )
    if sparql_text.uses_service(update_text):
        return 403, "federated queries (SERVICE) are disabled on this endpoint"
    if "\\" in code:
        return 400, "escape sequences outside strings and IRIs are not supported"
    return None


# --- content negotiation ----------------------------------------------------------------------


def parse_accept(header: str | None) -> list[str]:
    """Media types of an Accept header, most wanted first (q=0 dropped)."""
    if not header or not header.strip():
        return ["*/*"]
    ranked = []
    for position, part in enumerate(header.split(",")):
        media, *params = part.split(";")
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.strip() and quality > 0:
            ranked.append((-quality, position, media.strip().lower()))
    return [media for _, _, media in sorted(ranked)]


def negotiate(kind: str, formats: list[str], accept: list[str]) -> tuple[str, str] | None:
    """(format name, media type) for `kind` "results" (SELECT, ASK) or "graph" (CONSTRUCT,
    DESCRIBE): the first usable `format` parameter, else the first acceptable media type,
    else None (406)."""
    table = RESULT_FORMATS if kind == "results" else GRAPH_FORMATS
    slot = 0 if kind == "results" else 1
    for value in formats:
        value = value.strip().lower()
        name = _FORMAT_NAMES.get(value, (None, None))[slot]
        if name is None:
            name = next((n for n, (_, types) in table.items() if value in types), None)
        if name is not None:
            return name, table[name][0]
    for media in accept:
        if media in ("*/*", "*"):
            name = next(iter(table))
            return name, table[name][0]
        for name, (answer, types) in table.items():
            if media in types or (media.endswith("/*") and answer.startswith(media[:-1])):
                return name, answer
    return None


# --- serialising results (in the workers) -----------------------------------------------------


def _json_term(term: Any) -> dict[str, Any]:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = ("subject", "predicate", "object")
        return {"type": "triple", "value": {p: _json_term(getattr(term, p)) for p in parts}}
    out: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _xml_term(term: Any) -> str:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return f"<uri>{xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        parts = ("subject", "predicate", "object")
        inner = "".join(f"<{p}>{_xml_term(getattr(term, p))}</{p}>" for p in parts)
        return f"<triple>{inner}</triple>"
    value = xml_escape(term.value)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{value}</literal>"
    if term.datatype.value != _XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{value}</literal>"
    return f"<literal>{value}</literal>"


def _csv_cell(term: Any) -> str:
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        value = f"_:{term.value}"
    elif isinstance(term, ox.Triple):
        value = str(term)
    else:
        value = term.value
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value


def serialize_solutions(variables: list[str], rows: list[list[Any]], fmt: str) -> bytes:
    """SPARQL 1.1 Query Results JSON, XML, CSV or TSV; each row holds a term or None per
    variable."""
    if fmt == "json":
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        payload = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="utf-8"?>']
        out.append('<sparql xmlns="http://www.w3.org/2005/sparql-results#">')
        out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables))
        out.append("</head><results>")
        for row in rows:
            cells = "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            )
            out.append(f"<result>{cells}</result>")
        out.append("</results></sparql>\n")
        return "\n".join(out).encode()
    if fmt == "csv":  # RFC 4180, as the SPARQL 1.1 CSV format asks: CRLF, plain values
        lines = [",".join(variables)]
        lines += [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode()
    # TSV: terms in N-Triples syntax (which escapes newlines; tabs are escaped here)
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += [
        "\t".join("" if t is None else str(t).replace("\t", "\\t") for t in row) for row in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def serialize_boolean(value: bool, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n"
        ).encode()
    return b"true\n" if value else b"false\n"


def serialize_triples(triples: list[Any], fmt: str) -> bytes:
    import pyoxigraph as ox

    from kg.namespaces import PREFIXES

    if fmt == "turtle":
        prefixes = {name: str(ns) for name, ns in PREFIXES.items()}
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    rdf_format = {
        "jsonld": ox.RdfFormat.JSON_LD,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
    }[fmt]
    return ox.serialize(triples, format=rdf_format)


@dataclass
class Reply:
    """An HTTP answer: status, body, its type and extra headers. `tainted` (never sent) says
    a failed update may have changed the worker's copy of the graph."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    tainted: bool = False

    @classmethod
    def text(cls, status: int, message: str) -> Reply:
        return cls(status, (message.rstrip() + "\n").encode())


def execute(store: Any, request: dict[str, Any]) -> Reply:
    """Evaluate one query against the store and serialise its results as negotiated, keeping
    at most `max_rows` rows (or triples). The default graph is the union of all graphs unless
    the request names default graphs, so a TriG export serves like the Turtle it came from."""
    import pyoxigraph as ox

    max_rows: int = request["max_rows"]
    options: dict[str, Any] = {}
    try:
        if request["default_graphs"]:
            options["default_graph"] = [ox.NamedNode(g) for g in request["default_graphs"]]
        elif not request.get("store_backed"):
            # a store's default graph is already the whole graph; its named graphs repeat it
            options["use_default_graph_as_union"] = True
        if request["named_graphs"]:
            options["named_graphs"] = [ox.NamedNode(g) for g in request["named_graphs"]]
    except ValueError as exc:
        return Reply.text(400, f"bad graph IRI: {exc}")
    try:
        result = store.query(request["query"], **options)
        if isinstance(result, ox.QueryBoolean):
            kind = "boolean"
        elif isinstance(result, ox.QuerySolutions):
            kind = "results"
        else:
            kind = "graph"
        chosen = negotiate(
            "graph" if kind == "graph" else "results", request["formats"], request["accept"]
        )
        if chosen is None:
            table = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
            offered = ", ".join(answer for answer, _ in table.values())
            return Reply.text(406, f"cannot answer in the requested format; offered: {offered}")
        fmt, media = chosen
        headers = {"KG-Max-Rows": str(max_rows)}
        if kind == "boolean":
            body = serialize_boolean(bool(result), fmt)
        elif kind == "results":
            variables = [v.value for v in result.variables]
            rows: list[list[Any]] = []
            for solution in result:
                if len(rows) == max_rows:
                    headers["KG-Truncated"] = "true"
                    break
                rows.append([solution[v] for v in variables])
            body = serialize_solutions(variables, rows, fmt)
        else:
            triples: list[Any] = []
            for triple in result:
                if len(triples) == max_rows:
                    headers["KG-Truncated"] = "true"
                    break
                triples.append(triple)
            body = serialize_triples(triples, fmt)
    except SyntaxError as exc:
        return Reply.text(400, f"query does not parse: {exc}")
    except ValueError as exc:
        return Reply.text(400, f"query cannot run: {exc}")
    except (RuntimeError, OSError) as exc:
        return Reply.text(500, f"query failed: {exc}")
    charset = "" if media.endswith("xml") else "; charset=utf-8"
    return Reply(200, body, media + charset, headers)


def apply_update(store: Any, update_text: str) -> Reply:
    """Run one SPARQL Update on the store. A syntax error changes nothing; any other failure
    may have applied part of the request, so the reply is marked tainted."""
    try:
        store.update(update_text)
    except SyntaxError as exc:
        return Reply.text(400, f"update does not parse: {exc}")
    except ValueError as exc:
        reply = Reply.text(400, f"update cannot run: {exc}")
    except (RuntimeError, OSError) as exc:
        reply = Reply.text(500, f"update failed: {exc}")
    else:
        return Reply.text(200, "update applied")
    reply.tainted = True
    return reply


def _worker_main(conn: Any, data: bytes, media_type: str, updates: list[str]) -> None:
    """A worker process: load the graph and replay the updates accepted so far, say how many
    quads it holds, then answer queries and updates until the pool closes the pipe. Ctrl-C
    is for the parent, which stops the workers."""
    import pyoxigraph as ox

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        if media_type == STORE_MEDIA_TYPE:  # a `kg build --store` database: opened, not parsed
            from kg.store import triple_count

            store = ox.Store.read_only(data.decode("utf-8"))
            size = triple_count(store)
        else:
            store = ox.Store()
            store.load(data, format=ox.RdfFormat.from_media_type(media_type))
            size = len(store)
    except (SyntaxError, ValueError, OSError) as exc:
        conn.send(("failed", str(exc)))
        return
    for number, update_text in enumerate(updates, start=1):
        replayed = apply_update(store, update_text)
        if replayed.status != 200:
            conn.send(("failed", f"cannot replay update {number}: {replayed.body.decode()}"))
            return
    conn.send(("ready", size))
    del data, updates
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            if "update" in request:
                reply = apply_update(store, request["update"])
            else:
                if media_type == STORE_MEDIA_TYPE:
                    request = {**request, "store_backed": True}
                reply = execute(store, request)
        except Exception as exc:  # a worker must answer, whatever happened
            reply = Reply.text(500, f"request failed: {type(exc).__name__}: {exc}")
            reply.tainted = "update" in request
        conn.send(reply)


# --- the pool of workers ----------------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    process: Any
    conn: Any
    applied: int = 0  # how many of the pool's accepted updates this worker's graph holds


class QueryPool:
    """Worker processes that each hold the graph. A query takes an idle worker; one still
    running at the deadline is killed (which really stops the query) and replaced. Accepted
    updates are kept in order in a log; a worker applies those it lacks before it runs
    anything, and a replacement replays them all."""

    def __init__(self, data: bytes, media_type: str, workers: int = DEFAULT_WORKERS) -> None:
        self._data = data
        self._media_type = media_type
        self._size = max(1, workers)
        self._context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._updates: list[str] = []
        self._update_lock = threading.Lock()  # one update at a time, so all apply one order
        self.quads = 0

    def start(self) -> None:
        """Start every worker and wait until each has loaded the graph."""
        try:
            started = [self._spawn() for _ in range(self._size)]
            for worker in started:
                self.quads = self._await_ready(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        updates = list(self._updates)
        process = self._context.Process(
            target=_worker_main,
            args=(child, self._data, self._media_type, updates),
            name="kg-serve-worker",
            daemon=True,
        )
        process.start()
        child.close()
        worker = _Worker(process, parent, applied=len(updates))
        with self._lock:
            self._all.add(worker)
        return worker

    def _await_ready(self, worker: _Worker) -> int:
        if not worker.conn.poll(_STARTUP_TIMEOUT):
            raise GraphError("a query worker did not load the graph in time")
        try:
            state, detail = worker.conn.recv()
        except (EOFError, OSError):
            raise GraphError("a query worker stopped while loading the graph") from None
        if state != "ready":
            raise GraphError(f"cannot load the graph: {detail}")
        return int(detail)

    def _stop(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker now and start its replacement in the background."""
        self._stop(worker)
        if self._closed:
            return

        def respawn() -> None:
            try:
                fresh = self._spawn()
                self._await_ready(fresh)
            except KgError as exc:
                print(f"kg: error: {exc}", file=sys.stderr)
                return
            if self._closed:
                self._stop(fresh)
            else:
                self._idle.put(fresh)

        threading.Thread(target=respawn, name="kg-serve-respawn", daemon=True).start()

    def _ask(self, worker: _Worker, request: dict[str, Any], deadline: float) -> Reply | None:
        """Send one request to a worker and wait for its reply until `deadline`; None if the
        deadline passed. Raises EOFError or OSError if the worker died."""
        worker.conn.send(request)
        if worker.conn.poll(max(0.0, deadline - time.monotonic())):
            return worker.conn.recv()
        return None

    def _checkout(self, timeout: float) -> _Worker | None:
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            return None

    def _run_on(
        self, worker: _Worker, request: dict[str, Any], deadline: float, timeout: float
    ) -> Reply:
        """Bring the worker up to date with the accepted updates, then run `request` on it.
        The worker goes back to the idle queue unless it was replaced."""
        what = "update" if "update" in request else "query"
        try:
            while worker.applied < len(self._updates):
                caught_up = self._ask(worker, {"update": self._updates[worker.applied]}, deadline)
                if caught_up is None:
                    self._replace(worker)
                    return Reply.text(
                        503, f"the {what} was stopped at the time limit of {timeout:g} s"
                    )
                if caught_up.status != 200:  # it succeeded before: this copy is not to be trusted
                    self._replace(worker)
                    return Reply.text(500, "a query worker could not apply an earlier update")
                worker.applied += 1
            reply = self._ask(worker, request, deadline)
        except (EOFError, OSError):
            self._replace(worker)
            return Reply.text(500, "the worker stopped unexpectedly (out of memory?)")
        if reply is None:
            self._replace(worker)
            return Reply.text(503, f"the {what} was stopped at the time limit of {timeout:g} s")
        if reply.tainted:
            self._replace(worker)  # its replacement replays the log, without this update
        else:
            if what == "update" and reply.status == 200:
                self._updates.append(request["update"])
                worker.applied = len(self._updates)
            self._idle.put(worker)
        return reply

    def run(self, request: dict[str, Any], timeout: float) -> Reply:
        """Run one query with a deadline `timeout` seconds from now (waiting for a free
        worker counts)."""
        deadline = time.monotonic() + timeout
        worker = self._checkout(timeout)
        if worker is None:
            return Reply.text(503, f"every query worker stayed busy for {timeout:g} s; try again")
        return self._run_on(worker, request, deadline, timeout)

    def update(self, update_text: str, timeout: float) -> Reply:
        """Apply one SPARQL Update with a deadline `timeout` seconds from now: on one worker
        first, and once it has succeeded there, to the log every other worker catches up
        with. An update stopped at the deadline is not applied anywhere."""
        deadline = time.monotonic() + timeout
        if not self._update_lock.acquire(timeout=timeout):
            return Reply.text(503, f"other updates kept the graph busy for {timeout:g} s")
        try:
            worker = self._checkout(max(0.0, deadline - time.monotonic()))
            if worker is None:
                return Reply.text(503, f"every worker stayed busy for {timeout:g} s; try again")
            return self._run_on(worker, {"update": update_text}, deadline, timeout)
        finally:
            self._update_lock.release()

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            return sorted(w.process.pid for w in self._all if w.process.pid)

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            self._stop(worker)


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Settings:
    graph_name: str
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS
    max_body: int = DEFAULT_MAX_BODY
    page: bytes = b""
    log: Callable[[str], None] | None = None
    update_token: str | None = field(default=None, repr=False)  # None: read-only

    def redact(self, text: str) -> str:
        """`text` without the update token (as sent, or percent-encoded in a URL)."""
        token = self.update_token
        if not token:
            return text
        for form in {token, urllib.parse.quote(token, safe=""), urllib.parse.quote_plus(token)}:
            text = text.replace(form, "[token]")
        return text


MIN_TOKEN_LENGTH = 16


def _good_token(token: str) -> bool:
    """Long enough to resist guessing, and sendable as it is in an Authorization header."""
    return (
        len(token) >= MIN_TOKEN_LENGTH
        and token.isascii()
        and token.isprintable()
        and " " not in token
    )


class SparqlServer(ThreadingHTTPServer):
    """One thread per request; the threads only parse HTTP and wait for a worker."""

    daemon_threads = True
    # socketserver listens with a backlog of 5: with more clients connecting at once the kernel
    # drops their handshakes and they see "connection reset by peer" (Linux caps this value
    # at net.core.somaxconn)
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        pool: QueryPool,
        settings: Settings,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.pool = pool
        self.settings = settings
        # one thread per connection, so connections are capped: clients that connect and
        # stall cannot make the server start threads without end
        self.slots = threading.BoundedSemaphore(max_connections)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, SparqlHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            try:
                request.sendall(_TOO_MANY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


_TOO_MANY_BODY = b"too many connections at once; retry\n"
_TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n"
    + f"Content-Length: {len(_TOO_MANY_BODY)}\r\n\r\n".encode()
    + _TOO_MANY_BODY
)


_READ_ONLY = "this endpoint is read-only: SPARQL Update is refused"
_UPDATE_MEDIA = "application/sparql-update"
_FORM_MEDIA = "application/x-www-form-urlencoded"


class SparqlHandler(BaseHTTPRequestHandler):
    """GET and POST of the SPARQL 1.1 Protocol on /sparql (and /query); the page on /."""

    server: SparqlServer
    server_version = "kg-serve"
    timeout = 60  # a client that stalls mid-request frees its thread after this

    def log_message(self, format: str, *args: Any) -> None:
        settings = self.server.settings
        if settings.log is not None:
            settings.log(settings.redact(f"{self.address_string()} {format % args}"))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _error(self, status: int, message: str, **headers: str) -> None:
        reply = Reply.text(status, message)
        reply.headers.update(headers)
        self._send(reply)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            headers = {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff"}
            page = self.server.settings.page
            self._send(Reply(200, page, "text/html; charset=utf-8", headers))
            return
        if url.path == "/update":
            if self.server.settings.update_token is None:
                self._error(403, _READ_ONLY)
            else:
                self._error(405, "send updates with POST", Allow="POST")
            return
        if url.path not in ENDPOINT_PATHS:
            self._error(404, f"no such page: {url.path} (the endpoint is /sparql)")
            return
        self._dispatch(urllib.parse.parse_qs(url.query, keep_blank_values=True), None)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        updates_allowed = self.server.settings.update_token is not None
        if url.path == "/update" and not updates_allowed:
            self._error(403, _READ_ONLY)
            return
        if url.path not in (*ENDPOINT_PATHS, "/update"):
            self._error(404, f"no such endpoint: {url.path} (use /sparql)")
            return
        body = self._read_body()
        if body is None:
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            if media == _FORM_MEDIA:
                form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
                for key, values in form.items():
                    params.setdefault(key, []).extend(values)
                if "update" in params or url.path == "/update":
                    self._update(params.get("update", []))
                else:
                    self._dispatch(params, None)
            elif media == _UPDATE_MEDIA:
                self._update([body.decode("utf-8")])
            elif media == "application/sparql-query" and url.path != "/update":
                self._dispatch(params, body.decode("utf-8"))
            elif url.path == "/update":
                self._error(
                    415, f"POST an update ({_UPDATE_MEDIA}) or a form ({_FORM_MEDIA}, update=…)"
                )
            else:
                self._error(
                    415,
                    f"POST a form ({_FORM_MEDIA}) or a query (application/sparql-query)"
                    + (f" or an update ({_UPDATE_MEDIA})" if updates_allowed else ""),
                )
        except UnicodeDecodeError:
            self._error(400, "the request body is not UTF-8")

    def _authorised(self) -> bool:
        """Whether the request carries `Authorization: Bearer <the update token>`; if not, the
        401 has been sent. The token is compared in constant time and never echoed."""
        token = self.server.settings.update_token
        scheme, _, given = (self.headers.get("Authorization") or "").strip().partition(" ")
        if token and scheme.lower() == "bearer" and given.strip():
            if hmac.compare_digest(given.strip().encode(), token.encode()):
                return True
            challenge = 'Bearer realm="kg", error="invalid_token"'
            message = "the bearer token is not the update token"
        else:
            challenge = 'Bearer realm="kg"'
            message = "updates need the header Authorization: Bearer <the server's update token>"
        self._error(401, message, **{"WWW-Authenticate": challenge})
        return False

    def _update(self, texts: list[str]) -> None:
        """A SPARQL Update (the body is already read): refused unless the server was started
        with an update token and the request carries it."""
        settings = self.server.settings
        if settings.update_token is None:
            self._error(403, _READ_ONLY)
            return
        if not self._authorised():
            return
        if len(texts) != 1 or not texts[0].strip():
            self._error(400, "give one update: a POSTed update or a form with update=…")
            return
        refusal = screen_update(texts[0])
        if refusal is not None:
            self._error(*refusal)
            return
        self._send(self.server.pool.update(texts[0], settings.timeout))

    def _refuse_write(self) -> None:
        if self.server.settings.update_token is None:
            self._error(405, "this endpoint is read-only", Allow="GET, HEAD, POST")
        else:
            message = "the Graph Store Protocol is not served: POST SPARQL Update to /update"
            self._error(405, message, Allow="GET, HEAD, POST")

    do_PUT = do_DELETE = do_PATCH = _refuse_write

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering 411 or 413."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._error(411, "send the body with a Content-Length")
            return None
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            self._error(411, "send the body with a Content-Length")
            return None
        limit = self.server.settings.max_body
        if length > limit:
            left = min(length, _DRAIN_LIMIT)
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
            self.close_connection = True
            self._error(413, f"the request body is larger than the limit of {limit} bytes")
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, params: dict[str, list[str]], direct_query: str | None) -> None:
        settings = self.server.settings
        if "update" in params:
            if settings.update_token is None:
                self._error(403, _READ_ONLY)
            else:
                self._error(405, "send updates with POST", Allow="POST")
            return
        texts = [direct_query] if direct_query is not None else params.get("query", [])
        if len(texts) != 1 or not texts[0].strip():
            self._error(400, "give one query: ?query=…, a POSTed form or a POSTed query (see /)")
            return
        refusal = screen(texts[0], settings.update_token is not None)
        if refusal is not None:
            self._error(*refusal)
            return
        request = {
            "query": texts[0],
            "formats": params.get("format", []),
            "accept": parse_accept(self.headers.get("Accept")),
            "max_rows": settings.max_rows,
            "default_graphs": params.get("default-graph-uri", []),
            "named_graphs": params.get("named-graph-uri", []),
        }
        self._send(self.server.pool.run(request, settings.timeout))


# --- the page ---------------------------------------------------------------------------------

PAGE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'"
)


def canned_queries() -> list[tuple[str, str, str]]:
    """(name, header comment, text) of each canned query, in name order."""
    from kg.sparql import canned_names, load_query

    out = []
    for name in canned_names():
        text = load_query(name)
        comment = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            comment.append(line.lstrip("#").strip())
        doc = " ".join(comment)
        out.append((name, doc.removeprefix(f"{name} — ").removeprefix(f"{name}: "), text))
    return out


def render_page(
    graph_name: str, quads: int, timeout: float, max_rows: int, updates: bool = False
) -> bytes:
    """The page at /: the canned queries with their comments and a form that runs any query.
    Everything is inline, so the page loads nothing from anywhere."""
    import html

    queries = canned_queries()
    items = "\n".join(
        f'<li><button type="button" data-name="{html.escape(name)}">{html.escape(name)}</button>'
        f' <span class="doc">{html.escape(doc)}</span></li>'
        for name, doc, _ in queries
    )
    catalogue = json.dumps({name: text for name, _, text in queries}, ensure_ascii=False)
    values = {
        "graph": html.escape(graph_name),
        "triples": f"{quads:,}",
        "timeout": f"{timeout:g}",
        "max_rows": f"{max_rows:,}",
        "access": (
            "updates at <code>/update</code> with the server's bearer token"
            if updates
            else "read-only"
        ),
        "items": items,
        "first": html.escape(queries[0][2]) if queries else "",
        "catalogue": catalogue.replace("</", "<\\/"),
    }
    template = Path(__file__).with_name("serve_page.html").read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template).encode("utf-8")


# --- running it -------------------------------------------------------------------------------


STORE_MEDIA_TYPE = "application/x-kg-store"


def _graph_data(path: Path) -> tuple[bytes, str]:
    """The graph file's bytes and media type, read once so that every worker (replacements
    too) serves the same snapshot even if the file changes; for a store folder, the path of
    its current database, which every worker opens read-only."""
    from kg.sparql import _RDF_FORMATS

    if path.is_dir():
        from kg.store import database_path

        return str(database_path(path)).encode("utf-8"), STORE_MEDIA_TYPE

    rdf_format = _RDF_FORMATS.get(path.suffix.lower())
    if rdf_format is None:
        known = ", ".join(_RDF_FORMATS)
        raise GraphError(f"{path}: unknown graph format (use one of {known})")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GraphError(f"{path}: no such file") from None
    except OSError as exc:
        raise GraphError(f"{path}: cannot read: {exc.strerror}") from None
    return data, rdf_format.media_type


def start(
    graph: Path,
    host: str = "127.0.0.1",
    port: int = 7878,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_body: int = DEFAULT_MAX_BODY,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    workers: int = DEFAULT_WORKERS,
    log: Callable[[str], None] | None = None,
    update_token: str | None = None,
) -> SparqlServer:
    """A server bound and ready (its workers have loaded the graph) but not yet serving:
    call `serve_until_stopped`. With an `update_token`, SPARQL Update requests carrying it as
    a bearer token are applied (in memory: the graph file is never written)."""
    if timeout <= 0:
        raise KgError("--timeout must be positive")
    if max_rows < 1:
        raise KgError("--max-rows must be at least 1")
    if update_token is not None and not _good_token(update_token):
        raise KgError(
            f"the update token must be at least {MIN_TOKEN_LENGTH} printable characters without "
            "spaces (e.g. python -c 'import secrets; print(secrets.token_urlsafe())')"
        )
    data, media_type = _graph_data(graph)
    if media_type == STORE_MEDIA_TYPE and update_token is not None:
        raise KgError("--allow-update needs a graph file: a store is served read-only")
    pool = QueryPool(data, media_type, workers)
    pool.start()
    settings = Settings(graph.name, timeout, max_rows, max_body, log=log, update_token=update_token)
    settings.page = render_page(graph.name, pool.quads, timeout, max_rows, update_token is not None)
    try:
        return SparqlServer((host, port), pool, settings, max_connections)
    except OSError as exc:
        pool.close()
        raise KgError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve_until_stopped(server: SparqlServer) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop taking requests and stop the workers."""

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        server.pool.close()
