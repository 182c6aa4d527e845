"""Typed, checked access to the reference data in `kg/data/` (see its README.md).

Every extractor links what it finds to these entities, so a bad row here becomes a wrong edge in
every graph we build. The loaders therefore fail loudly with `ReferenceDataError(path, message,
line)` instead of skipping rows, and every string that is compared goes through one key function,
`fold()`, so that "Khánh Hoà" and "Khánh Hòa" (or NFD and NFC input) name the same thing.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg.errors import ReferenceDataError
from kg.namespaces import DEFAULT_BASE
from kg.text import fold, fold_tones

__all__ = [
    "DATA_DIR",
    "PROVINCE_KINDS",
    "REGIONS",
    "ORGANIZATION_KINDS",
    "ROLE_RANKS",
    "Province",
    "Organization",
    "Role",
    "Post",
    "Person",
    "Tenure",
    "DocType",
    "Abbreviation",
    "Principle",
    "ReferenceData",
    "fold",
    "fold_tones",
    "load_reference",
    "load_provinces",
    "load_organizations",
    "load_roles",
    "load_posts",
    "load_people",
    "load_tenures",
    "load_doc_types",
    "load_abbreviations",
    "load_surnames",
    "load_principles",
]

DATA_DIR = Path(__file__).parent / "data"

PROVINCE_KINDS = frozenset({"tỉnh", "thành phố"})
REGIONS = frozenset(
    {
        "Đồng bằng sông Hồng",
        "Trung du và miền núi phía Bắc",
        "Bắc Trung Bộ và duyên hải miền Trung",
        "Tây Nguyên",
        "Đông Nam Bộ",
        "Đồng bằng sông Cửu Long",
    }
)
ORGANIZATION_KINDS = frozenset(
    {
        "government",
        "ministry",
        "ministerial_agency",
        "government_agency",
        "party_organ",
        "party_committee",
        "legislature",
        "state_office",
        "steering_committee",
        "mass_organization",
        "media",
        "court",
        "procuracy",
        # bodies also named by their structure (org_patterns.csv: "Sở Y tế tỉnh …")
        "local_government",
        "local_council",
        "police",
        "military",
        "department",
        "institute",
        "hospital",
        "center",
        "academy",
        "university",
        "company",
        "association",
        "fund",
        "other",
    }
)
ROLE_RANKS = frozenset({"head", "deputy", "member"})

_ISO_CODE = re.compile(r"^VN-([0-9]{2}|HN|SG|DN|HP|CT)$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


# --------------------------------------------------------------------------------------------
# Folding: the one key function used for every comparison of names.
# --------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------
# Entities
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Province:
    """A province-level unit (63 in 2021), keyed by its ISO 3166-2:VN code."""

    code: str
    name: str
    short: str
    kind: str
    name_en: str
    region: str
    variants: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Organization:
    """A central body (government, ministry, Party organ, …) that documents name or issue."""

    id: str
    name: str
    name_en: str | None
    kind: str
    codes: tuple[str, ...]
    variants: tuple[str, ...]
    parent: str | None
    source: str


@dataclass(frozen=True)
class Role:
    """A kind of position written before a name or an organisation ("Bộ trưởng")."""

    label: str
    label_en: str | None
    heads: bool
    rank: str
    source: str


@dataclass(frozen=True)
class Post:
    """A named national office ("Thủ tướng Chính phủ") that people hold for a time."""

    id: str
    label: str
    label_en: str | None
    role: str
    organization: str | None
    codes: tuple[str, ...]
    variants: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Person:
    """A national leader the extractors may link a name to."""

    id: str
    name: str
    variants: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Tenure:
    """Who held which post from `start` to `end` (both inclusive; `end` None while in office)."""

    person_id: str
    post_id: str
    start: date
    end: date | None
    source: str

    def covers(self, on: date) -> bool:
        """Whether the post was held on `on`."""
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class DocType:
    """The type part of an official document number ("QĐ" → Quyết định)."""

    code: str
    label: str
    label_en: str | None
    issuer_first: bool
    source: str


@dataclass(frozen=True)
class Abbreviation:
    """A general abbreviation expanded before matching structural names ("UBND")."""

    abbr: str
    expansion: str
    source: str


@dataclass(frozen=True)
class Principle:
    """A guiding principle or slogan of the response, from the SKOS scheme principles.ttl."""

    id: str
    iri: str
    label_vi: str
    label_en: str | None
    variants: tuple[str, ...]
    definition_vi: str | None
    definition_en: str | None
    parts: tuple[str, ...]
    source: str


# --------------------------------------------------------------------------------------------
# The loaded knowledge base
# --------------------------------------------------------------------------------------------


def _unique_index(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key → id, leaving out keys that point at more than one id (ambiguous)."""
    seen: dict[str, str | None] = {}
    for key, ident in pairs:
        if not key:
            continue
        if key in seen and seen[key] != ident:
            seen[key] = None
        else:
            seen.setdefault(key, ident)
    return {key: ident for key, ident in seen.items() if ident is not None}


def _names(name: str, variants: tuple[str, ...]) -> Iterator[str]:
    yield name
    yield from variants


_PROVINCE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tỉnh ", "tỉnh"),
    ("thành phố ", "thành phố"),
    ("tp. ", "thành phố"),
    ("tp.", "thành phố"),
    ("tp ", "thành phố"),
)


@dataclass(frozen=True, eq=False)
class ReferenceData:
    """Everything in `kg/data/`, read-only, with name and code look-ups."""

    provinces: Mapping[str, Province]
    organizations: Mapping[str, Organization]
    roles: Mapping[str, Role]
    posts: Mapping[str, Post]
    people: Mapping[str, Person]
    tenures: tuple[Tenure, ...]
    doc_types: Mapping[str, DocType]
    abbreviations: tuple[Abbreviation, ...]
    principles: Mapping[str, Principle]
    surnames: frozenset[str]
    base: str = DEFAULT_BASE
    _index: dict[str, dict[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mappings = ("provinces", "organizations", "roles", "posts", "people", "doc_types")
        for name in (*mappings, "principles"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))
        object.__setattr__(self, "tenures", tuple(self.tenures))
        object.__setattr__(self, "abbreviations", tuple(self.abbreviations))
        object.__setattr__(self, "surnames", frozenset(self.surnames))
        provinces = self.provinces.values()
        orgs = self.organizations.values()
        posts = self.posts.values()
        people = self.people.values()
        index = {
            "province": _unique_index(
                (fold(n), p.code) for p in provinces for n in _names(p.name, p.variants)
            ),
            "province~": _unique_index(
                (fold_tones(n), p.code) for p in provinces for n in _names(p.name, p.variants)
            ),
            "province_short": _unique_index(
                (p.kind + " " + fold(p.short), p.code) for p in provinces
            ),
            "province_short~": _unique_index(
                (p.kind + " " + fold_tones(p.short), p.code) for p in provinces
            ),
            "org": _unique_index((fold(n), o.id) for o in orgs for n in _names(o.name, o.variants)),
            "org~": _unique_index(
                (fold_tones(n), o.id) for o in orgs for n in _names(o.name, o.variants)
            ),
            "org_code": _unique_index((fold(c), o.id) for o in orgs for c in o.codes),
            "org_code~": _unique_index((fold_tones(c), o.id) for o in orgs for c in o.codes),
            "post": _unique_index(
                (fold(n), p.id) for p in posts for n in _names(p.label, p.variants)
            ),
            "post_code": _unique_index((fold(c), p.id) for p in posts for c in p.codes),
            "post_code~": _unique_index((fold_tones(c), p.id) for p in posts for c in p.codes),
            "person": _unique_index(
                (fold(n), p.id) for p in people for n in _names(p.name, p.variants)
            ),
        }
        object.__setattr__(self, "_index", index)

    # -- tenures -------------------------------------------------------------------------------

    def holders(self, post_id: str, on: date) -> list[Person]:
        """Who held `post_id` on `on` (both tenure ends inclusive), earliest start first."""
        if post_id not in self.posts:
            raise KeyError(f"unknown post id {post_id!r}")
        tenures = sorted(
            (t for t in self.tenures if t.post_id == post_id and t.covers(on)),
            key=lambda t: (t.start, t.person_id),
        )
        return [self.people[t.person_id] for t in tenures]

    def posts_of(self, person_id: str, on: date) -> list[Post]:
        """The posts `person_id` held on `on`, earliest start first."""
        if person_id not in self.people:
            raise KeyError(f"unknown person id {person_id!r}")
        tenures = sorted(
            (t for t in self.tenures if t.person_id == person_id and t.covers(on)),
            key=lambda t: (t.start, t.post_id),
        )
        return [self.posts[t.post_id] for t in tenures]

    # -- look-ups ------------------------------------------------------------------------------

    def _lookup(self, kind: str, text: str, fuzzy: bool) -> str | None:
        found = self._index[kind].get(fold(text))
        if found is None and fuzzy:
            found = self._index[kind + "~"].get(fold_tones(text))
        return found

    def province_by_name(self, text: str, *, fuzzy: bool = False) -> Province | None:
        """The province `text` names: its name or a variant, or "tỉnh X" / "thành phố X" /
        "TP. X" with X its short name (so "thành phố Hồ Chí Minh" but not bare "Hồ Chí Minh").
        With `fuzzy`, fall back to the diacritic-free key of `fold_tones()`."""
        code = self._lookup("province", text, fuzzy)
        if code is None:
            key = fold(text)
            for prefix, kind in _PROVINCE_PREFIXES:
                if key.startswith(prefix):
                    rest = key[len(prefix) :].strip()
                    code = self._index["province_short"].get(f"{kind} {rest}")
                    if code is None and fuzzy:
                        rest_bare = fold_tones(rest)
                        code = self._index["province_short~"].get(f"{kind} {rest_bare}")
                    if code is not None:
                        break
        return self.provinces[code] if code is not None else None

    def organization_by_name(self, text: str, *, fuzzy: bool = False) -> Organization | None:
        """The organisation `text` names (name or variant); if none, retried once with the
        general abbreviations expanded ("BV Bạch Mai" → "Bệnh viện Bạch Mai")."""
        ident = self._lookup("org", text, fuzzy)
        if ident is None:
            expanded = self.expand_abbreviations(text)
            if expanded != text:
                ident = self._lookup("org", expanded, fuzzy)
        return self.organizations[ident] if ident is not None else None

    def organization_by_code(self, code: str) -> Organization | None:
        """The organisation whose document-number code is `code` ("BYT", "BLDTBXH" → …)."""
        ident = self._index["org_code"].get(fold(code))
        if ident is None:
            ident = self._index["org_code~"].get(fold_tones(code))
        return self.organizations[ident] if ident is not None else None

    def post_by_code(self, code: str) -> Post | None:
        """The post whose document-number code is `code` ("TTg" → Thủ tướng Chính phủ)."""
        ident = self._index["post_code"].get(fold(code))
        if ident is None:
            ident = self._index["post_code~"].get(fold_tones(code))
        return self.posts[ident] if ident is not None else None

    def post_by_name(self, text: str) -> Post | None:
        """The post whose label or variant is `text`."""
        ident = self._index["post"].get(fold(text))
        return self.posts[ident] if ident is not None else None

    def person_by_name(self, text: str) -> Person | None:
        """The person whose name or variant is `text`; None when unknown or shared by two."""
        ident = self._index["person"].get(fold(text))
        return self.people[ident] if ident is not None else None

    def expand_abbreviations(self, text: str) -> str:
        """`text` with every whole-word general abbreviation replaced by its expansion."""
        for abbreviation in self.abbreviations:
            text = _abbreviation_pattern(abbreviation.abbr).sub(
                lambda _m, e=abbreviation.expansion: e, text
            )
        return text


@functools.lru_cache(maxsize=256)
def _abbreviation_pattern(abbr: str) -> re.Pattern[str]:
    # An abbreviation ending in "." ("TP.") must be followed by a space or the end, so that
    # "TP.HCM" (a name of its own) is not split.
    tail = r"(?=\s|$)" if not abbr[-1].isalnum() else r"(?!\w)"
    return re.compile(r"(?<!\w)" + re.escape(abbr) + tail)


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _split(cell: str) -> tuple[str, ...]:
    return tuple(_nfc(part) for part in cell.split("|") if part.strip())


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise ReferenceDataError(path, "missing file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def _read_csv(
    path: Path, columns: tuple[str, ...], required: Iterable[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each non-blank row, cells stripped and NFC-normalised,
    after checking the header, the number of cells and that `required` cells are filled."""
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    line_end = 0
    required = tuple(required)
    try:
        for row in reader:
            line = line_end + 1
            line_end = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [_nfc(cell) for cell in row]
                if len(set(header)) != len(header) or set(header) != set(columns):
                    raise ReferenceDataError(
                        path,
                        f"header is {','.join(header)!r}; expected the columns "
                        f"{','.join(columns)!r}",
                        line,
                    )
                continue
            if len(row) != len(header):
                raise ReferenceDataError(
                    path,
                    f"{len(row)} cells where the header has {len(header)} "
                    f"({','.join(header)}); quote cells that contain commas",
                    line,
                )
            cells = {name: _nfc(cell) for name, cell in zip(header, row, strict=True)}
            for name in required:
                if not cells[name]:
                    raise ReferenceDataError(path, f"empty required cell {name!r}", line)
            yield line, cells
    except csv.Error as exc:
        raise ReferenceDataError(path, f"malformed CSV: {exc}", reader.line_num) from exc
    if header is None:
        raise ReferenceDataError(path, f"empty file; expected the header {','.join(columns)!r}")


def _one_of(path: Path, line: int, column: str, value: str, allowed: Iterable[str]) -> str:
    allowed = sorted(allowed)
    if value not in allowed:
        raise ReferenceDataError(
            path, f"{column} {value!r} is not one of {', '.join(allowed)}", line
        )
    return value


def _boolean(path: Path, line: int, column: str, value: str) -> bool:
    lowered = value.casefold()
    if lowered not in ("true", "false"):
        raise ReferenceDataError(path, f"{column} {value!r} must be 'true' or 'false'", line)
    return lowered == "true"


def _slug(path: Path, line: int, column: str, value: str) -> str:
    if not _SLUG.match(value):
        raise ReferenceDataError(
            path, f"{column} {value!r} is not a lower-case ASCII slug like 'bo-y-te'", line
        )
    return value


def _date(path: Path, line: int, column: str, value: str) -> date:
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ReferenceDataError(
            path, f"{column} {value!r} is not an ISO date (YYYY-MM-DD)", line
        ) from exc


class _Unique:
    """Remembers where each key was first seen, to report duplicates with both lines."""

    def __init__(self, path: Path, what: str, key: Callable[[str], str] = lambda s: s) -> None:
        self.path, self.what, self.key = path, what, key
        self.seen: dict[str, tuple[str, int]] = {}

    def add(self, value: str, owner: str, line: int) -> None:
        key = self.key(value)
        previous = self.seen.get(key)
        if previous is None:
            self.seen[key] = (owner, line)
        elif previous[0] != owner:
            raise ReferenceDataError(
                self.path,
                f"duplicate {self.what} {value!r} (already used by {previous[0]!r} "
                f"on line {previous[1]})",
                line,
            )


def load_provinces(path: Path) -> dict[str, Province]:
    """provinces.csv → {ISO code: Province}; names and variants must not name two units."""
    columns = ("code", "name", "short", "kind", "name_en", "region", "variants", "source")
    required = ("code", "name", "short", "kind", "name_en", "region", "source")
    provinces: dict[str, Province] = {}
    names = _Unique(path, "province name or variant", fold)
    for line, row in _read_csv(path, columns, required):
        code = row["code"]
        if not _ISO_CODE.match(code):
            raise ReferenceDataError(
                path, f"code {code!r} is not an ISO 3166-2:VN code (VN-01…VN-73, VN-HN, …)", line
            )
        if code in provinces:
            raise ReferenceDataError(path, f"duplicate code {code!r}", line)
        province = Province(
            code=code,
            name=row["name"],
            short=row["short"],
            kind=_one_of(path, line, "kind", row["kind"], PROVINCE_KINDS),
            name_en=row["name_en"],
            region=_one_of(path, line, "region", row["region"], REGIONS),
            variants=_split(row["variants"]),
            source=row["source"],
        )
        for name in _names(province.name, province.variants):
            names.add(name, code, line)
        provinces[code] = province
    return provinces


def load_organizations(path: Path) -> dict[str, Organization]:
    """organizations.csv → {id: Organization}; checks kinds, parents, unique names and codes."""
    columns = ("id", "name", "name_en", "kind", "codes", "variants", "parent", "source")
    organizations: dict[str, Organization] = {}
    lines: dict[str, int] = {}
    names = _Unique(path, "organisation name or variant", fold)
    codes = _Unique(path, "organisation code", fold_tones)
    for line, row in _read_csv(path, columns, ("id", "name", "kind", "source")):
        ident = _slug(path, line, "id", row["id"])
        if ident in organizations:
            raise ReferenceDataError(path, f"duplicate id {ident!r}", line)
        org = Organization(
            id=ident,
            name=row["name"],
            name_en=row["name_en"] or None,
            kind=_one_of(path, line, "kind", row["kind"], ORGANIZATION_KINDS),
            codes=_split(row["codes"]),
            variants=_split(row["variants"]),
            parent=row["parent"] or None,
            source=row["source"],
        )
        for name in _names(org.name, org.variants):
            names.add(name, ident, line)
        for code in org.codes:
            codes.add(code, ident, line)
        organizations[ident] = org
        lines[ident] = line
    for ident, org in organizations.items():
        if org.parent is not None and org.parent not in organizations:
            raise ReferenceDataError(
                path, f"parent {org.parent!r} of {ident!r} is not an organisation id", lines[ident]
            )
    for ident in organizations:
        chain, current = [ident], organizations[ident].parent
        while current is not None:
            if current in chain:
                raise ReferenceDataError(
                    path, f"parent cycle: {' → '.join([*chain, current])}", lines[ident]
                )
            chain.append(current)
            current = organizations[current].parent
    return organizations


def load_roles(path: Path) -> dict[str, Role]:
    """roles.csv → {label: Role}."""
    columns = ("label", "label_en", "heads", "rank", "source")
    roles: dict[str, Role] = {}
    for line, row in _read_csv(path, columns, ("label", "heads", "rank", "source")):
        label = row["label"]
        if label in roles:
            raise ReferenceDataError(path, f"duplicate label {label!r}", line)
        roles[label] = Role(
            label=label,
            label_en=row["label_en"] or None,
            heads=_boolean(path, line, "heads", row["heads"]),
            rank=_one_of(path, line, "rank", row["rank"], ROLE_RANKS),
            source=row["source"],
        )
    return roles


def load_posts(
    path: Path, roles: Mapping[str, Role], organizations: Mapping[str, Organization]
) -> dict[str, Post]:
    """posts.csv → {id: Post}; `role` must be a role label and `organization` an id."""
    columns = ("id", "label", "label_en", "role", "organization", "codes", "variants", "source")
    posts: dict[str, Post] = {}
    codes = _Unique(path, "post code", fold_tones)
    for line, row in _read_csv(path, columns, ("id", "label", "role", "source")):
        ident = _slug(path, line, "id", row["id"])
        if ident in posts:
            raise ReferenceDataError(path, f"duplicate id {ident!r}", line)
        if row["role"] not in roles:
            raise ReferenceDataError(
                path, f"role {row['role']!r} is not a label in roles.csv", line
            )
        organization = row["organization"] or None
        if organization is not None and organization not in organizations:
            raise ReferenceDataError(
                path, f"organization {organization!r} is not an id in organizations.csv", line
            )
        post = Post(
            id=ident,
            label=row["label"],
            label_en=row["label_en"] or None,
            role=row["role"],
            organization=organization,
            codes=_split(row["codes"]),
            variants=_split(row["variants"]),
            source=row["source"],
        )
        for code in post.codes:
            codes.add(code, ident, line)
        posts[ident] = post
    return posts


def load_people(path: Path) -> dict[str, Person]:
    """people.csv → {id: Person}."""
    people: dict[str, Person] = {}
    for line, row in _read_csv(
        path, ("id", "name", "variants", "source"), ("id", "name", "source")
    ):
        ident = _slug(path, line, "id", row["id"])
        if ident in people:
            raise ReferenceDataError(path, f"duplicate id {ident!r}", line)
        people[ident] = Person(
            id=ident, name=row["name"], variants=_split(row["variants"]), source=row["source"]
        )
    return people


def load_tenures(
    path: Path, people: Mapping[str, Person], posts: Mapping[str, Post]
) -> tuple[Tenure, ...]:
    """tenures.csv → Tenures; person and post must exist and `end` must not precede `start`."""
    columns = ("person_id", "post_id", "start", "end", "source")
    tenures: list[Tenure] = []
    seen: dict[tuple[str, str, date], int] = {}
    for line, row in _read_csv(path, columns, ("person_id", "post_id", "start", "source")):
        if row["person_id"] not in people:
            raise ReferenceDataError(
                path, f"person_id {row['person_id']!r} is not an id in people.csv", line
            )
        if row["post_id"] not in posts:
            raise ReferenceDataError(
                path, f"post_id {row['post_id']!r} is not an id in posts.csv", line
            )
        start = _date(path, line, "start", row["start"])
        end = _date(path, line, "end", row["end"]) if row["end"] else None
        if end is not None and end < start:
            raise ReferenceDataError(path, f"end {end} is before start {start}", line)
        key = (row["person_id"], row["post_id"], start)
        if key in seen:
            raise ReferenceDataError(
                path, f"duplicate tenure (same person, post and start as line {seen[key]})", line
            )
        seen[key] = line
        tenures.append(Tenure(row["person_id"], row["post_id"], start, end, row["source"]))
    return tuple(tenures)


def load_doc_types(path: Path) -> dict[str, DocType]:
    """doc_types.csv → {code: DocType}; codes are case-sensitive ("TT" ≠ "TTr")."""
    columns = ("code", "label", "label_en", "issuer_first", "source")
    doc_types: dict[str, DocType] = {}
    for line, row in _read_csv(path, columns, ("code", "label", "issuer_first", "source")):
        code = row["code"]
        if code in doc_types:
            raise ReferenceDataError(path, f"duplicate code {code!r}", line)
        doc_types[code] = DocType(
            code=code,
            label=row["label"],
            label_en=row["label_en"] or None,
            issuer_first=_boolean(path, line, "issuer_first", row["issuer_first"]),
            source=row["source"],
        )
    return doc_types


def load_abbreviations(path: Path) -> tuple[Abbreviation, ...]:
    """abbreviations.csv → Abbreviations, longest first so "BVĐK" wins over "BV"."""
    abbreviations: dict[str, Abbreviation] = {}
    for line, row in _read_csv(
        path, ("abbr", "expansion", "source"), ("abbr", "expansion", "source")
    ):
        if row["abbr"] in abbreviations:
            raise ReferenceDataError(path, f"duplicate abbr {row['abbr']!r}", line)
        abbreviations[row["abbr"]] = Abbreviation(row["abbr"], row["expansion"], row["source"])
    return tuple(sorted(abbreviations.values(), key=lambda a: (-len(a.abbr), a.abbr)))


def load_surnames(path: Path) -> frozenset[str]:
    """surnames.txt → the set of family names (blank lines and `#` comments skipped)."""
    surnames = set()
    for line in _read_text(path).splitlines():
        line = _nfc(line)
        if line and not line.startswith("#"):
            surnames.add(line)
    return frozenset(surnames)


def _line_of(text: str, ident: str) -> int | None:
    """Best-effort line of a Turtle subject, for error messages (rdflib keeps no positions)."""
    name = re.escape(ident)
    subject = re.compile(r"^\s*(?:<(?:[^>]*[/#])?" + name + r">|[\w-]*:" + name + r")(?=\s|;|$)")
    anywhere = re.compile(r"(?:[:/]|<)" + name + r"(?:>|\s|;|,|$)")
    lines = text.splitlines()
    for pattern in (subject, anywhere):
        for number, line in enumerate(lines, start=1):
            if pattern.search(line):
                return number
    return None


def _lang_is(literal: Literal, lang: str) -> bool:
    """Whether `literal` is tagged `lang` ("vi" also matches "vi-VN")."""
    tag = (literal.language or "").lower()
    return tag == lang or tag.startswith(lang + "-")


def _local_id(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


def load_principles(path: Path, base: str = DEFAULT_BASE) -> dict[str, Principle]:
    """principles.ttl (SKOS, parsed with base `{base}principle/`) → {id: Principle}.

    The id is the last path segment of the concept IRI; every concept needs a @vi prefLabel and
    a dcterms:source, and every skos:narrower must point at a concept of the file.
    """
    import pyoxigraph as ox

    from kg.rdf import rdflib_graph

    text = _read_text(path)
    try:  # pyoxigraph parses ten times faster than rdflib: this is on every process's start
        triples = list(
            ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri=base + "principle/")
        )
    except SyntaxError as exc:
        raise ReferenceDataError(path, f"cannot parse Turtle: {exc.msg}", exc.lineno) from exc
    graph = rdflib_graph(triples)
    for prefix, namespace in (("skos", SKOS), ("dcterms", DCTERMS)):
        graph.bind(prefix, namespace)

    def literals(subject: URIRef, predicate: URIRef) -> list[Literal]:
        return [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]

    def one(subject: URIRef, predicate: URIRef, lang: str, ident: str) -> str | None:
        values = [o for o in literals(subject, predicate) if _lang_is(o, lang)]
        if len(values) > 1:
            raise ReferenceDataError(
                path,
                f"{ident!r} has {len(values)} {predicate.n3(graph.namespace_manager)} @{lang}",
                _line_of(text, ident),
            )
        return _nfc(str(values[0])) if values else None

    concepts = sorted(
        {s for s in graph.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef)}
        & {s for s in graph.subjects(SKOS.inScheme, None) if isinstance(s, URIRef)}
    )
    ids: dict[URIRef, str] = {}
    for concept in concepts:
        ident = _local_id(str(concept))
        if ident in ids.values():
            raise ReferenceDataError(path, f"two concepts end in {ident!r}", _line_of(text, ident))
        ids[concept] = ident

    principles: dict[str, Principle] = {}
    for concept, ident in ids.items():
        label_vi = one(concept, SKOS.prefLabel, "vi", ident)
        if label_vi is None:
            raise ReferenceDataError(
                path, f"{ident!r} has no skos:prefLabel @vi", _line_of(text, ident)
            )
        parts = []
        for target in graph.objects(concept, SKOS.narrower):
            if target not in ids:
                raise ReferenceDataError(
                    path,
                    f"skos:narrower of {ident!r} points at unknown concept <{target}>",
                    _line_of(text, ident),
                )
            parts.append(ids[target])  # type: ignore[index]
        sources = sorted(_nfc(str(o)) for o in graph.objects(concept, DCTERMS.source))
        if not sources:
            raise ReferenceDataError(
                path, f"{ident!r} has no dcterms:source", _line_of(text, ident)
            )
        variants = sorted(
            {
                _nfc(str(o))
                for o in literals(concept, SKOS.altLabel)
                if not o.language or _lang_is(o, "vi")
            }
        )
        principles[ident] = Principle(
            id=ident,
            iri=str(concept),
            label_vi=label_vi,
            label_en=one(concept, SKOS.prefLabel, "en", ident),
            variants=tuple(variants),
            definition_vi=one(concept, SKOS.definition, "vi", ident),
            definition_en=one(concept, SKOS.definition, "en", ident),
            parts=tuple(sorted(parts)),
            source="; ".join(sources),
        )
    return principles


def load_reference(data_dir: Path | str | None = None, base: str = DEFAULT_BASE) -> ReferenceData:
    """Read and check every reference file of `data_dir` (default: the package's `data/`).

    Cached per (directory, base): the data is immutable, and the extractors ask for it often.
    """
    directory = Path(data_dir).resolve() if data_dir is not None else DATA_DIR.resolve()
    return _load_cached(directory, base)


@functools.lru_cache(maxsize=8)
def _load_cached(directory: Path, base: str) -> ReferenceData:
    provinces = load_provinces(directory / "provinces.csv")
    organizations = load_organizations(directory / "organizations.csv")
    roles = load_roles(directory / "roles.csv")
    posts = load_posts(directory / "posts.csv", roles, organizations)
    people = load_people(directory / "people.csv")
    tenures = load_tenures(directory / "tenures.csv", people, posts)
    return ReferenceData(
        provinces=provinces,
        organizations=organizations,
        roles=roles,
        posts=posts,
        people=people,
        tenures=tenures,
        doc_types=load_doc_types(directory / "doc_types.csv"),
        abbreviations=load_abbreviations(directory / "abbreviations.csv"),
        principles=load_principles(directory / "principles.ttl", base),
        surnames=load_surnames(directory / "surnames.txt"),
        base=base,
    )


load_reference.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]
