"""Lookup structures built once from the reference data and shared by the components: phrase
indexes of provinces, organisations, posts, roles, people and principles, plus the patterns
for structurally named bodies ("Sở Y tế …", "Ủy ban nhân dân tỉnh …", "Bệnh viện …")."""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kg.errors import DataFileError
from kg.lexicon import Lexicon, default_lexicon
from kg.matching import PhraseIndex
from kg.reference import (
    ORGANIZATION_KINDS,
    DocType,
    Organization,
    Person,
    Post,
    Principle,
    Province,
    ReferenceData,
    Role,
    load_reference,
)
from kg.text import fold, fold_tones

DATA_DIR = Path(__file__).parent / "data"
PROVINCE_PREFIXES = ("thành phố", "tp", "tỉnh", "thủ đô", "tp.")
COMPLEMENTS = frozenset({"province", "field", "name"})


@dataclass(frozen=True)
class OrgPattern:
    head: str
    canonical: str
    kind: str
    complement: str


@functools.lru_cache(maxsize=65536)
def slug(text: str) -> str:
    """ASCII identifier for IRIs: "Bộ Y tế" → "bo-y-te"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def load_org_patterns(path: Path | None = None) -> tuple[OrgPattern, ...]:
    path = path or DATA_DIR / "org_patterns.csv"
    try:
        reader = csv.DictReader(path.read_text(encoding="utf-8").splitlines())
    except OSError as exc:
        raise DataFileError(path, f"cannot read: {exc}") from exc
    expected = ["head", "canonical", "kind", "complement", "source"]
    if reader.fieldnames != expected:
        raise DataFileError(path, f"header must be {','.join(expected)}", 1)
    patterns = []
    for row in reader:
        if row["complement"] not in COMPLEMENTS:
            raise DataFileError(
                path, f"complement must be one of {sorted(COMPLEMENTS)}", reader.line_num
            )
        if not row["head"].strip() or not row["canonical"].strip():
            raise DataFileError(path, "empty head or canonical name", reader.line_num)
        if row["kind"] not in ORGANIZATION_KINDS:
            raise DataFileError(
                path,
                f"kind {row['kind']!r} is not one of {sorted(ORGANIZATION_KINDS)}",
                reader.line_num,
            )
        patterns.append(
            OrgPattern(
                row["head"].strip(), row["canonical"].strip(), row["kind"], row["complement"]
            )
        )
    return tuple(patterns)


@dataclass
class Gazetteers:
    ref: ReferenceData
    lexicon: Lexicon
    provinces: PhraseIndex[Province] = field(default_factory=PhraseIndex)
    organizations: PhraseIndex[Organization] = field(default_factory=PhraseIndex)
    ministry_fields: PhraseIndex[Organization] = field(default_factory=PhraseIndex)
    posts: PhraseIndex[Post] = field(default_factory=PhraseIndex)
    roles: PhraseIndex[Role] = field(default_factory=PhraseIndex)
    people: PhraseIndex[Person] = field(default_factory=PhraseIndex)
    people_by_tone_free: dict[str, list[Person]] = field(default_factory=dict)
    principles: PhraseIndex[Principle] = field(default_factory=PhraseIndex)
    org_heads: PhraseIndex[OrgPattern] = field(default_factory=PhraseIndex)
    doc_type_words: PhraseIndex[DocType] = field(default_factory=PhraseIndex)
    doc_type_codes: dict[str, DocType] = field(default_factory=dict)
    issuer_codes: dict[str, Organization | Post] = field(default_factory=dict)
    generic_codes: dict[str, str] = field(default_factory=dict)
    surnames: frozenset[str] = frozenset()
    honorifics: PhraseIndex[str] = field(default_factory=PhraseIndex)
    post_by_label: dict[str, Post] = field(default_factory=dict)


def code_key(code: str) -> str:
    """Document-code comparison key: upper case, Đ folded to D, no spaces."""
    return re.sub(r"\s+", "", code).upper().replace("Đ", "D")


def build_gazetteers(ref: ReferenceData, lexicon: Lexicon) -> Gazetteers:
    g = Gazetteers(ref=ref, lexicon=lexicon)
    for province in sorted(ref.provinces.values(), key=lambda p: p.code):
        g.provinces.add(province.name, province)
        if province.short != province.name and province.code != "VN-SG":
            g.provinces.add(province.short, province)
        for variant in province.variants:
            g.provinces.add(variant, province)
    for org in sorted(ref.organizations.values(), key=lambda o: o.id):
        g.organizations.add(org.name, org)
    for org in sorted(ref.organizations.values(), key=lambda o: o.id):
        for variant in org.variants:
            g.organizations.add(variant, org)
        if org.kind == "ministry" and org.name.startswith("Bộ "):
            g.ministry_fields.add(org.name[3:], org)
            for variant in org.variants:
                if variant.startswith("Bộ "):
                    g.ministry_fields.add(variant[3:], org)
        for code in org.codes:
            g.issuer_codes.setdefault(code_key(code), org)
    for post in sorted(ref.posts.values(), key=lambda p: p.id):
        g.posts.add(post.label, post)
        for name in (post.label, *post.variants):
            g.post_by_label.setdefault(fold(name), post)
    for post in sorted(ref.posts.values(), key=lambda p: p.id):
        for variant in post.variants:
            g.posts.add(variant, post)
        for code in post.codes:
            g.issuer_codes.setdefault(code_key(code), post)
    for role in sorted(ref.roles.values(), key=lambda r: r.label):
        g.roles.add(role.label, role)
    tone_free: dict[str, list[Person]] = defaultdict(list)
    for person in sorted(ref.people.values(), key=lambda p: p.id):
        g.people.add(person.name, person)
        for variant in person.variants:
            g.people.add(variant, person)
        for name in (person.name, *person.variants):
            if person not in tone_free[fold_tones(name)]:
                tone_free[fold_tones(name)].append(person)
    g.people_by_tone_free = dict(tone_free)
    for principle in sorted(ref.principles.values(), key=lambda p: p.id):
        g.principles.add(principle.label_vi, principle)
    for principle in sorted(ref.principles.values(), key=lambda p: p.id):
        for variant in principle.variants:
            g.principles.add(variant, principle)
    for pattern in load_org_patterns():
        g.org_heads.add(pattern.head, pattern)
    for doc_type in sorted(ref.doc_types.values(), key=lambda d: d.code):
        g.doc_type_codes[code_key(doc_type.code)] = doc_type
        g.doc_type_words.add(doc_type.label, doc_type)
    for abbreviation in ref.abbreviations:
        g.generic_codes[code_key(abbreviation.abbr)] = abbreviation.expansion
    g.surnames = frozenset(fold(s) for s in ref.surnames)
    for cue in lexicon.of("honorific"):
        g.honorifics.add(cue.text, cue.text)
    return g


@lru_cache(maxsize=4)
def default_gazetteers(data_dir: str | None = None) -> Gazetteers:
    ref = load_reference(Path(data_dir) if data_dir else None)
    return build_gazetteers(ref, default_lexicon())
