"""The vocabularies kg writes. Terms are `DefinedNamespace` members, so a typo fails at import
time instead of silently minting a new IRI."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace
from rdflib.term import URIRef

KGO_IRI = "https://w3id.org/kgvn/ontology#"
DEFAULT_BASE = "https://w3id.org/kgvn/id/"


def check_base(base: str) -> str:
    """`base` when the graph's own IRIs can be made from it: an absolute IRI with no character
    an IRI may not hold. Checked once up front, so the per-document triples can be loaded
    without checking every IRI again, and a bad `--base` is one clear error."""
    import pyoxigraph as ox

    from kg.errors import OptionError

    try:
        ox.NamedNode(base)
    except ValueError as exc:
        raise OptionError(f"base IRI {base!r} is not an absolute IRI: {exc}") from None
    return base


def graph_base(base: str) -> str:
    """`base` as the graph's own IRIs begin: with a trailing "/" unless it ends in "/" or "#"."""
    return base if base.endswith(("/", "#")) else base + "/"


# Kinds of node a document mints for itself (the first part of their IRIs after the base):
# each IRI holds the document's path, or a digest of it, so no other document of a corpus
# states a triple about them.
DOCUMENT_SCOPED = ("source", "evidence", "statement", "meeting")


def document_scoped_lines(base: str) -> tuple[bytes, ...]:
    """How the N-Triples lines about nodes of `DOCUMENT_SCOPED` kinds begin: a build need not
    remember them to find the lines an earlier document stated."""
    start = "<" + graph_base(base)
    return tuple(f"{start}{kind}/".encode() for kind in DOCUMENT_SCOPED)


SCHEMA = Namespace("https://schema.org/")


class KGO(DefinedNamespace):
    """kg's own ontology (see ontology/kg.ttl)."""

    _NS = Namespace(KGO_IRI)
    _fail = True

    # entity classes
    Person: URIRef
    Organization: URIRef
    Province: URIRef
    Post: URIRef
    Role: URIRef
    OfficialDocument: URIRef
    SourceDocument: URIRef
    Evidence: URIRef
    Meeting: URIRef
    EpidemicStatus: URIRef
    # statement classes (each carries source and evidence)
    Statement: URIRef
    Mention: URIRef
    PostHolding: URIRef
    Headship: URIRef
    Oversight: URIRef
    Chairing: URIRef
    Attendance: URIRef
    TaskAssignment: URIRef
    Citation: URIRef
    StatusAssessment: URIRef
    # concept schemes
    principles: URIRef
    candidatePrinciples: URIRef
    epidemicStatuses: URIRef
    # status individuals
    hotspot: URIRef
    controlled: URIRef
    on_track: URIRef
    improving: URIRef
    # properties of entities
    isoCode: URIRef
    provinceKind: URIRef
    region: URIRef
    orgKind: URIRef
    abbreviation: URIRef
    province: URIRef
    documentNumber: URIRef
    statusCode: URIRef
    # properties of sources and evidence
    path: URIRef
    sha256: URIRef
    source: URIRef
    start: URIRef
    end: URIRef
    quote: URIRef
    page: URIRef
    extractedText: URIRef
    # properties of statements
    rule: URIRef
    confidence: URIRef
    mentions: URIRef
    surfaceForm: URIRef
    holder: URIRef
    post: URIRef
    organization: URIRef
    leader: URIRef
    meeting: URIRef
    chair: URIRef
    attendee: URIRef
    date: URIRef
    agency: URIRef
    task: URIRef
    document: URIRef
    documentType: URIRef
    issuer: URIRef
    signer: URIRef
    issued: URIRef
    status: URIRef


PREFIXES: dict[str, Namespace | str] = {
    "kgo": Namespace(KGO_IRI),
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "org": ORG,
    "prov": PROV,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "schema": SCHEMA,
}


class Terms:
    """A vocabulary's terms as plain attributes. A DefinedNamespace looks a term up on every
    access (about 1 µs), which the RDF stage, making millions of triples, cannot afford; an
    unknown term still fails, with AttributeError."""

    def __init__(self, namespace: type[DefinedNamespace]) -> None:
        names = {
            name
            for cls in namespace.__mro__
            for name in getattr(cls, "__annotations__", {})
            if not name.startswith("_")
        }
        for name in names:
            setattr(self, name, namespace[name])
        self._namespace = namespace

    def __getitem__(self, name: str) -> URIRef:
        return self._namespace[name]


__all__ = ["Terms", "KGO", "KGO_IRI", "DEFAULT_BASE", "SCHEMA", "PREFIXES"]
