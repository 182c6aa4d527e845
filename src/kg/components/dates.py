"""Vietnamese dates: "29/5/2021", "ngày 11 tháng 6 năm 2021", and "11/9" or "Chiều 5/9", whose
year comes from the document's date (manifest, header, or the latest full date in the text)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import DocAnalysis, get_analysis
from kg.lexicon import default_lexicon

# Each pattern opens with a digit, not a look-behind, so the regex engine skips ahead to the
# next digit instead of trying every position: "\d(?<!X\d)\d?" is "(?<!X)\d{1,2}", the
# look-behind moved past the first digit.
_WORDY = re.compile(r"(\d(?<!\d\d)\d?)\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})(?!\d)", re.IGNORECASE)
_NUMERIC = re.compile(r"(\d(?<![\d/.]\d)\d?)\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")
_SHORT = re.compile(
    r"(\d(?<![\d/.]\d)\d?)/(\d{1,2})(?![\d/]|\s*(?:địa phương|tỉnh|huyện|xã|ca|người|F))"
)


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, reference: date | None) -> list[tuple[int, int, date, bool]]:
    """(start, end, date, year_was_written) for every date in `text`."""
    found: list[tuple[int, int, date, bool]] = []
    taken: list[tuple[int, int]] = []
    for pattern in (_WORDY, _NUMERIC):
        for m in pattern.finditer(text):
            value = _make(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            if value and not any(s < m.end() and m.start() < e for s, e in taken):
                found.append((m.start(), m.end(), value, True))
                taken.append((m.start(), m.end()))
    if reference is not None:
        cues = default_lexicon().texts("date_cue")
        for m in _SHORT.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            before = text[max(0, m.start() - 12) : m.start()].casefold().rstrip()
            range_end = text[max(0, m.start() - 1) : m.start()] == "-"
            if not (range_end or any(before.endswith(c) for c in cues) or before.endswith(",")):
                continue
            value = _make(reference.year, int(m.group(2)), int(m.group(1)))
            if value is None:
                continue
            if value > reference + timedelta(days=45):
                value = _make(reference.year - 1, value.month, value.day) or value
            found.append((m.start(), m.end(), value, False))
    return sorted(found, key=lambda d: d[0])


_HEADER_DATE = re.compile(
    r"^[^\n,]{2,40},\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.MULTILINE
)


def reference_date(analysis: DocAnalysis) -> date | None:
    """The date a document speaks from: manifest, else its header, else its latest full date."""
    if analysis.source.meta.date:
        return analysis.source.meta.date
    text = analysis.clean.text
    header = _HEADER_DATE.search(text)
    if header:
        value = _make(int(header.group(3)), int(header.group(2)), int(header.group(1)))
        if value:
            return value
    explicit = [d for _, _, d, _ in find_dates(text, None)]
    return max(explicit) if explicit else None


class DateFinder:
    def __call__(self, doc: Doc) -> Doc:
        analysis = get_analysis(doc)
        if analysis.ref_date is None:
            analysis.ref_date = reference_date(analysis)
        analysis.dates = find_dates(analysis.text, analysis.ref_date)
        return doc


@Language.factory("kg_dates")
def make_dates(nlp: Language, name: str) -> DateFinder:
    return DateFinder()
