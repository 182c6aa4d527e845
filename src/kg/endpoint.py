"""kg as a client of other SPARQL services: run canned queries on any SPARQL 1.1 endpoint
(through SPARQLWrapper) and load a graph into a triple store, by the Graph Store HTTP Protocol
or by SPARQL Update. Credentials come from options or KG_SPARQL_* variables and are never
written into a message."""

from __future__ import annotations

import ast
import base64
import hashlib
import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError, QueryError
from kg.namespaces import DEFAULT_BASE

ENV_USER, ENV_PASSWORD, ENV_TOKEN = "KG_SPARQL_USER", "KG_SPARQL_PASSWORD", "KG_SPARQL_TOKEN"
DEFAULT_TIMEOUT = 300.0
DEFAULT_BATCH = 5000
# Blank nodes are replaced by IRIs under our own base before a push, so that pushing the same
# graph twice stays one copy (a store mints fresh blank nodes on every load).
GENID = DEFAULT_BASE + "genid/"
_ANSWER_CHARS = 300
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class EndpointError(KgError):
    """A SPARQL endpoint or graph store cannot be reached or refused a request."""


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic (user and password) or bearer-token credentials; `repr` never shows them."""

    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @classmethod
    def resolve(
        cls, user: str | None = None, password: str | None = None, token: str | None = None
    ) -> Credentials:
        """Credentials from options, completed from KG_SPARQL_USER / KG_SPARQL_PASSWORD /
        KG_SPARQL_TOKEN: `--user` with the password in the environment keeps it off the
        command line. A token given as an option ignores a user in the environment, and the
        other way round."""
        env_user = os.environ.get(ENV_USER) or None
        env_password = os.environ.get(ENV_PASSWORD)
        env_token = os.environ.get(ENV_TOKEN) or None
        if token is not None:
            if user is not None or password is not None:
                raise EndpointError("give either a user and password or a token, not both")
        elif user is not None or password is not None:
            user = user if user is not None else env_user
            password = password if password is not None else env_password
        else:
            user, password, token = env_user, env_password, env_token
            if token and (user or password is not None):
                raise EndpointError(
                    f"set either {ENV_USER} and {ENV_PASSWORD} or {ENV_TOKEN}, not both"
                )
        if not user and password is not None and not token:
            raise EndpointError(f"a password needs a user (--user or {ENV_USER})")
        if user and password is None:
            raise EndpointError(f"a user needs a password (--password or {ENV_PASSWORD})")
        return cls(user, password, token)

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.user:
            pair = f"{self.user}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {}

    def redact(self, text: str) -> str:
        """`text` with every secret (and its Basic encoding) replaced by ***."""
        secrets = [self.password, self.token]
        if self.user:
            pair = f"{self.user}:{self.password or ''}".encode()
            secrets.append(base64.b64encode(pair).decode("ascii"))
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def split_userinfo(url: str, credentials: Credentials) -> tuple[str, Credentials]:
    """`http://user:pass@host/…` → the URL without them, and them as credentials (unless
    credentials were given another way)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(f"{safe_url(url)} is not an http:// or https:// URL")
    if parts.username is None:
        return url, credentials
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    bare = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    if credentials.user or credentials.token:
        return bare, credentials
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    return bare, Credentials(user, password, None)


def safe_url(url: str) -> str:
    """The URL without any user:password@ part, for messages."""
    return re.sub(r"(?<=//)[^/@\s]*@", "", url)


def _answer(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text if len(text) <= _ANSWER_CHARS else text[: _ANSWER_CHARS - 1] + "…"


# --- running queries elsewhere ----------------------------------------------------------------


def _term(binding: dict) -> ox.NamedNode | ox.Literal | ox.BlankNode:
    """A SPARQL JSON binding as the pyoxigraph term the local path would have produced."""
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        try:
            return ox.BlankNode(value)
        except ValueError:
            return ox.BlankNode()
    if kind in ("literal", "typed-literal"):
        if binding.get("xml:lang"):
            return ox.Literal(value, language=binding["xml:lang"])
        datatype = binding.get("datatype")
        if datatype and datatype != _XSD_STRING:
            return ox.Literal(value, datatype=ox.NamedNode(datatype))
        return ox.Literal(value)
    raise QueryError(f"the endpoint returned a binding of unknown type {kind!r}")


def rows_from_json(payload: dict) -> tuple[list[str], list[dict]]:
    """Variables and rows of SPARQL 1.1 Query Results JSON, as `kg.sparql.run` returns them."""
    if not isinstance(payload, dict) or "results" not in payload:
        if isinstance(payload, dict) and "boolean" in payload:
            raise QueryError("only SELECT queries can be printed as rows (this was an ASK)")
        raise QueryError("the endpoint's answer is not SPARQL SELECT results")
    variables = list(payload.get("head", {}).get("vars", []))
    rows = []
    try:
        for binding in payload["results"].get("bindings", []):
            rows.append({name: _term(binding[name]) for name in variables if name in binding})
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise QueryError(f"the endpoint's results hold an invalid term: {exc}") from None
    return variables, rows


def remote_select(
    url: str,
    query_text: str,
    params: dict[str, str] | None = None,
    credentials: Credentials | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[list[str], list[dict]]:
    """Variables and rows of a SELECT query run on a SPARQL 1.1 endpoint. Parameters are bound
    as locally (`kg.sparql.prepare`), so both paths run the same query text."""
    from SPARQLWrapper import JSON, POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    from kg.sparql import keep_matching, prepare
    from kg.sparql_text import is_update, without_comments

    credentials = credentials or Credentials()
    url, credentials = split_userinfo(url, credentials)
    text, filters = prepare(query_text, params or {})
    if is_update(text):
        raise QueryError("kg query runs queries, not updates")
    client = SPARQLWrapper(url, agent="kg (SPARQLWrapper)")
    with warnings.catch_warnings():  # it warns when it cannot tell the query form
        warnings.simplefilter("ignore")
        # without comments, because SPARQLWrapper guesses the query form from any word in
        # them ("removed" reads as MOVE, an update)
        client.setQuery(without_comments(text))
    if client.isSparqlUpdateRequest():
        raise QueryError("kg query runs queries, not updates")
    client.setMethod(POST)  # canned queries are long; GET URLs get cut by some servers
    client.setReturnFormat(JSON)
    client.setOnlyConneg(True)  # plain content negotiation: no format=/output= guesses
    client.setTimeout(int(max(1, timeout)))
    for name, value in credentials.headers().items():
        client.addCustomHttpHeader(name, value)
    where = safe_url(url)
    try:
        response = client.query().response
        body = response.read()
        content_type = response.headers.get("Content-Type", "")
    except SPARQLWrapperException as exc:
        status = _WRAPPER_STATUS.get(type(exc).__name__, "an error")
        raise EndpointError(
            credentials.redact(f"{where} answered {status}: {_wrapper_answer(exc)}")
        ) from None
    except urllib.error.HTTPError as exc:
        raise EndpointError(
            credentials.redact(f"{where} answered HTTP {exc.code} {exc.reason}: {_read(exc)}")
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise EndpointError(credentials.redact(f"cannot reach {where}: {reason}")) from None
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EndpointError(
            credentials.redact(
                f"{where} did not answer SPARQL JSON (Content-Type {content_type or 'none'}): "
                f"{_answer(body)}"
            )
        ) from None
    variables, rows = rows_from_json(payload)
    return variables, keep_matching(rows, filters)


_WRAPPER_STATUS = {
    "QueryBadFormed": "HTTP 400 Bad Request",
    "Unauthorized": "HTTP 401 Unauthorized",
    "EndPointNotFound": "HTTP 404 Not Found",
    "URITooLong": "HTTP 414 URI Too Long",
    "EndPointInternalError": "HTTP 500 Internal Server Error",
}


def _wrapper_answer(exc: Exception) -> str:
    """The server's answer that SPARQLWrapper folded into its message as a bytes repr."""
    message = str(exc)
    marker = "Response:\n"
    if marker in message:
        tail = message.split(marker, 1)[1]
        try:
            raw = ast.literal_eval(tail)
            if isinstance(raw, bytes):
                return _answer(raw) or "(no message)"
        except (ValueError, SyntaxError):
            return _answer(tail.encode())
    return "(no message)"


def _read(exc: urllib.error.HTTPError) -> str:
    try:
        return _answer(exc.read()) or "(no message)"
    except OSError:
        return "(no message)"


# --- loading a graph into a store ----------------------------------------------------------


@dataclass
class PushResult:
    triples: int
    requests: int
    target: str
    skolemized: int = 0


def skolemize(triples: Iterable[ox.Triple]) -> tuple[list[ox.Triple], int]:
    """Sorted triples with each blank node replaced by `GENID{digest}-{canonical label}`: the
    canonical labels (RDFC-1.0) and the digest of the canonical graph make the same graph give
    the same IRIs every time. Returns the triples and how many blank nodes were replaced."""
    triples = list(triples)
    if not any(
        isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples
    ):
        return sorted(triples, key=_triple_key), 0
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    canonical = sorted(str(q) for q in dataset)
    digest = hashlib.sha256("\n".join(canonical).encode()).hexdigest()[:16]
    labels: set[str] = set()

    def fix(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.Literal:
        if isinstance(term, ox.BlankNode):
            labels.add(term.value)
            return ox.NamedNode(f"{GENID}{digest}-{term.value}")
        return term

    out = {ox.Triple(fix(q.subject), q.predicate, fix(q.object)) for q in dataset}
    return sorted(out, key=_triple_key), len(labels)


def _triple_key(triple: ox.Triple) -> tuple[str, str, str]:
    return str(triple.subject), str(triple.predicate), str(triple.object)


def _with_query(url: str, extra: str) -> str:
    return url + ("&" if urllib.parse.urlsplit(url).query else "?") + extra


def _request(
    method: str,
    url: str,
    body: bytes,
    content_type: str,
    credentials: Credentials,
    timeout: float,
) -> None:
    """Send one request; anything but a 2xx raises EndpointError naming the status and the
    server's (truncated) answer."""
    headers = {"Content-Type": content_type, "User-Agent": "kg", **credentials.headers()}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    where = safe_url(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        message = f"{method} {where} failed: HTTP {exc.code} {exc.reason}: {_read(exc)}"
        raise EndpointError(credentials.redact(message)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise EndpointError(credentials.redact(f"cannot reach {where}: {reason}")) from None


def _batches(triples: list[ox.Triple], size: int) -> Iterator[list[ox.Triple]]:
    for start in range(0, len(triples), size):
        yield triples[start : start + size]


def push(
    graph: str | Path,
    *,
    store: str | None = None,
    update: str | None = None,
    graph_iri: str | None = None,
    replace: bool = False,
    batch_size: int = DEFAULT_BATCH,
    credentials: Credentials | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> PushResult:
    """Load the graph file into a triple store: through the Graph Store HTTP Protocol at `store`
    (PUT replaces, POST adds) or through SPARQL Update at `update` (INSERT DATA in batches,
    after CLEAR when replacing), into the default graph or the named graph `graph_iri`."""
    if (store is None) == (update is None):
        raise EndpointError("give one of --store URL (Graph Store Protocol) or --update URL")
    if batch_size < 1:
        raise EndpointError("the batch size must be at least 1")
    try:
        target_node = None if graph_iri is None else ox.NamedNode(graph_iri)
    except ValueError:
        raise EndpointError(f"{graph_iri!r} is not an absolute IRI") from None
    credentials = credentials or Credentials()
    url, credentials = split_userinfo(store or update or "", credentials)
    from kg.sparql import open_graph

    # A file with named graphs (TriG, N-Quads, a store's export) goes into one target graph:
    # a triple that several of its graphs hold is pushed, and counted, once.
    triples, skolemized = skolemize(dict.fromkeys(q.triple for q in open_graph(graph)))
    target = "the default graph" if graph_iri is None else f"graph <{graph_iri}>"
    if store is not None:
        where = _with_query(
            url, "default" if graph_iri is None else "graph=" + urllib.parse.quote(graph_iri, "")
        )
        # N-Triples is a subset of Turtle, and every graph store accepts text/turtle.
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        _request(
            "PUT" if replace else "POST",
            where,
            body,
            "text/turtle; charset=utf-8",
            credentials,
            timeout,
        )
        return PushResult(len(triples), 1, target, skolemized)
    requests = 0
    clear = ""
    if replace:
        clear = "CLEAR SILENT DEFAULT" if graph_iri is None else f"DROP SILENT GRAPH {target_node}"
    batches = list(_batches(triples, batch_size)) or [[]]
    for batch in batches:
        data = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in batch)
        if graph_iri is not None:
            data = f"GRAPH {target_node} {{\n{data}\n}}"
        parts = [clear] if clear else []
        if batch:
            parts.append(f"INSERT DATA {{\n{data}\n}}")
        clear = ""
        if not parts:
            continue
        _request(
            "POST",
            url,
            " ;\n".join(parts).encode("utf-8"),
            "application/sparql-update; charset=utf-8",
            credentials,
            timeout,
        )
        requests += 1
    return PushResult(len(triples), requests, target, skolemized)
