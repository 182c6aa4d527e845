"""Views of the graph for people to look at: who oversees and who leads which province, which
sources tasked which agencies, which sources cite which official documents and who issued them.

Each view is read from the RDF graph with SPARQL (pyoxigraph) into a networkx MultiDiGraph whose
nodes and edges carry the documents, dates and evidence sentences behind them, so that every
line drawn can be traced back to the text that states it. `write` then renders the view as one
self-contained interactive HTML page, a static SVG/PNG drawing, or GraphML/GEXF for Gephi, yEd
and other tools. The drawing code lives in `kg.viz_html` and `kg.viz_draw`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import networkx as nx
import pyoxigraph as ox

from kg.errors import KgError

VIEWS = ("oversight", "agencies", "documents")
FORMATS = (".html", ".svg", ".png", ".graphml", ".gexf")
LIST_SEPARATOR = " | "  # how lists are flattened for GraphML/GEXF (no label or path has one)

_XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")

PREFIXES = """PREFIX kgo: <https://w3id.org/kgvn/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

# Every statement query binds ?on (a date) and ?only (a source path) through an inline VALUES
# block at #PARAMS (UNDEF when not given) and keeps a statement only when its source passes both.
# It comes right after the statement's own patterns, before any other OPTIONAL: required
# patterns after an OPTIONAL made pyoxigraph join in an order 20-40x slower on a large graph.
_SOURCE_FILTER = """
  ?src kgo:path ?path .
  OPTIONAL { ?src dcterms:date ?date }
  FILTER(!BOUND(?on) || (BOUND(?date) && ?date <= ?on))
  FILTER(!BOUND(?only) || ?path = ?only)
  OPTIONAL { ?st prov:wasDerivedFrom ?ev . ?ev kgo:quote ?quote ; kgo:start ?start ; kgo:end ?end }
"""
_STATEMENT_VARS = "?st ?path ?date ?confidence ?quote ?start ?end"

Q_OVERSIGHT = f"""{PREFIXES}
SELECT ?leader ?province {_STATEMENT_VARS} WHERE {{
  #PARAMS
  ?st a kgo:Oversight ; kgo:leader ?leader ; kgo:province ?province ; kgo:source ?src ;
      kgo:confidence ?confidence .
  {_SOURCE_FILTER}
}}"""

# A post held, and the province it leads: the post's organisation when it has kgo:province
# (a provincial Party committee or People's Committee), else — for named posts whose reference
# entry has no organisation yet, like "Bí thư Thành ủy Hà Nội" — a post label that ends with such
# a body and the province's name.
Q_POSTS = f"""{PREFIXES}
SELECT ?holder ?post ?postLabel ?org ?orgLabel ?province ?namedProvince {_STATEMENT_VARS} WHERE {{
  #PARAMS
  ?st a kgo:PostHolding ; kgo:holder ?holder ; kgo:post ?post ; kgo:source ?src ;
      kgo:confidence ?confidence .
  ?post rdfs:label ?postLabel . FILTER(lang(?postLabel) = "vi")
  {_SOURCE_FILTER}
  OPTIONAL {{
    ?post org:postIn ?org .
    OPTIONAL {{ ?org rdfs:label ?orgLabel . FILTER(lang(?orgLabel) = "vi") }}
    OPTIONAL {{ ?org kgo:province ?province }}
  }}
  OPTIONAL {{
    ?namedProvince a kgo:Province ; rdfs:label ?provinceName .
    FILTER(lang(?provinceName) = "vi")
    FILTER(STRENDS(LCASE(?postLabel), LCASE(?provinceName)) && REGEX(?postLabel, CONCAT(
      " (Thành ủy|Tỉnh ủy|Ủy ban nhân dân|UBND|Hội đồng nhân dân|HĐND)( tỉnh| thành phố)? ",
      ?provinceName, "$"), "i"))
  }}
}}"""

Q_HEADSHIPS = f"""{PREFIXES}
SELECT ?holder ?org ?orgLabel ?province {_STATEMENT_VARS} WHERE {{
  #PARAMS
  ?st a kgo:Headship ; kgo:holder ?holder ; kgo:organization ?org ; kgo:source ?src ;
      kgo:confidence ?confidence .
  ?org kgo:province ?province .
  {_SOURCE_FILTER}
  OPTIONAL {{ ?org rdfs:label ?orgLabel . FILTER(lang(?orgLabel) = "vi") }}
}}"""

Q_STATUS = f"""{PREFIXES}
SELECT ?province ?status ?statusLabel {_STATEMENT_VARS} WHERE {{
  #PARAMS
  ?st a kgo:StatusAssessment ; kgo:province ?province ; kgo:status ?s ; kgo:source ?src ;
      kgo:confidence ?confidence .
  ?s kgo:statusCode ?status .
  {_SOURCE_FILTER}
  OPTIONAL {{ ?s skos:prefLabel ?statusLabel . FILTER(lang(?statusLabel) = "vi") }}
}}"""

Q_TASKS = f"""{PREFIXES}
SELECT ?agency ?task {_STATEMENT_VARS} WHERE {{
  #PARAMS
  ?st a kgo:TaskAssignment ; kgo:agency ?agency ; kgo:task ?task ; kgo:source ?src ;
      kgo:confidence ?confidence .
  {_SOURCE_FILTER}
}}"""

Q_CITATIONS = f"""{PREFIXES}
SELECT ?document ?type ?issuer ?issued ?signer {_STATEMENT_VARS} WHERE {{
  #PARAMS
  ?st a kgo:Citation ; kgo:document ?document ; kgo:source ?src ; kgo:confidence ?confidence .
  {_SOURCE_FILTER}
  OPTIONAL {{ ?st kgo:documentType ?type }}
  OPTIONAL {{ ?st kgo:issuer ?issuer }}
  OPTIONAL {{ ?st kgo:issued ?issued }}
  OPTIONAL {{ ?st kgo:signer ?signer }}
}}"""

Q_SOURCES = f"""{PREFIXES}
SELECT ?src ?path ?date ?title ?publisher WHERE {{
  ?src a kgo:SourceDocument ; kgo:path ?path .
  OPTIONAL {{ ?src dcterms:date ?date }}
  OPTIONAL {{ ?src dcterms:title ?title }}
  OPTIONAL {{ ?src dcterms:publisher ?publisher }}
}} ORDER BY ?path"""

# What a node shows about itself; #NODES is a VALUES block of the nodes' IRIs.
Q_DESCRIBE = f"""{PREFIXES}
SELECT ?x ?type ?label ?lang ?code ?region ?provinceKind ?orgKind ?orgProvince ?number
       ?path ?title ?date ?publisher WHERE {{
  #NODES
  OPTIONAL {{ ?x a ?type . FILTER(STRSTARTS(STR(?type), STR(kgo:))) }}
  OPTIONAL {{ ?x rdfs:label ?label . BIND(lang(?label) AS ?lang) }}
  OPTIONAL {{ ?x kgo:isoCode ?code }}
  OPTIONAL {{ ?x kgo:region ?region }}
  OPTIONAL {{ ?x kgo:provinceKind ?provinceKind }}
  OPTIONAL {{ ?x kgo:orgKind ?orgKind }}
  OPTIONAL {{ ?x kgo:province ?orgProvince }}
  OPTIONAL {{ ?x kgo:documentNumber ?number }}
  OPTIONAL {{ ?x kgo:path ?path }}
  OPTIONAL {{ ?x dcterms:title ?title }}
  OPTIONAL {{ ?x dcterms:date ?date }}
  OPTIONAL {{ ?x dcterms:publisher ?publisher }}
}}"""

_KIND_OF_TYPE = {
    "Person": "person",
    "Province": "province",
    "Organization": "organization",
    "Post": "post",
    "OfficialDocument": "document",
    "SourceDocument": "source",
}


class VizError(KgError):
    """A view cannot be made or written: unknown view, output format or source document."""


# --- reading the graph ---------------------------------------------------------------------


def open_store(graph: Any) -> ox.Store:
    """A pyoxigraph Store for a graph file path, a Store, or an rdflib Graph."""
    if isinstance(graph, ox.Store):
        return graph
    if isinstance(graph, (str, os.PathLike)):
        from kg.sparql import open_graph

        return open_graph(graph)
    serialize = getattr(graph, "serialize", None)
    if serialize is None:
        raise VizError(f"cannot read a graph from {type(graph).__name__}")
    store = ox.Store()
    store.load(serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return store


def _values(names: list[str], terms: list[ox.NamedNode | ox.Literal | None]) -> str:
    """An inline VALUES block; terms are serialised by pyoxigraph so no value can change the
    query's shape."""
    cells = " ".join("UNDEF" if t is None else str(t) for t in terms)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({cells}) }}"


def _select(store: ox.Store, text: str, replacements: dict[str, str]) -> list[dict[str, Any]]:
    for marker, block in replacements.items():
        text = text.replace(marker, block)
    try:
        solutions = store.query(text)
    except (SyntaxError, RuntimeError, ValueError) as exc:  # a bug here, not the user's input
        raise VizError(f"view query failed: {exc}") from exc
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row: dict[str, Any] = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = term.value
        rows.append(row)
    return rows


@dataclass
class Statement:
    """One kgo:Statement with its source, the source's date and its evidence quotes."""

    iri: str
    source: str
    date: str
    confidence: float
    spans: dict[tuple[int, int], str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    def evidence(self) -> list[str]:
        """Quotes in text order, without spans that lie inside another span of the statement
        (the cue phrase inside its sentence)."""
        spans = sorted(self.spans, key=lambda s: (s[0], -s[1]))
        kept = [
            s
            for s in spans
            if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in self.spans)
        ]
        return [self.spans[s] for s in kept]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "date": self.date,
            "confidence": self.confidence,
            "evidence": self.evidence(),
            **self.extra,
        }


def _statements(rows: Iterable[dict[str, Any]], *extra: str) -> dict[str, tuple[dict, Statement]]:
    """Rows (one per statement and evidence) grouped by statement: the first row (for the
    statement's own variables) and a Statement."""
    grouped: dict[str, tuple[dict, Statement]] = {}
    for row in rows:
        if row["st"] not in grouped:
            stmt = Statement(
                iri=row["st"],
                source=row["path"],
                date=row.get("date", ""),
                confidence=float(row.get("confidence", 0) or 0),
                extra={k: row[k] for k in extra if k in row},
            )
            grouped[row["st"]] = (row, stmt)
        stmt = grouped[row["st"]][1]
        if "quote" in row:
            stmt.spans[(int(row["start"]), int(row["end"]))] = row["quote"]
    return grouped


def source_paths(store: ox.Store) -> list[str]:
    return [row["path"] for row in _select(store, Q_SOURCES, {})]


def resolve_source(store: ox.Store, source: str | os.PathLike | None) -> str | None:
    """The kgo:path of the source document the user named: its path in the corpus, or a path
    to the file that ends with it (`../corpus/000.txt`), or its file name if that is unique."""
    if source is None:
        return None
    wanted = PurePosixPath(str(source).replace(os.sep, "/"))
    known = source_paths(store)
    if str(wanted) in known:
        return str(wanted)
    ending = [
        p for p in known if wanted.parts[-len(PurePosixPath(p).parts) :] == PurePosixPath(p).parts
    ]
    if len(ending) == 1:
        return ending[0]
    by_name = [p for p in known if PurePosixPath(p).name == wanted.name]
    if len(by_name) == 1:
        return by_name[0]
    listing = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
    raise VizError(f"no source document {str(source)!r} in the graph; its sources: {listing}")


def parse_date(on: str | dt.date | None) -> dt.date | None:
    if on is None or isinstance(on, dt.date):
        return on.date() if isinstance(on, dt.datetime) else on
    try:
        return dt.date.fromisoformat(str(on))
    except ValueError as exc:
        raise VizError(f"{on!r} is not a date (use YYYY-MM-DD)") from exc


class _Query:
    """Runs the view queries with the date and source bound."""

    def __init__(self, store: ox.Store, on: dt.date | None, source: str | None) -> None:
        self.store = store
        self.on = on
        self.source = source

    def rows(self, text: str, *, dated: bool = True) -> list[dict[str, Any]]:
        """`dated=False` ignores the --on date (for facts that are not a state as of a date)."""
        on = ox.Literal(self.on.isoformat(), datatype=_XSD_DATE) if dated and self.on else None
        only = ox.Literal(self.source) if self.source else None
        return _select(self.store, text, {"#PARAMS": _values(["on", "only"], [on, only])})

    def describe(self, iris: Iterable[str]) -> dict[str, dict[str, Any]]:
        iris = sorted(set(iris))
        if not iris:
            return {}
        block = "VALUES ?x { " + " ".join(str(ox.NamedNode(i)) for i in iris) + " }"
        out: dict[str, dict[str, Any]] = {i: {} for i in iris}
        for row in _select(self.store, Q_DESCRIBE, {"#NODES": block}):
            info = out[row["x"]]
            kind = _KIND_OF_TYPE.get(row.get("type", "").rsplit("#", 1)[-1])
            if kind:
                info.setdefault("kind", kind)
            if "label" in row:  # prefer the Vietnamese label, then an untagged one
                rank = {"vi": 0, "": 1}.get(row.get("lang", ""), 2)
                if rank < info.get("_label_rank", 9):
                    info["label"], info["_label_rank"] = row["label"], rank
            for key in ("code", "region", "provinceKind", "orgKind", "orgProvince", "number"):
                if key in row:
                    info.setdefault(key, row[key])
            for key in ("path", "title", "date", "publisher"):
                if key in row:
                    info.setdefault(key, row[key])
        for info in out.values():
            info.pop("_label_rank", None)
        return out


# --- building the views --------------------------------------------------------------------


def _statement_order(stmt: Statement) -> tuple[str, str, str]:
    return (stmt.date or "9999", stmt.source, stmt.iri)


def _edge_attributes(statements: list[Statement], **lists: list[str]) -> dict[str, Any]:
    """What an edge says about the statements behind it: sources, dates, evidence, and the
    statements themselves (for the HTML side panel)."""
    statements = sorted(statements, key=_statement_order)
    evidence: list[str] = []
    for stmt in statements:
        evidence += [q for q in stmt.evidence() if q not in evidence]
    attrs: dict[str, Any] = {
        "sources": _unique(s.source for s in statements),
        "dates": sorted({s.date for s in statements if s.date}),
        "evidence": evidence,
        "confidence": max(s.confidence for s in statements),
        "n_statements": len(statements),
        "statements": [s.as_dict() for s in statements],
    }
    for key, values in lists.items():
        attrs[key] = _unique(values)
    return attrs


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _add_nodes(g: nx.MultiDiGraph, query: _Query, iris: Iterable[str]) -> None:
    """Nodes with what the graph says of them, in a stable order."""
    described = query.describe(iris)
    for iri in sorted(described, key=lambda i: (described[i].get("label", ""), i)):
        info = described[iri]
        kind = info.get("kind", "entity")
        attrs: dict[str, Any] = {"kind": kind, "iri": iri}
        if kind == "province":
            attrs.update(
                label=info.get("label", iri),
                iso_code=info.get("code", ""),
                region=info.get("region", ""),
                province_kind=info.get("provinceKind", ""),
            )
        elif kind == "source":
            path = info.get("path", iri)
            attrs.update(
                label=_short(info.get("title") or path),
                path=path,
                title=info.get("title", ""),
                date=info.get("date", ""),
                publisher=info.get("publisher", ""),
            )
        elif kind == "document":
            attrs.update(label=info.get("number") or info.get("label", iri))
        else:
            attrs["label"] = info.get("label", iri.rsplit("/", 1)[-1])
            if "orgKind" in info:
                attrs["org_kind"] = info["orgKind"]
        g.add_node(iri, **attrs)


def _oversight(query: _Query, g: nx.MultiDiGraph) -> None:
    edges: dict[tuple[str, str, str], list[Statement]] = {}
    lists: dict[tuple[str, str, str], dict[str, list[str]]] = {}
    for row, stmt in _statements(query.rows(Q_OVERSIGHT, dated=False)).values():
        edges.setdefault((row["leader"], row["province"], "oversight"), []).append(stmt)

    posts: dict[str, list[Statement]] = {}
    for row, stmt in _statements(query.rows(Q_POSTS), "postLabel").values():
        stmt.extra["post"] = stmt.extra.pop("postLabel")
        posts.setdefault(row["holder"], []).append(stmt)
        province = row.get("province") or row.get("namedProvince")
        if province:
            key = (row["holder"], province, "leads")
            edges.setdefault(key, []).append(stmt)
            lists.setdefault(key, {}).setdefault("posts", []).append(stmt.extra["post"])
    for row, stmt in _statements(query.rows(Q_HEADSHIPS), "orgLabel").values():
        stmt.extra["heads"] = stmt.extra.pop("orgLabel", row["org"])
        key = (row["holder"], row["province"], "leads")
        edges.setdefault(key, []).append(stmt)
        lists.setdefault(key, {}).setdefault("organizations", []).append(stmt.extra["heads"])

    people = {k[0] for k in edges}
    provinces = {k[1] for k in edges}
    _add_nodes(g, query, people | provinces)
    for person in people:
        held = sorted(posts.get(person, []), key=_statement_order)
        g.nodes[person]["posts"] = _unique(s.extra["post"] for s in held)
        g.nodes[person]["statements"] = [s.as_dict() for s in held]

    statuses: dict[str, list[Statement]] = {}
    for row, stmt in _statements(query.rows(Q_STATUS), "status", "statusLabel").values():
        if row["province"] in provinces:
            statuses.setdefault(row["province"], []).append(stmt)
    for province in provinces:
        g.nodes[province].update(_status_attributes(statuses.get(province, [])))

    for u, v, key in sorted(
        edges, key=lambda k: (g.nodes[k[0]]["label"], g.nodes[k[1]]["label"], k[2])
    ):
        label = "oversees" if key == "oversight" else "leads"
        g.add_edge(
            u,
            v,
            key=key,
            kind=key,
            label=label,
            **_edge_attributes(edges[(u, v, key)], **lists.get((u, v, key), {})),
        )


def _status_attributes(statements: list[Statement]) -> dict[str, Any]:
    """The latest status by source date (undated sources count as oldest); statuses stated on
    that same date are all kept."""
    if not statements:
        return {
            "status": "",
            "status_label": "",
            "status_date": "",
            "status_sources": [],
            "status_evidence": [],
            "statements": [],
        }
    ordered = sorted(statements, key=lambda s: (s.date or "0000", s.source, s.iri))
    latest_date = ordered[-1].date
    latest = [s for s in ordered if s.date == latest_date]
    evidence: list[str] = []
    for stmt in latest:
        evidence += [q for q in stmt.evidence() if q not in evidence]
    return {
        "status": "|".join(sorted({s.extra.get("status", "") for s in latest})),
        "status_label": " / ".join(_unique(s.extra.get("statusLabel", "") for s in latest)),
        "status_date": latest_date,
        "status_sources": _unique(s.source for s in latest),
        "status_evidence": evidence,
        "statements": [s.as_dict() for s in ordered],
    }


def _agencies(query: _Query, g: nx.MultiDiGraph) -> None:
    sources = {r["path"]: r for r in _select(query.store, Q_SOURCES, {})}
    edges: dict[tuple[str, str], list[Statement]] = {}
    for row, stmt in _statements(query.rows(Q_TASKS), "task").values():
        edges.setdefault((_source_iri(sources, row["path"]), row["agency"]), []).append(stmt)
    _add_nodes(g, query, {u for u, _ in edges} | {v for _, v in edges})
    for u, v in sorted(edges, key=lambda k: (g.nodes[k[0]]["label"], g.nodes[k[1]]["label"])):
        stmts = edges[(u, v)]
        attrs = _edge_attributes(stmts, tasks=[s.extra["task"] for s in stmts])
        g.add_edge(u, v, key="tasked", kind="tasked", label="tasks", **attrs)


def _source_iri(sources: dict[str, dict], path: str) -> str:
    return sources[path]["src"]


def _documents(query: _Query, g: nx.MultiDiGraph) -> None:
    sources = {r["path"]: r for r in _select(query.store, Q_SOURCES, {})}
    edges: dict[tuple[str, str, str], list[Statement]] = {}
    per_document: dict[str, list[Statement]] = {}
    grouped = _statements(query.rows(Q_CITATIONS), "type", "issued", "issuer", "signer")
    for row, stmt in grouped.values():
        doc = row["document"]
        per_document.setdefault(doc, []).append(stmt)
        edges.setdefault((_source_iri(sources, row["path"]), doc, "cites"), []).append(stmt)
        if "issuer" in row:
            edges.setdefault((row["issuer"], doc, "issued"), []).append(stmt)
        if "signer" in row:
            edges.setdefault((row["signer"], doc, "signed"), []).append(stmt)
    _add_nodes(g, query, {k[0] for k in edges} | {k[1] for k in edges})
    for doc, stmts in per_document.items():
        g.nodes[doc]["types"] = _unique(s.extra.get("type", "") for s in stmts)
        g.nodes[doc]["issued"] = _unique(s.extra.get("issued", "") for s in stmts)
        g.nodes[doc]["cited_by"] = _unique(s.source for s in sorted(stmts, key=_statement_order))
    # statements name issuers and signers by IRI; the panel shows their labels instead
    for stmts in per_document.values():
        for stmt in stmts:
            for role in ("issuer", "signer"):
                if role in stmt.extra and stmt.extra[role] in g:
                    stmt.extra[role] = g.nodes[stmt.extra[role]]["label"]
    for u, v, key in sorted(
        edges, key=lambda k: (k[2], g.nodes[k[0]]["label"], g.nodes[k[1]]["label"])
    ):
        g.add_edge(u, v, key=key, kind=key, label=key, **_edge_attributes(edges[(u, v, key)]))


_BUILDERS = {"oversight": _oversight, "agencies": _agencies, "documents": _documents}
TITLES = {
    "oversight": "Who oversees and who leads which province",
    "agencies": "Which sources tasked which agencies",
    "documents": "Official documents: who issued them, which sources cite them",
}


def to_networkx(
    graph: Any,
    view: str = "oversight",
    on: str | dt.date | None = None,
    source: str | os.PathLike | None = None,
) -> nx.MultiDiGraph:
    """A view of a kg graph (a graph file, a pyoxigraph Store or an rdflib Graph) as a networkx
    MultiDiGraph. `on` (a date) keeps only posts, provincial leadership and epidemic status
    stated by sources dated on or before it (in the oversight view; in the other views every
    edge); `source` keeps only what one source document states."""
    if view not in _BUILDERS:
        raise VizError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    day = parse_date(on)
    store = open_store(graph)
    only = resolve_source(store, source)
    query = _Query(store, day, only)
    g = nx.MultiDiGraph(
        view=view,
        title=TITLES[view],
        on=day.isoformat() if day else "",
        source=only or "",
    )
    _BUILDERS[view](query, g)
    return g


# --- writing -------------------------------------------------------------------------------


def check_format(path: str | os.PathLike) -> str:
    """The output format named by the file's extension, or a VizError naming the known ones."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise VizError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return suffix


def flatten(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy whose attributes GraphML and GEXF can hold: lists of strings joined with
    LIST_SEPARATOR, structured statements as JSON, nothing empty left as None."""

    def flat(attrs: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in attrs.items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                if all(isinstance(v, str) for v in value):
                    value = LIST_SEPARATOR.join(value)
                else:
                    value = json.dumps(value, ensure_ascii=False)
            elif isinstance(value, dict):
                value = json.dumps(value, ensure_ascii=False)
            out[key] = value
        return out

    copy = nx.MultiDiGraph(**flat(g.graph))
    for node, attrs in g.nodes(data=True):
        copy.add_node(node, **flat(attrs))
    for u, v, key, attrs in g.edges(keys=True, data=True):
        copy.add_edge(u, v, key=key, **flat(attrs))
    return _consistent_types(copy)


def _consistent_types(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GraphML/GEXF declare one type per attribute name: make every node (edge) attribute that
    is missing on some element an empty string there when it is a string elsewhere."""
    for items in (
        [attrs for _, attrs in g.nodes(data=True)],
        [attrs for _, _, attrs in g.edges(data=True)],
    ):
        string_keys = sorted({k for attrs in items for k, v in attrs.items() if isinstance(v, str)})
        for attrs in items:  # in a fixed order: GraphML numbers its keys as it meets them
            for key in string_keys:
                attrs.setdefault(key, "")
    return g


def render(g: nx.MultiDiGraph, fmt: str) -> bytes:
    """The bytes of `g` in format `fmt` (an extension from FORMATS)."""
    if fmt == ".html":
        from kg.viz_html import render_html

        return render_html(g).encode("utf-8")
    if fmt in (".svg", ".png"):
        from kg.viz_draw import draw

        return draw(g, fmt[1:])
    buffer = io.BytesIO()
    if fmt == ".graphml":
        nx.write_graphml(flatten(g), buffer, encoding="utf-8", prettyprint=True)
    elif fmt == ".gexf":
        nx.write_gexf(flatten(g), buffer, encoding="utf-8", prettyprint=True)
    else:
        raise VizError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    return buffer.getvalue()


def write(g: nx.MultiDiGraph, path: str | os.PathLike) -> Path:
    """Write `g` in the format its extension names; atomically, so an earlier file is never
    left half-written."""
    fmt = check_format(path)
    data = render(g, fmt)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# --- how the views look (shared by the HTML page and the static drawing) --------------------

NODE_STYLES: dict[str, dict[str, str]] = {
    "person": {"color": "#1f4e79", "shape": "circle", "label": "person"},
    "province": {"color": "#9e9e9e", "shape": "square", "label": "province"},
    "organization": {"color": "#00796b", "shape": "diamond", "label": "agency / organisation"},
    "post": {"color": "#5e35b1", "shape": "diamond", "label": "post"},
    "source": {"color": "#6d4c41", "shape": "square", "label": "source document"},
    "document": {"color": "#ad1457", "shape": "triangle", "label": "official document"},
    "entity": {"color": "#757575", "shape": "circle", "label": "other"},
}
STATUS_STYLES: dict[str, dict[str, str]] = {
    "hotspot": {"color": "#d32f2f", "label": "hotspot (diễn biến phức tạp)"},
    "improving": {"color": "#f9a825", "label": "improving (chuyển biến tích cực)"},
    "on_track": {"color": "#7cb342", "label": "on track (theo lộ trình)"},
    "controlled": {"color": "#2e7d32", "label": "controlled (đã kiểm soát)"},
    "": {"color": "#9e9e9e", "label": "no status stated"},
}
EDGE_STYLES: dict[str, dict[str, Any]] = {
    "oversight": {
        "color": "#c62828",
        "dash": "solid",
        "width": 2.6,
        "label": "assigned to oversee (kgo:Oversight)",
    },
    "leads": {
        "color": "#1565c0",
        "dash": "dashed",
        "width": 2.0,
        "label": "leads the province (provincial post)",
    },
    "tasked": {
        "color": "#2e7d32",
        "dash": "solid",
        "width": 1.6,
        "label": "tasked the agency (kgo:TaskAssignment)",
    },
    "cites": {"color": "#616161", "dash": "solid", "width": 1.6, "label": "cites (kgo:Citation)"},
    "issued": {"color": "#6a1b9a", "dash": "dashed", "width": 1.6, "label": "issued"},
    "signed": {"color": "#ef6c00", "dash": "dotted", "width": 1.8, "label": "signed"},
}
# Which node kinds go in which column, left to right.
COLUMNS: dict[str, list[set[str]]] = {
    "oversight": [{"person"}, {"province", "organization", "entity"}],
    "agencies": [{"source"}, {"organization", "province", "post", "person", "entity"}],
    "documents": [{"source"}, {"document"}, {"organization", "post", "person", "entity"}],
}


def node_color(attrs: dict[str, Any]) -> str:
    """Provinces are coloured by their latest epidemic status, everything else by kind."""
    if attrs.get("kind") == "province" and "status" in attrs:
        first = str(attrs.get("status", "")).split("|")[0]
        return STATUS_STYLES.get(first, STATUS_STYLES[""])["color"]
    return NODE_STYLES.get(attrs.get("kind", ""), NODE_STYLES["entity"])["color"]


def column_layout(g: nx.MultiDiGraph) -> dict[str, tuple[int, int, int]]:
    """(column, row, rows in that column) for every node: the view's kinds left to right, each
    column ordered by the mean row of its neighbours (a few barycentre sweeps), so that edges
    between columns cross as little as they easily can."""
    columns = COLUMNS.get(g.graph.get("view", ""), [set()])
    members: list[list[str]] = [[] for _ in columns]
    for node, attrs in g.nodes(data=True):
        kind = attrs.get("kind", "entity")
        index = next((i for i, kinds in enumerate(columns) if kind in kinds), len(columns) - 1)
        members[index].append(node)
    members = [m for m in members if m] or [[]]
    for column in members:
        column.sort(key=lambda n: (g.nodes[n].get("label", ""), n))
    undirected = nx.Graph(g)
    for _ in range(4):
        for order in (range(1, len(members)), range(len(members) - 2, -1, -1)):
            for i in order:
                rank = {n: r / max(len(c), 1) for c in members for r, n in enumerate(c)}
                here = set(members[i])

                def barycentre(node: str, rank: dict = rank, here: set = here) -> float:
                    near = [rank[m] for m in undirected[node] if m not in here]
                    return sum(near) / len(near) if near else rank[node]

                members[i].sort(key=lambda n: (barycentre(n), g.nodes[n].get("label", ""), n))
    return {n: (c, r, len(col)) for c, col in enumerate(members) for r, n in enumerate(col)}
