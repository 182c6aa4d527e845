"""The ontology and the SHACL shapes: they parse, they agree with `kg.namespaces.KGO`, a small
valid graph conforms, and minimal breakages of it are reported with the shape's message."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from kg.namespaces import KGO, KGO_IRI

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "kg.ttl"
SHAPES = ROOT / "shapes" / "kg.shapes.ttl"

KGO_TERMS = {URIRef(KGO_IRI + name) for name in KGO.__annotations__}

DECLARATION_TYPES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    SKOS.ConceptScheme,
    KGO.EpidemicStatus,
}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


PREFIXES = """\
@prefix kgo:     <https://w3id.org/kgvn/ontology#> .
@prefix ex:      <https://w3id.org/kgvn/id/> .
@prefix rdfs:    <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix org:     <http://www.w3.org/ns/org#> .
@prefix prov:    <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""

# One of every kind of node; each negative case below is a small textual edit of this graph.
VALID = (
    PREFIXES
    + """
ex:source\\/hop-14-7 a kgo:SourceDocument ;
    kgo:path "demo/hop-14-7.txt" ;
    kgo:sha256 "3f2b0c1d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff0" ;
    dcterms:title "Họp với các tỉnh phía Nam" ;
    dcterms:date "2021-07-14"^^xsd:date ;
    dcterms:publisher "kg examples" ;
    dcterms:language "vi" .

ex:source\\/other a kgo:SourceDocument ;
    kgo:path "demo/other.txt" ;
    kgo:sha256 "0000000000000000000000000000000000000000000000000000000000000000" .

ex:evidence\\/hop-14-7\\/100-180 a kgo:Evidence ;
    kgo:source ex:source\\/hop-14-7 ;
    kgo:start 100 ;
    kgo:end 180 ;
    kgo:quote "Phó Thủ tướng Vũ Đức Đam trực tiếp chỉ đạo tại Thành phố Hồ Chí Minh" .

ex:person\\/vu-duc-dam a kgo:Person ;
    rdfs:label "Vũ Đức Đam"@vi .

ex:province\\/VN-SG a kgo:Province ;
    rdfs:label "Thành phố Hồ Chí Minh"@vi , "Ho Chi Minh City"@en ;
    kgo:isoCode "VN-SG" ;
    kgo:provinceKind "thành phố trực thuộc trung ương" ;
    kgo:region "Đông Nam Bộ" .

ex:org\\/chinh-phu a kgo:Organization ;
    rdfs:label "Chính phủ"@vi , "Government"@en ;
    kgo:orgKind "chính phủ" .

ex:org\\/bcd-quoc-gia a kgo:Organization ;
    rdfs:label "Ban Chỉ đạo Quốc gia phòng, chống dịch COVID-19"@vi ,
        "National Steering Committee for COVID-19 Prevention and Control"@en ;
    kgo:abbreviation "BCĐQG" ;
    org:subOrganizationOf ex:org\\/chinh-phu .

ex:role\\/pho-thu-tuong a kgo:Role ;
    rdfs:label "Phó Thủ tướng"@vi .

ex:post\\/pho-thu-tuong a kgo:Post ;
    rdfs:label "Phó Thủ tướng"@vi , "Deputy Prime Minister"@en ;
    org:role ex:role\\/pho-thu-tuong ;
    org:postIn ex:org\\/chinh-phu .

ex:document\\/16-ct-ttg a kgo:OfficialDocument ;
    rdfs:label "Chỉ thị số 16/CT-TTg"@vi ;
    kgo:documentNumber "16/CT-TTg" .

ex:principle\\/4-tai-cho a skos:Concept ;
    skos:prefLabel "4 tại chỗ"@vi , "four on-the-spot"@en ;
    skos:altLabel "bốn tại chỗ"@vi ;
    skos:inScheme kgo:principles .

ex:meeting\\/m1 a kgo:Meeting ;
    kgo:date "2021-07-14"^^xsd:date ;
    kgo:source ex:source\\/hop-14-7 .

ex:statement\\/holding a kgo:PostHolding ;
    kgo:holder ex:person\\/vu-duc-dam ;
    kgo:post ex:post\\/pho-thu-tuong ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_people:apposition" ;
    kgo:confidence 0.9 .

ex:statement\\/headship a kgo:Headship ;
    kgo:holder ex:person\\/vu-duc-dam ;
    kgo:organization ex:org\\/bcd-quoc-gia ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_relations:head" ;
    kgo:confidence 0.8 .

ex:statement\\/oversight a kgo:Oversight ;
    kgo:leader ex:person\\/vu-duc-dam ;
    kgo:province ex:province\\/VN-SG ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_relations:oversight" ;
    kgo:confidence 0.85 .

ex:statement\\/mention a kgo:Mention ;
    kgo:mentions ex:person\\/vu-duc-dam ;
    kgo:surfaceForm "Vũ Đức Đam" ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_gazetteer:exact" ;
    kgo:confidence 1.0 .

ex:statement\\/chairing a kgo:Chairing ;
    kgo:chair ex:person\\/vu-duc-dam ;
    kgo:meeting ex:meeting\\/m1 ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_relations:chair" ;
    kgo:confidence 0.7 .

ex:statement\\/attendance a kgo:Attendance ;
    kgo:attendee ex:person\\/vu-duc-dam ;
    kgo:meeting ex:meeting\\/m1 ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_relations:attend" ;
    kgo:confidence 0.7 .

ex:statement\\/task a kgo:TaskAssignment ;
    kgo:agency ex:province\\/VN-SG ;
    kgo:task "thực hiện giãn cách xã hội" ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_relations:task" ;
    kgo:confidence 0.6 .

ex:statement\\/citation a kgo:Citation ;
    kgo:document ex:document\\/16-ct-ttg ;
    kgo:documentType "Chỉ thị"@vi ;
    kgo:issuer ex:post\\/pho-thu-tuong ;
    kgo:issued "2020-03-31"^^xsd:date ;
    kgo:signer ex:person\\/vu-duc-dam ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_documents:citation" ;
    kgo:confidence 0.95 .

ex:statement\\/status a kgo:StatusAssessment ;
    kgo:province ex:province\\/VN-SG ;
    kgo:status kgo:hotspot ;
    kgo:source ex:source\\/hop-14-7 ;
    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;
    kgo:rule "kg_relations:status" ;
    kgo:confidence 0.75 .
"""
)


def shacl(data: str, shapes: Graph) -> tuple[bool, Graph, str]:
    conforms, report_graph, report_text = validate(
        Graph().parse(data=data, format="turtle"), shacl_graph=shapes, inference="none"
    )
    return conforms, report_graph, report_text


def result_messages(report: Graph) -> set[str]:
    return {str(m) for m in report.objects(None, SH.resultMessage)}


def shape_messages(shapes: Graph) -> set[str]:
    return {str(m) for m in shapes.objects(None, SH.message)}


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES], ids=["ontology", "shapes"])
def test_parses_with_rdflib(path: Path) -> None:
    assert len(Graph().parse(path, format="turtle")) > 50


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES], ids=["ontology", "shapes"])
def test_parses_with_pyoxigraph(path: Path) -> None:
    with path.open("rb") as f:
        triples = list(pyoxigraph.parse(f, pyoxigraph.RdfFormat.TURTLE))
    assert len(triples) == len(Graph().parse(path, format="turtle"))


# --- ontology against kg.namespaces.KGO --------------------------------------------------------


def test_ontology_header(ontology: Graph) -> None:
    onto = URIRef("https://w3id.org/kgvn/ontology")
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(onto, OWL.versionInfo) == Literal("0.1.0")
    for p in ("title", "description", "license"):
        assert ontology.value(onto, URIRef("http://purl.org/dc/terms/" + p)) is not None, p


@pytest.mark.parametrize("term", sorted(KGO_TERMS), ids=lambda t: t.removeprefix(KGO_IRI))
def test_every_kgo_term_is_declared_with_labels(ontology: Graph, term: URIRef) -> None:
    types = set(ontology.objects(term, RDF.type))
    assert types & DECLARATION_TYPES, f"{term} is not declared"
    labels = set(ontology.objects(term, RDFS.label)) | set(ontology.objects(term, SKOS.prefLabel))
    comments = set(ontology.objects(term, RDFS.comment)) | set(
        ontology.objects(term, SKOS.definition)
    )
    for lang in ("vi", "en"):
        assert any(getattr(x, "language", None) == lang for x in labels), f"no @{lang} label"
        assert any(getattr(x, "language", None) == lang for x in comments), f"no @{lang} comment"


@pytest.mark.parametrize("path", [ONTOLOGY, SHAPES], ids=["ontology", "shapes"])
def test_every_kgo_iri_used_is_a_kgo_term(path: Path) -> None:
    graph = Graph().parse(path, format="turtle")
    used = {t for triple in graph for t in triple if isinstance(t, URIRef)}
    unknown = {t for t in used if t.startswith(KGO_IRI)} - KGO_TERMS
    assert not unknown, sorted(unknown)


def test_statuses_and_schemes(ontology: Graph) -> None:
    codes = {
        KGO.hotspot: "hotspot",
        KGO.controlled: "controlled",
        KGO.on_track: "on_track",
        KGO.improving: "improving",
    }
    for status, code in codes.items():
        assert (status, RDF.type, KGO.EpidemicStatus) in ontology
        assert (status, RDF.type, SKOS.Concept) in ontology
        assert (status, SKOS.inScheme, KGO.epidemicStatuses) in ontology
        assert ontology.value(status, KGO.statusCode) == Literal(code)
    for scheme in (KGO.principles, KGO.candidatePrinciples, KGO.epidemicStatuses):
        assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology


def test_graph_labels_statuses_as_the_ontology_does(ontology: Graph) -> None:
    """Regression: the graph wrote "Diễn biến phức tạp" where the ontology says "điểm nóng",
    so a graph loaded with its ontology had two Vietnamese prefLabels for one concept."""
    from kg.rdf import STATUS, STATUS_LABELS

    for code, node in STATUS.items():
        labels = {label.language: str(label) for label in ontology.objects(node, SKOS.prefLabel)}
        assert (labels["vi"], labels["en"]) == STATUS_LABELS[code]


def test_ontology_individuals_conform_to_shapes(ontology: Graph, shapes: Graph) -> None:
    conforms, _, text = validate(ontology, shacl_graph=shapes, inference="none")
    assert conforms, text


# --- shapes ----------------------------------------------------------------------------------


def test_every_property_shape_has_message_and_severity(shapes: Graph) -> None:
    property_shapes = set(shapes.subjects(SH.path, None))
    assert property_shapes
    for shape in property_shapes:
        assert shapes.value(shape, SH.message) is not None, shape
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning), shape


def test_no_sparql_constraints(shapes: Graph) -> None:
    assert not set(shapes.subjects(SH.sparql, None))


def test_every_statement_class_is_targeted(ontology: Graph, shapes: Graph) -> None:
    statement_classes = set(ontology.transitive_subjects(RDFS.subClassOf, KGO.Statement))
    targeted = set(shapes.objects(None, SH.targetClass))
    assert statement_classes - targeted == set()
    for cls in ontology.subjects(RDF.type, OWL.Class):
        assert cls in targeted, f"no shape targets {cls}"


def test_valid_graph_conforms(shapes: Graph) -> None:
    conforms, _, text = shacl(VALID, shapes)
    assert conforms, text


MISSING_EN = "No English rdfs:label (@en): add one to the reference data if it exists."

# (id, [(old, new), ...], message expected in the report)
NEGATIVE_CASES = [
    (
        "meeting-date-out-of-range",
        [('kgo:date "2021-07-14"^^xsd:date', 'kgo:date "2021-13-45"^^xsd:date')],
        'A meeting needs exactly one kgo:date, a valid xsd:date such as "2021-07-14".',
    ),
    (
        "citation-date-dd-mm-yyyy",
        [('kgo:issued "2020-03-31"^^xsd:date', 'kgo:issued "31/3/2020"^^xsd:date')],
        'A citation has at most one kgo:issued, a valid xsd:date such as "2021-07-01".',
    ),
    (
        "source-date-dd-mm-yyyy",
        [('dcterms:date "2021-07-14"^^xsd:date', 'dcterms:date "29/5/2021"^^xsd:date')],
        'A source document has at most one dcterms:date, a valid xsd:date such as "2021-07-20".',
    ),
    (
        "iso-code",
        [('kgo:isoCode "VN-SG"', 'kgo:isoCode "VN-999"')],
        'A province needs exactly one kgo:isoCode, an ISO 3166-2 code such as "VN-SG" or "VN-44".',
    ),
    (
        "statement-without-evidence",
        [
            (
                'kgo:surfaceForm "Vũ Đức Đam" ;\n    kgo:source ex:source\\/hop-14-7 ;\n'
                "    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;",
                'kgo:surfaceForm "Vũ Đức Đam" ;\n    kgo:source ex:source\\/hop-14-7 ;',
            )
        ],
        "A statement needs at least one prov:wasDerivedFrom, and each must be a kgo:Evidence.",
    ),
    (
        "statement-derived-from-non-evidence",
        [
            (
                "kgo:leader ex:person\\/vu-duc-dam ;\n    kgo:province ex:province\\/VN-SG ;\n"
                "    kgo:source ex:source\\/hop-14-7 ;\n"
                "    prov:wasDerivedFrom ex:evidence\\/hop-14-7\\/100-180 ;",
                "kgo:leader ex:person\\/vu-duc-dam ;\n    kgo:province ex:province\\/VN-SG ;\n"
                "    kgo:source ex:source\\/hop-14-7 ;\n"
                "    prov:wasDerivedFrom ex:source\\/hop-14-7 ;",
            )
        ],
        "A statement needs at least one prov:wasDerivedFrom, and each must be a kgo:Evidence.",
    ),
    (
        "statement-evidence-from-other-source",
        [
            (
                "kgo:chair ex:person\\/vu-duc-dam ;\n    kgo:meeting ex:meeting\\/m1 ;\n"
                "    kgo:source ex:source\\/hop-14-7 ;",
                "kgo:chair ex:person\\/vu-duc-dam ;\n    kgo:meeting ex:meeting\\/m1 ;\n"
                "    kgo:source ex:source\\/other ;",
            )
        ],
        "A statement's evidence must come from the statement's own kgo:source.",
    ),
    (
        "statement-two-sources",
        [
            (
                'kgo:task "thực hiện giãn cách xã hội" ;\n',
                'kgo:task "thực hiện giãn cách xã hội" ;\n    kgo:source ex:source\\/other ;\n',
            )
        ],
        "A statement needs exactly one kgo:source, a kgo:SourceDocument.",
    ),
    (
        "evidence-end-equals-start",
        [("kgo:end 180 ;", "kgo:end 100 ;")],
        "Evidence kgo:start must be less than kgo:end.",
    ),
    (
        "evidence-end-before-start",
        [("kgo:end 180 ;", "kgo:end 20 ;")],
        "Evidence kgo:start must be less than kgo:end.",
    ),
    (
        "evidence-negative-start",
        [("kgo:start 100 ;", "kgo:start -1 ;")],
        "Evidence needs exactly one kgo:start, an xsd:integer >= 0.",
    ),
    (
        "oversight-province-is-person",
        [
            (
                "kgo:leader ex:person\\/vu-duc-dam ;\n    kgo:province ex:province\\/VN-SG ;",
                "kgo:leader ex:person\\/vu-duc-dam ;\n    kgo:province ex:person\\/vu-duc-dam ;",
            )
        ],
        "An oversight needs exactly one kgo:province, a kgo:Province.",
    ),
    (
        "person-without-vi-label",
        [('rdfs:label "Vũ Đức Đam"@vi .', 'rdfs:label "Vu Duc Dam"@en .')],
        "Needs exactly one Vietnamese rdfs:label (@vi).",
    ),
    (
        "person-label-untagged",
        [('rdfs:label "Vũ Đức Đam"@vi .', 'rdfs:label "Vũ Đức Đam"@vi , "Vũ Đức Đam" .')],
        "Every rdfs:label must be a language-tagged string in Vietnamese (@vi) or English (@en),"
        " with at most one label per language.",
    ),
    (
        "confidence-above-one",
        [("kgo:confidence 0.9 .", "kgo:confidence 1.5 .")],
        "A statement needs exactly one kgo:confidence, an xsd:decimal between 0 and 1.",
    ),
    (
        "confidence-not-decimal",
        [("kgo:confidence 0.9 .", 'kgo:confidence "high" .')],
        "A statement needs exactly one kgo:confidence, an xsd:decimal between 0 and 1.",
    ),
    (
        "post-holder-is-province",
        [
            (
                "kgo:holder ex:person\\/vu-duc-dam ;\n    kgo:post",
                "kgo:holder ex:province\\/VN-SG ;\n    kgo:post",
            )
        ],
        "A post holding needs exactly one kgo:holder, a kgo:Person.",
    ),
    (
        "mention-of-evidence",
        [
            (
                "kgo:mentions ex:person\\/vu-duc-dam ;",
                "kgo:mentions ex:evidence\\/hop-14-7\\/100-180 ;",
            )
        ],
        "A mention needs exactly one kgo:mentions, a kgo:Person, kgo:Organization, kgo:Province,"
        " kgo:OfficialDocument or skos:Concept.",
    ),
    (
        "citation-issuer-is-document",
        [("kgo:issuer ex:post\\/pho-thu-tuong ;", "kgo:issuer ex:document\\/16-ct-ttg ;")],
        "A citation has at most one kgo:issuer, a kgo:Organization, kgo:Post or kgo:Person.",
    ),
    (
        "status-not-in-scheme",
        [("kgo:status kgo:hotspot ;", "kgo:status ex:bad ;")],
        "A status assessment needs exactly one kgo:status: kgo:hotspot, kgo:controlled,"
        " kgo:on_track or kgo:improving.",
    ),
    (
        "province-kind",
        [('kgo:provinceKind "thành phố trực thuộc trung ương"', 'kgo:provinceKind "city"')],
        'kgo:provinceKind must be "tỉnh" or "thành phố trực thuộc trung ương" (at most one).',
    ),
    (
        "post-without-role",
        [("org:role ex:role\\/pho-thu-tuong ;\n", "")],
        "A post needs exactly one org:role, a kgo:Role.",
    ),
    (
        "principle-without-scheme",
        [("skos:inScheme kgo:principles .", 'skos:definition "bốn tại chỗ"@vi .')],
        "A concept must be in kgo:principles, kgo:candidatePrinciples or kgo:epidemicStatuses"
        " (skos:inScheme).",
    ),
    (
        "sha256-not-hex",
        [('kgo:sha256 "0000', 'kgo:sha256 "XYZ0')],
        "A source document needs exactly one kgo:sha256, 64 lower-case hexadecimal digits.",
    ),
    (
        "absolute-path",
        [('kgo:path "demo/other.txt"', 'kgo:path "/demo/other.txt"')],
        "A source document needs exactly one kgo:path, relative to the corpus folder and separated"
        ' by "/".',
    ),
    (
        "province-without-en-label-warns",
        [('"Thành phố Hồ Chí Minh"@vi , "Ho Chi Minh City"@en', '"Thành phố Hồ Chí Minh"@vi')],
        MISSING_EN,
    ),
]


@pytest.mark.parametrize(
    ("edits", "message"),
    [pytest.param(edits, message, id=case_id) for case_id, edits, message in NEGATIVE_CASES],
)
def test_broken_graph_is_reported(
    shapes: Graph, edits: list[tuple[str, str]], message: str
) -> None:
    assert message in shape_messages(shapes), "expected message is not a shape's sh:message"
    data = VALID
    for old, new in edits:
        assert data.count(old) == 1, f"edit target not unique in VALID: {old!r}"
        data = data.replace(old, new)
    conforms, report, text = shacl(data, shapes)
    assert not conforms
    assert message in result_messages(report), text


def test_missing_en_label_is_only_a_warning(shapes: Graph) -> None:
    data = VALID.replace('"Thành phố Hồ Chí Minh"@vi , "Ho Chi Minh City"@en', '"TP HCM"@vi')
    conforms, report, text = validate(
        Graph().parse(data=data, format="turtle"),
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
    )
    assert conforms, text
    severities = set(report.objects(None, SH.resultSeverity))
    assert severities == {SH.Warning}
