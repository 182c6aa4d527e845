"""Corpus generator for the throughput benchmark: N realistic Vietnamese documents made at run
time from the shared corpora, with names, provinces, dates and numbers drawn from kg's
reference data.

The templates are the documents of `SHARED/corpus/seeds` and `SHARED/corpus/news` (`--shared`,
default `../shared` beside the checkout). Nothing of them is copied into the repository: the
variants are written to the folder given with `-o`, with a `manifest.csv` in the shared
corpus's format (`file,title,date,publisher,language`, see `SHARED/eval/CONTRACT.md`).

Document i is a variant of template i mod T (the templates in name order). In each variant,
consistently within the document (its text and its manifest title):

- every province (name, short name with "tỉnh"/"thành phố"/"TP." before it, or a variant
  such as "TP.HCM") becomes another province of the same kind (city for city, province for
  province), drawn from `kg/data/provinces.csv`;
- every national leader of `kg/data/people.csv` becomes another leader who held one of the
  same posts (`tenures.csv`), so "Thủ tướng Chính phủ Phạm Minh Chính" stays a Prime Minister;
  other full names ("Võ Ngọc Thành": a surname of `surnames.txt` and two or three capitalised
  syllables) become new names made of a reference surname and the middle and given names of
  reference people;
- every date ("29/5/2021", "30/05/2021", "ngày 3/2", "ngày 29 tháng 5 năm 2021",
  "tháng 6/2021") moves by one shift of up to ±180 days, keeping its format; so does the
  manifest date;
- official document numbers ("170/CĐ-TTg", "10-TB/VPTW", "23/2021/QĐ-TTg", "số 170") get a new
  number, and counts ("18 ca", "1.401 người", "61 triệu liều") are scaled by 0.5–2×;
- principle names with digits ("4 tại chỗ", "5K") and organisation names are left as they are.

The text around them is untouched, so the extractors fire as on the real documents. The
output is deterministic for a given `--seed` (and reference data and templates).

Usage, from the checkout:

    python benchmarks/generate.py 1000 -o /tmp/corpus-1000             # make 1,000 documents
    python benchmarks/generate.py 100 -o /tmp/c --seed 7 --force        # replace an earlier one
    python benchmarks/generate.py --touch-one /tmp/c [--index 42]      # change one document
    python benchmarks/generate.py --remove-one /tmp/c [--index 42]     # remove one document

`--touch-one` appends a paragraph (a leader inspecting a province on a date, and a ministry
tasked) to one document, so its facts change; `--remove-one` deletes one document and its
manifest row. Both default to the middle document in name order and print the file changed.
In Python: `generate(count, out, shared=..., seed=...)`, `touch_one(folder)`, `remove_one(folder)`.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kg.reference import Province, ReferenceData, load_reference

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
TEMPLATE_FOLDERS = ("seeds", "news")
MANIFEST = "manifest.csv"
MANIFEST_FIELDS = ("file", "title", "date", "publisher", "language")

MAX_SHIFT_DAYS = 180
EARLIEST, LATEST = dt.date(2020, 1, 23), dt.date(2022, 12, 31)
FIXED_NUMBERS = frozenset({"63"})  # "63 tỉnh, thành phố": the number of provinces, not a count

# Upper- and lower-case letters of Vietnamese (Latin with diacritics), for the name patterns.
_LETTERS = [chr(c) for c in range(0x41, 0x1F00) if chr(c).isalpha()]
UPPER = "".join(c for c in _LETTERS if c.isupper())
LOWER = "".join(c for c in _LETTERS if c.islower())
CAPITALISED = f"[{UPPER}][{LOWER}]*"
DATE_CUES = ("ngày", "sáng", "chiều", "tối", "trưa", "đêm", "hôm", "từ", "đến", "tới")
CITY_PREFIXES = ("Thành phố ", "thành phố ", "TP. ", "TP.", "TP ", "Tp. ", "T.P. ", "T.P ")


@dataclass(frozen=True)
class Template:
    """One document of the shared corpora and its manifest row."""

    name: str  # "seeds-00", "news-03": where it came from, without copying its file name
    text: str
    title: str
    date: dt.date | None
    publisher: str
    language: str


# --------------------------------------------------------------------------------------------
# Reading the templates
# --------------------------------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def _iso_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def load_templates(shared: Path) -> list[Template]:
    """The `.txt` documents of the shared seed and news corpora, in name order."""
    templates = []
    for kind in TEMPLATE_FOLDERS:
        folder = shared / "corpus" / kind
        if not folder.is_dir():
            continue
        rows = _read_manifest(folder)
        for i, path in enumerate(sorted(folder.glob("*.txt"))):
            text = path.read_bytes().decode("utf-8-sig")
            row = rows.get(path.name, {})
            templates.append(
                Template(
                    name=f"{kind}-{i:02d}",
                    text=unicodedata.normalize("NFC", text),
                    title=unicodedata.normalize("NFC", row.get("title") or ""),
                    date=_iso_date(row.get("date")),
                    publisher=row.get("publisher") or "",
                    language=row.get("language") or "vi",
                )
            )
    if not templates:
        raise SystemExit(
            f"generate: no documents under {shared}/corpus/{{{','.join(TEMPLATE_FOLDERS)}}}; "
            "give the shared folder with --shared"
        )
    return templates


# --------------------------------------------------------------------------------------------
# What the substitutions draw from: kg's reference data
# --------------------------------------------------------------------------------------------


def _trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of `words`, longest first, as a character trie (one
    alternation of hundreds of names is much slower in `re`)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def render(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + render(child) for char, child in node.items() if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return render(trie)


@dataclass
class Pools:
    """Names and values the variants draw from, all from `kg.reference`."""

    ref: ReferenceData
    province_surface: dict[str, str] = field(default_factory=dict)  # surface form → code
    person_surface: dict[str, str] = field(default_factory=dict)  # surface form → person id
    tenures: dict[str, list[tuple[str, dt.date, dt.date | None]]] = field(default_factory=dict)
    post_rank: dict[str, int] = field(default_factory=dict)  # order of posts.csv (protocol)
    holders: dict[str, list[str]] = field(default_factory=dict)  # post → everyone who held it
    provinces_by_kind: dict[str, list[str]] = field(default_factory=dict)
    surnames: list[str] = field(default_factory=list)
    surname_weights: list[int] = field(default_factory=list)
    middles: list[str] = field(default_factory=list)
    givens: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)  # principle and organisation names

    @classmethod
    def from_reference(cls, ref: ReferenceData) -> Pools:
        pools = cls(ref)
        for province in sorted(ref.provinces.values(), key=lambda p: p.code):
            pools.provinces_by_kind.setdefault(province.kind, []).append(province.code)
            forms = {province.name, *province.variants}
            if province.short == province.name:
                forms.add(province.short)
            if province.kind == "thành phố":
                forms.update(prefix + province.short for prefix in CITY_PREFIXES)
            for form in forms:
                pools.province_surface.setdefault(form, province.code)
        pools.post_rank = {post: rank for rank, post in enumerate(ref.posts)}
        for tenure in ref.tenures:
            pools.tenures.setdefault(tenure.person_id, []).append(
                (tenure.post_id, tenure.start, tenure.end)
            )
            holders = pools.holders.setdefault(tenure.post_id, [])
            if tenure.person_id not in holders:
                holders.append(tenure.person_id)
        for holders in pools.holders.values():
            holders.sort()
        people = sorted(ref.people.values(), key=lambda p: p.id)
        for person in people:
            for form in (person.name, *person.variants):
                pools.person_surface.setdefault(form, person.id)
        counts = Counter(p.name.split()[0] for p in people)
        pools.surnames = sorted(ref.surnames)
        pools.surname_weights = [1 + 4 * counts.get(s, 0) for s in pools.surnames]
        syllables = [p.name.split() for p in people if len(p.name.split()) >= 3]
        pools.middles = sorted({" ".join(s[1:-1]) for s in syllables})
        pools.givens = sorted({s[-1] for s in syllables})
        keep = set()
        for principle in ref.principles.values():
            for label in (principle.label_vi, *principle.variants):
                if any(ch.isdigit() for ch in label):
                    keep.add(label)
        for organization in ref.organizations.values():
            keep.update((organization.name, *organization.variants))
        pools.keep = sorted(keep)
        return pools

    def colleagues(self, person_id: str, on: dt.date | None) -> list[str]:
        """People who held the first post (in protocol order) that `person_id` held on `on`
        (or ever), so that a Prime Minister is replaced by a Prime Minister."""
        tenures = self.tenures.get(person_id, [])
        held = [
            post
            for post, start, end in tenures
            if on is None or (start <= on and (end is None or on <= end))
        ] or [post for post, _, _ in tenures]
        if not held:
            return []
        primary = min(held, key=lambda post: self.post_rank.get(post, len(self.post_rank)))
        return [p for p in self.holders.get(primary, []) if p != person_id]


def build_pattern(pools: Pools) -> re.Pattern[str]:
    """One pattern for everything a variant changes, so that one pass never changes a value
    twice (a new date is not then taken for a count). Earlier alternatives win."""
    lower = f"[{LOWER}]"
    cues = "|".join(DATE_CUES + tuple(c.capitalize() for c in DATE_CUES))
    day_month = r"(?:[0-3]?\d)/(?:[01]?\d)"
    surnames = _trie_pattern(pools.surnames)
    parts = [
        rf"(?P<keep>(?<!\w){_trie_pattern(pools.keep)}(?!\w))",
        r"(?P<vdate>(?<!\w)(?:[Nn]gày )?(?P<vd>[0-3]?\d) tháng (?P<vm>[01]?\d)"
        r"(?: năm (?P<vy>(?:19|20)\d\d))?(?!\d))",
        r"(?P<date>(?<![\w/.-])(?P<dd>[0-3]?\d)(?P<sep>[/.-])(?P<dm>[01]?\d)(?P=sep)"
        r"(?P<dy>(?:19|20)\d\d)(?![\w/])(?!\.\d))",
        r"(?P<month>(?<!\w)tháng (?P<mm>[01]?\d)/(?P<my>(?:19|20)\d\d)(?![\w/]))",
        rf"(?P<short>(?<!\w)(?P<cue>{cues}) (?P<dm1>{day_month})(?:-(?P<dm2>{day_month}))?"
        r"(?![\w/]))",
        r"(?P<docnum>(?<![\w/.,-])\d{1,5}(?=(?:/(?:19|20)\d\d)?/[A-ZĐ]|-[A-ZĐ]{1,8}/))",
        r"(?P<sono>(?<=số )\d{1,5}(?![\w/.,-]))",
        rf"(?P<count>(?<![\w.,/-])(?:\d{{1,3}}(?:\.\d{{3}})+|\d+)(?![\w/-]|[.,]\d)(?= {lower}))",
        rf"(?P<province>(?<!\w){_trie_pattern(pools.province_surface)}(?!\w))",
        rf"(?P<person>(?<!\w){_trie_pattern(pools.person_surface)}(?!\w))",
        rf"(?P<unknown>(?<!\w){surnames}(?: {CAPITALISED}){{2,3}}(?!\w))",
    ]
    return re.compile("|".join(parts))


# --------------------------------------------------------------------------------------------
# One variant
# --------------------------------------------------------------------------------------------


class Variant:
    """The substitutions of one generated document: each original value is mapped once, on
    first sight, and the same mapping serves the text and the manifest title."""

    def __init__(self, pools: Pools, rng: random.Random, ref_date: dt.date | None) -> None:
        self.pools = pools
        self.rng = rng
        self.ref_date = ref_date
        self.shift = self._draw_shift()
        self.provinces: dict[str, str] = {}
        self.people: dict[str, str] = {}
        self.unknown: dict[str, str] = {}
        self.numbers: dict[str, str] = {}

    def _draw_shift(self) -> int:
        for _ in range(20):
            shift = self.rng.randint(-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS)
            if self.ref_date is None:
                return shift
            if EARLIEST <= self.ref_date + dt.timedelta(days=shift) <= LATEST:
                return shift
        return 0

    @property
    def new_date(self) -> dt.date | None:
        if self.ref_date is None:
            return None
        return self.ref_date + dt.timedelta(days=self.shift)

    # -- dates ------------------------------------------------------------------------------

    def _move(self, day: int, month: int, year: int) -> dt.date | None:
        try:
            return dt.date(year, month, day) + dt.timedelta(days=self.shift)
        except ValueError:
            return None

    @staticmethod
    def _like(value: int, original: str) -> str:
        """`value` with the zero-padding of `original` ("05" → "06", "5" → "6")."""
        return f"{value:0{len(original)}d}" if original.startswith("0") else str(value)

    def _day_month(self, text: str) -> str:
        day, month = text.split("/")
        year = self.ref_date.year if self.ref_date else 2021
        moved = self._move(int(day), int(month), year)
        if moved is None or not 1 <= int(month) <= 12:
            return text
        return f"{self._like(moved.day, day)}/{self._like(moved.month, month)}"

    # -- entities ---------------------------------------------------------------------------

    def _province(self, surface: str) -> str:
        pools = self.pools
        code = pools.province_surface[surface]
        new = self.provinces.get(code)
        if new is None:
            original = pools.ref.provinces[code]
            taken = set(self.provinces.values())
            choices = [c for c in pools.provinces_by_kind[original.kind] if c not in taken]
            new = self.rng.choice(choices) if choices else code
            self.provinces[code] = new
        return self._province_surface(surface, pools.ref.provinces[code], pools.ref.provinces[new])

    @staticmethod
    def _province_surface(surface: str, old: Province, new: Province) -> str:
        for prefix in CITY_PREFIXES:
            if surface.startswith(prefix) and surface[len(prefix) :] == old.short:
                return prefix + new.short
        if surface.startswith(("TP", "Tp", "T.P")):
            return "TP. " + new.short
        if surface.startswith("Thủ đô "):
            return surface if new.code == old.code else "Thành phố " + new.short
        return new.name

    def _person(self, surface: str) -> str:
        ident = self.pools.person_surface[surface]
        new = self.people.get(ident)
        if new is None:
            taken = set(self.people.values())
            colleagues = self.pools.colleagues(ident, self.ref_date)
            choices = [p for p in colleagues if p not in taken]
            if not choices:
                choices = [p for p in sorted(self.pools.ref.people) if p not in taken]
            new = self.rng.choice(choices) if choices else ident
            self.people[ident] = new
        return self.pools.ref.people[new].name

    def _unknown(self, surface: str) -> str:
        new = self.unknown.get(surface)
        if new is None:
            pools = self.pools
            for _ in range(20):
                surname = self.rng.choices(pools.surnames, pools.surname_weights)[0]
                new = f"{surname} {self.rng.choice(pools.middles)} {self.rng.choice(pools.givens)}"
                if pools.ref.person_by_name(new) is None and new not in self.unknown.values():
                    break
            self.unknown[surface] = new
        return new

    # -- numbers ----------------------------------------------------------------------------

    def _docnum(self, number: str) -> str:
        new = self.numbers.get(number)
        if new is None:
            value = self.rng.randint(1, 9 if len(number) == 1 else 1999)
            new = self._like(value, number) if number.startswith("0") else str(value)
            self.numbers[number] = new
        return new

    def _count(self, number: str) -> str:
        if number in self.numbers:  # the number of a document also written without its code
            return self.numbers[number]
        plain = number.replace(".", "")
        value = int(plain)
        if number in FIXED_NUMBERS or (len(plain) == 4 and 1900 <= value <= 2100):
            return number
        new = max(1, round(value * self.rng.uniform(0.5, 2.0)))
        if new >= 1000 and ("." in number or value < 1000):
            return f"{new:,}".replace(",", ".")
        return str(new)

    # -- the pass ---------------------------------------------------------------------------

    def substitute(self, pattern: re.Pattern[str], text: str) -> str:
        return pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        kind = match.lastgroup
        text = match.group(0)
        if kind == "keep":
            return text
        if kind == "vdate":
            year = match.group("vy")
            base = int(year) if year else (self.ref_date.year if self.ref_date else 2021)
            moved = self._move(int(match.group("vd")), int(match.group("vm")), base)
            if moved is None:
                return text
            out = text[: match.start("vd") - match.start()]
            out += f"{self._like(moved.day, match.group('vd'))} tháng "
            out += self._like(moved.month, match.group("vm"))
            return out + (f" năm {moved.year}" if year else "")
        if kind == "date":
            dd, dm, sep = match.group("dd"), match.group("dm"), match.group("sep")
            moved = self._move(int(dd), int(dm), int(match.group("dy")))
            if moved is None:
                return text
            return f"{self._like(moved.day, dd)}{sep}{self._like(moved.month, dm)}{sep}{moved.year}"
        if kind == "month":
            mm = match.group("mm")
            moved = self._move(15, int(mm), int(match.group("my")))
            return text if moved is None else f"tháng {self._like(moved.month, mm)}/{moved.year}"
        if kind == "short":
            out = f"{match.group('cue')} {self._day_month(match.group('dm1'))}"
            if match.group("dm2"):
                out += f"-{self._day_month(match.group('dm2'))}"
            return out
        if kind in ("docnum", "sono"):
            return self._docnum(text)
        if kind == "count":
            return self._count(text)
        if kind == "province":
            return self._province(text)
        if kind == "person":
            return self._person(text)
        if kind == "unknown":
            return self._unknown(text)
        return text


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass
class Generator:
    """Templates, reference data and the compiled pattern, ready to make variants."""

    templates: list[Template]
    pools: Pools
    pattern: re.Pattern[str]
    seed: int = 0

    @classmethod
    def create(cls, shared: Path = DEFAULT_SHARED, seed: int = 0) -> Generator:
        pools = Pools.from_reference(load_reference())
        return cls(load_templates(Path(shared)), pools, build_pattern(pools), seed)

    def rng(self, *key: object) -> random.Random:
        digest = hashlib.sha256(repr((self.seed, *key)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def document(self, index: int) -> tuple[str, dict[str, str]]:
        """The text and manifest row of document `index`."""
        template = self.templates[index % len(self.templates)]
        variant = Variant(self.pools, self.rng("doc", index), template.date)
        text = variant.substitute(self.pattern, template.text)
        title = variant.substitute(self.pattern, template.title)
        name = f"{index:05d}_{template.name}.txt"
        new_date = variant.new_date
        row = {
            "file": name,
            "title": title,
            "date": new_date.isoformat() if new_date else "",
            "publisher": template.publisher,
            "language": template.language,
        }
        return text, row


def write_manifest(folder: Path, rows: list[dict[str, str]]) -> None:
    with (folder / MANIFEST).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_rows(folder: Path) -> list[dict[str, str]]:
    path = folder / MANIFEST
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def generate(
    count: int,
    out: Path,
    *,
    shared: Path = DEFAULT_SHARED,
    seed: int = 0,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write `count` documents and their manifest.csv to `out`. Returns counts (documents,
    characters, bytes, templates)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"generate: {out} is not empty (use --force to replace its corpus)")
        for old in [*out.glob("*.txt"), out / MANIFEST]:
            old.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    generator = Generator.create(Path(shared), seed)
    rows = []
    chars = size = 0
    for index in range(count):
        text, row = generator.document(index)
        data = text.encode("utf-8")
        (out / row["file"]).write_bytes(data)
        rows.append(row)
        chars += len(text)
        size += len(data)
        if progress and (index + 1) % 1000 == 0:
            progress(index + 1)
    write_manifest(out, rows)
    return {
        "documents": count,
        "chars": chars,
        "bytes": size,
        "templates": len(generator.templates),
    }


def _pick(folder: Path, index: int | None) -> Path:
    files = sorted(Path(folder).glob("*.txt"))
    if not files:
        raise SystemExit(f"generate: no .txt documents in {folder}")
    chosen = len(files) // 2 if index is None else index
    if not 0 <= chosen < len(files):
        raise SystemExit(f"generate: --index {chosen} is out of range (0–{len(files) - 1})")
    return files[chosen]


def touch_one(folder: Path, index: int | None = None, seed: int = 0) -> Path:
    """Append a paragraph with new facts to one document (the middle one by default): a leader
    inspecting a province on a date and a ministry tasked. Each call changes the text anew
    (the paragraph depends on the current text). Returns the file changed."""
    path = _pick(Path(folder), index)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    ref = load_reference()
    digest = hashlib.sha256(repr((seed, path.name)).encode() + raw).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    tenure = rng.choice(sorted(ref.tenures, key=lambda t: (t.person_id, t.post_id, t.start)))
    person = ref.people[tenure.person_id].name
    post = ref.posts[tenure.post_id].label
    province = ref.provinces[rng.choice(sorted(ref.provinces))]
    place = (
        province.name if province.name != province.short else f"{province.kind} {province.short}"
    )
    ministries = sorted(
        o.name for o in ref.organizations.values() if o.kind == "ministry" and o.name
    )
    ministry = rng.choice(ministries)
    day = tenure.start + dt.timedelta(days=rng.randint(0, 300))
    newline = "\r\n" if "\r\n" in text else "\n"
    paragraph = (
        f"Ngày {day.day}/{day.month}/{day.year}, {post} {person} đã làm việc với {place} về "
        f"công tác phòng, chống dịch COVID-19. {post} giao {ministry} phối hợp với {place} "
        f"đẩy nhanh tiêm vắc xin và xét nghiệm cho {rng.randint(2, 90) * 1000:,} người."
    ).replace(",000 ", ".000 ")
    body = text.rstrip("\r\n")
    path.write_bytes((body + newline * 2 + paragraph + newline).encode("utf-8"))
    return path


def remove_one(folder: Path, index: int | None = None) -> Path:
    """Delete one document (the middle one by default) and its manifest row."""
    folder = Path(folder)
    path = _pick(folder, index)
    path.unlink()
    rows = read_rows(folder)
    if rows:
        write_manifest(folder, [row for row in rows if row.get("file") != path.name])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (python -m pydoc benchmarks/generate.py) for details.",
    )
    parser.add_argument("count", type=int, nargs="?", help="number of documents to make")
    parser.add_argument("-o", "--out", type=Path, help="folder to write the corpus to")
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="the shared folder holding corpus/seeds and corpus/news (default: ../shared)",
    )
    parser.add_argument("--seed", type=int, default=0, help="variants depend only on this")
    parser.add_argument("--force", action="store_true", help="replace a corpus already in -o")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--touch-one", type=Path, metavar="DIR", help="change the text of one document in DIR"
    )
    action.add_argument("--remove-one", type=Path, metavar="DIR", help="remove one document of DIR")
    parser.add_argument(
        "--index", type=int, default=None, help="which document (name order; default: middle)"
    )
    args = parser.parse_args(argv)
    if args.touch_one is not None:
        print(touch_one(args.touch_one, args.index, args.seed))
        return 0
    if args.remove_one is not None:
        print(remove_one(args.remove_one, args.index))
        return 0
    if args.count is None or args.out is None:
        parser.error("give COUNT and -o DIR (or --touch-one/--remove-one DIR)")
    if args.count < 1:
        parser.error("COUNT must be at least 1")
    stats = generate(
        args.count,
        args.out,
        shared=args.shared,
        seed=args.seed,
        force=args.force,
        progress=lambda n: print(f"  {n:,} documents", file=sys.stderr, flush=True),
    )
    print(
        f"wrote {stats['documents']:,} documents ({stats['chars']:,} characters, "
        f"{stats['bytes']:,} bytes) from {stats['templates']} templates to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
