"""Properties that must hold for any input, checked with Hypothesis: cleaning and folding never
raise and every analysed character keeps its place in the original; extraction on any text gives
evidence whose quote is exactly the original slice its offsets name; reading a folder of arbitrary
or damaged files reports each bad one by name and never raises; and no parameter value can change
the shape of a canned SPARQL query.

Each test keeps `max_examples` modest so the file runs in seconds; set KG_PROPERTY_SCALE (an
integer factor) to hunt harder, e.g. `KG_PROPERTY_SCALE=20 pytest tests/test_properties.py`.
Bugs these properties found outside the files this suite may touch are pinned as strict xfails
with their minimal inputs, so fixing one turns its test red until the marker goes."""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import SEEDS, build
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from spacy.language import Language

from kg.errors import QueryError
from kg.gazetteers import Gazetteers, default_gazetteers
from kg.ingest import ManifestEntry, Source, non_body_spans, read_corpus
from kg.pipeline import analyse, make_nlp
from kg.rdf import GraphBuilder, to_turtle
from kg.sparql import _term, bind, canned_names, load_query, open_graph, query, run
from kg.sparql_text import bare
from kg.text import _MARKUP, _ZERO_WIDTH, canonical_tones, clean, fold, fold_tones

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"
SCALE = max(1, int(os.environ.get("KG_PROPERTY_SCALE", "1")))
KGO = "https://w3id.org/kgvn/ontology#"


def examples(n: int) -> settings:
    """Hypothesis settings for a property: `n` examples (times KG_PROPERTY_SCALE), no deadline
    (the first example pays for warm caches)."""
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- what arbitrary text is made of ------------------------------------------------------------

TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
QUALITY_MARKS = "\u0302\u0306\u031b"  # circumflex, breve, horn
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
ODD_SPACES = "\t\u00a0\u2002\u2003\u2009\u202f\u3000\x0b\x0c"
BREAKS = ["\r\n", "\r", "\n", "\n\n", "\r\r\n", "\n\r", "\u2028", "\u2029", "\x85"]
MARKUP = ["**", "__", "<b>", "</b>", "<u>", "</i>", "<strong>", "<br>", "<br/>", "<BR />", "<sup>"]
_VOWELS = "aăâeêioôơuưy"
_LOWER = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in ("", *TONES)}
    | set("đbcdghklmnpqrstvx")
)
VIETNAMESE_LETTERS = _LOWER + [c.upper() for c in _LOWER]  # precomposed, with every tone
FRAGMENTS = [
    "Phó Thủ tướng Vũ Đức Đam",
    "UBND tỉnh Bắc Giang",
    "Ủy ban nhân dân tỉnh Bình Dương",
    "Chỉ thị số 16/CT-TTg",
    "ngày 12/5/2021",
    "Hà Nội, ngày 20 tháng 7 năm 2021",
    "Thủ tướng Chính phủ Phạm Minh Chính chủ trì cuộc họp",
    "Bộ trưởng Bộ Y tế Nguyễn Thanh Long",
    "Công điện số 1099/CĐ-TTg ngày 5/8/2021 của Thủ tướng Chính phủ",
    "trực tiếp chỉ đạo, kiểm tra công tác phòng, chống dịch tại tỉnh Bình Dương",
    "giao Bộ Công an, Bộ Quốc phòng",
    "Ban Chỉ đạo Quốc gia phòng, chống dịch COVID-19",
    "TP.HCM",
    "Thành phố Hồ Chí Minh",
    "Khánh Hoà",
    "thuỷ lợi",
    "“4 tại chỗ”",
    "5K + vaccine",
    "(Ảnh: VGP)",
    ". ",
    ", ",
    ": ",
    " - ",
    "(",
    ")",
]
ANY_CHARACTER = st.characters(exclude_categories=("Cs",))  # any code point but a surrogate


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


_PIECE = st.one_of(
    st.text(ANY_CHARACTER, max_size=6),
    st.sampled_from(VIETNAMESE_LETTERS),
    st.sampled_from(list(TONES + QUALITY_MARKS + INVISIBLE + ODD_SPACES)),
    st.sampled_from(BREAKS + MARKUP),
    st.sampled_from(FRAGMENTS),
    st.sampled_from(FRAGMENTS).map(nfd),
)


def unicode_text(pieces: int = 30) -> st.SearchStrategy[str]:
    """Arbitrary surrogate-free Unicode mixed with combining marks, CR/LF mixes, zero-width
    characters, markup, Vietnamese letters with every tone and real Vietnamese fragments."""
    return st.lists(_PIECE, max_size=pieces).map("".join)


def span_lists(size: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    """Spans to blank, some outside the text or reversed, as a caller might pass them."""
    bound = st.integers(-3, size + 3)
    return st.lists(st.tuples(bound, bound), max_size=4)


# --- clean(): never raises, every span maps back in bounds and in order ------------------------


@examples(400)
@given(original=unicode_text(), data=st.data())
@example(original="a\r\n\u0301b\r\n**x**\u200b", data=None)
@example(original="\u0301\u0301x\u1100\u1161 \u0b47\u0b3e", data=None)
def test_clean_maps_every_span_back_into_the_original_in_order(
    original: str, data: st.DataObject | None
) -> None:
    size = len(original)
    blank = (
        non_body_spans(original)
        if data is None
        else data.draw(st.one_of(st.just(non_body_spans(original)), span_lists(size)))
    )
    cleaned = clean(original, blank)
    n = len(cleaned.text)
    assert cleaned.original == original
    assert len(cleaned.starts) == len(cleaned.ends) == n
    previous = (0, 0)
    for i in range(n):
        start, end = cleaned.to_original(i, i + 1)
        assert 0 <= start < end <= size, (i, start, end)
        assert previous[0] <= start and previous[1] <= end, (i, previous, (start, end))
        previous = (start, end)
    if n:
        a = 0 if data is None else data.draw(st.integers(0, n - 1))
        b = n if data is None else data.draw(st.integers(a + 1, n))
        start, end = cleaned.to_original(a, b)
        assert 0 <= start < end <= size
        assert (start, end) == (cleaned.starts[a], max(cleaned.ends[a:b]))
        assert cleaned.original_slice(a, b) == original[start:end]
    for outside in ((0, 0), (-1, 1), (0, n + 1), (n, n + 1)):
        with pytest.raises(ValueError):
            cleaned.to_original(*outside)
    # a character that maps nowhere was markup, zero-width, the CR of a CRLF, or a mark on one
    covered = {k for s, e in zip(cleaned.starts, cleaned.ends, strict=True) for k in range(s, e)}
    markup = {k for m in _MARKUP.finditer(original) for k in range(*m.span())}
    for k, ch in enumerate(original):
        if k not in covered:
            assert k in markup or ch in _ZERO_WIDTH or ch == "\r" or unicodedata.combining(ch), (
                k,
                ch,
            )


PLAIN_TEXT = st.text(alphabet=VIETNAMESE_LETTERS + list("0123456789 .,;:()/-\n"), max_size=80)


@examples(200)
@given(text=PLAIN_TEXT)
def test_text_that_needs_no_cleaning_keeps_the_identity_map(text: str) -> None:
    """NFC Vietnamese with plain spaces and line feeds only has its tone marks placed."""
    cleaned = clean(text)
    assert cleaned.text == canonical_tones(text)
    assert cleaned.starts == tuple(range(len(text)))
    assert cleaned.ends == tuple(range(1, len(text) + 1))


# --- fold(), fold_tones(), canonical_tones() ---------------------------------------------------


@examples(400)
@given(text=unicode_text())
def test_fold_and_fold_tones_never_raise_and_give_clean_keys(text: str) -> None:
    key = fold(text)
    assert unicodedata.is_normalized("NFC", key)
    assert not set(key) & set(INVISIBLE)
    assert all(c == " " or not c.isspace() for c in key)  # every run of white space is one " "
    loose = fold_tones(text)
    assert unicodedata.is_normalized("NFC", loose)
    assert not any(unicodedata.combining(c) for c in loose)
    assert "đ" not in loose and "Đ" not in loose
    assert len(canonical_tones(text, compose=False)) == len(text)


WORD = st.text(alphabet=VIETNAMESE_LETTERS + list("0123456789.,;:()/"), min_size=1, max_size=8)
NAMES = st.lists(st.one_of(WORD, st.sampled_from(FRAGMENTS[:18])), max_size=8).map(" ".join)


@examples(300)
@given(text=NAMES)
def test_fold_is_a_stable_key_for_names(text: str) -> None:
    """On words (no spaced dashes, no stray marks) fold is idempotent, collapses white space and
    ignores the case and the Unicode form of what it folds."""
    key = fold(text)
    assert fold(key) == key
    assert key == " ".join(key.split())
    assert fold(nfd(text)) == key
    assert fold(text.upper()) == key


@pytest.mark.parametrize(
    "text", ["- Bộ Y tế", "Bộ Y tế -", "a -- b", "--\n0", "hoà\u0306", "an\u200b\u0300"]
)
def test_fold_is_idempotent_on_edge_inputs(text: str) -> None:
    """Regression: on these minimal inputs fold was not idempotent or left extra white space
    (spaced dashes at either end or doubled, a stray mark after a word, a mark after an
    invisible character)."""
    key = fold(text)
    assert fold(key) == key
    assert key == " ".join(key.split())


@examples(300)
@given(text=unicode_text(25))
def test_fold_is_idempotent_on_any_text(text: str) -> None:
    """A key folds to itself, whatever the text: matching never depends on folding twice."""
    key = fold(text)
    assert fold(key) == key
    assert key == " ".join(key.split())


# --- extraction: never raises, every quote is the original slice ------------------------------


@pytest.fixture(scope="module")
def nlp() -> Language:
    return make_nlp()


@pytest.fixture(scope="module")
def gazetteers() -> Gazetteers:
    return default_gazetteers()


def source_of(text: str, when: date | None) -> Source:
    """A Source as kg.ingest makes one for a text file holding `text`."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    meta = ManifestEntry("t.txt", date=when)
    return Source("t.txt", text, digest, meta)  # its non-body spans are found on use


_EVIDENCE = (
    f"PREFIX kgo: <{KGO}> SELECT ?start ?end ?quote "
    "WHERE { ?e a kgo:Evidence ; kgo:start ?start ; kgo:end ?end ; kgo:quote ?quote }"
)


def evidence(nlp: Language, gazetteers: Gazetteers, source: Source) -> list[tuple[int, int, str]]:
    """(start, end, quote) of every kgo:Evidence the graph of `source` has, read back from the
    Turtle kg writes (so escaping is checked too)."""
    builder = GraphBuilder(gazetteers)
    builder.add(analyse(nlp, source))
    store = ox.Store()
    store.load(to_turtle(builder.graph), format=ox.RdfFormat.TURTLE)
    return [
        (int(row["start"].value), int(row["end"].value), row["quote"].value)
        for row in store.query(_EVIDENCE)
    ]


def test_the_fragments_make_the_extractors_fire(nlp: Language, gazetteers: Gazetteers) -> None:
    """The property below means something: its Vietnamese fragments give evidence."""
    text = (
        "Hà Nội, ngày 20 tháng 7 năm 2021. Phó Thủ tướng Vũ Đức Đam trực tiếp chỉ đạo, kiểm tra "
        "công tác phòng, chống dịch tại tỉnh Bình Dương. UBND tỉnh Bắc Giang thực hiện Chỉ thị "
        "số 16/CT-TTg từ ngày 12/5/2021."
    )
    found = evidence(nlp, gazetteers, source_of(text, date(2021, 7, 20)))
    assert len(found) >= 3
    quotes = " ".join(quote for _, _, quote in found)
    assert "Vũ Đức Đam" in quotes and "16/CT-TTg" in quotes


@examples(250)
@given(text=unicode_text(25), when=st.sampled_from([None, date(2021, 9, 6)]))
@example(text="Phó Thủ tướng Vũ Đức Đam\r\n làm việc với UBND tỉnh Bắc Giang", when=None)
@example(text=nfd("**Chỉ thị số 16/CT-TTg**\u200b ngày 12/5/2021\r\n(Ảnh: VGP)"), when=None)
def test_every_quote_is_the_original_slice(
    nlp: Language, gazetteers: Gazetteers, text: str, when: date | None
) -> None:
    for start, end, quote in evidence(nlp, gazetteers, source_of(text, when)):
        assert 0 <= start <= end <= len(text)
        assert text[start:end] == quote, (start, end)


# --- ingest: arbitrary bytes under every document name ------------------------------------------

TEXT = "Phó Thủ tướng Vũ Đức Đam làm việc với UBND tỉnh Bắc Giang ngày 12/5/2021.\nChỉ thị số 16/CT-TTg."
KINDS = {".txt": "text", ".md": "text", ".html": "html", ".pdf": "pdf", ".docx": "docx"}


def _pdf(compress: bool) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_compression(compress)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Chi thi so 16/CT-TTg ngay 12/5/2021 cua Thu tuong Chinh phu.")
    return bytes(pdf.output())


def _docx() -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "VĂN PHÒNG CHÍNH PHỦ"
    table.rows[0].cells[1].text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    for line in TEXT.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _html() -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in TEXT.split("\n"))
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Tin</title></head>'
        f"<body><nav>Trang chủ</nav><article><h1>Tin</h1>{paragraphs}</article></body></html>"
    ).encode()


@lru_cache(maxsize=1)
def valid_files() -> dict[str, list[bytes]]:
    """A well-formed file of each kind, to damage."""
    return {
        ".txt": [TEXT.encode(), b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode()],
        ".md": [("# Tin\n\n" + TEXT).encode(), TEXT.encode("utf-16")],
        ".html": [_html()],
        ".pdf": [_pdf(True), _pdf(False)],
        ".docx": [_docx()],
    }


def test_the_files_to_damage_are_read_when_whole(tmp_path: Path) -> None:
    """The property below damages files kg reads, so its "read" branch is exercised too."""
    names = {}
    for suffix, variants in valid_files().items():
        for number, raw in enumerate(variants):
            names[f"whole-{number}{suffix}"] = KINDS[suffix]
            (tmp_path / f"whole-{number}{suffix}").write_bytes(raw)
    report = read_corpus(tmp_path)
    assert not report.problems, [str(p) for p in report.problems]
    assert {source.path: source.kind for source in report.sources} == names
    assert all("16/CT-TTg" in source.text for source in report.sources)


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def damaged(draw: Callable, data: bytes) -> bytes:
    """`data` with a few bytes changed, cut out or inserted."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(0, len(out) - 1)))
        how = draw(st.sampled_from(["set", "cut", "insert"]))
        if how == "set" and out:
            out[at] = draw(st.integers(0, 255))
        elif how == "cut":
            del out[at : at + draw(st.integers(1, 40))]
        else:
            out[at:at] = draw(st.binary(min_size=1, max_size=12))
    return bytes(out)


@st.composite
def file_bytes(draw: Callable, suffix: str) -> bytes:
    """Arbitrary bytes, or a well-formed file of the kind `suffix` names, damaged."""
    how = draw(st.sampled_from(["random", "truncated", "damaged", "member"]))
    if how == "random":
        return draw(st.binary(max_size=600))
    base = draw(st.sampled_from(valid_files()[suffix]))
    if how == "truncated":
        return base[: draw(st.integers(0, len(base)))]
    if how == "member" and suffix == ".docx":  # a well-formed zip holding a damaged part
        members = _members(base)
        name = draw(st.sampled_from(sorted(members)))
        if draw(st.booleans()):
            members[name] = draw(damaged(members[name]))
        else:
            del members[name]
        return _zip(members)
    return draw(damaged(base))


@examples(150)
@given(data=st.data(), suffixes=st.sets(st.sampled_from(sorted(KINDS)), min_size=1))
def test_reading_arbitrary_bytes_reports_or_reads_every_file(
    data: st.DataObject, suffixes: set[str]
) -> None:
    files = {f"doc{suffix}": data.draw(file_bytes(suffix), label=suffix) for suffix in suffixes}
    with tempfile.TemporaryDirectory() as folder:
        for name, raw in files.items():
            (Path(folder) / name).write_bytes(raw)
        report = read_corpus(folder)
    read = {source.path: source for source in report.sources}
    reported = [str(problem) for problem in report.problems]
    for name, raw in files.items():
        about = [problem for problem in reported if name in problem]
        assert (name in read) != bool(about), (name, about)  # read, or reported, never both
        if name in read:
            source = read[name]
            assert source.text.strip()
            assert source.kind == KINDS[Path(name).suffix]
            assert source.sha256 == hashlib.sha256(raw).hexdigest()
            assert all(0 <= a <= b <= len(source.text) for a, b, _ in source.pages)
    assert len(read) + len(reported) == len(files)


def _local_entry(archive: bytes, member: str) -> int:
    """Where the data of `member` starts in a zip file."""
    header = archive.index(b"PK\x03\x04" + archive[4:6])  # the first local header
    while True:
        name_length, extra_length = struct.unpack("<HH", archive[header + 26 : header + 30])
        name = archive[header + 30 : header + 30 + name_length].decode()
        start = header + 30 + name_length + extra_length
        if name == member:
            return start
        header = archive.index(b"PK\x03\x04", start)


def _bad_deflate() -> bytes:
    data = bytearray(valid_files()[".docx"][0])
    start = _local_entry(bytes(data), "word/document.xml")
    data[start : start + 4] = b"\xff\xff\xff\xff"  # deflate block type 3 does not exist
    return bytes(data)


def _bad_xml() -> bytes:
    members = _members(valid_files()[".docx"][0])
    members["[Content_Types].xml"] = b'<Types xmlns="'
    return _zip(members)


def _bad_rels() -> bytes:
    members = _members(valid_files()[".docx"][0])
    members["_rels/.rels"] = b"<Relationships/>"  # well-formed, but not in its namespace
    return _zip(members)


def _unknown_filter() -> bytes:
    pdf = valid_files()[".pdf"][0]
    assert b"/FlateDecode" in pdf
    return pdf.replace(b"/FlateDecode", b"/FlateDecodX")  # same length: offsets still hold


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("corrupt-deflate.docx", _bad_deflate, "not a readable .docx"),  # was zlib.error
        ("bad-xml.docx", _bad_xml, "not a readable .docx"),  # was lxml XMLSyntaxError
        ("bad-rels.docx", _bad_rels, "not a readable .docx"),  # was AttributeError
        ("filter.pdf", _unknown_filter, "not a readable PDF"),  # was NotImplementedError
    ],
)
def test_damaged_files_found_by_the_properties_are_reported(
    tmp_path: Path, name: str, make: Callable[[], bytes], words: str
) -> None:
    """Regressions: each of these once raised out of read_corpus and stopped `kg build`."""
    (tmp_path / name).write_bytes(make())
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    report = read_corpus(tmp_path)
    assert [source.path for source in report.sources] == ["good.txt"]
    (problem,) = (str(p) for p in report.problems)
    assert name in problem and words in problem


# --- SPARQL parameters cannot change a query's shape ---------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The graph `kg build` makes of the seeds (or of the example corpus without ../shared)."""
    corpus = SEEDS if SEEDS.is_dir() else EXAMPLES
    path = tmp_path_factory.mktemp("graph") / "graph.ttl"
    build(corpus, path, "--no-validate")
    return open_graph(path)


Row = dict[str, ox.NamedNode | ox.Literal | ox.BlankNode]


class Unbound(dict[str, tuple[list[str], list[Row]]]):
    """Every canned query's variables and rows without parameters (with a short repr, for
    Hypothesis' reports)."""

    def __repr__(self) -> str:
        return f"<rows of {len(self)} canned queries>"


@pytest.fixture(scope="module")
def unbound(store: ox.Store) -> Unbound:
    return Unbound({name: run(store, load_query(name)) for name in canned_names()})


def computed(name: str) -> set[str]:
    """Variables a canned query computes with `(… AS ?var)`."""
    return set(re.findall(r"\bAS\s+[?$](\w+)", bare(load_query(name)), re.IGNORECASE))


_SYNTAX = list("\"'{}<>#\n\r\\?$.;,()^@ \t|`") + [
    "}",
    "}}",
    '"""',
    "'''",
    '\\"',
    "\\u0022",
    "\\\\",
    "<http://example.org/x>",
    "} UNION { ?s ?p ?o",
    ") } ; DROP ALL #",
    "# comment\n",
    "^^<urn:x>",
    "@vi",
    "\u2028",
    "\x00",
]
NASTY = st.lists(st.sampled_from(_SYNTAX), max_size=12).map("".join)
PARAMETER_VALUES = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    NASTY,
    st.tuples(
        st.sampled_from(["http://", "https://", "urn:", "https://w3id.org/kgvn/id/"]), NASTY
    ).map("".join),
    st.tuples(st.text(ANY_CHARACTER, max_size=10), NASTY, st.text(max_size=10)).map("".join),
)


def _key(row: Row) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, str(term)) for name, term in row.items()))


@examples(300)
@given(data=st.data())
def test_no_parameter_value_changes_a_canned_query(
    store: ox.Store, unbound: Unbound, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(canned_names()), label="query")
    variables, everything = unbound[name]
    var = data.draw(st.sampled_from(variables), label="variable")
    seen = sorted({row[var].value for row in everything if var in row})
    choices = [PARAMETER_VALUES]
    if seen:  # real values, as they are and with something appended
        choices.append(st.sampled_from(seen))
        choices.append(st.tuples(st.sampled_from(seen), NASTY).map("".join))
    value = data.draw(st.one_of(choices), label="value")
    try:
        got, rows = run(store, load_query(name), {var: value})
    except QueryError as exc:  # only a computed variable cannot be bound, and kg says so
        assert var in computed(name), exc
        assert "cannot be bound" in str(exc)
        return
    assert var not in computed(name)
    assert got == variables
    same = {_key(row) for row in everything}
    for row in rows:
        assert row[var].value == value
        # a row of the unbound query: a returned variable filters rows, never fills one in
        assert _key(row) in same, row
    # and every row whose ?var is the very term kg binds is kept
    term = _term(value)
    assert all(row in rows for row in everything if row.get(var) == term)
    # the notebook helper too, whatever the variable is called (?name is one)
    assert query(store, name, **{var: value}) == [
        {k: v.value for k, v in row.items()} for row in rows
    ]


@examples(300)
@given(value=PARAMETER_VALUES)
@example(value='a" } ; DROP ALL #')
@example(value="http://example.org/a> } UNION { ?s ?p ?o")
def test_a_bound_value_is_one_term_in_one_values_row(value: str) -> None:
    """Outside its strings and IRIs, the clause bind() appends is exactly one VALUES row of one
    term, and that term is the value: as an IRI when it is an absolute http(s) or urn IRI."""
    base = "SELECT ?v WHERE { }"
    text = bind(base, {"v": value})
    assert text.startswith(base)
    assert " ".join(bare(text[len(base) :]).split()) == "VALUES (?v) { ( ) }"
    solutions = list(ox.Store().query(text))
    rows = [{"v": solution["v"]} for solution in solutions]
    assert len(rows) == 1 and rows[0]["v"].value == value
    if isinstance(rows[0]["v"], ox.Literal):
        assert rows[0]["v"].datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")


@examples(200)
@given(name=st.text(ANY_CHARACTER, max_size=12), value=PARAMETER_VALUES)
@example(name="s ?p ?o } #", value="x")
@example(name="v) { (1) } #", value="x")
def test_any_parameter_name_is_bound_or_refused_with_a_query_error(name: str, value: str) -> None:
    try:
        _, rows = run(ox.Store(), "SELECT ?v WHERE { }", {name: value})
    except QueryError:
        assert name != "v"
        return
    assert name == "v" and rows == []  # a returned variable filters rows; none has ?v


def test_a_parameter_does_not_fill_a_variable_the_row_leaves_unbound() -> None:
    store = ox.Store()
    number, issuer = ox.NamedNode("urn:number"), ox.NamedNode("urn:issuer")
    one, two = ox.NamedNode("urn:doc:1"), ox.NamedNode("urn:doc:2")
    store.add(ox.Quad(one, number, ox.Literal("1")))
    store.add(ox.Quad(one, issuer, ox.Literal("Bộ Y tế")))
    store.add(ox.Quad(two, number, ox.Literal("2")))  # issuer unknown
    text = (
        "SELECT ?doc ?issuer WHERE { ?doc <urn:number> ?n OPTIONAL { ?doc <urn:issuer> ?issuer } }"
    )
    _, rows = run(store, text, {"issuer": "Bộ Y tế"})
    assert rows == [{"doc": one, "issuer": ox.Literal("Bộ Y tế")}]


def test_binding_a_computed_variable_is_a_clear_query_error(store: ox.Store) -> None:
    """`(MAX(?c) AS ?confidence)`: SPARQL joins the trailing VALUES first, so the query would
    not parse ("expected [_]"); kg says why instead."""
    with pytest.raises(QueryError, match=r"\?confidence is computed by the query"):
        run(store, load_query("people"), {"confidence": "1.0"})
