"""Tests of kg.reference: the real reference data, the loaders' checks, and `fold()`."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from kg.errors import ReferenceDataError
from kg.namespaces import DEFAULT_BASE
from kg.reference import (
    DATA_DIR,
    ReferenceData,
    fold,
    fold_tones,
    load_abbreviations,
    load_doc_types,
    load_organizations,
    load_provinces,
    load_reference,
)

FIXTURE = Path(__file__).parent / "fixtures" / "reference"

# ISO 3166-2:VN, checked independently of provinces.csv.
ISO_3166_2_VN = {
    "VN-01": "Lai Châu",
    "VN-02": "Lào Cai",
    "VN-03": "Hà Giang",
    "VN-04": "Cao Bằng",
    "VN-05": "Sơn La",
    "VN-06": "Yên Bái",
    "VN-07": "Tuyên Quang",
    "VN-09": "Lạng Sơn",
    "VN-13": "Quảng Ninh",
    "VN-14": "Hòa Bình",
    "VN-18": "Ninh Bình",
    "VN-20": "Thái Bình",
    "VN-21": "Thanh Hóa",
    "VN-22": "Nghệ An",
    "VN-23": "Hà Tĩnh",
    "VN-24": "Quảng Bình",
    "VN-25": "Quảng Trị",
    "VN-26": "Thừa Thiên Huế",
    "VN-27": "Quảng Nam",
    "VN-28": "Kon Tum",
    "VN-29": "Quảng Ngãi",
    "VN-30": "Gia Lai",
    "VN-31": "Bình Định",
    "VN-32": "Phú Yên",
    "VN-33": "Đắk Lắk",
    "VN-34": "Khánh Hòa",
    "VN-35": "Lâm Đồng",
    "VN-36": "Ninh Thuận",
    "VN-37": "Tây Ninh",
    "VN-39": "Đồng Nai",
    "VN-40": "Bình Thuận",
    "VN-41": "Long An",
    "VN-43": "Bà Rịa - Vũng Tàu",
    "VN-44": "An Giang",
    "VN-45": "Đồng Tháp",
    "VN-46": "Tiền Giang",
    "VN-47": "Kiên Giang",
    "VN-49": "Vĩnh Long",
    "VN-50": "Bến Tre",
    "VN-51": "Trà Vinh",
    "VN-52": "Sóc Trăng",
    "VN-53": "Bắc Kạn",
    "VN-54": "Bắc Giang",
    "VN-55": "Bạc Liêu",
    "VN-56": "Bắc Ninh",
    "VN-57": "Bình Dương",
    "VN-58": "Bình Phước",
    "VN-59": "Cà Mau",
    "VN-61": "Hải Dương",
    "VN-63": "Hà Nam",
    "VN-66": "Hưng Yên",
    "VN-67": "Nam Định",
    "VN-68": "Phú Thọ",
    "VN-69": "Thái Nguyên",
    "VN-70": "Vĩnh Phúc",
    "VN-71": "Điện Biên",
    "VN-72": "Đắk Nông",
    "VN-73": "Hậu Giang",
    "VN-CT": "Cần Thơ",
    "VN-DN": "Đà Nẵng",
    "VN-HN": "Hà Nội",
    "VN-HP": "Hải Phòng",
    "VN-SG": "Thành phố Hồ Chí Minh",
}

REAL_FILES_OWNED_ELSEWHERE = (
    "roles.csv",
    "posts.csv",
    "people.csv",
    "tenures.csv",
    "surnames.txt",
    "principles.ttl",
)


def _data(**files: object) -> ReferenceData:
    """A ReferenceData with only some parts filled (the rest empty)."""
    parts: dict[str, object] = {
        "provinces": {},
        "organizations": {},
        "roles": {},
        "posts": {},
        "people": {},
        "tenures": (),
        "doc_types": {},
        "abbreviations": (),
        "principles": {},
        "surnames": frozenset(),
    }
    parts.update(files)
    return ReferenceData(**parts)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def real() -> ReferenceData:
    return _data(
        provinces=load_provinces(DATA_DIR / "provinces.csv"),
        organizations=load_organizations(DATA_DIR / "organizations.csv"),
        abbreviations=load_abbreviations(DATA_DIR / "abbreviations.csv"),
    )


@pytest.fixture(scope="module")
def fixture() -> ReferenceData:
    return load_reference(FIXTURE)


# ---------------------------------------------------------------------------------------------
# fold
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Khánh Hoà", "Khánh Hòa"),
        ("thuỷ", "thủy"),
        ("Uỷ ban nhân dân", "Ủy ban nhân dân"),
        ("khoẻ", "khỏe"),
        ("Thanh Hoá", "Thanh Hóa"),
        ("ngòai", "ngoài"),
        (unicodedata.normalize("NFD", "Bà Rịa - Vũng Tàu"), "Bà Rịa - Vũng Tàu"),
        ("HÀ NỘI", "hà nội"),
        ("Bà Rịa – Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Bà Rịa- Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("Bà Rịa —Vũng Tàu", "Bà Rịa - Vũng Tàu"),
        ("  Bộ \u00a0 Y\ttế ", "Bộ Y tế"),
    ],
)
def test_fold_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hòa", "hóa"),  # a different tone is a different word
        ("Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu"),  # unspaced hyphens are kept
        ("Hà Nội", "Ha Noi"),
    ],
)
def test_fold_distinct(a: str, b: str) -> None:
    assert fold(a) != fold(b)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("hoà", "hòa"),
        ("hoàng", "hoàng"),
        ("người", "người"),
        ("quý", "quý"),
        ("giày", "giày"),
        ("huỳnh", "huỳnh"),
        ("thuở", "thuở"),
        ("gìn", "gìn"),
        ("COVID-19", "covid-19"),
    ],
)
def test_fold_puts_tone_in_new_style_place(word: str, expected: str) -> None:
    assert fold(word) == unicodedata.normalize("NFC", expected)


def test_fold_tones_strips_every_diacritic_and_d_bar() -> None:
    assert fold_tones("Bà Rịa – Vũng Tàu") == "ba ria - vung tau"
    assert fold_tones("BLĐTBXH") == fold_tones("BLDTBXH") == "bldtbxh"
    assert fold_tones("Đắk Lắk") == "dak lak"


# ---------------------------------------------------------------------------------------------
# Real data (the files this module's author owns)
# ---------------------------------------------------------------------------------------------


def test_real_provinces_are_the_63_iso_units() -> None:
    provinces = load_provinces(DATA_DIR / "provinces.csv")
    assert len(provinces) == 63
    assert {code: p.name for code, p in provinces.items()} == ISO_3166_2_VN
    assert provinces["VN-47"].name == "Kiên Giang"
    for code in provinces:
        assert re.fullmatch(r"VN-([0-9]{2}|HN|SG|DN|HP|CT)", code)


def test_real_provinces_kinds_regions_and_short_names() -> None:
    provinces = load_provinces(DATA_DIR / "provinces.csv")
    cities = {code for code, p in provinces.items() if p.kind == "thành phố"}
    assert cities == {"VN-HN", "VN-SG", "VN-DN", "VN-HP", "VN-CT"}
    assert Counter(p.region for p in provinces.values()) == {
        "Đồng bằng sông Hồng": 11,
        "Trung du và miền núi phía Bắc": 14,
        "Bắc Trung Bộ và duyên hải miền Trung": 14,
        "Tây Nguyên": 5,
        "Đông Nam Bộ": 6,
        "Đồng bằng sông Cửu Long": 13,
    }
    assert provinces["VN-SG"].short == "Hồ Chí Minh"
    assert all(p.short == p.name for code, p in provinces.items() if code != "VN-SG")
    for p in provinces.values():
        # written in the new style already: folding changes nothing but case
        assert fold(p.name) == p.name.casefold(), p.name
        assert "Hồ Chí Minh" not in p.variants


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TP.HCM", "VN-SG"),
        ("Tp. Hồ Chí Minh", "VN-SG"),
        ("TPHCM", "VN-SG"),
        ("Sài Gòn", "VN-SG"),
        ("thành phố Hồ Chí Minh", "VN-SG"),
        ("Thủ đô Hà Nội", "VN-HN"),
        ("Bà Rịa-Vũng Tàu", "VN-43"),
        ("Bà Rịa – Vũng Tàu", "VN-43"),
        ("BR-VT", "VN-43"),
        ("Khánh Hoà", "VN-34"),
        ("Đắc Lắc", "VN-33"),
        ("Bắc Cạn", "VN-53"),
        ("tỉnh Bắc Ninh", "VN-56"),
        ("Kiên Giang", "VN-47"),
    ],
)
def test_real_province_by_name(real: ReferenceData, text: str, code: str) -> None:
    found = real.province_by_name(text)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["Hồ Chí Minh", "tỉnh Hồ Chí Minh", "Kiến Giang", "Hà Tây"])
def test_real_province_by_name_rejects(real: ReferenceData, text: str) -> None:
    assert real.province_by_name(text) is None


def test_real_province_fuzzy(real: ReferenceData) -> None:
    assert real.province_by_name("Ba Ria - Vung Tau") is None
    found = real.province_by_name("Ba Ria - Vung Tau", fuzzy=True)
    assert found is not None and found.code == "VN-43"


REQUIRED_ORGANIZATIONS = (
    "chinh-phu van-phong-chinh-phu bo-y-te bo-cong-an bo-quoc-phong bo-ngoai-giao "
    "bo-lao-dong-tbxh bo-cong-thuong bo-khoa-hoc-cong-nghe bo-thong-tin-truyen-thong "
    "bo-giao-duc-dao-tao bo-tai-chinh bo-ke-hoach-dau-tu bo-giao-thong-van-tai bo-xay-dung "
    "bo-tai-nguyen-moi-truong bo-nong-nghiep-ptnt bo-tu-phap bo-noi-vu bo-van-hoa-tt-dl "
    "ngan-hang-nha-nuoc thanh-tra-chinh-phu uy-ban-dan-toc dang-cong-san bch-tw-dang "
    "bo-chinh-tri ban-bi-thu van-phong-tw-dang bcs-dang-chinh-phu dang-doan-quoc-hoi "
    "quoc-hoi bcd-quoc-gia mat-tran-to-quoc"
).split()


def test_real_organizations() -> None:
    orgs = load_organizations(DATA_DIR / "organizations.csv")
    assert set(REQUIRED_ORGANIZATIONS) <= set(orgs)
    kinds = Counter(o.kind for o in orgs.values())
    assert kinds["ministry"] == 18
    assert kinds["ministerial_agency"] == 4
    for o in orgs.values():
        if o.kind in ("ministry", "ministerial_agency"):
            assert o.parent == "chinh-phu", o.id
    assert "Đảng" not in orgs["dang-cong-san"].variants
    assert orgs["bo-chinh-tri"].name_en == "Politburo"


def test_reference_bodies_have_the_kind_their_structure_gives() -> None:
    """A hospital or a department of a ministry found in the reference data has the kind the
    structural patterns give one found by its name ("other" before)."""
    from kg.gazetteers import load_org_patterns

    orgs = load_organizations(DATA_DIR / "organizations.csv")
    pattern_kinds = {p.canonical: p.kind for p in load_org_patterns() if p.complement == "name"}
    checked = 0
    for head in ("Bệnh viện", "Cục", "Tổng cục"):
        for org in orgs.values():
            if org.name.startswith(head + " "):
                assert org.kind == pattern_kinds[head], (org.id, org.kind)
                checked += 1
    assert checked >= 8


def test_org_pattern_of_unknown_kind_names_file_and_line(tmp_path: Path) -> None:
    from kg.errors import DataFileError
    from kg.gazetteers import load_org_patterns

    lines = (DATA_DIR / "org_patterns.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",local_council,", ",council,")
    broken = tmp_path / "org_patterns.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="kind 'council' is not one of") as info:
        load_org_patterns(broken)
    assert info.value.line == 4 and info.value.path == str(broken)


@pytest.mark.parametrize(
    ("code", "ident"),
    [
        ("CP", "chinh-phu"),
        ("VPCP", "van-phong-chinh-phu"),
        ("BYT", "bo-y-te"),
        ("BLĐTBXH", "bo-lao-dong-tbxh"),
        ("BLDTBXH", "bo-lao-dong-tbxh"),
        ("TW", "bch-tw-dang"),
        ("VPTW", "van-phong-tw-dang"),
        ("BCSĐ", "bcs-dang-chinh-phu"),
        ("BCĐQG", "bcd-quoc-gia"),
        ("BCDQG", "bcd-quoc-gia"),
        ("UBTVQH14", "uy-ban-thuong-vu-quoc-hoi"),
    ],
)
def test_real_organization_by_code(real: ReferenceData, code: str, ident: str) -> None:
    found = real.organization_by_code(code)
    assert found is not None and found.id == ident


@pytest.mark.parametrize(
    ("text", "ident"),
    [
        ("Bộ LĐ-TB&XH", "bo-lao-dong-tbxh"),
        ("Bộ Lao động, Thương binh và Xã hội", "bo-lao-dong-tbxh"),
        ("Bộ Lao động – Thương binh và Xã hội", "bo-lao-dong-tbxh"),
        ("Bộ TT&TT", "bo-thong-tin-truyen-thong"),
        ("Bộ Thông tin - Truyền thông", "bo-thong-tin-truyen-thong"),
        ("Bộ KH&CN", "bo-khoa-hoc-cong-nghe"),
        ("Bộ GD&ĐT", "bo-giao-duc-dao-tao"),
        ("Bộ VH-TT&DL", "bo-van-hoa-tt-dl"),
        ("Ban Chỉ đạo quốc gia", "bcd-quoc-gia"),
        ("BCĐ Quốc gia", "bcd-quoc-gia"),
        ("Ban Chỉ đạo Quốc gia phòng, chống dịch Covid-19", "bcd-quoc-gia"),
        ("Mặt trận Tổ quốc", "mat-tran-to-quoc"),
        ("Uỷ ban Trung ương Mặt trận Tổ quốc Việt Nam", "mat-tran-to-quoc"),
        ("Văn phòng Trung ương", "van-phong-tw-dang"),
        ("TTXVN", "thong-tan-xa-viet-nam"),
        ("Báo Nhân dân", "bao-nhan-dan"),
        ("BV Chợ Rẫy", "benh-vien-cho-ray"),
    ],
)
def test_real_organization_by_name(real: ReferenceData, text: str, ident: str) -> None:
    found = real.organization_by_name(text)
    assert found is not None and found.id == ident


def test_real_organization_by_name_rejects_bare_party(real: ReferenceData) -> None:
    assert real.organization_by_name("Đảng") is None


def test_real_doc_types_and_abbreviations() -> None:
    doc_types = load_doc_types(DATA_DIR / "doc_types.csv")
    required = "KL NQ TB BC QĐ CT CĐ KH HD NĐ TT CV BS TTr QyĐ CTr L PL TTLT GM BB".split()
    assert set(required) <= set(doc_types)
    assert doc_types["CV"].issuer_first is True
    assert doc_types["QĐ"].issuer_first is False
    assert doc_types["TTr"].label == "Tờ trình"
    assert doc_types["TT"].label == "Thông tư"
    expansions = {a.abbr: a.expansion for a in load_abbreviations(DATA_DIR / "abbreviations.csv")}
    assert expansions["UBND"] == "Ủy ban nhân dân"
    assert expansions["BVĐK"] == "Bệnh viện Đa khoa"


def test_real_expand_abbreviations(real: ReferenceData) -> None:
    assert real.expand_abbreviations("UBND TP. Hà Nội") == "Ủy ban nhân dân Thành phố Hà Nội"
    assert real.expand_abbreviations("BVĐK tỉnh") == "Bệnh viện Đa khoa tỉnh"
    assert real.expand_abbreviations("TP.HCM") == "TP.HCM"


def test_real_load_reference_when_all_files_exist() -> None:
    missing = [name for name in REAL_FILES_OWNED_ELSEWHERE if not (DATA_DIR / name).is_file()]
    if missing:
        pytest.skip(f"reference files not written yet: {', '.join(missing)}")
    data = load_reference()
    assert data is load_reference()
    assert len(data.provinces) == 63
    assert data.organizations["bo-y-te"].name == "Bộ Y tế"
    assert data.people and data.posts and data.tenures and data.principles and data.surnames
    for principle in data.principles.values():
        assert principle.iri == DEFAULT_BASE + "principle/" + principle.id


# ---------------------------------------------------------------------------------------------
# Fixture knowledge base
# ---------------------------------------------------------------------------------------------


def test_fixture_loads(fixture: ReferenceData) -> None:
    assert set(fixture.provinces) == {"VN-HN", "VN-SG", "VN-34", "VN-43"}
    assert fixture.organizations["bo-y-te"].parent == "chinh-phu"
    assert fixture.organizations["benh-vien-bach-mai"].name_en == "Bach Mai Hospital"
    assert fixture.roles["Thủ tướng"].heads is True
    assert fixture.roles["Phó Thủ tướng"].rank == "deputy"
    assert fixture.posts["thu-tuong"].codes == ("TTg",)
    assert fixture.doc_types["CV"].issuer_first is True
    assert fixture.surnames == frozenset({"Nguyễn", "Trần", "Phạm", "Vũ"})
    abbrs = [a.abbr for a in fixture.abbreviations]
    assert sorted(abbrs) == ["BV", "BVĐK", "TP.", "UBND"]
    assert abbrs.index("BVĐK") < abbrs.index("BV")  # longest first, so BVĐK wins
    assert len(fixture.tenures) == 4
    assert fixture.tenures[1].end is None


def test_fixture_principles(fixture: ReferenceData) -> None:
    assert set(fixture.principles) == {"4-tai-cho", "chi-huy-tai-cho", "luc-luong-tai-cho"}
    four = fixture.principles["4-tai-cho"]
    assert four.iri == DEFAULT_BASE + "principle/4-tai-cho"
    assert four.label_vi == "4 tại chỗ"
    assert four.label_en == "four on-the-spot"
    assert set(four.variants) == {"bốn tại chỗ", "phương châm 4 tại chỗ"}
    assert four.parts == ("chi-huy-tai-cho", "luc-luong-tai-cho")
    assert four.definition_vi is not None and four.definition_en is None
    assert fixture.principles["luc-luong-tai-cho"].label_en is None


def test_fixture_principles_follow_base() -> None:
    data = load_reference(FIXTURE, base="http://example.org/kb/")
    assert data.principles["4-tai-cho"].iri == "http://example.org/kb/principle/4-tai-cho"


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2016, 4, 6), []),
        (date(2016, 4, 7), ["nguyen-xuan-phuc"]),
        (date(2020, 3, 1), ["nguyen-xuan-phuc"]),
        (date(2021, 4, 5), ["nguyen-xuan-phuc", "pham-minh-chinh"]),  # both ends inclusive
        (date(2021, 4, 6), ["pham-minh-chinh"]),
        (date(2030, 1, 1), ["pham-minh-chinh"]),  # open tenure
    ],
)
def test_holders(fixture: ReferenceData, on: date, expected: list[str]) -> None:
    assert [p.id for p in fixture.holders("thu-tuong", on)] == expected


def test_holders_of_closed_tenure(fixture: ReferenceData) -> None:
    assert [p.id for p in fixture.holders("bo-truong-bo-y-te", date(2021, 8, 1))] == [
        "nguyen-thanh-long"
    ]
    assert fixture.holders("bo-truong-bo-y-te", date(2022, 6, 8)) == []
    assert fixture.holders("truong-bcd-quoc-gia", date(2021, 8, 1)) == []
    with pytest.raises(KeyError):
        fixture.holders("no-such-post", date(2021, 8, 1))


def test_posts_of(fixture: ReferenceData) -> None:
    assert [p.id for p in fixture.posts_of("vu-duc-dam", date(2021, 8, 1))] == ["pho-thu-tuong"]
    assert fixture.posts_of("vu-duc-dam", date(2023, 1, 6)) == []
    with pytest.raises(KeyError):
        fixture.posts_of("no-such-person", date(2021, 8, 1))


def test_fixture_lookups(fixture: ReferenceData) -> None:
    assert fixture.post_by_code("TTg") is fixture.posts["thu-tuong"]
    assert fixture.post_by_code("TTG") is fixture.posts["thu-tuong"]
    assert fixture.post_by_code("XYZ") is None
    assert fixture.post_by_name("Thủ tướng") is fixture.posts["thu-tuong"]
    assert fixture.person_by_name("Vũ Đức Đam") is fixture.people["vu-duc-dam"]
    assert fixture.organization_by_code("BLDTBXH") is fixture.organizations["bo-lao-dong-tbxh"]
    assert fixture.organization_by_code("BTC") is None
    assert fixture.organization_by_name("BV Bạch Mai").id == "benh-vien-bach-mai"  # type: ignore[union-attr]
    assert fixture.province_by_name("KHÁNH HOÀ") is fixture.provinces["VN-34"]


def test_load_reference_is_cached(fixture: ReferenceData) -> None:
    assert load_reference(FIXTURE) is fixture
    assert load_reference(str(FIXTURE)) is fixture
    assert load_reference(FIXTURE, base="http://example.org/kb/") is not fixture


def test_reference_data_is_read_only(fixture: ReferenceData) -> None:
    with pytest.raises(TypeError):
        fixture.provinces["VN-XX"] = fixture.provinces["VN-HN"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        fixture.tenures = ()  # type: ignore[misc]


def test_every_string_is_nfc(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "ref")
    path = tmp_path / "ref" / "people.csv"
    path.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")), "utf-8")
    data = load_reference(tmp_path / "ref")
    assert data.people["vu-duc-dam"].name == unicodedata.normalize("NFC", "Vũ Đức Đam")


# ---------------------------------------------------------------------------------------------
# Loader errors: each names the file and the line
# ---------------------------------------------------------------------------------------------


def _broken(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """Copy the fixture into tmp_path with `old` replaced by `new` in `name`; return the
    directory and the line on which `new` starts."""
    directory = tmp_path / "ref"
    shutil.copytree(FIXTURE, directory)
    path = directory / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return directory, text[: text.index(old)].count("\n") + 1


BROKEN = [
    pytest.param(
        "provinces.csv",
        "code,name,short,kind,name_en,region,variants,source",
        "code,name,short,kind,name_en,region,variant,source",
        "expected the columns",
        id="wrong-header",
    ),
    pytest.param(
        "provinces.csv",
        "VN-34,Khánh Hòa",
        "VN-340,Khánh Hòa",
        "not an ISO 3166-2:VN code",
        id="bad-iso-code",
    ),
    pytest.param(
        "provinces.csv", "VN-34,Khánh Hòa", "VN-HN,Khánh Hòa", "duplicate code", id="dup-code"
    ),
    pytest.param(
        "provinces.csv",
        "VN-34,Khánh Hòa,Khánh Hòa,tỉnh",
        "VN-34,Khánh Hòa,Khánh Hòa,huyện",
        "kind 'huyện' is not one of",
        id="bad-kind",
    ),
    pytest.param(
        "provinces.csv",
        "Khanh Hoa,Bắc Trung Bộ và duyên hải miền Trung,,",
        "Khanh Hoa,Bắc Trung Bộ và duyên hải miền Trung,Sài Gòn,",
        "duplicate province name or variant 'Sài Gòn'",
        id="ambiguous-variant",
    ),
    pytest.param(
        "organizations.csv",
        "bo-y-te,Bộ Y tế,",
        "bo-y-te,,",
        "empty required cell 'name'",
        id="empty-cell",
    ),
    pytest.param(
        "organizations.csv",
        "benh-vien-bach-mai,",
        "chinh-phu,",
        "duplicate id 'chinh-phu'",
        id="dup-org-id",
    ),
    pytest.param(
        "organizations.csv",
        "Bach Mai Hospital,other,,,bo-y-te,",
        "Bach Mai Hospital,other,,,bo-y-tee,",
        "parent 'bo-y-tee'",
        id="unknown-parent",
    ),
    pytest.param(
        "organizations.csv",
        "Bach Mai Hospital,other,,,",
        "Bach Mai Hospital,other,BYT,,",
        "duplicate organisation code 'BYT'",
        id="dup-org-code",
    ),
    pytest.param(
        "organizations.csv",
        '"Ministry of Labour, Invalids and Social Affairs"',
        "Ministry of Labour, Invalids and Social Affairs",
        "quote cells that contain commas",
        id="unquoted-comma",
    ),
    pytest.param(
        "roles.csv",
        "Thủ tướng,Prime Minister,true",
        "Thủ tướng,Prime Minister,yes",
        "heads 'yes' must be 'true' or 'false'",
        id="bad-boolean",
    ),
    pytest.param(
        "posts.csv",
        "Minister of Health,Bộ trưởng,",
        "Minister of Health,Bộ Trưởng Bộ,",
        "role 'Bộ Trưởng Bộ' is not a label in roles.csv",
        id="unknown-role",
    ),
    pytest.param(
        "posts.csv",
        "Bộ trưởng,bo-y-te,",
        "Bộ trưởng,bo-y-tee,",
        "organization 'bo-y-tee' is not an id",
        id="unknown-organization",
    ),
    pytest.param(
        "people.csv",
        "vu-duc-dam,",
        "Vu-Duc-Dam,",
        "not a lower-case ASCII slug",
        id="bad-slug",
    ),
    pytest.param(
        "people.csv",
        "vu-duc-dam,Vũ Đức Đam",
        "pham-minh-chinh,Vũ Đức Đam",
        "duplicate id 'pham-minh-chinh'",
        id="dup-person-id",
    ),
    pytest.param(
        "tenures.csv",
        "2020-11-12",
        "2020-11-31",
        "start '2020-11-31' is not an ISO date",
        id="bad-date",
    ),
    pytest.param(
        "tenures.csv",
        "2020-11-12",
        "12/11/2020",
        "start '12/11/2020' is not an ISO date",
        id="non-iso-date",
    ),
    pytest.param(
        "tenures.csv",
        "2020-11-12,2022-06-07",
        "2020-11-12,2019-06-07",
        "end 2019-06-07 is before start 2020-11-12",
        id="end-before-start",
    ),
    pytest.param(
        "tenures.csv",
        "nguyen-thanh-long,",
        "nguyen-thanh-longg,",
        "person_id 'nguyen-thanh-longg' is not an id in people.csv",
        id="unknown-person",
    ),
    pytest.param(
        "tenures.csv",
        "vu-duc-dam,pho-thu-tuong,",
        "vu-duc-dam,pho-thu-tuongg,",
        "post_id 'pho-thu-tuongg' is not an id in posts.csv",
        id="unknown-post",
    ),
    pytest.param(
        "doc_types.csv",
        "TTr,Tờ trình",
        "TT,Tờ trình",
        "duplicate code 'TT'",
        id="dup-doc-type",
    ),
    pytest.param(
        "abbreviations.csv",
        "BV,Bệnh viện,test fixture",
        "BV,,test fixture",
        "empty required cell 'expansion'",
        id="empty-expansion",
    ),
    pytest.param(
        "principles.ttl",
        "skos:narrower <chi-huy-tai-cho> ,",
        "skos:narrower <chi-huy-tai-chooo> ,",
        "skos:narrower of '4-tai-cho' points at unknown concept",
        id="unknown-narrower",
    ),
    pytest.param(
        "principles.ttl",
        'skos:prefLabel "lực lượng tại chỗ"@vi ;',
        'skos:prefLabel "lực lượng tại chỗ"@en ;',
        "'luc-luong-tai-cho' has no skos:prefLabel @vi",
        id="no-vi-label",
    ),
    pytest.param(
        "principles.ttl",
        'skos:inScheme <scheme> ;\n    skos:prefLabel "chỉ huy',
        'skos:inScheme <scheme> ;;; ] \n    skos:prefLabel "chỉ huy',
        "cannot parse Turtle",
        id="bad-turtle",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "message"), BROKEN)
def test_loader_error_names_file_and_line(
    tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    directory, line = _broken(tmp_path, name, old, new)
    if name == "principles.ttl":
        # rdflib keeps no positions for triples: the line is where the concept's subject
        # (or the syntax error) stands.
        text = (directory / name).read_text(encoding="utf-8")
        subject = re.search(r"skos:narrower of '([^']+)'|'([^']+)' has no", message)
        if subject:
            ident = subject.group(1) or subject.group(2)
            line = text[: text.index(f"<{ident}> a skos:Concept")].count("\n") + 1
    with pytest.raises(ReferenceDataError) as info:
        load_reference(directory)
    error = info.value
    assert error.path == str(directory / name)
    assert message in error.message
    assert error.line == line
    assert f"{name}:{line}:" in str(error)


def test_missing_file_is_named(tmp_path: Path) -> None:
    directory = tmp_path / "ref"
    shutil.copytree(FIXTURE, directory)
    (directory / "people.csv").unlink()
    with pytest.raises(ReferenceDataError) as info:
        load_reference(directory)
    assert info.value.path == str(directory / "people.csv")
    assert info.value.message == "missing file"
    assert info.value.line is None


def test_principle_without_source(tmp_path: Path) -> None:
    directory, _ = _broken(
        tmp_path,
        "principles.ttl",
        'skos:prefLabel "lực lượng tại chỗ"@vi ;\n    dcterms:source "test fixture" .',
        'skos:prefLabel "lực lượng tại chỗ"@vi .',
    )
    with pytest.raises(ReferenceDataError, match="has no dcterms:source"):
        load_reference(directory)
