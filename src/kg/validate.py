"""SHACL validation with pySHACL, and a report a person can act on: violations grouped by the
entity they concern, with its label, the property, the shape's message and the sentence the
fact was extracted from."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDFS, SH, SKOS

from kg.errors import DataFileError, GraphError
from kg.namespaces import KGO
from kg.sparql import resource_dir


@dataclass(frozen=True)
class Violation:
    focus: str
    label: str | None
    path: str | None
    message: str
    severity: str
    value: str | None
    evidence: str | None


@dataclass(frozen=True)
class ValidationReport:
    conforms: bool
    violations: tuple[Violation, ...]
    report_graph: Graph

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]


def load_shapes(shapes_dir: str | Path | None = None) -> Graph:
    folder = Path(shapes_dir) if shapes_dir else resource_dir("shapes")
    files = sorted(folder.glob("*.ttl")) if folder.is_dir() else [folder]
    if not files or not all(f.is_file() for f in files):
        raise DataFileError(folder, "no SHACL shapes (*.ttl) found")
    shapes = Graph()
    for path in files:
        try:
            shapes.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several parser-specific types
            raise DataFileError(path, f"shapes do not parse: {exc}") from exc
    return shapes


def load_graph(path: str | Path) -> Graph:
    graph = Graph()
    try:
        graph.parse(str(path), format="turtle")
    except FileNotFoundError as exc:
        raise GraphError(f"{path}: no such file") from exc
    except Exception as exc:
        raise GraphError(f"{path}: cannot parse as Turtle: {exc}") from exc
    return graph


def _label(graph: Graph, node) -> str | None:
    for predicate in (RDFS.label, SKOS.prefLabel, KGO.documentNumber, KGO.path):
        for value in graph.objects(node, predicate):
            return str(value)
    return None


def _evidence(graph: Graph, node) -> str | None:
    for evidence in graph.objects(node, PROV.wasDerivedFrom):
        quote = graph.value(evidence, KGO.quote)
        if quote is not None:
            return str(quote)
    for mention in graph.subjects(KGO.mentions, node):
        return _evidence(graph, mention)
    return None


def validate_graph(graph: Graph, shapes: Graph | None = None) -> ValidationReport:
    shapes = shapes if shapes is not None else load_shapes()
    conforms, report, _ = shacl_validate(
        graph, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=False
    )
    violations = []
    for result in report.subjects(SH.resultSeverity, None):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        severity = report.value(result, SH.resultSeverity)
        value = report.value(result, SH.value)
        message = report.value(result, SH.resultMessage)
        violations.append(
            Violation(
                focus=str(focus),
                label=_label(graph, focus),
                path=str(path) if path is not None else None,
                message=str(message) if message is not None else "constraint not met",
                severity=str(severity).rsplit("#", 1)[-1],
                value=str(value) if value is not None else None,
                evidence=_evidence(graph, focus) if isinstance(focus, URIRef) else None,
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(bool(conforms), tuple(violations), report)


def format_text(report: ValidationReport) -> str:
    if not report.violations:
        return "The graph conforms to the shapes.\n"
    by_focus: dict[str, list[Violation]] = defaultdict(list)
    for v in report.violations:
        by_focus[v.focus].append(v)
    lines = [
        f"{len(report.errors)} violation(s), {len(report.violations) - len(report.errors)} "
        f"warning(s) on {len(by_focus)} node(s):"
    ]
    for focus, items in by_focus.items():
        head = f"\n{focus}" + (f"  ({items[0].label})" if items[0].label else "")
        lines.append(head)
        for v in items:
            prop = v.path.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if v.path else "-"
            value = f" [value: {v.value}]" if v.value else ""
            lines.append(f"  {v.severity}: {prop}: {v.message}{value}")
        if items[0].evidence:
            lines.append(f"  source sentence: {items[0].evidence[:200]}")
    return "\n".join(lines) + "\n"
