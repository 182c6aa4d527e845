"""Documents as users have them — web pages with site chrome, PDFs, Word files — give the facts
their plain text gives. Fixtures are made here from our own example texts (and, for the
score comparison, from the shared seeds at run time)."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
from conftest import GOLD, SCORER, SEEDS, build, score

from kg.build import build_graph
from kg.errors import InputError
from kg.formats import extract, ocr_available, reflow
from kg.ingest import read_corpus
from kg.namespaces import KGO

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "corpus"
FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


def font_path() -> Path | None:
    try:
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        if bundled.is_file():
            return bundled
    except ImportError:
        pass
    return next((f for f in FONTS if f.is_file()), None)


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def to_html(text: str, title: str) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs(text))
    page = f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="article:published_time" content="2021-07-21T08:00:00+07:00">
<link rel="canonical" href="https://tin.example.vn/bai-viet-123.html"></head><body>
<header><nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự</a></li>
<li><a href="/kinh-te">Kinh tế</a></li><li><a href="/the-thao">Thể thao</a></li></ul></nav></header>
<div class="ads">Quảng cáo: Mua điện thoại giá rẻ nhất thị trường, giảm 50% hôm nay</div>
<main><article><h1>{html.escape(title)}</h1>
{body}
</article></main>
<aside><h3>Tin liên quan</h3><ul>
<li><a href="/a">Giá vàng hôm nay tăng mạnh</a></li><li><a href="/b">Thời tiết cuối tuần nắng nóng</a></li>
</ul></aside>
<footer><div class="share">Chia sẻ Facebook | Zalo | Twitter</div><p>© Báo mẫu. Giấy phép số 1/GP.</p></footer>
</body></html>"""
    return page.encode("utf-8")


def to_pdf(text: str, font: Path) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(font))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for p in paragraphs(text):
        pdf.multi_cell(0, 6, p)
        pdf.ln(3)
    return bytes(pdf.output())


def to_docx(text: str) -> bytes:
    import io

    import docx

    document = docx.Document()
    lines = paragraphs(text)
    table = document.add_table(rows=1, cols=2)  # an official header: issuer | national motto
    table.rows[0].cells[0].text = lines[0]
    table.rows[0].cells[1].text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    for line in lines[1:]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def convert(source: Path, target: Path, suffix: str) -> dict[str, str]:
    """Copy a corpus folder into another format; returns old name -> new name."""
    target.mkdir()
    names = {}
    font = font_path()
    for path in sorted(source.glob("*.txt")):
        text = path.read_bytes().decode("utf-8-sig")
        new = path.with_suffix(suffix).name
        if suffix == ".html":
            data = to_html(text, path.stem)
        elif suffix == ".pdf":
            assert font is not None
            data = to_pdf(text, font)
        else:
            data = to_docx(text)
        (target / new).write_bytes(data)
        names[path.name] = new
    manifest = (source / "manifest.csv").read_text(encoding="utf-8")
    for old, new in names.items():
        manifest = manifest.replace(old, new)
    (target / "manifest.csv").write_text(manifest, encoding="utf-8")
    return names


def test_html_main_text_without_chrome_and_metadata(tmp_path: Path) -> None:
    text = (EXAMPLES / "2021-07-14_hop-truc-tuyen-cac-tinh-phia-nam.txt").read_text(
        encoding="utf-8-sig"
    )
    page = tmp_path / "page.html"
    page.write_bytes(to_html(text, "Họp trực tuyến với các tỉnh phía Nam"))
    extracted = extract(page, page.read_bytes())
    assert "Phạm Minh Chính" in extracted.text
    assert "Quảng cáo" not in extracted.text
    assert "Giá vàng" not in extracted.text
    assert "Chia sẻ Facebook" not in extracted.text
    assert extracted.title == "Họp trực tuyến với các tỉnh phía Nam"
    assert extracted.date is not None and extracted.date.isoformat() == "2021-07-21"
    assert extracted.url == "https://tin.example.vn/bai-viet-123.html"


def test_html_metadata_fills_an_empty_manifest(tmp_path: Path) -> None:
    text = (EXAMPLES / "2021-07-14_hop-truc-tuyen-cac-tinh-phia-nam.txt").read_text(
        encoding="utf-8-sig"
    )
    (tmp_path / "page.html").write_bytes(to_html(text, "Tiêu đề từ trang"))
    [source] = read_corpus(tmp_path).sources
    assert source.kind == "html"
    assert source.meta.title == "Tiêu đề từ trang"
    assert source.meta.date is not None


@pytest.mark.skipif(font_path() is None, reason="no DejaVu font to write a Vietnamese PDF")
def test_pdf_pages_and_evidence_pages(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", str(font_path()))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Trang đầu: tình hình chung về công tác phòng, chống dịch trong tuần.")
    pdf.add_page()
    pdf.multi_cell(
        0,
        6,
        "Phó Thủ tướng Lê Văn Thành trực tiếp chỉ đạo công tác phòng, chống dịch tại tỉnh Bắc Giang "
        "và tỉnh Bắc Ninh trong thời gian tới, bảo đảm an toàn cho các khu công nghiệp.",
    )
    (tmp_path / "notice.pdf").write_bytes(bytes(pdf.output()))
    result = build_graph(tmp_path)
    assert not result.problems
    [source] = result.report.sources
    assert [page for _, _, page in source.pages] == [1, 2]
    from kg.sparql import query

    rows = query(result.graph, "oversight")
    assert {r["province"] for r in rows} == {"Bắc Giang", "Bắc Ninh"}
    evidence_pages = {int(page) for page in result.graph.objects(None, KGO.page)}
    assert 2 in evidence_pages, "the oversight sentence is on page 2"


def test_pdf_line_wrapping_is_undone() -> None:
    wrapped = (
        "Tham dự cuộc họp có Phó Thủ tướng Lê Văn\n"
        "Thành, Bộ trưởng Bộ Y tế cùng đại diện các\n"
        "tỉnh Bắc Giang và Bắc Ninh.\n"
        "Dòng ngắn.\n"
        "Dòng tiếp theo."
    )
    assert reflow(wrapped).split("\n") == [
        "Tham dự cuộc họp có Phó Thủ tướng Lê Văn Thành, Bộ trưởng Bộ Y tế cùng đại diện các tỉnh Bắc Giang và Bắc Ninh.",
        "Dòng ngắn.",
        "Dòng tiếp theo.",
    ]


def test_docx_paragraphs_and_header_table_in_order(tmp_path: Path) -> None:
    text = "BỘ Y TẾ\nSố: 123/QĐ-BYT\nHà Nội, ngày 2 tháng 3 năm 2021\nQUYẾT ĐỊNH\nĐiều 1. Ban hành hướng dẫn."
    path = tmp_path / "qd.docx"
    path.write_bytes(to_docx(text))
    extracted = extract(path, path.read_bytes())
    lines = extracted.text.split("\n")
    assert lines[0] == "BỘ Y TẾ"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines
    assert lines.index("QUYẾT ĐỊNH") > lines.index("Số: 123/QĐ-BYT")


def test_broken_files_are_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 not really")
    (tmp_path / "b.docx").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "c.html").write_bytes(b"<html><head><title>x</title></head><body></body></html>")
    problems = [str(p) for p in read_corpus(tmp_path).problems]
    assert len(problems) == 3
    assert any("a.pdf" in p for p in problems)
    assert any("b.docx" in p for p in problems)
    assert any("c.html" in p for p in problems)


def test_scans_without_ocr_say_what_to_install(tmp_path: Path) -> None:
    if ocr_available():
        pytest.skip("OCR is installed here")
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(InputError, match="tesseract"):
        extract(path, path.read_bytes())


@pytest.fixture(scope="module")
def plain_scores(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("plain")
    build(SEEDS, folder / "plain.ttl", "--no-validate")
    return score(SEEDS, folder / "plain.ttl", folder / "p.json")


@pytest.mark.skipif(not SCORER.is_file(), reason="../shared (corpus and scorer) is absent")
@pytest.mark.parametrize("suffix", [".html", ".pdf", ".docx"])
def test_seed_corpus_in_other_formats_scores_like_plain_text(
    tmp_path: Path, suffix: str, plain_scores: dict
) -> None:
    if suffix == ".pdf" and font_path() is None:
        pytest.skip("no DejaVu font to write a Vietnamese PDF")
    names = convert(SEEDS, tmp_path / "corpus", suffix)
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    renamed = {names.get(k, k): v for k, v in gold.items()}
    (tmp_path / "gold").mkdir()
    gold_file = tmp_path / "gold" / "seeds.json"
    gold_file.write_text(json.dumps(renamed, ensure_ascii=False), encoding="utf-8")
    shutil.copy(GOLD.parent.parent / "aliases.json", tmp_path / "aliases.json")
    build(tmp_path / "corpus", tmp_path / "g.ttl", "--no-validate")
    converted = score(
        tmp_path / "corpus",
        tmp_path / "g.ttl",
        tmp_path / "s.json",
        gold_file,
        tmp_path / "aliases.json",
    )
    assert converted["overall"]["f1"] >= plain_scores["overall"]["f1"] - 0.03, converted["overall"]


@pytest.mark.skipif(font_path() is None, reason="no DejaVu font to write a Vietnamese PDF")
def test_damaged_pdf_that_still_reads_is_built_with_a_note_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: pypdf's warnings about a damaged file ("Error -3 while decompressing
    data") were printed as bare lines naming no file."""
    text = "Phó Thủ tướng Vũ Đức Đam chỉ đạo công tác phòng, chống dịch tại tỉnh Bắc Giang.\n"
    data = bytearray(to_pdf(text * 40, font_path()))
    stream = data.find(b"stream")  # the first page's text: damaged, the others still read
    data[stream + 10 : stream + 200] = b"\x00" * 190
    (tmp_path / "damaged.pdf").write_bytes(bytes(data))
    report = read_corpus(tmp_path)
    assert [s.path for s in report.sources] == ["damaged.pdf"] and not report.problems
    [note] = report.notes
    assert str(note).startswith(str(tmp_path / "damaged.pdf"))
    assert "damaged" in str(note)
    assert capsys.readouterr().err == ""
