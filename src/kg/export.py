"""`kg export`: the graph in other RDF formats. TriG and N-Quads put each source document's
facts in a named graph so a store can drop or replace one document's facts at once; JSON-LD
gets a compact context so people can read it. Every format is written in a fixed order, so the
same graph always gives the same bytes."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.namespaces import DEFAULT_BASE, KGO_IRI

FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld")
EXTENSIONS = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
}
# the prefixes of the JSON-LD context (and of TriG), in this order
CONTEXT_PREFIXES = {
    "kgo": KGO_IRI,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "org": "http://www.w3.org/ns/org#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_SOURCE = KGO_IRI + "source"
_SOURCE_DOCUMENT = KGO_IRI + "SourceDocument"


class ExportError(KgError):
    """The graph cannot be exported as asked."""


def format_for(path: Path, fmt: str | None) -> str:
    """The export format: `fmt` if given, else the one the output file's extension names."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise ExportError(f"cannot tell the format from {path.name!r}; give --format")
    return found


def _key(term: Any) -> str:
    return "" if isinstance(term, ox.DefaultGraph) else str(term)


def triples_of(store: ox.Store) -> list[ox.Triple]:
    """Every triple of the store, whatever graph holds it, once, in a fixed order: by subject,
    predicate and object as N-Triples writes them (one string per triple sorts as the three
    would, since the space after a term sorts before any character inside one)."""
    return sorted({quad.triple for quad in store}, key=str)


def partition(triples: list[ox.Triple]) -> list[ox.Quad]:
    """Quads in a fixed order: a subject with exactly one `kgo:source` (a statement, an
    evidence node, a meeting) goes with all its triples into the graph named by that source;
    entities, sources and anything else stay in the default graph."""
    sources: dict[Any, set[Any]] = {}
    for triple in triples:
        if triple.predicate.value == _SOURCE and isinstance(triple.object, ox.NamedNode):
            sources.setdefault(triple.subject, set()).add(triple.object)
    quads = []
    for triple in triples:
        found = sources.get(triple.subject, ())
        graph = next(iter(found)) if len(found) == 1 else ox.DefaultGraph()
        quads.append(ox.Quad(triple.subject, triple.predicate, triple.object, graph))
    quads.sort(key=lambda q: (_key(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))
    return quads


def detect_base(triples: list[ox.Triple]) -> str:
    """The base IRI the graph was built with, from its source documents' IRIs
    (`{base}source/…`); the default base if there are none."""
    for triple in triples:
        if triple.predicate.value == _RDF_TYPE and triple.object.value == _SOURCE_DOCUMENT:
            iri = triple.subject.value
            if "/source/" in iri:
                return iri[: iri.rindex("/source/") + 1]
    return DEFAULT_BASE


def _turtle(triples: list[ox.Triple]) -> bytes:
    """Turtle of the sorted triples, one block per subject, so the same triples always export
    to the same file, whichever file or store they come from. pyoxigraph writes it (rdflib's
    writer, which did before, took 20 s for 341k triples)."""
    from kg.namespaces import PREFIXES

    prefixes = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
    return _sorted_prefixes(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes))


# --- JSON-LD ----------------------------------------------------------------------------------


class _Compactor:
    """Writes IRIs as `prefix:name` or relative to the base, checking that each short form
    expands back to the same IRI."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.prefixes = sorted(CONTEXT_PREFIXES.items(), key=lambda kv: -len(kv[1]))

    def term(self, iri: str) -> str:
        """A property or class: a compact IRI where a prefix fits."""
        for prefix, namespace in self.prefixes:
            rest = iri[len(namespace) :]
            if iri.startswith(namespace) and rest and not rest.startswith("//"):
                return f"{prefix}:{rest}"
        return iri

    def node(self, iri: str) -> str:
        """A node's @id: relative to the base where that is unambiguous, else a term."""
        rest = iri[len(self.base) :]
        if iri.startswith(self.base) and rest and rest[0] not in "/?#.":
            first = rest.split("/", 1)[0]
            if ":" not in first and urllib.parse.urljoin(self.base, rest) == iri:
                return rest
        compact = self.term(iri)
        return compact if compact != iri else iri


def _jsonld_value(term: Any, compactor: _Compactor) -> Any:
    if isinstance(term, ox.NamedNode):
        return {"@id": compactor.node(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == _XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": compactor.term(term.datatype.value)}
    raise ExportError(f"JSON-LD export does not handle the term {term}")


def _jsonld(triples: list[ox.Triple], base: str) -> bytes:
    """A flat JSON-LD document: one node object per subject, sorted, with a context of the
    usual prefixes and @base, so IRIs read as `kgo:Oversight` or `person/pham-minh-chinh`."""
    compactor = _Compactor(base)
    nodes: dict[str, dict[str, Any]] = {}
    for triple in triples:
        subject = triple.subject
        key = f"_:{subject.value}" if isinstance(subject, ox.BlankNode) else subject.value
        node = nodes.setdefault(
            key,
            {"@id": key if isinstance(subject, ox.BlankNode) else compactor.node(subject.value)},
        )
        if triple.predicate.value == _RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(compactor.term(triple.object.value))
        else:
            prop = compactor.term(triple.predicate.value)
            node.setdefault(prop, []).append(_jsonld_value(triple.object, compactor))
    graph = []
    for key in sorted(nodes):
        node = nodes[key]
        for prop, values in node.items():
            if isinstance(values, list):
                values.sort(key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
                node[prop] = values[0] if len(values) == 1 else values
        graph.append(_sorted_node(node))
    context: dict[str, str] = {"@base": base, **CONTEXT_PREFIXES}
    document = {"@context": context, "@graph": graph}
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return (text + "\n").encode("utf-8")


def _sorted_node(node: dict[str, Any]) -> dict[str, Any]:
    head = {k: node[k] for k in ("@id", "@type") if k in node}
    return head | {k: node[k] for k in sorted(node) if k not in head}


def _sorted_prefixes(data: bytes) -> bytes:
    """The @prefix lines pyoxigraph writes first, in name order: its own order is not promised."""
    lines = data.split(b"\n")
    count = next((i for i, line in enumerate(lines) if not line.startswith(b"@prefix ")), 0)
    return b"\n".join(sorted(lines[:count]) + lines[count:])


def export_store(store: ox.Store, fmt: str, base: str | None = None) -> bytes:
    """The store's triples in `fmt`; see the module docstring for what goes where."""
    return export_triples(triples_of(store), fmt, base)


def export_triples(triples: list[ox.Triple], fmt: str, base: str | None = None) -> bytes:
    """`triples` (as `triples_of` orders them) in `fmt`."""
    if fmt == "turtle":
        return _turtle(triples)
    if fmt == "ntriples":
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    if fmt in ("nquads", "trig"):
        quads = partition(triples)
        if fmt == "nquads":
            return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        return _sorted_prefixes(
            ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=CONTEXT_PREFIXES)
        )
    if fmt == "jsonld":
        return _jsonld(triples, base or detect_base(triples))
    raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def export_file(
    graph: str | Path, output: str | Path, fmt: str | None = None, base: str | None = None
) -> int:
    """Export a graph file to `output` (written atomically); returns the number of triples."""
    from kg.build import write_atomically
    from kg.sparql import open_graph

    output = Path(output)
    chosen = format_for(output, fmt)
    triples = triples_of(open_graph(graph))
    write_atomically(output, export_triples(triples, chosen, base))
    return len(triples)
