"""Each extraction stage on short texts written for these tests, with the real reference data:
what a reader of the sentence would extract, and nothing a careful reader would not."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.annotations import DocAnalysis, Mention
from kg.components.dates import _NUMERIC, _SHORT, _WORDY, find_dates
from kg.components.documents import _CODE
from kg.components.relations import _ByStart, _inside
from kg.components.sentences import _ABBREVIATION, _ENUMERATOR, split_sentences
from kg.ingest import ManifestEntry, Source
from kg.matching import (
    _COMMA_GAP,
    _PLAIN_GAP,
    WORD,
    Match,
    PhraseIndex,
    Word,
    key_positions,
    words_keyed,
    words_of,
)
from kg.pipeline import analyse, make_nlp
from kg.text import fold


@pytest.fixture(scope="module")
def nlp():
    return make_nlp()


def run(nlp, text: str, when: date | None = date(2021, 9, 6)) -> DocAnalysis:
    source = Source("t.txt", text, "0" * 64, ManifestEntry("t.txt", date=when))
    return analyse(nlp, source)


def labels(a: DocAnalysis, kind: str) -> set[str]:
    return {
        a.entities[m.key].label
        for m in a.mentions
        if m.kind == kind and m.rule != "title-reference"
    }


def facts(a: DocAnalysis, kind: str) -> set[tuple[str, ...]]:
    out = set()
    for f in a.facts:
        if f.kind == kind:
            out.add(
                tuple(
                    a.entities[v].label if v in a.entities else v for _, v in sorted(f.args.items())
                )
            )
    return out


def post_pairs(a: DocAnalysis) -> set[tuple[str, str]]:
    return {
        (a.entities[f.args["person"]].label, a.entities[f.args["post"]].label)
        for f in a.facts
        if f.kind == "holds_post"
    }


# provinces and organisations --------------------------------------------------------------


def test_province_variants_and_prefixes(nlp) -> None:
    a = run(nlp, "Đoàn công tác làm việc tại TP.HCM, tỉnh Bà Rịa-Vũng Tàu và Thủ đô Hà Nội.")
    codes = {a.entities[m.key].attrs["code"] for m in a.mentions if m.kind == "province"}
    assert codes == {"VN-SG", "VN-43", "VN-HN"}


def test_a_person_named_like_a_province_is_not_the_province(nlp) -> None:
    a = run(nlp, "Phó Thủ tướng Thường trực Trương Hòa Bình dự họp.", date(2021, 5, 29))
    assert "Trương Hòa Bình" in labels(a, "person")
    assert "Hòa Bình" not in labels(a, "province")


def test_ministries_listed_after_cac_bo(nlp) -> None:
    a = run(
        nlp,
        "Giao các Bộ: Y tế, Công an, Khoa học và Công nghệ và Ngoại giao khẩn trương mua thêm thiết bị.",
    )
    expected = {"Bộ Y tế", "Bộ Công an", "Bộ Khoa học và Công nghệ", "Bộ Ngoại giao"}
    assert expected <= labels(a, "organization")
    assert {agency for agency, _ in facts(a, "assigned")} == expected


@pytest.mark.parametrize(
    ("opening", "listed"),
    [("Các Bộ", True), ("(các Bộ", True), ("Xcác Bộ", False), ("1các Bộ", False)],
)
def test_a_list_of_ministries_opens_with_the_word_cac(nlp, opening: str, listed: bool) -> None:
    a = run(nlp, f"Giao {opening}: Y tế, Ngoại giao khẩn trương mua thêm thiết bị.")
    assert ("Bộ Ngoại giao" in labels(a, "organization")) is listed


def test_department_named_by_structure_carries_its_province(nlp) -> None:
    a = run(nlp, "Sở Y tế tỉnh Gia Lai đã báo cáo số ca mắc mới.")
    [org] = [m for m in a.mentions if m.kind == "organization"]
    assert a.entities[org.key].label == "Sở Y tế Gia Lai"
    assert a.entities[org.key].attrs["province"] == "province:VN-30"
    assert "Gia Lai" in labels(a, "province")


def test_hospital_name_stops_at_a_verb(nlp) -> None:
    a = run(nlp, "Bệnh viện Nội tiết Trung ương vào hỗ trợ tỉnh Sóc Trăng.")
    assert "Bệnh viện Nội tiết Trung ương" in labels(a, "organization")


def test_capitalised_title_lines_are_not_organisations(nlp) -> None:
    a = run(nlp, "BÁO CÁO TÓM TẮT\nII. NHIỆM VỤ THỜI GIAN TỚI\n")
    assert not labels(a, "organization")


# people and posts ----------------------------------------------------------------------------


def test_post_before_name_and_apposition_after_it(nlp) -> None:
    text = (
        "Thứ trưởng Bộ Y tế Đỗ Xuân Tuyên và ông Lê Quang Hải, Giám đốc Sở Y tế Đà Nẵng, "
        "cùng kiểm tra khu cách ly."
    )
    a = run(nlp, text)
    assert {"Đỗ Xuân Tuyên", "Lê Quang Hải"} <= labels(a, "person")
    pairs = post_pairs(a)
    assert ("Đỗ Xuân Tuyên", "Thứ trưởng Bộ Y tế") in pairs
    assert ("Lê Quang Hải", "Giám đốc Sở Y tế Đà Nẵng") in pairs


def test_a_post_that_introduces_the_next_name_is_not_the_previous_persons(nlp) -> None:
    text = "Có mặt Bí thư Thành ủy Hà Nội Đinh Tiến Dũng, Bí thư Thành ủy Thành phố Hồ Chí Minh Nguyễn Văn Nên."
    pairs = post_pairs(run(nlp, text, date(2021, 6, 1)))
    assert ("Đinh Tiến Dũng", "Bí thư Thành ủy Hà Nội") in pairs
    assert ("Nguyễn Văn Nên", "Bí thư Thành ủy Thành phố Hồ Chí Minh") in pairs
    assert ("Đinh Tiến Dũng", "Bí thư Thành ủy Thành phố Hồ Chí Minh") not in pairs


def test_a_lost_tone_mark_links_to_the_leader_and_keeps_the_text_as_written(nlp) -> None:
    a = run(nlp, "Cùng dự có đồng chí Võ Văn Thương, Thường trực Ban Bí thư.", date(2021, 8, 24))
    [m] = [m for m in a.mentions if m.kind == "person"]
    assert a.entities[m.key].label == "Võ Văn Thưởng"
    assert m.surface == "Võ Văn Thương"


def test_plural_role_is_nobodys_post(nlp) -> None:
    a = run(
        nlp,
        "Tham dự có Phó Thủ tướng Vũ Đức Đam, Bộ trưởng các Bộ: Y tế, Công an.",
        date(2021, 5, 29),
    )
    assert post_pairs(a) == {("Vũ Đức Đam", "Phó Thủ tướng")}


def test_given_name_and_bare_title_refer_back(nlp) -> None:
    text = "Chủ tịch UBND tỉnh Gia Lai Võ Ngọc Thành báo cáo. Ông Thành cho biết tỉnh đã cách ly 300 người."
    a = run(nlp, text, date(2021, 2, 4))
    given = [m for m in a.mentions if m.kind == "person" and m.rule == "given-name"]
    assert [a.entities[m.key].label for m in given] == ["Võ Ngọc Thành"]


def test_title_alone_resolves_to_the_office_holder_on_the_documents_date(nlp) -> None:
    text = "Sáng 4/8, Thủ tướng chủ trì cuộc họp về tiêm chủng."
    a = run(nlp, text, date(2021, 8, 5))
    assert facts(a, "chairs") == {("2021-08-04", "Cuộc họp ngày 2021-08-04", "Phạm Minh Chính")}
    assert "Phạm Minh Chính" not in labels(a, "person"), "a bare title is no mention of a name"
    earlier = run(nlp, text, date(2020, 8, 5))
    assert facts(earlier, "chairs") == {
        ("2020-08-04", "Cuộc họp ngày 2020-08-04", "Nguyễn Xuân Phúc")
    }


# documents and dates ----------------------------------------------------------------------


def test_document_code_with_type_date_and_issuer(nlp) -> None:
    a = run(
        nlp,
        "Thực hiện Chỉ thị số 16/CT-TTg ngày 31/3/2020 của Thủ tướng Chính phủ về cách ly xã hội.",
    )
    [cite] = [f for f in a.facts if f.kind == "citation"]
    assert a.entities[cite.args["document"]].label == "16/CT-TTg"
    assert cite.args["type"] == "Chỉ thị"
    assert cite.args["date"] == "2020-03-31"
    assert a.entities[cite.args["issuer"]].label == "Thủ tướng Chính phủ"


def test_shared_issuer_of_coordinated_numbers(nlp) -> None:
    a = run(
        nlp,
        "Các địa phương thực hiện Công điện số 1099 và Công điện số 1102 của Thủ tướng Chính phủ.",
    )
    issuers = {
        a.entities[f.args["document"]].label: a.entities[f.args["issuer"]].label
        for f in a.facts
        if f.kind == "citation"
    }
    assert issuers == {"1099": "Thủ tướng Chính phủ", "1102": "Thủ tướng Chính phủ"}


def test_issuer_first_code_is_an_official_letter(nlp) -> None:
    a = run(nlp, "Theo văn bản số 4689/BYT-MT, các bệnh viện phải phân loại chất thải.")
    [cite] = [f for f in a.facts if f.kind == "citation"]
    assert cite.args["type"] == "Công văn"
    assert a.entities[cite.args["issuer"]].label == "Bộ Y tế"


def test_header_and_signature_of_an_official_document(nlp) -> None:
    text = (
        "BỘ Y TẾ\n\nSố: 123/QĐ-BYT\n\nHà Nội, ngày 2 tháng 3 năm 2021\n\nQUYẾT ĐỊNH\n"
        "Về việc ban hành hướng dẫn tạm thời\n\nĐiều 1. Ban hành kèm theo Quyết định này hướng dẫn.\n\n"
        "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG\n\nĐã ký: Nguyễn Trường Sơn\n"
    )
    a = run(nlp, text, None)
    [cite] = [f for f in a.facts if f.kind == "citation"]
    assert cite.args["date"] == "2021-03-02"
    assert cite.args["type"] == "Quyết định"
    assert a.entities[cite.args["issuer"]].label == "Bộ Y tế"
    assert a.entities[cite.args["signer"]].label == "Nguyễn Trường Sơn"
    assert ("Nguyễn Trường Sơn", "Thứ trưởng Bộ Y tế") in post_pairs(a)


def test_short_dates_take_the_documents_year_and_fractions_are_not_dates() -> None:
    text = "Chiều 5/9, có 12/23 địa phương báo cáo; ngày 11 tháng 6 năm 2021 và 29/5/2021."
    found = [(text[s:e], d.isoformat()) for s, e, d, _ in find_dates(text, date(2021, 9, 6))]
    assert found == [
        ("5/9", "2021-09-05"),
        ("11 tháng 6 năm 2021", "2021-06-11"),
        ("29/5/2021", "2021-05-29"),
    ]


def test_short_date_after_the_document_date_belongs_to_the_previous_year() -> None:
    [(_, _, value, _)] = find_dates("Từ ngày 28/12 đến nay", date(2021, 2, 4))
    assert value == date(2020, 12, 28)


# principles -------------------------------------------------------------------------------


def test_known_principles_in_their_written_variants_and_quoted_candidates(nlp) -> None:
    text = (
        "Các địa phương thực hiện nghiêm phương châm “5k vaccine” và “bốn tại chỗ”. "
        "Tỉnh phát động phong trào “mỗi khu phố là một vành đai an toàn” trong tháng."
    )
    a = run(nlp, text)
    names = labels(a, "principle")
    assert "4 tại chỗ" in names
    assert any(name.startswith("5K") for name in names)
    assert "Mỗi khu phố là một vành đai an toàn" in names


def test_a_component_alone_is_not_the_principle(nlp) -> None:
    a = run(nlp, "Người dân cài ứng dụng Khai báo y tế trên điện thoại.")
    assert not labels(a, "principle")


def test_a_quote_without_a_cue_is_not_a_principle(nlp) -> None:
    a = run(nlp, "Ông nói: “Chúng tôi sẽ làm xong trong tuần này”.")
    assert not labels(a, "principle")


# relations --------------------------------------------------------------------------------


def test_oversight_needs_the_leader_as_subject(nlp) -> None:
    text = (
        "Phó Thủ tướng Lê Văn Thành trực tiếp chỉ đạo công tác phòng, chống dịch tại tỉnh Bắc Ninh và tỉnh Bắc Giang. "
        "Bộ Y tế báo cáo Phó Thủ tướng Vũ Đức Đam về tình hình tại Đà Nẵng."
    )
    a = run(nlp, text, date(2021, 6, 1))
    assert facts(a, "oversight") == {("Lê Văn Thành", "Bắc Ninh"), ("Lê Văn Thành", "Bắc Giang")}


def test_meeting_chair_date_and_attendees(nlp) -> None:
    text = (
        "Sáng ngày 14/7/2021, Thủ tướng Chính phủ Phạm Minh Chính đã chủ trì cuộc họp trực tuyến. "
        "Tham dự có Phó Thủ tướng Vũ Đức Đam và Bộ trưởng Bộ Y tế Nguyễn Thanh Long."
    )
    a = run(nlp, text, date(2021, 7, 15))
    assert facts(a, "chairs") == {("2021-07-14", "Cuộc họp ngày 2021-07-14", "Phạm Minh Chính")}
    assert {p for _, _, p in facts(a, "attends")} == {"Vũ Đức Đam", "Nguyễn Thanh Long"}


def test_status_lists_take_the_nearest_cue(nlp) -> None:
    text = (
        "Có 3 địa phương kiểm soát dịch tốt gồm Phú Yên, Bến Tre, Cà Mau. "
        "Đồng Nai, Long An đang tiếp tục lộ trình thực hiện đạt các tiêu chí kiểm soát dịch. "
        "Riêng Kiên Giang diễn biến phức tạp hơn; Bình Dương đã có chuyển biến tích cực."
    )
    a = run(nlp, text)
    status = facts(a, "status")
    assert status == {
        ("Phú Yên", "controlled"),
        ("Bến Tre", "controlled"),
        ("Cà Mau", "controlled"),
        ("Đồng Nai", "on_track"),
        ("Long An", "on_track"),
        ("Kiên Giang", "hotspot"),
        ("Bình Dương", "improving"),
    }


def test_negated_or_purposive_status_is_not_a_status(nlp) -> None:
    a = run(
        nlp,
        "Tỉnh Quảng Ninh quyết tâm không để dịch bùng phát; hỗ trợ Hải Dương để kiểm soát tốt dịch.",
    )
    assert not facts(a, "status")


def test_reported_actions_are_not_assignments(nlp) -> None:
    a = run(
        nlp, "Bộ Y tế cho biết đã cấp 3 máy xét nghiệm. Bộ Y tế chủ trì hướng dẫn các địa phương."
    )
    assert {agency for agency, _ in facts(a, "assigned")} == {"Bộ Y tế"}
    [(_, task)] = facts(a, "assigned")
    assert task.startswith("chủ trì hướng dẫn")


def test_components_work_by_name_in_a_plain_spacy_pipeline() -> None:
    import spacy

    plain = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    for name in (
        "kg_sentences",
        "kg_dates",
        "kg_gazetteer",
        "kg_people",
        "kg_documents",
        "kg_principles",
        "kg_relations",
    ):
        plain.add_pipe(name)
    doc = plain(
        "Phó Thủ tướng Lê Văn Thành trực tiếp chỉ đạo công tác phòng, chống dịch tại tỉnh Bắc Giang."
    )
    assert facts(doc._.kg, "oversight") == {("Lê Văn Thành", "Bắc Giang")}


def test_unnamed_province_body_refers_to_the_province_named_before(nlp) -> None:
    text = "Đoàn công tác làm việc với tỉnh Đồng Tháp. Ông Đoàn Tấn Bửu, Phó Chủ tịch UBND tỉnh cho biết đã cách ly 200 người."
    pairs = post_pairs(run(nlp, text, date(2021, 8, 12)))
    assert ("Đoàn Tấn Bửu", "Phó Chủ tịch Ủy ban nhân dân tỉnh Đồng Tháp") in pairs
    city = run(nlp, "Tại Đà Nẵng, Phó Chủ tịch UBND tỉnh Nguyễn Văn A dự họp.", date(2021, 8, 12))
    assert not any("Đà Nẵng" in post for _, post in post_pairs(city)), "a city is not a 'tỉnh'"


def test_oversight_delegated_by_the_prime_minister_goes_to_the_delegate(nlp) -> None:
    text = "Thủ tướng Phạm Minh Chính giao Phó Thủ tướng Vũ Đức Đam trực tiếp chỉ đạo công tác chống dịch tại tỉnh Bình Dương."
    assert facts(run(nlp, text, date(2021, 7, 20)), "oversight") == {("Vũ Đức Đam", "Bình Dương")}


def test_titles_without_their_final_dot_and_former_posts(nlp) -> None:
    a = run(nlp, "Theo PGS.TS Trần Đắc Phu, nguyên Cục trưởng Cục Y tế dự phòng, cần giữ vững 5K.")
    assert ("Trần Đắc Phu", "Cục trưởng Cục Y tế dự phòng") in post_pairs(a)


def test_names_listed_after_a_cued_name(nlp) -> None:
    a = run(
        nlp, "Đoàn công tác gồm các ông Lê Quang Hải, Trần Minh Đức và Phạm Văn Hòa đã đến tỉnh."
    )
    assert {"Lê Quang Hải", "Trần Minh Đức", "Phạm Văn Hòa"} <= labels(a, "person")


# --- fast paths give what the plain rules give -------------------------------------------------
# The hot loops of the components take shortcuts (regexes that open on a digit, phrase lookups
# by length, word positions by key, mentions by start); each is checked here against the plain
# version it replaced, on the kind of text that exercises it.

_PIECES = st.sampled_from(
    [
        " ",
        "  ",
        "\n",
        ",",
        ".",
        ". ",
        "/",
        "-",
        "(",
        ")",
        "“",
        "”",
        '"',
        "!",
        "? ",
        "…",
        "1",
        "07",
        "12",
        "2021",
        "1999",
        "5/9",
        "11/9/2021",
        "29.5.2021",
        "6 - 7",
        "ngày ",
        "tháng ",
        "năm ",
        "Tháng",
        "tỉnh",
        "ca",
        "người",
        "TP.",
        "TS.",
        "PGS.",
        "v.v.",
        "Ông.",
        "A.",
        "a)",
        "2.",
        "IV.",
        "Bộ",
        "Y",
        "tế",
        "Ủy",
        "ban",
        "nhân",
        "dân",
        "Hà",
        "Nội",
        "hà",
        "nội",
        "TP",
        "HCM",
        "Thủ",
        "tướng",
        "Chính",
        "phủ",
        "ông",
        "bà",
        "Phạm",
        "Minh",
        "&",
        "'",
        "_",
    ]  # fmt: skip
)
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)
_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The patterns as they were written before they opened on a digit.
_OLD_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})(?!\d)", re.IGNORECASE),
    re.compile(r"(?<![\d/.])(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)"),
    re.compile(
        r"(?<![\d/.])(\d{1,2})/(\d{1,2})(?![\d/]|\s*(?:địa phương|tỉnh|huyện|xã|ca|người|F))"
    ),
)


@_SETTINGS
@given(text=_TEXTS)
@example(text="ngày 11 tháng 6 năm 2021, 123 tháng 4 năm 2020 và 1/2/2021/5/9")
def test_date_patterns_find_what_their_look_behind_versions_find(text: str) -> None:
    for old, new in zip(_OLD_DATE_PATTERNS, (_WORDY, _NUMERIC, _SHORT), strict=True):
        assert [(m.span(), m.groups()) for m in new.finditer(text)] == [
            (m.span(), m.groups()) for m in old.finditer(text)
        ]


def _split_sentences_plainly(text: str) -> list[tuple[int, int]]:
    """`split_sentences` as it was: a look-behind boundary, abbreviations over the line."""
    boundary = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]?(\w))")
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        start = 0
        for m in boundary.finditer(line):
            following = m.group(1)
            if not (following.isupper() or following.isdigit()):
                continue
            if _ABBREVIATION.search(line[: m.start()]) or _ENUMERATOR.match(
                line[start : m.start()]
            ):
                continue
            spans.append((line_start + start, line_start + m.start()))
            start = m.end()
        spans.append((line_start + start, line_start + len(line)))
    result = []
    for s, e in spans:
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        if e > s:
            result.append((s, e))
    return result


@_SETTINGS
@given(text=_TEXTS)
@example(text="Gặp TP. Hà Nội. Ông. A. 2. Bộ Y tế! 12) Nội… “Hà”")
def test_sentences_split_as_with_the_look_behind_boundary(text: str) -> None:
    assert split_sentences(text) == _split_sentences_plainly(text)


def _match_at_plainly(index: PhraseIndex, text: str, words: list[Word], i: int):
    """`PhraseIndex.match_at` as it was: every phrase of the first key, longest first."""
    for key, commas, value in index._by_first.get(words[i].key, ()):
        n = len(key)
        if i + n > len(words):
            continue
        ok = True
        for k in range(1, n):
            gap = text[words[i + k - 1].end : words[i + k].start]
            gap_re = _COMMA_GAP if commas else _PLAIN_GAP
            if words[i + k].key != key[k] or not gap_re.match(gap):
                ok = False
                break
        if ok:
            start, end = words[i].start, words[i + n - 1].end
            return Match(start, end, i, i + n, value, text[start:end])
    return None


_PHRASES = st.lists(st.lists(_PIECES, min_size=1, max_size=4).map(" ".join), max_size=25)


@_SETTINGS
@given(phrases=_PHRASES, text=_TEXTS)
@example(phrases=["Bộ Y tế", "Bộ", "Bộ Y", "Ủy ban nhân dân", "Hà Nội", "TP, HCM"], text="Bộ Y tế")
def test_phrase_lookup_by_length_matches_as_the_scan_of_every_phrase(
    phrases: list[str], text: str
) -> None:
    index: PhraseIndex[int] = PhraseIndex()
    for n, phrase in enumerate(phrases):
        index.add(phrase, n)
    words = words_of(text)
    candidates = index.candidates(words)
    assert candidates == sorted(set(candidates))
    for i in range(len(words)):
        found = _match_at_plainly(index, text, words, i)
        assert index.match_at(text, words, i) == found
        assert found is None or i in candidates
    positions = key_positions(words)
    assert list(index.find_all(text, words, positions)) == list(index.find_all(text, words))
    firsts = index.first_keys
    assert list(words_keyed(words, firsts, positions)) == [
        i for i, w in enumerate(words) if w.key in firsts
    ]


@_SETTINGS
@given(text=_TEXTS, start=st.integers(0, 60), length=st.integers(0, 60))
def test_words_of_the_whole_text_are_those_found_one_by_one(
    text: str, start: int, length: int
) -> None:
    def one_by_one(pos: int, endpos: int) -> list[Word]:
        found = WORD.finditer(text, pos, endpos)
        return [Word(m.start(), m.end(), m.group(), fold(m.group())) for m in found]

    assert words_of(text) == one_by_one(0, len(text))
    assert words_of(text, start, start + length) == one_by_one(start, start + length)


@_SETTINGS
@given(
    spans=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 8)), max_size=12),
    span=st.tuples(st.integers(0, 30), st.integers(0, 40)),
)
def test_mentions_inside_a_span_by_start_are_those_the_full_scan_finds(
    spans: list[tuple[int, int]], span: tuple[int, int]
) -> None:
    mentions = sorted(
        (Mention("province", s, s + n, f"k{s}", "x", "r") for s, n in spans),
        key=lambda m: m.start,
    )
    assert _ByStart(mentions).inside(span) == [m for m in mentions if _inside(m, span)]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\n", "Một câu. Câu hai!\nDòng ba", "TP. Hà Nội. Ông A. B", " Đầu. \n Cuối. "],
)
def test_spacy_sentence_starts_are_the_sentences_found(nlp, text: str) -> None:
    doc = nlp(text)
    starts = {s for s, _ in split_sentences(text)}
    assert [t.is_sent_start for t in doc] == [t.i == 0 or t.idx in starts for t in doc]


_CODE_PIECES = st.sampled_from(
    ["07", "68", "1099", "12345", "2021", "/", "-", " ", ".", "a", "KL", "TW", "NQ", "CP", "CĐ"]
    + ["TTg", "QĐ", "BC", "Đ", "&", "x1", "ngày", "\n"]
)
_OLD_CODE = re.compile(
    r"(?<![\w/.-])(?P<num>\d{1,5})(?:/(?P<year>(?:19|20)\d{2}))?[ ]*(?P<s1>[-/])[ ]*"
    r"(?P<a>[A-ZĐ][A-Za-zĐđ]{0,7})"
    r"(?:[ ]*(?P<s2>[-/])[ ]*(?P<b>[A-ZĐ][A-Za-zĐđ0-9&]{0,11}))?"
    r"(?:[ ]*(?P<s3>[-/])[ ]*(?P<c>[A-ZĐ][A-Za-zĐđ0-9&]{0,11}))?(?![\w])"
)


@_SETTINGS
@given(text=st.lists(_CODE_PIECES, max_size=30).map("".join))
@example(text="07-KL/TW, 68/NQ-CP, a1099/CĐ-TTg, 1/2021/QĐ-TTg và 123456-BC")
def test_document_code_pattern_finds_what_its_look_behind_version_finds(text: str) -> None:
    assert [(m.span(), m.groups()) for m in _CODE.finditer(text)] == [
        (m.span(), m.groups()) for m in _OLD_CODE.finditer(text)
    ]
