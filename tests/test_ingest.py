"""kg.ingest: documents are decoded strictly, bad files and manifest rows are reported with their
name (and line), the rest of the corpus is still read, and non-body text is found."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from kg.errors import InputError, ManifestError
from kg.ingest import decode, non_body_spans, read_corpus, read_manifest

SHARED = Path(__file__).resolve().parents[2] / "shared"
HEADER = "file,title,date,publisher,language\n"
BODY = "Thủ tướng Chính phủ Phạm Minh Chính chủ trì cuộc họp trực tuyến với các tỉnh.\n"


def spans_text(text: str) -> list[str]:
    """The pieces of `text` that non_body_spans() marks."""
    return [text[start:end] for start, end in non_body_spans(text)]


# --- decode() --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\t\n", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "binary"),
        (b"Th\x00\xe1\x00 n\x00g", "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00", "binary"),
        # "Việt Nam" in Windows-1258 (e + circumflex precomposed, dot below as a combining byte)
        (b"Vi\xea\xf2t Nam", "UTF-8"),
        (b"T\xe1o \xe0n", "UTF-8"),
    ],
)
def test_decode_refuses_with_a_message_naming_the_file(raw: bytes, reason: str) -> None:
    path = Path("corpus") / "sub" / "bao-cao.txt"
    with pytest.raises(InputError) as caught:
        decode(raw, path)
    assert caught.value.path == str(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert reason in message


def test_windows_1258_bytes_really_are_vietnamese() -> None:
    """The refused bytes above are a real legacy encoding, not noise."""
    assert unicodedata.normalize("NFC", b"Vi\xea\xf2t Nam".decode("cp1258")) == "Việt Nam"


def test_decode_invalid_utf8_names_the_legacy_encodings() -> None:
    with pytest.raises(InputError, match="Windows-1258"):
        decode("Thành phố Hồ Chí Minh".encode()[:-3] + b"\xe0 x", Path("a.txt"))


def test_decode_utf8_with_bom_drops_the_bom() -> None:
    text = "Khánh Hòa\r\nĐà Nẵng"
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), Path("a.txt")) == text


def test_decode_keeps_the_text_exactly_otherwise() -> None:
    text = unicodedata.normalize("NFD", "Khánh Hoà") + "\r\n\u200b"
    assert decode(text.encode("utf-8"), Path("a.txt")) == text


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_decode_utf16_with_bom(codec: str) -> None:
    text = "Bộ Y tế chủ trì, phối hợp với các địa phương."
    raw = text.encode(codec)
    if codec == "utf-16-le":
        raw = b"\xff\xfe" + raw
    elif codec == "utf-16-be":
        raw = b"\xfe\xff" + raw
    assert decode(raw, Path("a.txt")) == text


@pytest.mark.parametrize("raw", [b"\xef\xbb\xbf", b"\xff\xfe", " \n".encode("utf-16")])
def test_decode_refuses_a_file_with_only_a_bom(raw: bytes) -> None:
    with pytest.raises(InputError, match="empty"):
        decode(raw, Path("a.txt"))


# --- read_manifest() -------------------------------------------------------------------------


def write_manifest(folder: Path, text: str) -> None:
    (folder / "manifest.csv").write_text(text, encoding="utf-8")


def test_manifest_good_row(tmp_path: Path) -> None:
    write_manifest(
        tmp_path, "\ufeff" + HEADER + 'a.txt,"Họp trực tuyến, phía Nam",2021-07-14,VGP,vi\n'
    )
    entries, problems = read_manifest(tmp_path)
    assert problems == []
    entry = entries["a.txt"]
    assert entry.title == "Họp trực tuyến, phía Nam"
    assert entry.date == date(2021, 7, 14)
    assert entry.publisher == "VGP"
    assert entry.language == "vi"


def test_manifest_empty_cells_are_none(tmp_path: Path) -> None:
    write_manifest(tmp_path, HEADER + "a.txt,,,,\n")
    entries, problems = read_manifest(tmp_path)
    assert problems == []
    assert entries["a.txt"].title is None and entries["a.txt"].date is None


def test_manifest_absent_is_not_a_problem(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) == ({}, [])


def test_manifest_bad_date_is_reported_with_its_line(tmp_path: Path) -> None:
    write_manifest(
        tmp_path, HEADER + "a.txt,A,2021-07-14,,\n\nb.txt,B,14/07/2021,,\nc.txt,C,2021-02-30,,\n"
    )
    entries, problems = read_manifest(tmp_path)
    assert all(isinstance(p, ManifestError) for p in problems)
    assert [p.line for p in problems] == [4, 5]
    assert "14/07/2021" in str(problems[0]) and str(problems[0]).endswith("(YYYY-MM-DD)")
    assert str(problems[0]).startswith(f"{tmp_path / 'manifest.csv'}:4:")
    # the row is still used, without its date
    assert entries["b.txt"].title == "B" and entries["b.txt"].date is None
    assert entries["a.txt"].date == date(2021, 7, 14)


def test_manifest_extra_cell_is_reported(tmp_path: Path) -> None:
    write_manifest(tmp_path, HEADER + "a.txt,A,2021-07-14,VGP,vi,surplus\n")
    entries, problems = read_manifest(tmp_path)
    assert len(problems) == 1
    assert problems[0].line == 2
    assert "more cells" in str(problems[0])


def test_manifest_row_without_file_name_is_reported(tmp_path: Path) -> None:
    write_manifest(tmp_path, HEADER + ",Không tên,2021-07-14,,\n")
    entries, problems = read_manifest(tmp_path)
    assert entries == {}
    assert [p.line for p in problems] == [2]


def test_manifest_without_file_column_is_one_problem_on_line_1(tmp_path: Path) -> None:
    write_manifest(tmp_path, "name,title,date\na.txt,A,2021-07-14\n")
    entries, problems = read_manifest(tmp_path)
    assert entries == {}
    assert len(problems) == 1
    assert problems[0].line == 1
    assert "file" in problems[0].message


def test_manifest_not_utf8_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_bytes(HEADER.encode() + b"a.txt,Vi\xea\xf2t,,,\n")
    entries, problems = read_manifest(tmp_path)
    assert entries == {}
    assert len(problems) == 1 and problems[0].path == str(tmp_path / "manifest.csv")


# --- read_corpus() ---------------------------------------------------------------------------


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A corpus with subfolders, duplicate names, ignored files, a bad file and a manifest."""
    root = tmp_path / "corpus"
    (root / "2021" / "07").mkdir(parents=True)
    (root / "2022").mkdir()
    (root / "top.txt").write_text(BODY, encoding="utf-8")
    (root / "2021" / "07" / "notes.md").write_bytes(
        b"\xef\xbb\xbf# Ghi ch\xc3\xba\n" + BODY.encode()
    )
    (root / "2021" / "same.txt").write_text("Năm 2021: " + BODY, encoding="utf-8")
    (root / "2022" / "same.txt").write_text("Năm 2022: " + BODY, encoding="utf-8")
    (root / "2022" / "scan.txt").write_bytes(b"%PDF-1.4\n\x00\x01\x02")
    (root / "2022" / "legacy.txt").write_bytes(b"Vi\xea\xf2t Nam\n")
    (root / "readme.rst").write_text(BODY, encoding="utf-8")
    (root / "data.csv").write_text("a,b\n", encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG\r\n")
    (root / ".hidden.txt").write_text(BODY, encoding="utf-8")
    write_manifest(
        root,
        HEADER
        + "top.txt,Top,2021-07-14,VGP,vi\n"
        + "2022/same.txt,Same 2022,2022-01-01,,vi\n"
        + "gone.txt,Gone,2021-01-01,,\n",
    )
    return root


def test_read_corpus_reads_txt_and_md_recursively(corpus: Path) -> None:
    report = read_corpus(corpus)
    paths = [s.path for s in report.sources]
    assert sorted(paths) == ["2021/07/notes.md", "2021/same.txt", "2022/same.txt", "top.txt"]


def test_read_corpus_keeps_duplicate_names_apart(corpus: Path) -> None:
    by_path = {s.path: s for s in read_corpus(corpus).sources}
    first, second = by_path["2021/same.txt"], by_path["2022/same.txt"]
    assert first.name == second.name == "same.txt"
    assert first.text.startswith("Năm 2021") and second.text.startswith("Năm 2022")
    assert first.sha256 != second.sha256
    # the manifest row by relative path applies to one of them only
    assert second.meta.title == "Same 2022"
    assert first.meta.title is None


def test_read_corpus_source_fields(corpus: Path) -> None:
    by_path = {s.path: s for s in read_corpus(corpus).sources}
    top = by_path["top.txt"]
    assert top.meta.date == date(2021, 7, 14) and top.meta.publisher == "VGP"
    assert top.sha256 == hashlib.sha256((corpus / "top.txt").read_bytes()).hexdigest()
    notes = by_path["2021/07/notes.md"]
    assert notes.text.startswith("# Ghi chú\n")  # the BOM is gone, nothing else changed
    assert notes.sha256 == hashlib.sha256((corpus / "2021/07/notes.md").read_bytes()).hexdigest()


def test_read_corpus_reports_bad_files_and_reads_the_rest(corpus: Path) -> None:
    report = read_corpus(corpus)
    messages = [str(p) for p in report.problems]
    scan = [m for m in messages if "scan.txt" in m]
    legacy = [m for m in messages if "legacy.txt" in m]
    assert len(scan) == 1 and "binary" in scan[0]
    assert len(legacy) == 1 and "UTF-8" in legacy[0]
    assert len(report.sources) == 4


def test_read_corpus_reports_manifest_rows_for_absent_files(corpus: Path) -> None:
    report = read_corpus(corpus)
    absent = [p for p in report.problems if isinstance(p, ManifestError)]
    assert len(absent) == 1
    assert "gone.txt" in str(absent[0])
    assert absent[0].path == str(corpus / "manifest.csv")


def test_read_corpus_does_not_report_manifest_rows_for_bad_files(tmp_path: Path) -> None:
    """A listed file that exists but cannot be read is reported once, as unreadable."""
    (tmp_path / "ok.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "scan.txt").write_bytes(b"%PDF-1.4\n")
    write_manifest(tmp_path, HEADER + "scan.txt,Scan,,,\nok.txt,OK,,,\n")
    report = read_corpus(tmp_path)
    assert [s.path for s in report.sources] == ["ok.txt"]
    assert len(report.problems) == 1 and "binary" in str(report.problems[0])


def test_read_corpus_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_corpus(tmp_path / "nope")


def test_read_corpus_file_instead_of_folder_raises(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    with pytest.raises(InputError):
        read_corpus(tmp_path / "a.txt")


def test_read_corpus_blank_spans_come_from_non_body_spans(tmp_path: Path) -> None:
    text = BODY + "Nội dung. Ảnh: VGP/Nhật Bắc\n"
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (source,) = read_corpus(tmp_path).sources
    assert [source.text[s:e] for s, e in source.blank] == [" Ảnh: VGP/Nhật Bắc"]


@pytest.mark.skipif(not (SHARED / "corpus").is_dir(), reason="../shared/corpus is absent")
def test_shared_corpora_read_without_problems() -> None:
    for folder in sorted(p for p in (SHARED / "corpus").iterdir() if p.is_dir()):
        report = read_corpus(folder)
        assert report.problems == [], folder
        assert report.sources, folder
        for source in report.sources:
            assert source.text == (folder / source.path).read_bytes().decode("utf-8-sig")
            assert source.meta.title is not None, source.path  # every file is in its manifest


# --- non_body_spans() ------------------------------------------------------------------------


def test_photo_credit_at_end_of_caption_line() -> None:
    text = (
        "Thủ tướng phát biểu tại cuộc họp. Ảnh: VGP/Nhật Bắc\n"
        "Bộ Y tế báo cáo tình hình (Ảnh minh họa: TTXVN)\n" + BODY
    )
    assert spans_text(text) == [" Ảnh: VGP/Nhật Bắc", "(Ảnh minh họa: TTXVN)"]


def test_credit_word_inside_a_sentence_is_body() -> None:
    text = "Ảnh hưởng của dịch đến kinh tế là rất lớn, cần có giải pháp hỗ trợ kịp thời.\n" + BODY
    assert spans_text(text) == []


def test_repeated_line_second_occurrence_only() -> None:
    caption = "Quang cảnh cuộc họp trực tuyến với các tỉnh phía Nam."
    text = f"{caption}\n{BODY}{caption}\nĐoạn kết.\n"
    spans = non_body_spans(text)
    assert [text[s:e] for s, e in spans] == [caption]
    assert spans[0][0] == text.index(caption, 1)


def test_repeated_caption_with_its_credit_counts_as_a_repeat() -> None:
    caption = "Quang cảnh cuộc họp trực tuyến với các tỉnh phía Nam"
    text = f"{caption}. Ảnh: VGP\n{BODY}{caption}.\nĐoạn kết.\n"
    assert spans_text(text) == [" Ảnh: VGP", f"{caption}."]


def test_short_repeated_lines_are_kept() -> None:
    text = f"Điều 1.\n{BODY}Điều 1.\nĐoạn kết.\n"
    assert spans_text(text) == []


def test_dateline_is_marked() -> None:
    text = "(Chinhphu.vn) - Sáng 14/7, Thủ tướng chủ trì cuộc họp trực tuyến.\n" + BODY
    assert spans_text(text) == ["(Chinhphu.vn) - "]


def test_agency_dateline_with_en_dash() -> None:
    text = "(TTXVN) – Chiều 20/7, Bộ Y tế họp.\n" + BODY
    assert spans_text(text) == ["(TTXVN) – "]


def test_closing_all_caps_byline() -> None:
    text = BODY + "Đoạn cuối của bài.\n\nNHẬT BẮC\n"
    assert spans_text(text) == ["NHẬT BẮC"]


def test_closing_byline_with_agency_in_brackets() -> None:
    text = BODY + "Đoạn cuối của bài.\nTHU HẰNG (TTXVN)\n"
    assert spans_text(text) == ["THU HẰNG (TTXVN)"]


def test_all_caps_heading_in_the_body_is_not_a_byline() -> None:
    text = "THÔNG BÁO\n" + BODY + "KẾT LUẬN\n" + BODY.replace("các tỉnh", "Hà Nội") + "Đoạn kết.\n"
    assert spans_text(text) == []


def test_spans_lie_inside_the_text_with_crlf() -> None:
    text = (
        ("(Chinhphu.vn) - Mở đầu.\r\n" + BODY + "Bức ảnh. Ảnh: VGP\r\nPHẠM HÙNG\r\n")
        .replace("\n", "\r\n")
        .replace("\r\r", "\r")
    )
    spans = non_body_spans(text)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert "(Chinhphu.vn) - " in [text[s:e] for s, e in spans]
    assert any(text[s:e].strip() == "PHẠM HÙNG" for s, e in spans)


def test_signature_block_role_line_is_not_a_byline() -> None:
    text = (
        "Số: 999/QĐ-TTg\n"
        + BODY
        + "Điều 2. Quyết định này có hiệu lực từ ngày ký.\n\n"
        + "KT. THỦ TƯỚNG\nPHÓ THỦ TƯỚNG\nVũ Đức Đam\n"
    )
    assert spans_text(text) == []


def test_signature_block_with_blank_line_is_body() -> None:
    text = BODY + "\nKT. THỦ TƯỚNG\nPHÓ THỦ TƯỚNG\n\nVũ Đức Đam\n"
    assert spans_text(text) == []
