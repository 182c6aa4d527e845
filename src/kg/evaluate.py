"""Score a graph against hand-annotated gold facts (the format of `eval/gold/*.json`): precision,
recall and F1 per category, and every miss and false fact with the sentence it came from, so
users with their own annotations can measure kg on their documents."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import DataFileError
from kg.sparql import load_query, run
from kg.text import canonical_tones

ENTITY_CATEGORIES = ("person", "organization", "province", "document", "principle")
RELATION_CATEGORIES = (
    "holds_post",
    "heads",
    "oversees",
    "chairs",
    "attends",
    "assigned",
    "issued_by",
    "signed_by",
    "doc_date",
    "doc_type",
    "province_status",
)
# canned query -> (category, the columns that make its fact)
QUERY_FACTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "people": (("person", ("name",)), ("holds_post", ("name", "post"))),
    "organizations": (("organization", ("name",)),),
    "provinces": (("province", ("code",)),),
    "documents": (
        ("document", ("number",)),
        ("doc_type", ("number", "type")),
        ("issued_by", ("number", "issuer")),
        ("doc_date", ("number", "date")),
        ("signed_by", ("number", "signer")),
    ),
    "principles": (("principle", ("name",)),),
    "leadership": (("heads", ("person", "organization")),),
    "oversight": (("oversees", ("leader", "code")),),
    "meetings": (("chairs", ("chair", "date")),),
    "attendance": (("attends", ("person", "date")),),
    "assignments": (("assigned", ("agency",)),),
    "province-status": (("province_status", ("code", "status")),),
}
_PUNCT = re.compile(r"[\s\-\u2010-\u2015,.;:()\[\]{}\"'\u201c\u201d\u2018\u2019/&+*!?]+")
_DOCUMENT_COLUMNS = {
    "document": (0,),
    "doc_type": (0,),
    "issued_by": (0,),
    "doc_date": (0,),
    "signed_by": (0,),
}
_DATE_COLUMNS = {"chairs": (1,), "attends": (1,), "doc_date": (1,)}


def name_key(text: str) -> str:
    """Case, punctuation, Unicode composition and tone placement do not matter."""
    text = canonical_tones(unicodedata.normalize("NFC", str(text))).casefold()
    return " ".join(p for p in _PUNCT.split(text) if p)


class Aliases:
    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.map: dict[str, str] = {}
        for canonical, variants in (table or {}).items():
            if canonical.startswith("_"):
                continue
            for variant in (canonical, *variants):
                self.map.setdefault(name_key(variant), name_key(canonical))

    def __call__(self, text: str) -> str:
        key = name_key(text)
        return self.map.get(key, key)


def fact_key(category: str, values: tuple[str, ...], aliases: Aliases) -> tuple[str, ...]:
    out = []
    for i, value in enumerate(values):
        if category in ("province", "province_status", "oversees") and (
            category == "province"
            or (category == "oversees" and i == 1)
            or (category == "province_status" and i == 0)
        ):
            out.append(str(value).strip().upper())
        elif category == "province_status":
            out.append(name_key(value).replace(" ", "_"))
        elif i in _DOCUMENT_COLUMNS.get(category, ()):
            out.append(re.sub(r"\s+", "", unicodedata.normalize("NFC", str(value))).upper())
        elif i in _DATE_COLUMNS.get(category, ()):
            out.append(str(value).strip()[:10])
        else:
            out.append(aliases(value))
    return tuple(out)


def same(category: str, predicted: tuple[str, ...], gold: tuple[str, ...]) -> bool:
    if predicted == gold:
        return True
    if len(predicted) != len(gold):
        return False
    for i, (p, g) in enumerate(zip(predicted, gold, strict=True)):
        if p == g:
            continue
        if i in _DOCUMENT_COLUMNS.get(category, ()) and "/" not in g and p.split("/")[0] == g:
            continue  # "1099" is "1099/CĐ-TTg"
        if category == "principle" and min(len(p), len(g)) >= 6 and (p in g or g in p):
            continue
        return False
    return True


@dataclass
class Outcome:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[dict] = field(default_factory=list)
    false: list[dict] = field(default_factory=list)

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if self.fn == 0 else 0.0)
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def predictions(store: ox.Store) -> dict[str, dict[str, set[tuple[str, ...]]]]:
    """source file name -> category -> facts, from the canned queries."""
    found: dict[str, dict[str, set[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(set))
    for name, facts in QUERY_FACTS.items():
        _, rows = run(store, load_query(name))
        for row in rows:
            if "source" not in row:
                continue
            source = row["source"].value.rstrip("/").split("/")[-1]
            for category, columns in facts:
                values = tuple(row[c].value if c in row else "" for c in columns)
                if all(values):
                    found[source][category].add(values)
    return found


def evidence_index(store: ox.Store) -> dict[str, list[tuple[str, str]]]:
    """For each source file name, the (entity label key, sentence) pairs of its statements."""
    query = """
        PREFIX kgo: <https://w3id.org/kgvn/ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT DISTINCT ?path ?label ?quote WHERE {
          ?st kgo:source ?src ; prov:wasDerivedFrom/kgo:quote ?quote ; ?p ?entity .
          ?src kgo:path ?path .
          { ?entity <http://www.w3.org/2000/01/rdf-schema#label> ?label }
          UNION { ?entity <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }
          UNION { ?entity kgo:isoCode ?label } UNION { ?entity kgo:documentNumber ?label }
        } ORDER BY ?path ?quote"""
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in run(store, query)[1]:
        name = row["path"].value.rstrip("/").split("/")[-1]
        index[name].append((name_key(row["label"].value), row["quote"].value))
    return index


def evidence_for(
    index: dict[str, list[tuple[str, str]]], source: str, labels: tuple[str, ...]
) -> str | None:
    """A sentence of `source` from which a fact involving `labels` was extracted."""
    wanted = {name_key(label) for label in labels if label}
    return next((quote for key, quote in index.get(source, ()) if key in wanted), None)


def evaluate(store: ox.Store, gold: dict, aliases: Aliases) -> dict[str, Outcome]:
    predicted = predictions(store)
    sentences = evidence_index(store)
    outcomes = {c: Outcome() for c in ENTITY_CATEGORIES + RELATION_CATEGORIES}
    for source, spec in sorted(gold.items()):
        if source.startswith("_"):
            continue
        for category in ENTITY_CATEGORIES + RELATION_CATEGORIES:
            part = spec.get(category, {})
            as_tuple = lambda x: tuple(x) if isinstance(x, list) else (x,)  # noqa: E731
            required = [as_tuple(x) for x in part.get("required", [])]
            required_keys = [fact_key(category, r, aliases) for r in required]
            acceptable = [
                fact_key(category, as_tuple(x), aliases) for x in part.get("acceptable", [])
            ]
            got: dict[tuple[str, ...], tuple[str, ...]] = {}
            for values in sorted(predicted.get(source, {}).get(category, ())):
                got.setdefault(fact_key(category, values, aliases), values)
            hit: set[int] = set()
            outcome = outcomes[category]
            for key, shown in got.items():
                matches = [i for i, r in enumerate(required_keys) if same(category, key, r)]
                if matches:
                    hit.update(matches)
                elif not any(same(category, key, a) for a in acceptable):
                    outcome.fp += 1
                    outcome.false.append(
                        {
                            "source": source,
                            "fact": list(shown),
                            "evidence": evidence_for(sentences, source, shown),
                        }
                    )
            outcome.tp += len(hit)
            for i, fact in enumerate(required):
                if i not in hit:
                    outcome.fn += 1
                    outcome.misses.append({"source": source, "fact": list(fact)})
    return outcomes


def load_gold(path: str | Path) -> tuple[dict, Aliases]:
    """A gold file, and the aliases.json beside it if there is one."""
    path = Path(path)
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataFileError(path, f"cannot read gold facts: {exc}") from exc
    if not isinstance(gold, dict):
        raise DataFileError(path, "gold file must be a JSON object keyed by source file")
    table = None
    for candidate in (path.parent / "aliases.json", path.parent.parent / "aliases.json"):
        if candidate.is_file():
            table = json.loads(candidate.read_text(encoding="utf-8"))
            break
    return gold, Aliases(table)


def summary(outcomes: dict[str, Outcome]) -> dict:
    out: dict[str, dict] = {}
    for group, categories in (("entities", ENTITY_CATEGORIES), ("relations", RELATION_CATEGORIES)):
        total = Outcome()
        for c in categories:
            o = outcomes[c]
            p, r, f = o.prf()
            out[c] = {"tp": o.tp, "fp": o.fp, "fn": o.fn, "p": p, "r": r, "f1": f}
            total.tp, total.fp, total.fn = total.tp + o.tp, total.fp + o.fp, total.fn + o.fn
        out[group] = dict(zip(("p", "r", "f1"), total.prf(), strict=True))
    every = Outcome(
        tp=sum(o.tp for o in outcomes.values()),
        fp=sum(o.fp for o in outcomes.values()),
        fn=sum(o.fn for o in outcomes.values()),
    )
    out["overall"] = dict(zip(("p", "r", "f1"), every.prf(), strict=True))
    return out


def format_report(outcomes: dict[str, Outcome]) -> str:
    scores = summary(outcomes)
    lines = [f"{'category':<16} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}"]
    for group, categories in (("entities", ENTITY_CATEGORIES), ("relations", RELATION_CATEGORIES)):
        for c in categories:
            s = scores[c]
            counts = f"{s['tp']:>4} {s['fp']:>4} {s['fn']:>4}"
            lines.append(f"{c:<16} {counts} {s['p']:>6.3f} {s['r']:>6.3f} {s['f1']:>6.3f}")
        g = scores[group]
        lines.append(f"{'= ' + group:<16} {'':>14} {g['p']:>6.3f} {g['r']:>6.3f} {g['f1']:>6.3f}")
    o = scores["overall"]
    lines.append(f"overall P={o['p']:.3f} R={o['r']:.3f} F1={o['f1']:.3f}")
    for c, outcome in outcomes.items():
        for miss in outcome.misses:
            lines.append(f"  missed {miss['source']} {c}: {' | '.join(miss['fact'])}")
        for false in outcome.false:
            where = f"\n      from: {false['evidence'][:200]}" if false["evidence"] else ""
            lines.append(f"  false  {false['source']} {c}: {' | '.join(false['fact'])}{where}")
    return "\n".join(lines) + "\n"
