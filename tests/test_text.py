"""kg.text: clean() normalises Vietnamese text for the extractors while every character keeps its
place in the original file; fold() and fold_tones() are the matching keys of names."""

from __future__ import annotations

import sys
import unicodedata
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kg.text import (
    _MARKUP,
    _TONED_WORD,
    CleanText,
    _canonical_word,
    _clean_clusters,
    canonical_tones,
    clean,
    fold,
    fold_tones,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


def nfd(text: str) -> str:
    """`text` fully decomposed, as some editors and PDF converters write it."""
    return unicodedata.normalize("NFD", text)


def span_of(cleaned: CleanText, word: str) -> tuple[int, int]:
    """The span of the first occurrence of `word` in the analysed text."""
    start = cleaned.text.index(word)
    return start, start + len(word)


def check_invariants(cleaned: CleanText) -> None:
    """The offset map is complete, ordered and points inside the original."""
    n = len(cleaned.original)
    assert len(cleaned.starts) == len(cleaned.ends) == len(cleaned.text)
    assert all(a <= b for a, b in pairwise(cleaned.starts))
    for i, (start, end) in enumerate(zip(cleaned.starts, cleaned.ends, strict=True)):
        assert 0 <= start < end <= n, (i, start, end, n)


# --- normalisation ---------------------------------------------------------------------------


def test_nfd_input_becomes_nfc() -> None:
    original = nfd("Thủ tướng Phạm Minh Chính chủ trì cuộc họp")
    assert original != unicodedata.normalize("NFC", original)  # the input really is decomposed
    cleaned = clean(original)
    assert cleaned.text == "Thủ tướng Phạm Minh Chính chủ trì cuộc họp"
    assert unicodedata.is_normalized("NFC", cleaned.text)


def test_crlf_becomes_lf() -> None:
    cleaned = clean("Dòng một\r\nDòng hai\r\n")
    assert cleaned.text == "Dòng một\nDòng hai\n"


def test_lone_cr_becomes_lf() -> None:
    assert clean("Dòng một\rDòng hai").text == "Dòng một\nDòng hai"


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("**Bộ Y tế** chủ trì", "Bộ Y tế chủ trì"),
        ("<u>Chỉ thị 16</u> có hiệu lực", "Chỉ thị 16 có hiệu lực"),
        ("<U>Hà Nội</U><br/>Đà Nẵng", "Hà NộiĐà Nẵng"),
    ],
)
def test_markup_is_removed(original: str, expected: str) -> None:
    assert clean(original).text == expected


def test_zero_width_characters_are_removed() -> None:
    cleaned = clean("Hà\u200b Nội\ufeff và Đà\u00adNẵng\u200d")
    assert cleaned.text == "Hà Nội và ĐàNẵng"


def test_tabs_and_odd_spaces_become_plain_spaces() -> None:
    cleaned = clean("Số:\t200/TB-VPCP\u00a0ngày\u202f20")
    assert cleaned.text == "Số: 200/TB-VPCP ngày 20"


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("khoẻ", "khỏe"),
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("Thuỷ lợi", "Thủy lợi"),
    ],
)
def test_old_style_tone_marks_move_to_new_style(old_style: str, new_style: str) -> None:
    assert clean(old_style).text == new_style
    assert clean(nfd(old_style)).text == new_style


@pytest.mark.parametrize("word", ["quý", "hoàn", "thuyền", "Quý", "người", "hòa", "thủy", "khuyến"])
def test_well_placed_tone_marks_are_untouched(word: str) -> None:
    assert clean(word).text == word
    assert clean(nfd(word)).text == word


def test_tone_moves_keep_the_length_and_the_offsets() -> None:
    original = "tỉnh Khánh Hoà và Hoà Bình"
    cleaned = clean(original)
    assert len(cleaned.text) == len(original)
    assert cleaned.starts == tuple(range(len(original)))
    assert cleaned.ends == tuple(range(1, len(original) + 1))


# --- blanking --------------------------------------------------------------------------------


def test_blank_spans_become_spaces_of_the_same_analysed_length() -> None:
    original = "Thủ tướng phát biểu. Ảnh: VGP/Nhật Bắc\nNội dung"
    credit = original.index(" Ảnh:"), original.index("\n")
    cleaned = clean(original, blank=[credit])
    assert cleaned.text == "Thủ tướng phát biểu." + " " * (credit[1] - credit[0]) + "\nNội dung"


def test_blank_keeps_line_breaks() -> None:
    original = "AN NHIÊN\nNội dung\r\nhết"
    cleaned = clean(original, blank=[(0, original.index("hết"))])
    assert cleaned.text.count("\n") == 2
    assert set(cleaned.text.split("\n")[0]) == {" "}
    assert set(cleaned.text.split("\n")[1]) == {" "}
    assert cleaned.text.endswith("\nhết")


def test_blank_over_decomposed_word_gives_one_space_per_analysed_character() -> None:
    original = nfd("Ảnh: Hoà") + " tiếp"
    cleaned = clean(original, blank=[(0, len(nfd("Ảnh: Hoà")))])
    assert cleaned.text == " " * len("Ảnh: Hòa") + " tiếp"
    check_invariants(cleaned)


def test_blank_spans_outside_the_text_are_ignored() -> None:
    cleaned = clean("Hà Nội", blank=[(-5, 1), (4, 99)])
    assert cleaned.text == " à N  "


# --- offsets back into the original ----------------------------------------------------------


def test_original_slice_of_a_word_in_nfd_text_is_the_nfd_word() -> None:
    original = nfd("Tỉnh Khánh Hoà triển khai")
    cleaned = clean(original)
    assert cleaned.original_slice(*span_of(cleaned, "Khánh Hòa")) == nfd("Khánh Hoà")
    assert cleaned.original_slice(*span_of(cleaned, "triển")) == nfd("triển")


def test_original_slice_of_a_line_ending_in_crlf_includes_both_characters() -> None:
    original = "Dòng một\r\nDòng hai\r\nDòng ba"
    cleaned = clean(original)
    first_line_end = cleaned.text.index("\n") + 1
    assert cleaned.original_slice(0, first_line_end) == "Dòng một\r\n"
    newline = cleaned.text.index("\n")
    assert cleaned.original_slice(newline, newline + 1) == "\r\n"
    second = span_of(cleaned, "Dòng hai")
    assert cleaned.original_slice(*second) == "Dòng hai"
    assert cleaned.original_slice(second[0], second[1] + 1) == "Dòng hai\r\n"


def test_original_slice_across_markup_and_zero_width() -> None:
    original = "Giao **Bộ Y tế**\u200b chủ trì"
    cleaned = clean(original)
    assert cleaned.original_slice(*span_of(cleaned, "Bộ Y tế")) == "Bộ Y tế"
    assert cleaned.original_slice(0, len(cleaned.text)) == original


def test_original_slice_after_old_style_tone_move() -> None:
    original = "Uỷ ban nhân dân tỉnh Khánh Hoà"
    cleaned = clean(original)
    assert cleaned.original_slice(*span_of(cleaned, "Ủy ban")) == "Uỷ ban"
    assert cleaned.original_slice(*span_of(cleaned, "Khánh Hòa")) == "Khánh Hoà"


def test_to_original_rejects_empty_and_out_of_range_spans() -> None:
    cleaned = clean("Hà Nội")
    for start, end in [(2, 2), (3, 1), (-1, 2), (0, 7)]:
        with pytest.raises(ValueError):
            cleaned.to_original(start, end)


def test_every_character_of_a_messy_text_maps_to_its_original() -> None:
    """Each analysed character, normalised, equals what its original span normalises to."""
    original = nfd("**Thủ tướng**\r\nUỷ ban\tnhân dân\u200b tỉnh Khánh Hoà") + "\r\n"
    cleaned = clean(original)
    check_invariants(cleaned)
    for i, ch in enumerate(cleaned.text):
        piece = cleaned.original_slice(i, i + 1)
        if ch == "\n":
            assert piece in ("\n", "\r\n")
        elif ch == " ":
            assert piece in (" ", "\t")
        else:
            # the tone may have moved to a neighbour, so compare without tone marks
            assert fold_tones(piece) == fold_tones(ch), (i, ch, piece)


def test_consecutive_lone_crs_map_to_one_character_each() -> None:
    cleaned = clean("a\r\rb")
    assert cleaned.text == "a\n\nb"
    assert cleaned.original_slice(1, 2) == "\r"
    assert cleaned.original_slice(2, 3) == "\r"


@pytest.mark.parametrize("original", ["\u1100\u1161", "x \u0b47\u0b3e y"])
def test_clean_does_not_raise_on_cross_cluster_composition(original: str) -> None:
    check_invariants(clean(original))


def test_clean_output_is_nfc_even_with_a_doubled_tone_mark() -> None:
    cleaned = clean("hoa\u0300\u0300")
    check_invariants(cleaned)
    assert unicodedata.is_normalized("NFC", cleaned.text)


# --- property test ---------------------------------------------------------------------------


def _composes_with_previous() -> list[str]:
    """Characters of combining class 0 that NFC merges into the character before them (the
    known failure above); kept out of the property test so it checks everything else."""
    found = {chr(cp) for cp in range(0x1161, 0x1176)} | {chr(cp) for cp in range(0x11A8, 0x11C3)}
    for cp in range(sys.maxunicode + 1):
        decomposition = unicodedata.decomposition(chr(cp))
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2:
                second = chr(int(parts[1], 16))
                if unicodedata.combining(second) == 0:
                    found.add(second)
    return sorted(found)


_PIECES = st.sampled_from(
    [
        "\r\n",
        "\r",
        "\n",
        "**",
        "__",
        "<u>",
        "</u>",
        "<br/>",
        "\u200b",
        "\ufeff",
        "\u00ad",
        "\t",
        "\u00a0",
        "\u0300",
        "\u0301",
        "\u0309",
        "\u0323",
        "\u0302",
        "🙂",
        "👩\u200d👩\u200d👧",
        "🇻🇳",
        "hoà",
        "thuỷ",
        "Khánh Hoà",
        "QUÝ",
        " - ",
        "–",
    ]
)
_TEXT = st.lists(
    st.one_of(
        _PIECES, st.text(alphabet=st.characters(exclude_characters=_composes_with_previous()))
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=_TEXT, blank=st.lists(st.tuples(st.integers(-3, 60), st.integers(-3, 60))))
@example(original="a\r\n\u0301b\r\n", blank=[])
@example(original=nfd("Khánh Hoà\r\n") + "**🙂**", blank=[(0, 3)])
@example(original="\u0301\u0301x", blank=[(0, 1)])
def test_clean_keeps_a_complete_ordered_offset_map(
    original: str, blank: list[tuple[int, int]]
) -> None:
    cleaned = clean(original, blank=blank)
    assert cleaned.original == original
    check_invariants(cleaned)
    assert "\r\n" not in cleaned.text


def _without_combining_marks(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    original=_TEXT.map(_without_combining_marks),
    blank=st.lists(st.tuples(st.integers(-3, 60), st.integers(-3, 60))),
)
@example(original="Khánh Hoà\r\n**Hà Nội**\u200b\tx\r", blank=[(0, 4), (9, 12)])
@example(original="<br\r\n>a\r\rb", blank=[(1, 9)])
@example(original="Thuỷ  lợi", blank=[])
def test_clean_fast_path_gives_what_the_cluster_walk_gives(
    original: str, blank: list[tuple[int, int]]
) -> None:
    """Text made of NFC characters that each stand alone skips the per-cluster walk; the
    result must be the same, offsets included."""
    assert clean(original, blank=blank) == _clean_clusters(original, blank=blank)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
@example(text="Khánh Hoà, thuỷ lợi và hòa bình\n")
@example(text="hoa\u0300 Hoà")
@example(text="Hoà-" * 20 + " thuỷ\nHoà")  # a chunk too long to memoise
@example(text="Khánh Hòa\t" + "hòa." * 20)
def test_canonical_tones_shortcuts_give_what_the_word_by_word_rewrite_gives(text: str) -> None:
    """The distinct-chunk check and the split rewrite stand for `_TONED_WORD.sub` of each word."""
    for original in (text, unicodedata.normalize("NFC", text)):
        plain = _TONED_WORD.sub(lambda m: _canonical_word(m.group(0)), original)
        assert canonical_tones(original, compose=False) == plain


# --- the shared corpus -----------------------------------------------------------------------


def _shared_documents() -> list[Path]:
    return sorted((SHARED / "corpus").rglob("*.txt")) if (SHARED / "corpus").is_dir() else []


@pytest.mark.skipif(not _shared_documents(), reason="../shared/corpus is absent")
def test_clean_maps_every_shared_document_even_when_messy() -> None:
    """Real documents, as written and as NFD + CRLF + old tones, map back character by character."""
    for path in _shared_documents():
        text = path.read_bytes().decode("utf-8-sig")
        messy = nfd(text.replace("òa", "oà").replace("ủy", "uỷ")).replace("\n", "\r\n")
        for original in (text, messy):
            cleaned = clean(original)
            check_invariants(cleaned)
            assert "\r" not in cleaned.text
            covered = {
                k for s, e in zip(cleaned.starts, cleaned.ends, strict=True) for k in range(s, e)
            }
            dropped = "".join(ch for k, ch in enumerate(original) if k not in covered)
            assert _MARKUP.sub("", dropped).strip("\u200b\u200c\u200d\ufeff\u00ad") == ""


# --- fold() and fold_tones() -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HÒA BÌNH", "hòa bình"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("khoẻ", "khỏe"),
        ("Thuỷ", "thủy"),
        (nfd("Bà Rịa - Vũng Tàu"), "Bà Rịa - Vũng Tàu"),
        (nfd("Khánh Hoà"), "khánh hòa"),
        ("Bà Rịa – Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Bà Rịa —Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Bà Rịa -Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("BR–VT", "br-vt"),
        ("  Hà\u200b   Nội\n", "Hà Nội"),
    ],
)
def test_fold_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Võ Văn Thương", "Võ Văn Thưởng"),
        ("Hà Nội", "Hà Nam"),
        ("Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu"),  # an unspaced hyphen keeps its shape
        ("Đà Nẵng", "Da Nang"),
    ],
)
def test_fold_different(a: str, b: str) -> None:
    assert fold(a) != fold(b)


def test_fold_keeps_unspaced_hyphens() -> None:
    assert fold("COVID-19") == "covid-19"
    assert fold("5K + vắc xin") == "5k + vắc xin"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Võ Văn Thương", "Võ Văn Thưởng"),
        ("Đà Nẵng", "Da Nang"),
        ("Bà Rịa – Vũng Tàu", "ba ria - vung tau"),
        ("BLĐTBXH", "bldtbxh"),
        (nfd("Khánh Hoà"), "KHANH HOA"),
    ],
)
def test_fold_tones_equal(a: str, b: str) -> None:
    assert fold_tones(a) == fold_tones(b)


def test_fold_tones_removes_every_diacritic() -> None:
    assert fold_tones("Thừa Thiên Huế") == "thua thien hue"
    assert fold_tones("Đắk Lắk") == "dak lak"
