"""The SHACL quality gate: every shape that can report has a small graph that breaks it (here
or in test_ontology_shapes.py) and is reported with its message; sliced validation finds exactly
what one whole-graph pySHACL run finds, in this process, in forked and in spawned workers; the
graphs kg builds conform; `kg validate` and `kg build` report, exit and keep files as documented."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SH, XSD
from test_ontology_shapes import NEGATIVE_CASES as ONTOLOGY_CASES
from test_ontology_shapes import VALID

from kg.build import build_graph
from kg.cli import main
from kg.namespaces import KGO
from kg.validate import (
    SEVERITY_RANK,
    compile_shapes,
    format_text,
    load_shapes,
    meta_check,
    plan_slices,
    slice_triples,
    validate_graph,
    validate_whole,
)

ROOT = Path(__file__).resolve().parents[1]
SHAPES_DIR = ROOT / "shapes"
EXAMPLES = ROOT / "examples" / "corpus"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "corpus" / "seeds"
EX = "https://w3id.org/kgvn/id/"
UNEXPECTED = "https://example.org/unexpected"

MISSING_EN = "No English rdfs:label (@en): add one to the reference data if it exists."


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


def make_runner() -> CliRunner:
    """A runner that keeps stderr apart from stdout (click < 8.2 needs mix_stderr=False)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def invoke(*args: str | Path) -> Result:
    return make_runner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def stderr_of(result: Result) -> str:
    try:
        return result.stderr
    except ValueError:
        return result.output


def keys(raw) -> set:  # noqa: ANN001
    return {r.key() for r in raw}


# --- negative cases --------------------------------------------------------------------------

# (id, [(old, new), ...], Turtle appended to VALID, message expected in the report). Each edits
# test_ontology_shapes.VALID; together with test_ontology_shapes.NEGATIVE_CASES they break every
# shape that can report (test_every_reporting_shape_has_a_negative_case).
CASES: list[tuple[str, list[tuple[str, str]], str, str]] = [
    (
        "org-two-kinds",
        [('kgo:orgKind "chính phủ" .', 'kgo:orgKind "chính phủ" , "government" .')],
        "",
        "An organization has at most one kgo:orgKind, a plain string.",
    ),
    (
        "org-empty-abbreviation",
        [('kgo:abbreviation "BCĐQG" ;', 'kgo:abbreviation "" ;')],
        "",
        "Every kgo:abbreviation must be a non-empty plain string.",
    ),
    (
        "org-part-of-a-province",
        [
            (
                "org:subOrganizationOf ex:org\\/chinh-phu .",
                "org:subOrganizationOf ex:province\\/VN-SG .",
            )
        ],
        "",
        "org:subOrganizationOf must point to a kgo:Organization.",
    ),
    (
        "org-province-is-a-person",
        [
            (
                'kgo:orgKind "chính phủ" .',
                'kgo:orgKind "chính phủ" ; kgo:province ex:person\\/vu-duc-dam .',
            )
        ],
        "",
        "An organization has at most one kgo:province, and it must be a kgo:Province.",
    ),
    (
        "province-region-tagged",
        [('kgo:region "Đông Nam Bộ" .', 'kgo:region "Đông Nam Bộ"@vi .')],
        "",
        "A province has at most one kgo:region, a plain string.",
    ),
    (
        "post-in-a-province",
        [("org:postIn ex:org\\/chinh-phu .", "org:postIn ex:province\\/VN-SG .")],
        "",
        "A post is in at most one organization (org:postIn), a kgo:Organization.",
    ),
    (
        "document-without-number",
        [('@vi ;\n    kgo:documentNumber "16/CT-TTg" .', "@vi .")],
        "",
        "An official document needs exactly one kgo:documentNumber, a non-empty plain string.",
    ),
    (
        "document-number-is-a-date",
        [('kgo:documentNumber "16/CT-TTg" .', 'kgo:documentNumber "31/3/2020" .')],
        "",
        'A document number must look like an official one: a number, then optionally the year and the type and issuer codes, as in "1099", "68/NQ-CP", "23/2021/QĐ-TTg", "4689/BYT-MT" or "07-KL/TW".',
    ),
    (
        "concept-two-vietnamese-preflabels",
        [('skos:prefLabel "4 tại chỗ"@vi ,', 'skos:prefLabel "4 tại chỗ"@vi , "bốn tại chỗ"@vi ,')],
        "",
        "Every skos:prefLabel must be a language-tagged string in @vi or @en, with at most one per language.",
    ),
    (
        "concept-without-vietnamese-preflabel",
        [
            (
                'skos:prefLabel "4 tại chỗ"@vi , "four on-the-spot"@en ;',
                'skos:prefLabel "four on-the-spot"@en ;',
            )
        ],
        "",
        "A concept needs exactly one Vietnamese skos:prefLabel (@vi).",
    ),
    (
        "concept-altlabel-untagged",
        [('skos:altLabel "bốn tại chỗ"@vi ;', 'skos:altLabel "bốn tại chỗ" ;')],
        "",
        "Every skos:altLabel must be a language-tagged string in Vietnamese (@vi) or English (@en).",
    ),
    (
        "concept-definition-untagged",
        [
            (
                'skos:altLabel "bốn tại chỗ"@vi ;',
                'skos:altLabel "bốn tại chỗ"@vi ; skos:definition "lực lượng tại chỗ" ;',
            )
        ],
        "",
        "A skos:definition must be a language-tagged string in Vietnamese (@vi) or English (@en), at most one per language.",
    ),
    (
        "concept-narrower-is-a-person",
        [
            (
                "skos:inScheme kgo:principles .",
                "skos:inScheme kgo:principles ; skos:narrower ex:person\\/vu-duc-dam .",
            )
        ],
        "",
        "skos:narrower must point to a skos:Concept.",
    ),
    (
        "reference-principle-without-english",
        [
            (
                'skos:prefLabel "4 tại chỗ"@vi , "four on-the-spot"@en ;',
                'skos:prefLabel "4 tại chỗ"@vi ;',
            )
        ],
        "",
        "A concept of a reference scheme (kgo:principles, kgo:epidemicStatuses) has no English skos:prefLabel (@en): add one to the reference data.",
    ),
    (
        "status-code-unknown",
        [],
        'kgo:hotspot a kgo:EpidemicStatus , skos:Concept ; kgo:statusCode "hot" ;'
        ' skos:inScheme kgo:epidemicStatuses ; skos:prefLabel "điểm nóng"@vi , "hotspot"@en .',
        'An epidemic status needs exactly one kgo:statusCode: "hotspot", "controlled", "on_track" or "improving".',
    ),
    (
        "status-in-principles",
        [],
        'kgo:hotspot a kgo:EpidemicStatus , skos:Concept ; kgo:statusCode "hotspot" ;'
        ' skos:inScheme kgo:principles ; skos:prefLabel "điểm nóng"@vi , "hotspot"@en .',
        "An epidemic status must be in the scheme kgo:epidemicStatuses.",
    ),
    (
        "meeting-without-source",
        [
            (
                'kgo:date "2021-07-14"^^xsd:date ;\n    kgo:source ex:source\\/hop-14-7 .',
                'kgo:date "2021-07-14"^^xsd:date .',
            )
        ],
        "",
        "A meeting needs exactly one kgo:source, a kgo:SourceDocument.",
    ),
    (
        "source-title-is-an-iri",
        [('dcterms:title "Họp với các tỉnh phía Nam" ;', "dcterms:title ex:title ;")],
        "",
        "A source document has at most one dcterms:title, a literal.",
    ),
    (
        "source-publisher-tagged",
        [('dcterms:publisher "kg examples" ;', 'dcterms:publisher "kg examples"@en ;')],
        "",
        "A source document has at most one dcterms:publisher, a plain string.",
    ),
    (
        "source-language-a-name",
        [('dcterms:language "vi" .', 'dcterms:language "Vietnamese" .')],
        "",
        'A source document has at most one dcterms:language, a plain string with a language code such as "vi".',
    ),
    (
        "source-format-not-a-media-type",
        [('dcterms:language "vi" .', 'dcterms:language "vi" ; dcterms:format "PDF file" .')],
        "",
        'A source document has at most one dcterms:format, a media type such as "text/plain" or "application/pdf".',
    ),
    (
        "source-two-extracted-texts",
        [('dcterms:language "vi" .', 'dcterms:language "vi" ; kgo:extractedText "a" , "b" .')],
        "",
        "A source document has at most one kgo:extractedText, a plain string (the text taken out of an HTML, PDF, DOCX or scanned file).",
    ),
    (
        "evidence-without-source",
        [("    kgo:source ex:source\\/hop-14-7 ;\n    kgo:start 100 ;", "    kgo:start 100 ;")],
        "",
        "Evidence needs exactly one kgo:source, a kgo:SourceDocument.",
    ),
    (
        "evidence-end-a-string",
        [("kgo:end 180 ;", 'kgo:end "180" ;')],
        "",
        "Evidence needs exactly one kgo:end, an xsd:integer >= 0.",
    ),
    (
        "evidence-empty-quote",
        [
            (
                'kgo:quote "Phó Thủ tướng Vũ Đức Đam trực tiếp chỉ đạo tại Thành phố Hồ Chí Minh" .',
                'kgo:quote "" .',
            )
        ],
        "",
        "Evidence needs exactly one kgo:quote, a non-empty plain string.",
    ),
    (
        "evidence-page-zero",
        [("kgo:end 180 ;", "kgo:end 180 ; kgo:page 0 ;")],
        "",
        "Evidence has at most one kgo:page, the PDF page of the quote: an xsd:integer from 1.",
    ),
    (
        "evidence-left-over",
        [],
        "ex:evidence\\/hop-14-7\\/1-5 a kgo:Evidence ; kgo:source ex:source\\/hop-14-7 ;"
        ' kgo:start 1 ; kgo:end 5 ; kgo:quote "Họp" .',
        "No statement is derived from this evidence (prov:wasDerivedFrom): it is left over.",
    ),
    (
        "statement-without-rule",
        [('    kgo:rule "kg_relations:head" ;\n', "")],
        "",
        "A statement needs exactly one kgo:rule, a non-empty plain string naming the component and rule.",
    ),
    (
        "mention-of-two-entities",
        [
            (
                "kgo:mentions ex:person\\/vu-duc-dam ;",
                "kgo:mentions ex:person\\/vu-duc-dam , ex:province\\/VN-SG ;",
            )
        ],
        "",
        "A mention needs exactly one kgo:mentions, a kgo:Person, kgo:Organization, kgo:Province, kgo:OfficialDocument or skos:Concept.",
    ),
    (
        "mention-empty-surface-form",
        [('kgo:surfaceForm "Vũ Đức Đam" ;', 'kgo:surfaceForm "" ;')],
        "",
        "A mention needs exactly one kgo:surfaceForm, the non-empty text as written.",
    ),
    (
        "post-holding-post-is-a-role",
        [("kgo:post ex:post\\/pho-thu-tuong ;", "kgo:post ex:role\\/pho-thu-tuong ;")],
        "",
        "A post holding needs exactly one kgo:post, a kgo:Post.",
    ),
    (
        "headship-holder-is-an-org",
        [
            (
                "kgo:holder ex:person\\/vu-duc-dam ;\n    kgo:organization",
                "kgo:holder ex:org\\/chinh-phu ;\n    kgo:organization",
            )
        ],
        "",
        "A headship needs exactly one kgo:holder, a kgo:Person.",
    ),
    (
        "headship-of-a-person",
        [("kgo:organization ex:org\\/bcd-quoc-gia ;", "kgo:organization ex:person\\/vu-duc-dam ;")],
        "",
        "A headship needs exactly one kgo:organization, a kgo:Organization.",
    ),
    (
        "oversight-leader-is-a-province",
        [("kgo:leader ex:person\\/vu-duc-dam ;", "kgo:leader ex:province\\/VN-SG ;")],
        "",
        "An oversight needs exactly one kgo:leader, a kgo:Person.",
    ),
    (
        "chairing-chair-is-an-org",
        [("kgo:chair ex:person\\/vu-duc-dam ;", "kgo:chair ex:org\\/chinh-phu ;")],
        "",
        "A chairing needs exactly one kgo:chair, a kgo:Person.",
    ),
    (
        "chairing-of-a-source",
        [
            (
                "kgo:chair ex:person\\/vu-duc-dam ;\n    kgo:meeting ex:meeting\\/m1 ;",
                "kgo:chair ex:person\\/vu-duc-dam ;\n    kgo:meeting ex:source\\/other ;",
            )
        ],
        "",
        "A chairing needs exactly one kgo:meeting, a kgo:Meeting.",
    ),
    (
        "attendee-is-a-post",
        [("kgo:attendee ex:person\\/vu-duc-dam ;", "kgo:attendee ex:post\\/pho-thu-tuong ;")],
        "",
        "An attendance needs exactly one kgo:attendee, a kgo:Person.",
    ),
    (
        "attendance-without-meeting",
        [
            (
                "kgo:attendee ex:person\\/vu-duc-dam ;\n    kgo:meeting ex:meeting\\/m1 ;",
                "kgo:attendee ex:person\\/vu-duc-dam ;",
            )
        ],
        "",
        "An attendance needs exactly one kgo:meeting, a kgo:Meeting.",
    ),
    (
        "task-agency-is-a-person",
        [("kgo:agency ex:province\\/VN-SG ;", "kgo:agency ex:person\\/vu-duc-dam ;")],
        "",
        "A task assignment needs exactly one kgo:agency, a kgo:Organization or kgo:Province.",
    ),
    (
        "task-empty",
        [('kgo:task "thực hiện giãn cách xã hội" ;', 'kgo:task "" ;')],
        "",
        "A task assignment needs exactly one kgo:task, a non-empty plain string.",
    ),
    (
        "citation-of-a-person",
        [("kgo:document ex:document\\/16-ct-ttg ;", "kgo:document ex:person\\/vu-duc-dam ;")],
        "",
        "A citation needs exactly one kgo:document, a kgo:OfficialDocument.",
    ),
    (
        "citation-type-untagged",
        [('kgo:documentType "Chỉ thị"@vi ;', 'kgo:documentType "Chỉ thị" ;')],
        "",
        'A citation has at most one kgo:documentType, a Vietnamese (@vi) string such as "Chỉ thị"@vi.',
    ),
    (
        "citation-signer-is-an-org",
        [("kgo:signer ex:person\\/vu-duc-dam ;", "kgo:signer ex:org\\/chinh-phu ;")],
        "",
        "A citation has at most one kgo:signer, a kgo:Person.",
    ),
    (
        "status-of-an-org",
        [
            (
                "kgo:province ex:province\\/VN-SG ;\n    kgo:status",
                "kgo:province ex:org\\/chinh-phu ;\n    kgo:status",
            )
        ],
        "",
        "A status assessment needs exactly one kgo:province, a kgo:Province.",
    ),
    (
        "start-date-after-end-date",
        [],
        '<https://example.org/tenure> <https://schema.org/startDate> "2021-08-01"^^xsd:date ;'
        ' <https://schema.org/endDate> "2021-07-01"^^xsd:date .',
        "The schema:startDate must not be after the schema:endDate.",
    ),
    (
        "started-after-ended",
        [],
        '<https://example.org/activity> prov:startedAtTime "2021-08-01T00:00:00"^^xsd:dateTime ;'
        ' prov:endedAtTime "2021-07-01T00:00:00"^^xsd:dateTime .',
        "The prov:startedAtTime must not be after the prov:endedAtTime.",
    ),
]


def closed_cases(shapes: Graph) -> list[tuple[str, list, str, str]]:
    """For every closed ("vocabulary") shape: a node of its class with a property kg never
    writes."""
    valid = Graph().parse(data=VALID, format="turtle")
    cases = []
    for shape in sorted(shapes.subjects(SH.closed, Literal(True)), key=str):
        cls = shapes.value(shape, SH.targetClass)
        node = min(valid.subjects(RDF.type, cls), key=str)
        extra = f'<{node}> <{UNEXPECTED}> "x" .'
        cases.append(
            (
                f"unexpected-on-{str(cls).rsplit('#', 1)[-1]}",
                [],
                extra,
                str(shapes.value(shape, SH.message)),
            )
        )
    return cases


def apply(edits: list[tuple[str, str]], extra: str = "") -> str:
    data = VALID
    for old, new in edits:
        assert data.count(old) == 1, f"edit target not unique in VALID: {old!r}"
        data = data.replace(old, new)
    return data + "\n" + extra + "\n"


def parse(data: str) -> Graph:
    graph = Graph().parse(data=data, format="turtle")
    graph.bind("ex", EX)
    return graph


def all_cases(shapes: Graph) -> dict[str, tuple[list, str, str]]:
    cases = {case_id: (edits, extra, message) for case_id, edits, extra, message in CASES}
    cases.update({case_id: (edits, "", message) for case_id, edits, message in ONTOLOGY_CASES})
    cases.update({c[0]: c[1:] for c in closed_cases(shapes)})
    return cases


CLOSED_CLASSES = [
    "Person", "Organization", "Province", "Role", "Post", "OfficialDocument", "Concept", "Meeting",
    "SourceDocument", "Evidence", "Mention", "PostHolding", "Headship", "Oversight", "Chairing",
    "Attendance", "TaskAssignment", "Citation", "StatusAssessment",
]  # fmt: skip


@pytest.mark.parametrize(
    "case_id", [c[0] for c in CASES] + [f"unexpected-on-{c}" for c in CLOSED_CLASSES]
)
def test_broken_graph_is_reported_with_the_shapes_message(shapes: Graph, case_id: str) -> None:
    """… and sliced validation (in slices of two focus nodes' checks, so statements, entities
    and sources land in different slices) finds exactly what one whole-graph run finds."""
    edits, extra, message = all_cases(shapes)[case_id]
    assert message in {str(m) for m in shapes.objects(None, SH.message)}, "not a shape's message"
    graph = parse(apply(edits, extra))
    report = validate_graph(graph, shapes, how="slices", slice_size=2)
    assert report.mode == "slices" and report.slices >= 5
    assert message in {v.message for v in report.violations}, format_text(report)
    assert keys(report.raw) == keys(validate_whole(graph, shapes))


def test_closed_cases_cover_every_closed_shape(shapes: Graph) -> None:
    assert {c[0] for c in closed_cases(shapes)} == {f"unexpected-on-{c}" for c in CLOSED_CLASSES}


@pytest.mark.parametrize("case_id", [c[0] for c in ONTOLOGY_CASES])
def test_sliced_validation_finds_what_a_whole_graph_run_finds(shapes: Graph, case_id: str) -> None:
    edits, extra, _ = all_cases(shapes)[case_id]
    graph = parse(apply(edits, extra))
    sliced = validate_graph(graph, shapes, how="slices", slice_size=2)
    whole = validate_whole(graph, shapes)
    assert whole, "the case breaks nothing"
    assert keys(sliced.raw) == keys(whole)


def reporting_shapes(shapes: Graph) -> set:
    """Shapes whose results reach a report: targeted node shapes with constraints of their own
    and the property shapes of targeted node shapes."""
    targets = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
    targeted = {s for p in targets for s in shapes.subjects(p, None)}
    found = set()
    for shape in targeted:
        found |= set(shapes.objects(shape, SH.property))
        own = {p for p in shapes.predicates(shape) if p.startswith(str(SH))}
        if own - {*targets, SH.property, SH.message, SH.severity, SH.ignoredProperties}:
            found.add(shape)
    return found


@pytest.fixture(scope="module")
def shapes_hit(shapes: Graph) -> set:
    """The shapes that some negative case (here or in test_ontology_shapes) makes report."""
    hit = set()
    for edits, extra, _ in all_cases(shapes).values():
        hit |= {r.shape for r in validate_whole(parse(apply(edits, extra)), shapes)}
    return hit


def test_every_reporting_shape_has_a_negative_case(shapes: Graph, shapes_hit: set) -> None:
    missing = reporting_shapes(shapes) - shapes_hit
    described = sorted(str(shapes.value(s, SH.message)) for s in missing)
    assert not missing, f"shapes no negative case breaks: {described}"


def test_every_reporting_shape_has_message_and_severity(shapes: Graph) -> None:
    for shape in reporting_shapes(shapes):
        assert shapes.value(shape, SH.message) is not None, shape
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning), shape


def test_shapes_are_well_formed_shacl(shapes: Graph) -> None:
    assert meta_check(shapes) == []


def test_shapes_compile_to_sliceable_units(shapes: Graph) -> None:
    compiled = compile_shapes(shapes)
    assert compiled.sliceable, compiled.reason
    # every property shape of a targeted node shape became a unit of its own
    assert len(compiled.units) > 80


DOCUMENT_NUMBERS = ["07-KL/TW", "68/NQ-CP", "129-BS/VPTU", "1099", "23/2021/QĐ-TTg", "4689/BYT-MT",
                    "16/CT-TTg", "1271/NQ-UBTVQH14", "10-TB/VPTW", "200/TB-VPCP", "2686/CĐ-BCĐ"]  # fmt: skip
NOT_DOCUMENT_NUMBERS = ["11/9", "2021-13-45", "", "số 16", "16/ct-ttg", "CT-TTg", "16/CT-TTg ngày"]


def pattern_of(shapes: Graph, path: URIRef) -> str:
    patterns = [
        str(shapes.value(s, SH.pattern))
        for s in shapes.subjects(SH.path, path)
        if shapes.value(s, SH.pattern) is not None
    ]
    assert len(patterns) == 1
    return patterns[0]


@pytest.mark.parametrize("number", DOCUMENT_NUMBERS)
def test_document_number_pattern_accepts(shapes: Graph, number: str) -> None:
    assert re.search(pattern_of(shapes, KGO.documentNumber), number)


@pytest.mark.parametrize("number", NOT_DOCUMENT_NUMBERS)
def test_document_number_pattern_rejects(shapes: Graph, number: str) -> None:
    assert not re.search(pattern_of(shapes, KGO.documentNumber), number)


def test_iso_code_pattern_is_exactly_the_provinces(shapes: Graph) -> None:
    pattern = pattern_of(shapes, KGO.isoCode)
    codes = [
        line.split(",", 1)[0]
        for line in (ROOT / "src/kg/data/provinces.csv").read_text("utf-8").splitlines()[1:]
    ]
    assert len(codes) == 63 and all(re.search(pattern, c) for c in codes)
    for bad in ("VN-999", "VN-00", "VN-74", "VN-sg", "VN-SGN", "SG"):
        assert not re.search(pattern, bad), bad


# --- sliced = whole, on random breakages -----------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_sliced_equals_whole_on_random_breakages(shapes: Graph, data: st.DataObject) -> None:
    graph = parse(VALID)
    triples = sorted(graph, key=lambda t: tuple(str(x) for x in t))
    nodes = sorted({s for s, _, _ in triples}, key=str)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        kind = data.draw(st.sampled_from(["drop", "retarget", "retype", "literal"]))
        s, p, o = data.draw(st.sampled_from(triples), label="triple")
        if kind == "drop":
            graph.remove((s, p, o))
        elif kind == "retarget":
            graph.remove((s, p, o))
            graph.add((s, p, data.draw(st.sampled_from(nodes), label="node")))
        elif kind == "retype":
            graph.add((data.draw(st.sampled_from(nodes)), RDF.type, URIRef(KGO.Evidence)))
        else:
            graph.add((s, p, Literal("x", datatype=XSD.date)))
    size = data.draw(st.integers(1, 60), label="slice size")
    sliced = validate_graph(graph, shapes, how="slices", slice_size=size)
    assert keys(sliced.raw) == keys(validate_whole(graph, shapes))


@pytest.fixture(scope="module")
def example_graph() -> Graph:
    return build_graph(EXAMPLES).graph


@pytest.fixture(scope="module")
def broken_example(example_graph: Graph) -> Graph:
    """The example graph with a handful of problems of different kinds."""
    graph = Graph()
    graph += example_graph
    oversight = min(graph.subjects(RDF.type, KGO.Oversight), key=str)
    graph.remove((oversight, PROV.wasDerivedFrom, None))
    meeting = min(graph.subjects(RDF.type, KGO.Meeting), key=str)
    graph.set((meeting, KGO.date, Literal("2021-13-45", datatype=XSD.date)))
    province = URIRef(EX + "province/VN-SG")
    graph.set((province, KGO.isoCode, Literal("VN-999")))
    person = min(graph.subjects(RDF.type, KGO.Person), key=str)
    graph.add((person, RDF.type, KGO.Province))
    return graph


@pytest.mark.parametrize("how", ["fork", "spawn", "slices", "compiled"])
def test_every_way_finds_what_a_whole_graph_run_finds(
    shapes: Graph, broken_example: Graph, how: str
) -> None:
    import multiprocessing

    if how in ("fork", "spawn") and how not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {how} on this platform")
    report = validate_graph(broken_example, shapes, jobs=2, how=how, slice_size=300)
    assert report.mode == how
    assert report.slices > 2 or how == "compiled"
    whole = validate_whole(broken_example, shapes)
    assert keys(report.raw) == keys(whole)
    assert len(report.errors) >= 4


def test_a_slice_keeps_a_source_together_and_sees_what_its_statements_point_to(
    shapes: Graph, example_graph: Graph
) -> None:
    compiled = compile_shapes(shapes)
    slices, checked = plan_slices(example_graph, compiled, slice_size=1)
    assert checked > 100 and len(slices) > 10
    slice_of = {n: i for i, piece in enumerate(slices) for n in piece.nodes()}
    for statement in example_graph.subjects(RDF.type, KGO.Oversight):
        source = example_graph.value(statement, KGO.source)
        assert slice_of[statement] == slice_of[source]
        for evidence in example_graph.objects(statement, PROV.wasDerivedFrom):
            assert slice_of[evidence] == slice_of[statement]
    triples = slice_triples(example_graph, compiled, slices[slice_of[statement]])
    leader = example_graph.value(statement, KGO.leader)
    assert (leader, RDF.type, KGO.Person) in triples  # for the sh:class check


def test_shapes_that_cannot_be_sliced_run_on_the_whole_graph(tmp_path: Path) -> None:
    (tmp_path / "sparql.ttl").write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix kgo: <https://w3id.org/kgvn/ontology#> .
<urn:s> a sh:NodeShape ; sh:targetClass kgo:Person ;
  sh:sparql [ sh:message "no people" ; sh:select "SELECT $this WHERE { $this a ?c }" ] .
""",
        encoding="utf-8",
    )
    graph = parse(VALID)
    report = validate_graph(graph, tmp_path)
    assert report.mode.startswith("whole")
    assert [v.message for v in report.errors] == ["no people"]


# --- the built graphs ------------------------------------------------------------------------


def assert_conforms_with_only_missing_english(report) -> None:  # noqa: ANN001
    assert not report.errors, format_text(report)
    assert {v.message for v in report.warnings} <= {MISSING_EN}, format_text(report)
    assert report.checked > 100


def test_example_graph_conforms(shapes: Graph, example_graph: Graph) -> None:
    assert_conforms_with_only_missing_english(validate_graph(example_graph, shapes))


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared is absent")
def test_seed_graph_conforms(shapes: Graph) -> None:
    assert_conforms_with_only_missing_english(validate_graph(build_graph(SEEDS).graph, shapes))


def test_entities_from_reference_data_have_english_labels(example_graph: Graph) -> None:
    """Provinces, reference principles and posts always have @en (so the @en warning is about
    organisations found only in text)."""
    report = validate_graph(example_graph)
    warned = {v.kind for v in report.warnings}
    assert warned <= {"Organization"}


# --- kg validate -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_file(example_graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kg.build import serialize

    path = tmp_path_factory.mktemp("validate") / "example.ttl"
    path.write_bytes(serialize(example_graph))
    return path


def broken_file(example_file: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = example_file.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.ttl"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_validate_example_conforms(example_file: Path) -> None:
    result = invoke("validate", example_file)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("The graph conforms")


def test_validate_malformed_date_exits_1_and_names_it(example_file: Path, tmp_path: Path) -> None:
    path = broken_file(
        example_file, tmp_path, 'kgo:date "2021-07-14"^^xsd:date', 'kgo:date "2021-13-45"^^xsd:date'
    )
    result = invoke("validate", path)
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if "2021-13-45" in x)
    assert line.strip().startswith("Violation: kgo:date")
    assert "a valid xsd:date" in line
    assert "Meeting" in result.stdout


def test_validate_bad_province_code_exits_1_and_names_it(
    example_file: Path, tmp_path: Path
) -> None:
    path = broken_file(example_file, tmp_path, 'kgo:isoCode "VN-SG"', 'kgo:isoCode "VN-999"')
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert (
        "Province “Thành phố Hồ Chí Minh”  <https://w3id.org/kgvn/id/province/VN-SG>"
        in result.stdout
    )
    assert (
        'Violation: kgo:isoCode = "VN-999": A province needs exactly one kgo:isoCode'
        in result.stdout
    )
    # the sentence that mentions the province
    assert "sentence (" in result.stdout.split("province/VN-SG>", 1)[1].split("\n\n")[0]


def test_validate_fact_without_evidence_exits_1_and_names_it(
    example_graph: Graph, tmp_path: Path
) -> None:
    graph = Graph()
    graph += example_graph
    statement = min(graph.subjects(RDF.type, KGO.Oversight), key=str)
    graph.remove((statement, PROV.wasDerivedFrom, None))
    path = tmp_path / "no-evidence.ttl"
    graph.serialize(path, format="turtle")
    result = invoke("validate", path)
    assert result.exit_code == 1
    block = result.stdout.split(f"<{statement}>", 1)[1].split("\n\n")[0]
    assert (
        "Violation: prov:wasDerivedFrom: A statement needs at least one prov:wasDerivedFrom"
        in block
    )
    assert "Oversight in 2021-" in result.stdout  # labelled by its class and source


def test_validate_json_and_turtle(example_file: Path, tmp_path: Path) -> None:
    path = broken_file(example_file, tmp_path, 'kgo:isoCode "VN-SG"', 'kgo:isoCode "VN-999"')
    payload = json.loads(invoke("validate", path, "--format", "json").stdout)
    assert payload["conforms"] is False and payload["counts"]["violations"] == 1
    result = next(r for r in payload["results"] if r["severity"] == "Violation")
    assert result["value"] == "VN-999" and result["path"] == "kgo:isoCode"
    assert result["label"] == "Thành phố Hồ Chí Minh" and result["evidence"]
    turtle = invoke("validate", path, "--format", "turtle")
    assert turtle.exit_code == 1
    report = Graph().parse(data=turtle.stdout, format="turtle")
    root = report.value(None, RDF.type, SH.ValidationReport, any=False)
    assert report.value(root, SH.conforms) == Literal(False)
    assert len(set(report.objects(root, SH.result))) == len(payload["results"])


@pytest.mark.parametrize("suffix", [".nt", ".trig"])
def test_validate_reads_ntriples_and_trig(
    example_graph: Graph, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"graph{suffix}"
    ntriples = example_graph.serialize(format="nt")
    if suffix == ".trig":  # the triples in a named graph
        path.write_text(f"<urn:kg:example> {{\n{ntriples}}}\n", encoding="utf-8")
    else:
        path.write_text(ntriples, encoding="utf-8")
    result = invoke("validate", path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checked"] > 100


def test_validate_any_turtle_file(tmp_path: Path) -> None:
    path = tmp_path / "foaf.ttl"
    path.write_text(
        '@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n<urn:a> a foaf:Person ; foaf:name "A" .\n',
        encoding="utf-8",
    )
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert "nothing" not in result.stdout and "none checked" in result.stdout


@pytest.mark.parametrize(
    ("name", "content"),
    [("bad.nt", b"<urn:a> <urn:b> .\n"), ("binary.ttl", b"\x00\xff\xfe garbage"), ("dir", None)],
)
def test_validate_unreadable_graph_exits_2(
    tmp_path: Path, name: str, content: bytes | None
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = make_runner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert name in stderr_of(result) and "Traceback" not in result.output


SHAPES_PREFIXES = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix kgo: <https://w3id.org/kgvn/ontology#> .\n"


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("broken.ttl", SHAPES_PREFIXES + "<urn:s> a sh:NodeShape ; sh:targetClass", "cannot parse"),
        ("ontology.ttl", (ROOT / "ontology" / "kg.ttl").read_text("utf-8"), "not SHACL"),
        (
            "malformed.ttl",
            SHAPES_PREFIXES + "<urn:s> a sh:NodeShape ; sh:targetClass kgo:Person ;"
            ' sh:property [ sh:path kgo:x ; sh:minCount "one" ] .',
            "not well-formed SHACL",
        ),
    ],
)
def test_validate_bad_shapes_exit_2_naming_the_file(
    example_file: Path, tmp_path: Path, name: str, content: str, why: str
) -> None:
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "a-good.ttl").write_text(
        SHAPES_PREFIXES + "<urn:ok> a sh:NodeShape ; sh:targetClass kgo:Person ;"
        " sh:property [ sh:path kgo:x ; sh:maxCount 1 ] .\n",
        encoding="utf-8",
    )
    (folder / name).write_text(content, encoding="utf-8")
    result = make_runner().invoke(main, ["validate", str(example_file), "--shapes", str(folder)])
    assert result.exit_code == 2, result.output
    err = stderr_of(result)
    assert name in err and why in err and "Traceback" not in result.output


def test_validate_missing_shapes_exits_2(example_file: Path, tmp_path: Path) -> None:
    result = make_runner().invoke(
        main, ["validate", str(example_file), "--shapes", str(tmp_path / "no")]
    )
    assert result.exit_code == 2


def test_validate_with_own_shapes(example_file: Path, tmp_path: Path) -> None:
    strict = tmp_path / "people-in-english.ttl"
    strict.write_text(
        SHAPES_PREFIXES + "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetClass kgo:Person ; sh:property [ sh:path rdfs:label ;"
        ' sh:qualifiedValueShape [ sh:languageIn ( "en" ) ] ; sh:qualifiedMinCount 1 ;'
        ' sh:message "People need an English name." ] .\n',
        encoding="utf-8",
    )
    result = invoke("validate", example_file, "--shapes", strict, "--jobs", "2")
    assert result.exit_code == 1
    assert "People need an English name." in result.stdout
    assert "Person “" in result.stdout


def test_format_text_groups_by_node(shapes: Graph, broken_example: Graph) -> None:
    text = format_text(validate_graph(broken_example, shapes))
    blocks = text.split("\n\n")
    assert blocks[0].startswith("The graph does not conform (")
    heads = [b.splitlines()[0] for b in blocks[1:]]
    assert len(heads) == len(set(heads)), "a node is listed twice"

    def rank(block: str) -> int:
        words = [line.strip().split(":")[0] for line in block.splitlines()[1:]]
        return min(SEVERITY_RANK[w] for w in words if w in SEVERITY_RANK)

    ranks = [rank(b) for b in blocks[1:]]
    assert ranks == sorted(ranks) and ranks[0] == 0  # violations first


# --- kg build --------------------------------------------------------------------------------


def test_build_validates_and_prints_a_summary(tmp_path: Path) -> None:
    result = invoke("build", EXAMPLES, "-o", tmp_path / "g.ttl")
    assert result.exit_code == 0
    assert re.search(r"validated: conforms \(0 violations, \d+ warnings?\)", stderr_of(result))


def test_build_no_validate_skips(tmp_path: Path) -> None:
    result = invoke("build", EXAMPLES, "-o", tmp_path / "g.ttl", "--no-validate")
    assert result.exit_code == 0
    assert "validated:" not in stderr_of(result)


@pytest.fixture
def stricter_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """kg's shapes plus one every example graph breaks (people need an English label)."""
    folder = tmp_path / "stricter"
    folder.mkdir()
    shutil.copy(SHAPES_DIR / "kg.shapes.ttl", folder / "kg.shapes.ttl")
    (folder / "english.ttl").write_text(
        SHAPES_PREFIXES + "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetClass kgo:Person ; sh:property [ sh:path rdfs:label ;"
        ' sh:qualifiedValueShape [ sh:languageIn ( "en" ) ] ; sh:qualifiedMinCount 1 ;'
        ' sh:severity sh:Violation ; sh:message "People need an English name." ] .\n',
        encoding="utf-8",
    )
    monkeypatch.setattr("kg.validate.default_shapes_dir", lambda: folder)
    return folder


def test_build_strict_fails_on_a_violation_and_keeps_the_old_output(
    tmp_path: Path, stricter_shapes: Path
) -> None:
    out = tmp_path / "g.ttl"
    out.write_bytes(b"# an earlier graph\n")
    result = invoke("build", EXAMPLES, "-o", out, "--strict")
    assert result.exit_code == 1
    err = stderr_of(result)
    assert "People need an English name." in err
    assert re.search(r"validated: does not conform \(\d+ violations?", err)
    assert "left unchanged" in err
    assert out.read_bytes() == b"# an earlier graph\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_build_without_strict_writes_despite_violations(
    tmp_path: Path, stricter_shapes: Path
) -> None:
    out = tmp_path / "g.ttl"
    result = invoke("build", EXAMPLES, "-o", out, "-q")
    assert result.exit_code == 0
    assert "validated: does not conform" in stderr_of(result)
    assert out.stat().st_size > 1000
