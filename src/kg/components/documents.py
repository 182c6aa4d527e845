"""Official documents by the grammar of Vietnamese document codes — "07-KL/TW", "68/NQ-CP",
"10-TB/VPTW", "234/BC-BCSD", "Công điện số 1099" — with type and issuer read from the code and
the words around it ("… ngày 11 tháng 6 năm 2021 của Bộ Chính trị"), and, for a document that is
itself an official text, its header (number, place and date) and signature block."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from kg.annotations import DocAnalysis, Fact, Mention, get_analysis
from kg.components.gazetteer import register_org, register_post
from kg.components.people import person_key
from kg.gazetteers import Gazetteers, code_key, default_gazetteers, slug
from kg.matching import Word, words_of
from kg.reference import DocType, Organization, Post
from kg.text import fold

# Opens with a digit rather than a look-behind, so the regex engine skips to the next digit:
# "\d(?<![\w/.-]\d)\d{0,4}" is "(?<![\w/.-])\d{1,5}" with the look-behind past the first digit.
_CODE = re.compile(
    r"(?P<num>\d(?<![\w/.-]\d)\d{0,4})(?:/(?P<year>(?:19|20)\d{2}))?[ ]*(?P<s1>[-/])[ ]*"
    r"(?P<a>[A-ZĐ][A-Za-zĐđ]{0,7})"
    r"(?:[ ]*(?P<s2>[-/])[ ]*(?P<b>[A-ZĐ][A-Za-zĐđ0-9&]{0,11}))?"
    r"(?:[ ]*(?P<s3>[-/])[ ]*(?P<c>[A-ZĐ][A-Za-zĐđ0-9&]{0,11}))?(?![\w])"
)
_PLAIN = re.compile(r"(?P<num>\d{1,5})(?![\d/]|[.,]\d|[ ]*[-/][ ]*[A-ZĐ])")
_HEADER_NUMBER = re.compile(r"^[ \t]*Số[ \t]*:?[ \t]*", re.MULTILINE)
_HEADER_DATE = re.compile(r",\s*ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}")
_SIGNATURE = re.compile(r"(?:Đã ký|\(Đã ký\)|\(đã ký\)|Ký tên)\s*:?\s*$")
_BETWEEN_FILLER = re.compile(
    r"ngày|tháng|năm|số|và|ký|ban hành|[\d/.,()\s-]|[A-ZĐ]{1,6}", re.IGNORECASE
)
_UNIT = re.compile(
    r"^\s*(?:ngày|tháng|năm|triệu|tỷ|nghìn|ca|người|liều|%|điểm|xã|tỉnh)", re.IGNORECASE
)
_NEEDS_SO = {"KH", "BC", "TB", "CV", "HD"}


@dataclass
class Citation:
    start: int
    end: int
    number: str
    doc_type: DocType | None
    issuer_codes: tuple[str, ...]
    own: bool = False


class DocumentFinder:
    def __init__(self, gazetteers: Gazetteers) -> None:
        self.g = gazetteers

    def __call__(self, doc: Doc) -> Doc:
        analysis = get_analysis(doc)
        text = analysis.text
        citations = self._find(text, analysis.words(), analysis.word_positions())
        own = self._own_numbers(text, citations)
        for index, citation in enumerate(citations):
            self._describe(analysis, text, citation, citations[index + 1 :], own)
        return doc

    # finding numbers -------------------------------------------------------------------------
    def _find(
        self,
        text: str,
        words: list[Word] | None = None,
        positions: dict[str, list[int]] | None = None,
    ) -> list[Citation]:
        found: list[Citation] = []
        if words is None:
            words = words_of(text)
        type_before: dict[int, tuple[int, DocType]] = {}
        for m in self.g.doc_type_words.find_all(text, words, positions):
            if not text[m.start].isupper() and not text[m.start : m.end].islower():
                continue
            after = re.match(r"[ ]+(?:số[ ]*:?[ ]*)?", text[m.end : m.end + 12])
            if after:
                type_before[m.end + after.end()] = (m.start, m.value)
        for m in _CODE.finditer(text):
            a, b, c = m.group("a"), m.group("b"), m.group("c")
            doc_type = self.g.doc_type_codes.get(code_key(a))
            issuers = tuple(x for x in (b, c) if x)
            if doc_type is None:
                if code_key(a) in self.g.issuer_codes and b:
                    doc_type = self.g.doc_type_codes.get("CV")
                    issuers = (a,)
                elif m.start() not in type_before:
                    continue
            number = "".join(
                part or ""
                for part in (
                    m.group("num"),
                    "/" + m.group("year") if m.group("year") else "",
                    m.group("s1"),
                    a,
                    m.group("s2"),
                    b,
                    m.group("s3"),
                    c,
                )
            )
            word_type = type_before.get(m.start())
            if word_type and text[m.start() - 4 : m.start()].strip() and word_type[1]:
                doc_type = word_type[1]
            start = word_type[0] if word_type else m.start()
            found.append(Citation(start, m.end(), number, doc_type, issuers))
        for pos, (start, doc_type) in sorted(type_before.items()):
            if any(c.start <= pos < c.end for c in found):
                continue
            m = _PLAIN.match(text, pos)
            if not m or _UNIT.match(text[m.end() : m.end() + 10]):
                continue
            said_so = bool(re.search(r"số[ ]*:?[ ]*$", text[start:pos]))
            if code_key(doc_type.code) in _NEEDS_SO and not said_so:
                continue
            found.append(Citation(start, m.end(), m.group("num"), doc_type, ()))
        return sorted(found, key=lambda c: c.start)

    def _own_numbers(self, text: str, citations: list[Citation]) -> dict[int, Citation]:
        """Numbers in a header line "Số: …" — the document itself, or a copy's stamp."""
        own: dict[int, Citation] = {}
        for m in _HEADER_NUMBER.finditer(text):
            for c in citations:
                if c.start == m.end() or (c.start <= m.end() < c.end):
                    c.own = True
                    own[c.start] = c
        return own

    # describing ---------------------------------------------------------------------------
    def _describe(self, analysis: DocAnalysis, text: str, c: Citation, later, own) -> None:
        key = f"document:{slug(c.number)}"
        analysis.add_entity("document", key, c.number, number=c.number)
        analysis.add_mention(
            Mention("document", c.start, c.end, key, text[c.start : c.end], "document-code")
        )
        args: dict[str, str] = {"document": key}
        also: list[tuple[int, int]] = []
        if c.doc_type is not None:
            args["type"] = c.doc_type.label
            if c.own:
                title = self._title_type(text, c.end)
                if title is not None:
                    args["type"] = title[0].label
                    also.append(title[1])
        sentence = analysis.sentence_of(c.start)
        limit = min([sentence[1], *(x.start for x in later), c.end + 90])
        issuer = self._issuer_after(analysis, text, c.end, limit) or self._issuer_from_code(
            analysis, text, c
        )
        if issuer is not None:
            args["issuer"] = issuer
        when = self._date_after(analysis, text, c, limit)
        if when is not None:
            args["date"] = when[0]
            also.append(when[1])
        if c.own and c is next(iter(own.values()), None):
            signer = self._signer(analysis, text, args.get("issuer"))
            if signer is not None:
                args["signer"] = signer[0]
                also.append(signer[1])
        analysis.add_fact(
            Fact("citation", args, (c.start, c.end), "document-code", 1.0, tuple(also))
        )

    def _title_type(self, text: str, after: int):
        """The capitalised title of an official document ("THÔNG BÁO") below its number."""
        for line in re.finditer(r"^[^\n]+$", text[after : after + 600], re.MULTILINE):
            content = line.group().strip()
            if content and content.upper() == content and any(ch.isalpha() for ch in content):
                for doc_type in self.g.ref.doc_types.values():
                    if fold(content) == fold(doc_type.label):
                        start = after + line.start() + line.group().index(content)
                        return doc_type, (start, start + len(content))
        return None

    def _issuer_after(self, analysis, text, end, limit) -> str | None:
        m = re.compile(r"\bcủa\s+").search(text, end, limit + 40)
        if m is None:
            return None
        between = text[end : m.start()]
        for doc_type in self.g.ref.doc_types.values():
            between = re.sub(re.escape(doc_type.label), "", between, flags=re.IGNORECASE)
        if ";" in between or "\n" in between or _BETWEEN_FILLER.sub("", between).strip():
            return None
        pos = m.end()
        candidates = [
            x
            for x in analysis.mentions
            if x.start == pos and x.kind in ("post", "organization", "person")
        ]
        if not candidates:
            return None
        best = max(candidates, key=lambda x: (x.end, x.kind == "post"))
        return best.key

    def _issuer_from_code(self, analysis, text, c: Citation) -> str | None:
        for code in c.issuer_codes:
            found = self.g.issuer_codes.get(code_key(code))
            if isinstance(found, Organization):
                key = register_org(analysis, found)
                analysis.add_mention(
                    Mention(
                        "organization",
                        c.start,
                        c.end,
                        key,
                        text[c.start : c.end],
                        "issuer-code",
                        0.9,
                    )
                )
                return key
            if isinstance(found, Post):
                return register_post(analysis, self.g, found.label, found, None)
            expansion = self.g.generic_codes.get(code_key(code))
            if expansion:
                s_start, _ = analysis.sentence_of(c.start)
                prev = max(
                    (s for s in analysis.sentences if s[1] <= s_start), default=(s_start, s_start)
                )
                window = (prev[0], c.start)
                matches = [
                    m
                    for m in analysis.mentions_of("organization")
                    if window[0] <= m.start < window[1]
                    and fold(analysis.entities[m.key].label).startswith(fold(expansion))
                ]
                if matches:
                    return matches[-1].key
        return None

    @staticmethod
    def _date_after(analysis, text, c: Citation, limit):
        """The date "ngày …" right after the number; or, in "Ngày 30/6, … ban hành Quyết định
        1022/QĐ-TTg", the date the sentence gives for issuing or signing it."""
        found = DocumentFinder._date_following(analysis, text, c, limit)
        if found is not None or c.own:
            return found
        s_start, _ = analysis.sentence_of(c.start)
        before = [d for d in analysis.dates if s_start <= d[0] and d[1] <= c.start]
        if before and re.search(r"\b(?:ban hành|ký|thông qua)\b", text[before[-1][1] : c.start]):
            start, end, value, _ = before[-1]
            if not any(
                x.start < start
                for x in analysis.mentions_of("document")
                if s_start <= x.start < c.start
            ):
                return value.isoformat(), (start, end)
        return None

    @staticmethod
    def _date_following(analysis, text, c: Citation, limit):
        header = None
        if c.own:
            header = _HEADER_DATE.search(text, max(0, c.start - 300), c.end + 300)
        for start, end, value, _ in analysis.dates:
            if header is not None and header.start() <= start < header.end():
                return value.isoformat(), (start, end)
            if (
                header is None
                and c.end <= start < limit
                and "ngày" in text[max(c.end, start - 8) : start]
            ):
                return value.isoformat(), (start, end)
        return None

    def _signer(self, analysis, text, issuer_key: str | None):
        people = sorted(analysis.mentions_of("person"), key=lambda m: m.start)
        for person in reversed(people):
            line_start = text.rfind("\n", 0, person.start) + 1
            before = text[line_start : person.start]
            if not _SIGNATURE.search(before) and before.strip():
                continue
            role_line = self._role_line_above(text, line_start)
            if not (_SIGNATURE.search(before) or role_line):
                continue
            if role_line is not None:
                self._signer_post(analysis, person, role_line, issuer_key)
            return person.key, (person.start, person.end)
        return None

    def _role_line_above(self, text: str, line_start: int):
        lines = text[:line_start].rstrip("\n").split("\n")
        for line in reversed(lines[-3:]):
            content = line.strip()
            if not content:
                continue
            words = words_of(content)
            m = self.g.roles.match_at(content, words, 0) if words else None
            if m is not None and m.end == len(content.rstrip(". ")):
                return m.value
            if not _SIGNATURE.search(content):
                return None
        return None

    def _signer_post(self, analysis, person, role, issuer_key) -> None:
        label = role.label
        org_key_ = issuer_key if issuer_key and issuer_key.startswith("org:") else None
        if org_key_:
            org_label = analysis.entities[org_key_].label
            role_words, org_words = label.split(), org_label.split()
            for k in range(min(len(role_words), len(org_words)), 0, -1):
                if [fold(w) for w in role_words[-k:]] == [fold(w) for w in org_words[:k]]:
                    label = " ".join(role_words[:-k] + org_words)
                    break
            else:
                label = f"{label} {org_label}"
        key = register_post(analysis, self.g, label, role, org_key_)
        analysis.add_fact(
            Fact(
                "holds_post",
                {"person": person.key, "post": key},
                (person.start, person.end),
                "signature",
                0.9,
            )
        )


@Language.factory("kg_documents", default_config={"data_dir": None})
def make_documents(nlp: Language, name: str, data_dir: str | None) -> DocumentFinder:
    return DocumentFinder(default_gazetteers(data_dir))


__all__ = ["DocumentFinder", "make_documents", "person_key"]
