"""Read a corpus folder: documents, the optional manifest.csv, and the parts of each text that
are not body (photo credits, bylines, repeated captions). Bad files are reported, not fatal."""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kg.errors import InputError, ManifestError
from kg.formats import SUFFIXES, Extracted, extract, kind_of

DOCUMENT_SUFFIXES = tuple(SUFFIXES)
MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = ("file", "title", "date", "publisher", "language")


@dataclass(frozen=True)
class ManifestEntry:
    file: str
    title: str | None = None
    date: date | None = None
    publisher: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Source:
    """One document as read from disk; `text` is exactly what evidence offsets index."""

    path: str  # relative to the corpus folder, "/"-separated
    text: str
    sha256: str
    meta: ManifestEntry
    kind: str = "text"  # text, html, pdf, docx or image: for all but text, `text` was extracted
    pages: tuple[tuple[int, int, int], ...] = ()  # (start, end, page) in `text`, for PDFs
    confidence: float | None = None  # OCR's confidence in the text, for scans

    @functools.cached_property
    def blank(self) -> tuple[tuple[int, int], ...]:
        """Spans of the text that are not the body (photo credits, bylines, repeated lines),
        found when the document is analysed rather than when the corpus is listed, so that a
        rebuild that skips unchanged documents does not pay for them."""
        return tuple(non_body_spans(self.text))

    def page_of(self, offset: int) -> int | None:
        return next((page for start, end, page in self.pages if start <= offset <= end), None)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class IngestReport:
    """What was read and what was skipped, with the reason for each skip."""

    sources: list[Source] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)
    # files read in spite of damage their reader warned of: some of their text may be missing
    notes: list[InputError] = field(default_factory=list)


def decode(raw: bytes, path: Path) -> str:
    """Decode a document as UTF-8 (BOM removed) or UTF-16 with a BOM; refuse anything else."""
    if not raw.strip():
        raise InputError(path, "file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid UTF-16 ({exc.reason})") from exc
        if not text.strip():
            raise InputError(path, "file is empty")
        return text
    if b"\x00" in raw[:4096] or raw.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8")):
        raise InputError(path, "binary file (not plain text); convert it to UTF-8 text first")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"not UTF-8 (byte {exc.start}: {exc.reason}); re-save it as UTF-8 "
            "(legacy Vietnamese encodings such as Windows-1258 or TCVN3 are not read)",
        ) from exc
    if not text.strip():
        raise InputError(path, "file is empty")
    return text


def _parse_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    return date.fromisoformat(value[:10])


def read_manifest(folder: Path) -> tuple[dict[str, ManifestEntry], list[ManifestError]]:
    """Manifest rows keyed by file (path or bare name). Bad rows are reported with their line."""
    path = folder / MANIFEST_NAME
    entries: dict[str, ManifestEntry] = {}
    problems: list[ManifestError] = []
    if not path.is_file():
        return entries, problems
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return entries, [ManifestError(path, f"cannot read manifest: {exc}")]
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "file" not in reader.fieldnames:
        return entries, [ManifestError(path, f"header must name the columns {MANIFEST_COLUMNS}", 1)]
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(ManifestError(path, "row has more cells than the header", line))
        name = (row.get("file") or "").strip()
        if not name:
            problems.append(ManifestError(path, "row has no file name", line))
            continue
        try:
            when = _parse_date(row.get("date") or "")
        except ValueError:
            problems.append(
                ManifestError(path, f"date {row.get('date')!r} is not ISO 8601 (YYYY-MM-DD)", line)
            )
            when = None
        entries[name] = ManifestEntry(
            file=name,
            title=(row.get("title") or "").strip() or None,
            date=when,
            publisher=(row.get("publisher") or "").strip() or None,
            language=(row.get("language") or "").strip() or None,
        )
    return entries, problems


_CREDIT = re.compile(
    r"(?:\(?\s*(?:Ảnh|Ảnh minh họa|Ảnh minh hoạ|Nguồn ảnh|Photo|Video)\s*:\s*[^\n)]{1,60}\)?)\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*(?:[A-ZÀ-ỸĐ][A-ZÀ-ỸĐ.]*\s*){1,5}(?:\s*\([^)]{1,40}\))?\s*$")
_DATELINE = re.compile(r"^\s*\((?:[A-Z][\w.]*\.(?:vn|com|net|org)|[A-Z]{2,8})\)\s*[-–—]\s*")
_NOISE_LINE = re.compile(
    r"^\s*(?:In bài này|Top|Chia sẻ|Bình luận|[.;,]|\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2})\s*$"
)


def non_body_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` that are not body text: photo credits, a closing byline in capitals,
    page furniture, and lines repeating an earlier line (captions shown twice)."""
    spans: list[tuple[int, int]] = []
    seen: set[str] = set()
    offset = 0
    lines = text.split("\n")
    last_content = max((i for i, ln in enumerate(lines) if ln.strip(" .;\r")), default=-1)
    for index, line in enumerate(lines):
        start, end = offset, offset + len(line)
        offset = end + 1
        stripped = line.strip()
        if not stripped:
            continue
        credit = _CREDIT.search(line) if ":" in line else None  # every credit has a colon
        body = line[: credit.start()] if credit else line
        key = " ".join(body.strip().rstrip(".").casefold().split())
        if len(key) > 20 and key in seen:
            spans.append((start, end))
            continue
        if len(key) > 20:
            seen.add(key)
        if credit:
            spans.append((start + credit.start(), end))
        dateline = _DATELINE.match(line)
        if dateline:
            spans.append((start, start + dateline.end()))
        if _NOISE_LINE.match(line):
            spans.append((start, end))
        elif index == last_content and _BYLINE.match(line) and len(stripped) < 40:
            # a name in capitals closing an article is its author's byline
            if stripped.upper() == stripped and any(c.isalpha() for c in stripped):
                spans.append((start, end))
    return spans


def iter_files(folder: Path) -> Iterator[Path]:
    """Documents under `folder`, recursively, in a stable order."""
    for path in sorted(folder.rglob("*")):
        if path.name == MANIFEST_NAME or path.name.startswith("."):
            continue
        if path.suffix.lower() in DOCUMENT_SUFFIXES and (path.is_file() or path.is_symlink()):
            yield path


MAX_BYTES = 10 * 1024 * 1024


def read_corpus(folder: str | Path, max_bytes: int = MAX_BYTES) -> IngestReport:
    """Read every document of `folder`; problems are collected, never raised. Files larger
    than `max_bytes` are skipped: no press release or notice is that long, and analysing one
    would hold the whole text and its offset tables in memory."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(root, "corpus folder does not exist or is not a folder")
    manifest, manifest_problems = read_manifest(root)
    report = IngestReport(problems=list(manifest_problems))
    known: set[str] = set()
    for path in iter_files(root):
        rel = path.relative_to(root).as_posix()
        known.update({rel, path.name})
        try:
            size = path.stat().st_size
            if size > max_bytes:
                report.problems.append(
                    InputError(
                        path,
                        f"file is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:.1f} MB "
                        "limit for one document (split it, or raise the limit)",
                    )
                )
                continue
            raw = path.read_bytes()
        except OSError as exc:
            report.problems.append(InputError(path, f"cannot read: {exc.strerror or exc}"))
            continue
        kind = kind_of(path) or "text"
        extracted: Extracted | None = None
        try:
            if kind == "text":
                text = decode(raw, path)
            else:
                extracted = extract(path, raw)
                text = extracted.text
        except InputError as exc:
            report.problems.append(exc)
            continue
        except Exception as exc:  # a reader's surprise must not stop the corpus being read
            report.problems.append(
                InputError(
                    path,
                    f"could not be read ({type(exc).__name__}: {exc}); please report this file",
                )
            )
            continue
        meta = manifest.get(rel) or manifest.get(path.name) or ManifestEntry(file=rel)
        if extracted is not None and extracted.notes:
            shown = "; ".join(extracted.notes[:3])
            more = f" (and {len(extracted.notes) - 3} more)" if len(extracted.notes) > 3 else ""
            report.notes.append(
                InputError(path, f"read, but damaged; some text may be missing: {shown}{more}")
            )
        if extracted is not None:
            meta = ManifestEntry(
                file=meta.file,
                title=meta.title or extracted.title,
                date=meta.date or extracted.date,
                publisher=meta.publisher,
                language=meta.language,
            )
        report.sources.append(
            Source(
                path=rel,
                text=text,
                sha256=hashlib.sha256(raw).hexdigest(),
                meta=meta,
                kind=kind,
                pages=extracted.pages if extracted else (),
                confidence=extracted.confidence if extracted else None,
            )
        )
    for name in sorted(set(manifest) - known):
        report.problems.append(
            ManifestError(root / MANIFEST_NAME, f"lists {name!r}, which is not in the corpus")
        )
    return report
