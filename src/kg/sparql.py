"""Canned and ad-hoc SPARQL over a graph file, run by pyoxigraph (fast load, fast joins), with
results as SPARQL JSON, CSV, TSV or a table. Parameters are bound as RDF terms, never pasted
into the query text."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from kg.errors import GraphError, QueryError

QUERY_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
FORMATS = ("table", "json", "csv", "tsv")
_RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}


def resource_dir(name: str) -> Path:
    """`ontology`, `shapes` or `queries`: inside the installed package, else in the checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources" / name, here.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise QueryError(f"cannot find the {name}/ folder of kg (is the package installed completely?)")


def canned_names() -> list[str]:
    return sorted(p.stem for p in resource_dir("queries").glob("*.rq"))


def load_query(name_or_path: str) -> str:
    """Text of a canned query by name, or of a `.rq` file by path."""
    if name_or_path.endswith(".rq") and Path(name_or_path).is_file():
        return Path(name_or_path).read_text(encoding="utf-8")
    if not QUERY_NAME.match(name_or_path):
        raise QueryError(f"{name_or_path!r} is neither a canned query name nor a .rq file")
    path = resource_dir("queries") / f"{name_or_path}.rq"
    if not path.is_file():
        raise QueryError(
            f"no canned query named {name_or_path!r}; known: {', '.join(canned_names())}"
        )
    return path.read_text(encoding="utf-8")


def open_graph(path: str | Path) -> ox.Store:
    """Load a graph file into an in-memory store (the format follows the file's extension),
    or open the store folder `kg build --store` keeps, read-only and without parsing."""
    path = Path(path)
    if path.is_dir():
        from kg.store import open_store

        return open_store(path)
    fmt = _RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise GraphError(f"{path}: unknown graph format (use one of {', '.join(_RDF_FORMATS)})")
    store = ox.Store()
    try:
        store.bulk_load(path=str(path), format=fmt)
    except FileNotFoundError as exc:
        raise GraphError(f"{path}: no such file") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise GraphError(f"{path}: cannot parse as {fmt}: {exc}") from exc
    return store


_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _term(value: str) -> ox.NamedNode | ox.Literal:
    if re.match(r"^(?:https?|urn):\S+$", value):
        try:
            return ox.NamedNode(value)
        except ValueError:
            pass
    return ox.Literal(value)


def bind(query_text: str, params: dict[str, str]) -> str:
    """`query_text` with a trailing VALUES clause binding each parameter to one RDF term. The
    terms are serialised by pyoxigraph, so quotes, braces or newlines in a value stay inside
    its literal and cannot change the query's shape."""
    if not params:
        return query_text
    from kg.sparql_text import bare

    code = bare(query_text)
    for name in params:
        if not _VARIABLE.match(name):
            raise QueryError(f"{name!r} is not a SPARQL variable name")
        if not re.search(rf"[?$]{name}\b", code):
            raise QueryError(f"the query has no variable ?{name} to bind")
        if re.search(rf"\bAS\s+[?$]{name}\b", code, re.IGNORECASE):
            # SPARQL joins the trailing VALUES before it evaluates `(… AS ?name)`, where
            # ?name must still be unbound: the query would not parse
            raise QueryError(
                f"?{name} is computed by the query (… AS ?{name}) and cannot be bound"
                + ("; use --min-confidence" if name == "confidence" else "")
            )
    names = " ".join(f"?{name}" for name in params)
    terms = " ".join(str(_term(value)) for value in params.values())
    return f"{query_text.rstrip()}\nVALUES ({names}) {{ ({terms}) }}\n"


def projected_variables(query_text: str) -> set[str] | None:
    """The variables a SELECT query returns, read off its text (None for `SELECT *` or a query
    that is not a SELECT): those at the top level of the SELECT clause and `(… AS ?x)` ones."""
    from kg.sparql_text import bare

    code = bare(query_text)
    match = re.search(r"\bSELECT\b(.*?)(?:\bWHERE\b|\{|\bFROM\b)", code, re.I | re.S)
    if match is None or re.match(r"\s*(?:DISTINCT|REDUCED)?\s*\*", match.group(1), re.I):
        return None
    clause, names, depth = match.group(1), set(), 0
    for token in re.finditer(r"\(|\)|\bAS\s+[?$](\w+)|[?$](\w+)", clause, re.I):
        if token.group() == "(":
            depth += 1
        elif token.group() == ")":
            depth -= 1
        elif token.group(1):
            names.add(token.group(1))
        elif depth == 0:
            names.add(token.group(2))
    return names


def prepare(query_text: str, params: dict[str, str]) -> tuple[str, dict[str, ox.Literal]]:
    """The query text to run and the filters to apply to its rows. A parameter naming a
    variable the query returns filters the rows (a row whose OPTIONAL left the variable
    unbound is dropped, where a VALUES clause would join with it and show the value); any
    other parameter is bound with a trailing VALUES clause (see `bind`)."""
    from kg.sparql_text import bare

    projected = projected_variables(query_text)
    code = bare(query_text)
    filters, bound = {}, {}
    for name, value in params.items():
        computed = re.search(rf"\bAS\s+[?$]{re.escape(name)}\b", code, re.I)
        returned = projected is None or name in projected
        if _VARIABLE.match(name) and returned and not computed:
            if not re.search(rf"[?$]{name}\b", code):
                raise QueryError(f"the query has no variable ?{name} to bind")
            filters[name] = _term(value)
        else:
            bound[name] = value
    return bind(query_text, bound), filters


def keep_matching(rows: list[dict], filters: dict[str, ox.Literal]) -> list[dict]:
    """The rows whose values equal the filters' terms (as SPARQL's sameTerm)."""
    if not filters:
        return rows
    return [row for row in rows if all(row.get(k) == term for k, term in filters.items())]


def run(
    store: ox.Store, query_text: str, params: dict[str, str] | None = None, *, values: bool = False
) -> tuple[list[str], list[dict[str, Any]]]:
    """Variables and rows of a SELECT query; `params` bind variables to RDF terms. Rows hold
    pyoxigraph terms, or with `values` their lexical values (made in the same pass: on a
    large result the second pass cost a fifth of the query)."""
    text, filters = prepare(query_text, params or {})
    try:
        solutions = store.query(text)
    except SyntaxError as exc:
        raise QueryError(f"query does not parse: {exc}") from exc
    except (RuntimeError, ValueError) as exc:  # e.g. a --param naming no projected variable
        raise QueryError(f"query cannot run: {exc}") from exc
    if not isinstance(solutions, ox.QuerySolutions):
        raise QueryError("only SELECT queries can be printed as rows")
    variables = [v.value for v in solutions.variables]
    # a solution iterates its values in the order of `variables`, faster than by name
    if values and not filters:
        return variables, [
            {
                name: term.value
                for name, term in zip(variables, solution, strict=False)
                if term is not None
            }
            for solution in solutions
        ]
    rows = [
        {name: value for name, value in zip(variables, solution, strict=False) if value is not None}
        for solution in solutions
    ]
    rows = keep_matching(rows, filters)
    if values:
        return variables, [{k: v.value for k, v in row.items()} for row in rows]
    return variables, rows


def filter_confidence(rows: list[dict], minimum: float | None) -> list[dict]:
    if minimum is None:
        return rows
    kept = []
    for row in rows:
        value = row.get("confidence")
        try:
            if value is None or Decimal(value.value) >= Decimal(str(minimum)):
                kept.append(row)
        except InvalidOperation:
            kept.append(row)
    return kept


def _json_term(term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def format_rows(variables: list[str], rows: list[dict], fmt: str) -> str:
    """SPARQL 1.1 Query Results JSON, CSV, TSV, or an aligned text table."""
    if fmt == "json":
        bindings = [{k: _json_term(v) for k, v in row.items()} for row in rows]
        payload = {"head": {"vars": variables}, "results": {"bindings": bindings}}
        return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    plain = [[row[v].value if v in row else "" for v in variables] for row in rows]
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(plain)
        return buffer.getvalue()
    if fmt != "table":
        raise QueryError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    cells = [
        [c.replace("\n", " ") if len(c) <= 60 else c[:57].replace("\n", " ") + "..." for c in r]
        for r in plain
    ]
    widths = [max([len(v), *(len(r[i]) for r in cells)]) for i, v in enumerate(variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def query(
    graph: str | Path | ox.Store | Graph, name: str, /, **params: str
) -> list[dict[str, str]]:
    """Rows of a canned query (or .rq file) as plain dicts — for notebooks and scripts.
    `graph` is a graph file, a pyoxigraph Store, an rdflib Graph or the URL (http:// or
    https://) of a SPARQL 1.1 endpoint, queried with credentials from KG_SPARQL_* if set.
    `graph` and `name` are positional-only, so `name=` and `graph=` bind query variables
    (?name is a variable of several canned queries)."""
    if isinstance(graph, str) and graph.startswith(("http://", "https://")):
        from kg.endpoint import Credentials, remote_select

        _, rows = remote_select(graph, load_query(name), params, Credentials.resolve())
        return [{k: v.value for k, v in row.items()} for row in rows]
    if isinstance(graph, ox.Store):
        store = graph
    elif isinstance(graph, Graph):
        store = ox.Store()
        store.load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    else:
        store = open_graph(graph)
    return run(store, load_query(name), params, values=True)[1]
