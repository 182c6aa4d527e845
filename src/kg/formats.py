"""Text out of the files users really have: saved web pages (main text only, via trafilatura),
PDFs (text layer, page by page, with wrapped lines rejoined), Word files (paragraphs and tables
in document order) and, with the `ocr` extra, scans. What comes out is the text every evidence
offset refers to; for a PDF, the page each stretch came from is kept too."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from kg.errors import InputError

TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = {
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
_SENTENCE_END = re.compile(r"[.:;!?…)\]”\"]\s*$")


@dataclass(frozen=True)
class Extracted:
    """The text of a non-text file, and what the file itself says about it."""

    text: str
    kind: str
    pages: tuple[tuple[int, int, int], ...] = ()  # (start, end, page number) in `text`
    title: str | None = None
    date: date | None = None
    url: str | None = None
    confidence: float | None = None  # OCR's mean word confidence, 0..1
    notes: tuple[str, ...] = field(default=())  # what the reader warned of (a damaged file)


def _damaged(exc: Exception) -> str:
    """Why a parser gave up on a file, for the problem report. pypdf and python-docx fail on
    damaged files in open-ended ways (a zlib error in a zip member, malformed XML, an unknown
    PDF stream filter, pypdf's LimitReachedError…), so their callers catch every Exception:
    any failure of the parser means the file is unreadable, and one bad file must never stop
    the corpus being read."""
    message = " ".join(str(exc).split())
    if len(message) > 160:
        message = message[:157] + "..."
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def kind_of(path: Path) -> str | None:
    return SUFFIXES.get(path.suffix.lower())


def extract(path: Path, raw: bytes) -> Extracted:
    """Text of an HTML, PDF, DOCX or image file; raises InputError naming the file. What the
    readers log about a damaged file they could still read comes back in `notes`."""
    kind = kind_of(path)
    readers = {"html": _html, "pdf": _pdf, "docx": _docx, "image": _image}
    if kind not in readers:
        raise InputError(path, f"no reader for {path.suffix!r} files")
    with _reader_log() as logged:
        extracted = readers[kind](path, raw)
    if logged:
        extracted = replace(extracted, notes=tuple(dict.fromkeys(logged)))
    return extracted


# The loggers of the readers, which otherwise print a bare line ("EOF marker not found") that
# names no file, through logging's last-resort handler.
_READER_LOGGERS = ("pypdf", "trafilatura", "htmldate", "courlan", "docx", "PIL")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(" ".join(record.getMessage().split())[:160])


@contextlib.contextmanager
def _reader_log() -> Iterator[list[str]]:
    """Warnings the readers log while the block runs, collected instead of printed."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in _READER_LOGGERS]
    propagate = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield handler.messages
    finally:
        for logger, before in zip(loggers, propagate, strict=True):
            logger.removeHandler(handler)
            logger.propagate = before


# HTML -------------------------------------------------------------------------------------


def _html(path: Path, raw: bytes) -> Extracted:
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError(path, "reading HTML needs the trafilatura package") from exc
    try:
        text = trafilatura.extract(
            raw, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
        )
        meta = trafilatura.extract_metadata(raw.decode("utf-8", errors="replace"))
    except Exception as exc:  # see _damaged
        raise InputError(path, f"not a readable web page ({_damaged(exc)})") from exc
    if not text or not text.strip():
        raise InputError(path, "no article text found in this web page")
    when = None
    if meta is not None and meta.date:
        try:
            when = date.fromisoformat(str(meta.date)[:10])
        except ValueError:
            when = None
    return Extracted(
        text=text,
        kind="html",
        title=(meta.title if meta is not None else None) or None,
        date=when,
        url=(meta.url if meta is not None else None) or None,
    )


# PDF --------------------------------------------------------------------------------------


def reflow(page_text: str) -> str:
    """Rejoin lines a PDF wrapped at the page margin, so a name or a sentence broken across
    two lines reads as one. A line ending well short of the widest line, or with a sentence
    mark, ends its paragraph."""
    lines = [line.rstrip() for line in page_text.split("\n")]
    widest = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line.strip():
            previous = out[-1]
            wrapped = len(previous) >= 0.75 * widest and not _SENTENCE_END.search(previous)
            if wrapped:
                out[-1] = previous + " " + line.strip()
                continue
        out.append(line)
    return "\n".join(out).strip("\n")


def _pdf(path: Path, raw: bytes) -> Extracted:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError(path, "reading PDF needs the pypdf package") from exc
    try:
        reader = PdfReader(io.BytesIO(raw))
        page_texts = [reflow(page.extract_text() or "") for page in reader.pages]
        title = None
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title)
    except Exception as exc:  # see _damaged: any failure of the parser means "unreadable"
        raise InputError(path, f"not a readable PDF ({_damaged(exc)})") from exc
    if not any(t.strip() for t in page_texts):
        raise InputError(
            path,
            "PDF has no text layer (a scan): convert its pages to images and install "
            "kg[ocr] with Tesseract's Vietnamese model to read them",
        )
    parts: list[str] = []
    pages: list[tuple[int, int, int]] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        if parts:
            parts.append("\n\n")
            offset += 2
        parts.append(page_text)
        pages.append((offset, offset + len(page_text), number))
        offset += len(page_text)
    return Extracted(text="".join(parts), kind="pdf", pages=tuple(pages), title=title)


# DOCX -------------------------------------------------------------------------------------


def _docx(path: Path, raw: bytes) -> Extracted:
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise InputError(path, "reading Word files needs the python-docx package") from exc
    try:
        document = docx.Document(io.BytesIO(raw))
        text = "\n".join(_blocks(document.element.body)).strip()
        title = document.core_properties.title or None
    except Exception as exc:  # see _damaged: any failure of the parser means "unreadable"
        raise InputError(path, f"not a readable .docx file ({_damaged(exc)})") from exc
    if not text:
        raise InputError(path, "the Word file has no text")
    return Extracted(text=text, kind="docx", title=title)


def _blocks(body) -> list[str]:
    """The text blocks of a Word document's body, in document order."""
    blocks: list[str] = []
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(_paragraph_text(child))
        elif tag == "tbl":
            # each cell on its own line: a header table's two columns are two blocks of text
            for cell in child.iter():
                if cell.tag.endswith("}tc"):
                    blocks.append(
                        "\n".join(_paragraph_text(p) for p in cell.iter() if p.tag.endswith("}p"))
                    )
    return blocks


def _paragraph_text(paragraph) -> str:
    """A Word paragraph's text, with its line breaks and tabs."""
    parts = []
    for node in paragraph.iter():
        name = node.tag.rsplit("}", 1)[-1]
        if name == "t":
            parts.append(node.text or "")
        elif name in ("br", "cr"):
            parts.append("\n")
        elif name == "tab":
            parts.append("\t")
    return "".join(parts)


# images -----------------------------------------------------------------------------------


def ocr_available() -> bool:
    """Whether scans can be read: pytesseract and Tesseract with its Vietnamese model."""
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return False
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        return "vie" in pytesseract.get_languages(config="")
    except Exception:  # pragma: no cover - a broken Tesseract install
        return False


def _image(path: Path, raw: bytes) -> Extracted:
    if not ocr_available():
        raise InputError(
            path,
            "reading scans needs OCR: pip install 'kg[ocr]' and the Debian packages "
            "tesseract-ocr and tesseract-ocr-vie",
        )
    import pytesseract
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(raw))
        data = pytesseract.image_to_data(image, lang="vie", output_type=pytesseract.Output.DICT)
        confidences = [float(c) for c in data["conf"] if str(c) not in ("-1", "-1.0")]
        text = pytesseract.image_to_string(image, lang="vie").strip()
    except Exception as exc:  # see _damaged (and PIL's DecompressionBombError)
        raise InputError(path, f"not a readable image ({_damaged(exc)})") from exc
    if not text:
        raise InputError(path, "OCR found no text in this image")
    mean = sum(confidences) / len(confidences) / 100 if confidences else None
    return Extracted(text=text, kind="image", confidence=mean)
