"""SHACL validation with pySHACL, in slices on every core, and a report a person can act on.

The shapes are compiled once: every property shape of a targeted node shape is hoisted into a
shape of its own with the node shape's targets, so pySHACL checks it for all focus nodes at
once instead of once per node (the same results for a fraction of the work); small graphs are
validated by one run of the compiled shapes. For large graphs the focus nodes are found on the
whole graph and dealt into slices: everything a source document says (its statements, evidence
and meetings) goes into one slice, entities go into slices by class. A slice is validated
against shapes that target only its own focus nodes (they carry focus markers in the slice), by
a pool of worker processes: forked workers share the whole graph and mark their slice in their
own copy; otherwise a slice is cut out with exactly the triples the shapes look at for its
focus nodes (found by walking the shapes' paths, so an sh:class check sees the type of the node
it points to). The results are merged; every way gives what one pySHACL run on the whole graph
gives. Shapes that cannot be compiled (SHACL-SPARQL, custom components, SHACL-AF) run as they
are on the whole graph.

The report groups results by the node they concern, with its label, the property, the shape's
message, the offending value and the sentence the fact was extracted from."""

from __future__ import annotations

import gc
import json
import math
import multiprocessing
import sys
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import PROV, RDF, RDFS, SH, SKOS, NamespaceManager
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from kg.errors import DataFileError, GraphError
from kg.namespaces import KGO, PREFIXES
from kg.processes import default_jobs
from kg.rdf import rdflib_graph
from kg.sparql import resource_dir

Triple = tuple[Node, Node, Node]

# --- loading ---------------------------------------------------------------------------------

GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
if hasattr(ox.RdfFormat, "JSON_LD"):  # pyoxigraph 0.5+
    GRAPH_FORMATS[".jsonld"] = ox.RdfFormat.JSON_LD


def _graph_format(path: Path) -> ox.RdfFormat:
    """The RDF format of a file by its extension; Turtle when the extension says nothing."""
    return GRAPH_FORMATS.get(path.suffix.lower(), ox.RdfFormat.TURTLE)


class _Unreadable(Exception):
    """A graph or shapes file that cannot be read; the caller turns it into a kg error."""


def _read_triples(path: Path, rename_blank_nodes: bool = False) -> tuple[Graph, dict]:
    """Parse `path` with pyoxigraph (fast, strict) into an rdflib Graph; named graphs of TriG
    and N-Quads files are merged into one. Returns the graph and the file's prefixes. Files
    merged into one graph need `rename_blank_nodes` (their labels are only file-wide)."""
    fmt = _graph_format(path)
    if not path.exists():
        raise _Unreadable("no such file")
    if not path.is_file():
        raise _Unreadable("not a file")
    graph = Graph()
    try:
        parser = ox.parse(
            path=str(path),
            format=fmt,
            base_iri=path.resolve().as_uri(),
            rename_blank_nodes=rename_blank_nodes,
        )
        rdflib_graph(parser, graph)
        prefixes = dict(getattr(parser, "prefixes", {}) or {})
    except (SyntaxError, ValueError, UnicodeDecodeError, OSError) as exc:
        raise _Unreadable(f"cannot parse as {fmt.name.replace('_', '-')}: {exc}") from exc
    return graph, prefixes


def load_graph(path: str | Path) -> Graph:
    """Read a graph file (Turtle, N-Triples, N-Quads, TriG, N3, RDF/XML or JSON-LD, by
    extension; Turtle otherwise), or the whole graph of a store folder (`kg build --store`).
    Raises GraphError naming the file when it cannot be read."""
    if Path(path).is_dir():
        import pyoxigraph as ox

        from kg.store import open_store

        store = open_store(path)
        graph = rdflib_graph(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace, override=False)
        return graph
    try:
        graph, prefixes = _read_triples(Path(path))
    except _Unreadable as exc:
        raise GraphError(f"{path}: {exc}") from exc
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=False)
    for prefix, namespace in prefixes.items():
        if prefix:
            graph.bind(prefix, namespace, override=False, replace=False)
    return graph


def default_shapes_dir() -> Path:
    """kg's own shapes folder (`shapes/`)."""
    return resource_dir("shapes")


SHAPE_FILE_SUFFIXES = (".ttl", ".turtle", ".nt", ".nq", ".trig", ".n3", ".rdf", ".owl", ".jsonld")


def _shapes_files(location: Path) -> list[Path]:
    if location.is_dir():
        files = sorted(p for p in location.iterdir() if p.suffix.lower() in SHAPE_FILE_SUFFIXES)
        if not files:
            raise DataFileError(location, "no SHACL shapes files (*.ttl) in this folder")
        return files
    if location.is_file():
        return [location]
    raise DataFileError(location, "no such shapes file or folder")


def _defines_shapes(graph: Graph) -> bool:
    if (None, RDF.type, SH.NodeShape) in graph or (None, RDF.type, SH.PropertyShape) in graph:
        return True
    return any((None, p, None) in graph for p in (*_TARGETS, SH.property, SH.path))


def meta_check(graph: Graph) -> list[str]:
    """Problems that make `graph` ill-formed SHACL, checked against the SHACL-SHACL shapes that
    pySHACL ships (a minCount that is not an integer, a path that is not a path…)."""
    try:
        conforms, report, _ = shacl_validate(
            graph, shacl_graph="http://www.w3.org/ns/shacl-shacl", inference="none"
        )
    except Exception as exc:  # pySHACL raises its own error types on broken shapes
        return [str(exc).strip().splitlines()[0]]
    if conforms:
        return []
    problems = []
    for result in report.objects(None, SH.result):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        message = report.value(result, SH.resultMessage)
        where = graph.namespace_manager.normalizeUri(path) if isinstance(path, URIRef) else ""
        what = focus.n3(graph.namespace_manager) if isinstance(focus, URIRef) else "a shape"
        problems.append(f"{what}: {where} {message}".replace("  ", " "))
    return sorted(problems)


def load_shapes(shapes: str | Path | None = None, *, check: bool | None = None) -> Graph:
    """The shapes in a folder (every RDF file in it) or one file; kg's own by default.

    Each file must parse and define SHACL shapes; with `check` (the default for shapes the user
    names) each is also checked against SHACL-SHACL. Raises DataFileError naming the file."""
    location = Path(shapes) if shapes is not None else default_shapes_dir()
    if check is None:
        check = shapes is not None
    graph = Graph()
    for path in _shapes_files(location):
        try:
            part, prefixes = _read_triples(path, rename_blank_nodes=True)
        except _Unreadable as exc:
            raise DataFileError(path, str(exc)) from exc
        if not _defines_shapes(part):
            raise DataFileError(
                path,
                "not SHACL: it defines no shapes (no sh:NodeShape, sh:PropertyShape or target)",
            )
        if check:
            problems = meta_check(part)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise DataFileError(path, f"not well-formed SHACL: {problems[0]}{more}")
        for prefix, namespace in prefixes.items():
            if prefix:
                graph.bind(prefix, namespace, override=False, replace=False)
        graph += part
    graph.bind("kgo", str(KGO), override=False)
    return graph


# --- compiling the shapes --------------------------------------------------------------------

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_SHAPE_REFS = (SH.node, SH.qualifiedValueShape, SH["not"], SH.property)
_SHAPE_LISTS = (SH["or"], SH["and"], SH.xone)
_COMPARISONS = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_CONSTRAINTS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.languageIn,
    SH.uniqueLang,
    SH.hasValue,
    SH["in"],
    SH.closed,
    *_COMPARISONS,
    *_SHAPE_REFS,
    *_SHAPE_LISTS,
}
# what makes a shapes graph unsliceable: constraints and targets defined by SPARQL or code
_UNSLICEABLE = {
    SH.sparql,
    SH.target,
    SH.rule,
    SH.js,
    SH.validator,
    SH.nodeValidator,
    SH.propertyValidator,
    SH.parameter,
    SH.expression,
}

PathSpec = URIRef | tuple
# A target, as ("class", C), ("node", n), ("subjects", p) or ("objects", p). In a slice, the
# triple (node, FOCUS_MARKER{i}, true) says that node is a focus node through the i-th target;
# compiled shapes target the subjects of their targets' markers.
Atom = tuple[str, Node]
FOCUS_MARKER = "urn:kg:validate:focus#"
_TRUE = Literal(True)
_TARGET_OF_ATOM = {
    "class": SH.targetClass,
    "node": SH.targetNode,
    "subjects": SH.targetSubjectsOf,
    "objects": SH.targetObjectsOf,
}


@dataclass(frozen=True)
class _Unit:
    """A shape validated at the top level, with its targets."""

    shape: Node
    atoms: tuple[Atom, ...] = ()

    def merge(self, other: _Unit) -> _Unit:
        return _Unit(self.shape, tuple(sorted(set(self.atoms) | set(other.atoms), key=str)))


@dataclass(frozen=True)
class _ShapeInfo:
    """What validating a shape looks at, beyond the values of its path."""

    path: PathSpec | None
    types: bool
    closed: bool
    compare: tuple[Node, ...]
    nested: tuple[Node, ...]


@dataclass
class CompiledShapes:
    """Shapes ready for sliced validation (see the module docstring)."""

    source: Graph
    base: list[Triple]  # the compiled shapes without targets
    units: tuple[_Unit, ...]
    markers: dict[Atom, URIRef]
    infos: dict[Node, _ShapeInfo]
    sliceable: bool
    reason: str = ""
    origin: str = "shapes"
    _graphs: dict = field(default_factory=dict, repr=False)

    def graph(self, markers: bool = True) -> Graph:
        """The compiled shapes as a Graph, targeting the subjects of their focus markers (for
        slices) or their own targets (for one run on the whole graph). Built once each."""
        if markers not in self._graphs:
            graph = Graph()
            graph.addN((s, p, o, graph) for s, p, o in self.base)
            for unit in self.units:
                for atom in unit.atoms:
                    if markers:
                        graph.add((unit.shape, SH.targetSubjectsOf, self.markers[atom]))
                    else:
                        graph.add((unit.shape, _TARGET_OF_ATOM[atom[0]], atom[1]))
            for prefix, namespace in self.source.namespace_manager.namespaces():
                graph.bind(prefix, namespace, override=False, replace=False)
            self._graphs[markers] = graph
        return self._graphs[markers]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_graphs": {}}


def _is_true(value: Node | None) -> bool:
    return isinstance(value, Literal) and value.toPython() is True


def _members(graph: Graph, head: Node) -> list[Node]:
    try:
        return list(Collection(graph, head))
    except Exception:
        return []


def _parse_path(graph: Graph, node: Node) -> PathSpec:
    """A property path as nested tuples: an IRI, or ("inv"|"alt"|"seq"|"zom"|"oom"|"zoo", …)."""
    if isinstance(node, URIRef):
        return node
    for predicate, kind in (
        (SH.inversePath, "inv"),
        (SH.zeroOrMorePath, "zom"),
        (SH.oneOrMorePath, "oom"),
        (SH.zeroOrOnePath, "zoo"),
    ):
        inner = graph.value(node, predicate)
        if inner is not None:
            return (kind, _parse_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return ("alt", tuple(_parse_path(graph, m) for m in _members(graph, alternatives)))
    if graph.value(node, RDF.first) is not None:
        return ("seq", tuple(_parse_path(graph, m) for m in _members(graph, node)))
    raise ValueError(f"not a SHACL path: {node}")


def _shape_nodes(graph: Graph) -> set[Node]:
    nodes: set[Node] = set(graph.subjects(RDF.type, SH.NodeShape))
    nodes |= set(graph.subjects(RDF.type, SH.PropertyShape))
    for predicate in (*_TARGETS, SH.property, SH.node, SH.path):
        nodes |= {s for s, _ in graph.subject_objects(predicate)}
    for predicate in _SHAPE_REFS:
        nodes |= set(graph.objects(None, predicate))
    for predicate in _SHAPE_LISTS:
        for head in graph.objects(None, predicate):
            nodes |= set(_members(graph, head))
    return nodes


def _class_types(graph: Graph) -> set[Node]:
    """rdfs:Class and its subclasses in the shapes graph: shapes of these types target their
    own instances (implicit class targets)."""
    return set(graph.transitive_subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}


def _targets(graph: Graph, shape: Node, class_types: set[Node]) -> _Unit:
    atoms: set[Atom] = (
        {("class", shape)} if set(graph.objects(shape, RDF.type)) & class_types else set()
    )
    for kind, predicate in _TARGET_OF_ATOM.items():
        atoms |= {(kind, value) for value in graph.objects(shape, predicate)}
    return _Unit(shape, tuple(sorted(atoms, key=str)))


def compile_shapes(shapes: Graph, origin: str = "shapes") -> CompiledShapes:
    """Hoist the property shapes of targeted node shapes to the top level, replace every target
    by a focus marker (a slice marks its own focus nodes, so the nodes it only refers to are not
    validated there) and record what each shape looks at; see the module docstring."""
    predicates = set(shapes.predicates())
    unsliceable = sorted(str(p) for p in predicates & _UNSLICEABLE)
    if (None, RDF.type, SH.ConstraintComponent) in shapes:
        unsliceable.append("custom constraint components")
    if any(_is_true(o) for o in shapes.objects(None, SH.qualifiedValueShapesDisjoint)):
        unsliceable.append("sh:qualifiedValueShapesDisjoint")
    all_shapes = _shape_nodes(shapes)
    class_types = _class_types(shapes)
    referenced: set[Node] = set()
    for predicate in _SHAPE_REFS:
        referenced |= set(shapes.objects(None, predicate))
    for predicate in _SHAPE_LISTS:
        for head in shapes.objects(None, predicate):
            referenced |= set(_members(shapes, head))

    def targeted(shape: Node) -> bool:
        if _is_true(shapes.value(shape, SH.deactivated)):
            return False
        return any((shape, p, None) in shapes for p in _TARGETS) or bool(
            set(shapes.objects(shape, RDF.type)) & class_types
        )

    base = Graph()
    for triple in shapes:
        base.add(triple)
    units: dict[Node, _Unit] = {}
    closed_extra: dict[Node, list[Node]] = defaultdict(list)
    for shape in sorted((s for s in all_shapes if targeted(s)), key=str):
        targets = _targets(shapes, shape, class_types)
        units[shape] = units[shape].merge(targets) if shape in units else targets
        if (shape, SH.path, None) in shapes or shape in referenced:
            continue
        for prop in sorted(shapes.objects(shape, SH.property), key=str):
            path = shapes.value(prop, SH.path)
            if path is None:
                continue
            base.remove((shape, SH.property, prop))
            hoisted = _Unit(prop, targets.atoms)
            units[prop] = units[prop].merge(hoisted) if prop in units else hoisted
            if isinstance(path, URIRef):  # a closed shape allows its properties' predicates
                closed_extra[shape].append(path)
    # a node shape left with no constraint of its own has nothing to check
    kept = {
        shape: unit
        for shape, unit in sorted(units.items(), key=lambda item: str(item[0]))
        if (shape, SH.path, None) in base or set(base.predicates(shape)) & _CONSTRAINTS
    }
    for shape in units:
        for predicate in _TARGETS:
            base.remove((shape, predicate, None))
        for cls in class_types:
            base.remove((shape, RDF.type, cls))
    atoms = sorted({atom for unit in kept.values() for atom in unit.atoms}, key=str)
    markers = {atom: URIRef(f"{FOCUS_MARKER}{i}") for i, atom in enumerate(atoms)}
    for shape in set(base.subjects(SH.closed, None)):
        if not _is_true(base.value(shape, SH.closed)):
            continue
        ignored = base.value(shape, SH.ignoredProperties)
        keep = _members(base, ignored) if ignored is not None else []
        if ignored is not None:
            base.remove((shape, SH.ignoredProperties, None))
        head = BNode()
        Collection(base, head, [*keep, *closed_extra.get(shape, []), *markers.values()])
        base.add((shape, SH.ignoredProperties, head))
    infos: dict[Node, _ShapeInfo] = {}
    try:
        for shape in all_shapes:
            path_node = shapes.value(shape, SH.path)
            path = _parse_path(shapes, path_node) if path_node is not None else None
            if isinstance(path, tuple) and _complex_inverse(path):
                unsliceable.append("inverse of a complex path")
            nested: list[Node] = []
            for predicate in (SH.property, SH.node, SH.qualifiedValueShape, SH["not"]):
                nested.extend(base.objects(shape, predicate))
            for predicate in _SHAPE_LISTS:
                for head in base.objects(shape, predicate):
                    nested.extend(_members(base, head))
            infos[shape] = _ShapeInfo(
                path=path,
                types=(shape, SH["class"], None) in shapes,
                closed=_is_true(shapes.value(shape, SH.closed)),
                compare=tuple(o for p in _COMPARISONS for o in shapes.objects(shape, p)),
                nested=tuple(nested),
            )
    except ValueError as exc:
        raise DataFileError(origin, str(exc)) from exc
    return CompiledShapes(
        source=shapes,
        base=list(base),
        units=tuple(sorted(kept.values(), key=lambda u: str(u.shape))),
        markers=markers,
        infos=infos,
        sliceable=not unsliceable,
        reason=", ".join(sorted(set(unsliceable))),
        origin=origin,
    )


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(shapes: Graph, origin: str) -> CompiledShapes:
    """compile_shapes, remembered for a shapes graph while it is unchanged."""
    found = _COMPILED.get(shapes)
    if found is not None and found[0] == len(shapes) and found[1].origin == origin:
        return found[1]
    compiled = compile_shapes(shapes, origin)
    _COMPILED[shapes] = (len(shapes), compiled)
    return compiled


def _complex_inverse(path: PathSpec) -> bool:
    if isinstance(path, URIRef):
        return False
    kind, inner = path
    if kind == "inv":
        return not isinstance(inner, URIRef)
    parts = inner if isinstance(inner, tuple) and kind in ("alt", "seq") else (inner,)
    return any(_complex_inverse(p) for p in parts)


# --- slicing ---------------------------------------------------------------------------------


def _atom_nodes(graph: Graph, atom: Atom) -> set[Node]:
    """The nodes a target selects in `graph` (a class target includes subclass instances)."""
    kind, value = atom
    if kind == "class":
        found: set[Node] = set()
        for cls in set(graph.transitive_subjects(RDFS.subClassOf, value)) | {value}:
            found.update(graph.subjects(RDF.type, cls))
        return found
    if kind == "node":
        return {value}
    if kind == "subjects":
        return {s for s, _ in graph.subject_objects(value)}
    return {o for _, o in graph.subject_objects(value)}


@dataclass
class Slice:
    """Some focus nodes: for each unit (by index) the nodes it checks, and the focus markers
    that select them."""

    pairs: dict[int, list[Node]] = field(default_factory=lambda: defaultdict(list))
    marks: list[tuple[Node, URIRef]] = field(default_factory=list)
    size: int = 0

    def nodes(self) -> set[Node]:
        return {node for nodes in self.pairs.values() for node in nodes}


def focus_of(graph: Graph, compiled: CompiledShapes) -> tuple[dict, dict]:
    """For every focus node of the compiled shapes: the units that check it and its markers."""
    units_of: dict[Node, list[int]] = defaultdict(list)
    marks_of: dict[Node, list[URIRef]] = defaultdict(list)
    selected = {atom: _atom_nodes(graph, atom) for atom in compiled.markers}
    for atom, nodes in selected.items():
        marker = compiled.markers[atom]
        for node in nodes:
            marks_of[node].append(marker)
    for index, unit in enumerate(compiled.units):
        for node in set().union(*(selected[atom] for atom in unit.atoms)):
            units_of[node].append(index)
    return units_of, marks_of


def plan_slices(
    graph: Graph, compiled: CompiledShapes, slice_size: int | None = None, jobs: int = 1
) -> tuple[list[Slice], int]:
    """Deal the (shape, focus node) pairs of the graph into slices: all the pairs of a source
    document (its own, its statements', evidence's and meetings') together, then entities by
    class; a node's pairs are never split. About `slice_size` pairs a slice (default: enough
    slices to keep `jobs` workers busy). Returns the slices and the number of focus nodes."""
    source_of: dict[Node, Node] = {}
    for subject, source in graph.subject_objects(KGO.source):
        source_of.setdefault(subject, source)
    for source in graph.subjects(RDF.type, KGO.SourceDocument):
        source_of[source] = source
    units_of, marks_of = focus_of(graph, compiled)
    groups: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for node in units_of:
        source = source_of.get(node)
        if source is not None:
            groups[("source", str(source))].append(node)
        else:
            types = sorted(str(t) for t in graph.objects(node, RDF.type))
            groups[("entity", types[0] if types else "")].append(node)
    total = sum(len(indexes) for indexes in units_of.values())
    if slice_size is None:
        slice_size = min(40_000, max(2_000, math.ceil(total / max(1, jobs * 4))))
    slices: list[Slice] = []
    current = Slice()
    for key in sorted(groups):
        whole = key[0] == "source"
        for node in sorted(groups[key], key=str):
            for index in units_of[node]:
                current.pairs[index].append(node)
            current.marks.extend((node, marker) for marker in marks_of[node])
            current.size += len(units_of[node])
            if current.size >= slice_size and not whole:
                slices.append(current)
                current = Slice()
        if current.size >= slice_size:
            slices.append(current)
            current = Slice()
    if current.size:
        slices.append(current)
    for piece in slices:
        piece.pairs = dict(piece.pairs)
    return slices, len(units_of)


_TYPE = URIRef(str(RDF.type))  # DefinedNamespace attribute access is slow in hot loops


class _Extractor:
    """Collects the triples that validating some focus nodes looks at, by walking the shapes:
    the values of every path, the types of values under sh:class, every property of values
    under sh:closed, the compared properties of sh:equals/sh:lessThan…, recursively through
    sh:node, sh:or, sh:not… A node's properties are read from the graph once."""

    def __init__(self, graph: Graph, compiled: CompiledShapes) -> None:
        self.graph = graph
        self.infos = compiled.infos
        self.out: set[Triple] = set(graph.triples((None, RDFS.subClassOf, None)))
        self.visited: set[tuple[Node, Node]] = set()
        self.properties: dict[Node, dict[Node, list[Node]]] = {}
        self.complete: set[Node] = set()  # nodes all of whose triples are in `out`

    def of(self, node: Node) -> dict[Node, list[Node]]:
        found = self.properties.get(node)
        if found is None:
            found = {}
            if not isinstance(node, Literal):
                for predicate, obj in self.graph.predicate_objects(node):
                    if predicate in found:
                        found[predicate].append(obj)
                    else:
                        found[predicate] = [obj]
            self.properties[node] = found
        return found

    def follow(self, node: Node, predicate: Node) -> list[Node]:
        values = self.of(node).get(predicate)
        if not values:
            return []
        if node not in self.complete:
            self.out.update([(node, predicate, value) for value in values])
        return values

    def everything(self, node: Node) -> None:
        if node not in self.complete:
            self.complete.add(node)
            self.out.update([(node, p, o) for p, objs in self.of(node).items() for o in objs])

    def walk(self, path: PathSpec, node: Node) -> set[Node]:
        """The values of `path` from `node`, keeping every triple followed."""
        if isinstance(path, URIRef):
            return set(self.follow(node, path))
        kind, inner = path
        if kind == "inv":
            values = set(self.graph.subjects(inner, node))
            self.out.update([(value, inner, node) for value in values])
            return values
        if kind == "seq":
            frontier = {node}
            for step in inner:
                frontier = {v for n in frontier for v in self.walk(step, n)}
            return frontier
        if kind == "alt":
            return {v for step in inner for v in self.walk(step, node)}
        seen = {node} if kind in ("zom", "zoo") else set()
        frontier = {node}
        while frontier:
            reached = {v for n in frontier for v in self.walk(inner, n)}
            frontier = reached - seen
            seen |= reached
            if kind == "zoo":
                break
        return seen

    def focus(self, unit: _Unit, nodes: list[Node]) -> None:
        """What checking a unit's focus nodes looks at."""
        self.shape(unit.shape, nodes)

    def shape(self, shape: Node, nodes: Iterable[Node]) -> None:
        info = self.infos.get(shape)
        if info is None:
            return
        visited = self.visited
        todo = [n for n in nodes if (shape, n) not in visited]
        if not todo:
            return
        visited.update([(shape, n) for n in todo])
        if info.path is not None:
            values: set[Node] = set()
            for node in todo:
                values |= self.walk(info.path, node)
                for predicate in info.compare:
                    self.follow(node, predicate)
        else:
            values = set(todo)
        if info.closed:
            for value in values:
                self.everything(value)
        elif info.types:
            for value in values:
                self.follow(value, _TYPE)
        for nested in info.nested:
            self.shape(nested, values)


def slice_triples(graph: Graph, compiled: CompiledShapes, piece: Slice) -> set[Triple]:
    """The triples of `graph` the shapes look at for the focus nodes of one slice, every
    rdfs:subClassOf triple (sh:class and class targets follow them) and the slice's focus
    markers."""
    extractor = _Extractor(graph, compiled)
    for index, nodes in piece.pairs.items():
        extractor.focus(compiled.units[index], nodes)
    extractor.out.update((node, marker, _TRUE) for node, marker in piece.marks)
    return extractor.out


@dataclass(frozen=True)
class _Raw:
    """One validation result as plain terms (picklable, comparable across runs)."""

    focus: Node
    path: Node | None
    value: Node | None
    severity: Node
    messages: tuple[str, ...]
    shape: Node | None
    component: Node | None

    def key(self) -> tuple[str, ...]:
        return (
            tuple(
                "" if x is None else str(x)
                for x in (
                    self.severity,
                    self.focus,
                    self.path,
                    self.value,
                    self.shape,
                    self.component,
                )
            )
            + self.messages
        )


def _raw_results(report: Graph) -> list[_Raw]:
    results = []
    for result in report.objects(None, SH.result):
        results.append(
            _Raw(
                focus=report.value(result, SH.focusNode),
                path=report.value(result, SH.resultPath),
                value=report.value(result, SH.value),
                severity=report.value(result, SH.resultSeverity),
                messages=tuple(sorted(str(m) for m in report.objects(result, SH.resultMessage))),
                shape=report.value(result, SH.sourceShape),
                component=report.value(result, SH.sourceConstraintComponent),
            )
        )
    return results


def _pyshacl(data: Graph, shapes: Graph) -> list[_Raw]:
    """Every result of one pySHACL run. Not allow_warnings: it only changes pySHACL's conforms
    flag (not used here; conformance is "no sh:Violation result") and, inside sh:or, sh:not and
    sh:node, wrongly lets a failing sh:Warning shape conform."""
    _, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=False,
        advanced=False,
        inplace=True,
    )
    return _raw_results(report)


def validate_slice(
    shapes: Graph,
    piece: Slice,
    triples: Iterable[Triple],
    prefixes: Sequence[tuple[str, Any]] = (),
) -> list[_Raw]:
    """Validate one slice cut out of the graph (its triples) against the compiled shapes graph
    that targets focus markers."""
    data = Graph()
    for prefix, namespace in prefixes:
        data.bind(prefix, namespace, override=False, replace=False)
    data.addN((s, p, o, data) for s, p, o in triples)
    own = piece.nodes()
    return [r for r in _pyshacl(data, shapes) if r.focus in own]


def validate_marked(graph: Graph, shapes: Graph, piece: Slice) -> list[_Raw]:
    """Validate one slice in place: mark its focus nodes in `graph` (a forked worker's own copy
    of the whole graph, which has everything any shape looks at), validate, unmark. Cheaper
    than cutting the slice out when the graph is at hand."""
    graph.addN((node, marker, _TRUE, graph) for node, marker in piece.marks)
    try:
        results = _pyshacl(graph, shapes)
    finally:
        for marker in {marker for _, marker in piece.marks}:
            graph.remove((None, marker, None))
    own = piece.nodes()
    return [r for r in results if r.focus in own]


# What worker processes work on: inherited when they are forked, set up once when spawned.
_STATE: dict[str, Any] = {}


def _run_forked(piece: Slice) -> tuple[str, Any]:
    try:
        return "ok", validate_marked(_STATE["graph"], _STATE["compiled"].graph(), piece)
    except Exception as exc:  # sent back as text: pySHACL's errors do not always pickle
        return "error", f"{type(exc).__name__}: {exc}"


def _init_spawned(shape_triples: list[Triple], origin: str, prefixes: list) -> None:
    source = Graph()
    source.addN((s, p, o, source) for s, p, o in shape_triples)
    _STATE["shapes"] = compile_shapes(source, origin).graph()
    _STATE["prefixes"] = prefixes


def _run_spawned(task: tuple[Slice, list[Triple]]) -> tuple[str, Any]:
    piece, triples = task
    try:
        return "ok", validate_slice(_STATE["shapes"], piece, triples, _STATE["prefixes"])
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"


POOL_MIN_TRIPLES = 30_000  # below this a pool costs more than it saves


def _can_fork(graph: Graph) -> bool:
    """Forked workers mark slices in their copy of the graph: only for an in-memory graph, and
    only on Linux (fork is unsafe on macOS, absent on Windows)."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and isinstance(graph.store, Memory)
    )


HOW = ("whole", "compiled", "slices", "fork", "spawn")


class _FrozenHeap:
    """gc.freeze() for the duration: the collector stops walking the (large, long-lived) graph
    over and over, and forked workers do not copy its pages by touching them."""

    def __enter__(self) -> None:
        self.mine = gc.get_freeze_count() == 0
        if self.mine:
            gc.freeze()

    def __exit__(self, *exc: object) -> None:
        if self.mine:
            gc.unfreeze()


def _run_slices(
    graph: Graph, compiled: CompiledShapes, slices: list[Slice], how: str, jobs: int
) -> list[_Raw]:
    """Validate every slice: cut out and validated in this process ("slices"), in forked
    workers that inherit the graph and validate each slice in place on their copy ("fork"), or
    cut out here and validated in spawned workers ("spawn")."""
    prefixes = list(graph.namespace_manager.namespaces())
    if how == "slices":
        shapes = compiled.graph()
        return _merge(
            (
                (
                    "ok",
                    validate_slice(shapes, piece, slice_triples(graph, compiled, piece), prefixes),
                )
                for piece in slices
            ),
            compiled,
        )
    context = multiprocessing.get_context(how)
    workers = max(1, min(jobs, len(slices)))
    if how == "fork":
        compiled.graph()  # built once, before the workers inherit it
        _STATE.update(graph=graph, compiled=compiled)
        try:
            with _FrozenHeap(), context.Pool(workers) as pool:
                return _merge(pool.imap_unordered(_run_forked, slices), compiled)
        finally:
            _STATE.clear()
    tasks = ((piece, list(slice_triples(graph, compiled, piece))) for piece in slices)
    initargs = (list(compiled.source), compiled.origin, prefixes)
    with context.Pool(workers, initializer=_init_spawned, initargs=initargs) as pool:
        return _merge(pool.imap_unordered(_run_spawned, tasks), compiled)


def _merge(outcomes: Iterable[tuple[str, Any]], compiled: CompiledShapes) -> list[_Raw]:
    results: list[_Raw] = []
    for status, payload in outcomes:
        if status != "ok":
            raise DataFileError(compiled.origin, f"SHACL validation failed: {payload}")
        results.extend(payload)
    return results


def validate_whole(graph: Graph, shapes: Graph, origin: str = "shapes") -> list[_Raw]:
    """One plain pySHACL run of `shapes` on the whole graph (the reference the other ways of
    validating must agree with)."""
    try:
        return _pyshacl(graph, shapes)
    except Exception as exc:  # pySHACL raises its own types for broken shapes
        raise DataFileError(origin, f"SHACL validation failed: {exc}") from exc


# --- the report ------------------------------------------------------------------------------

SEVERITY_RANK = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Violation:
    """One validation result, described for a person."""

    focus: str
    label: str | None
    path: str | None
    message: str
    severity: str
    value: str | None
    evidence: str | None
    kind: str | None = None
    value_text: str | None = None
    source: str | None = None
    start: int | None = None
    end: int | None = None
    shape: str | None = None
    component: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    """The merged results of a validation run."""

    violations: tuple[Violation, ...]
    raw: tuple[_Raw, ...] = ()
    shapes: Graph | None = None
    checked: int = 0
    slices: int = 1
    mode: str = "sliced"
    extra: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == "Violation"]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """E.g. "conforms (0 violations, 3 warnings)"."""
        state = "conforms" if self.conforms else "does not conform"
        errors, warnings = (
            _count(len(self.errors), "violation"),
            _count(len(self.warnings), "warning"),
        )
        return f"{state} ({errors}, {warnings})"

    @property
    def report_graph(self) -> Graph:
        """The results as a SHACL validation report graph."""
        return report_graph(self)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _local(iri: Node) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _path_text(shapes: Graph | None, node: Node | None, nsm: NamespaceManager) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return node.n3(nsm)
    if shapes is None:
        return str(node)
    try:
        spec = _parse_path(shapes, node)
    except ValueError:
        return str(node)

    def text(p: PathSpec) -> str:
        if isinstance(p, URIRef):
            return p.n3(nsm)
        kind, inner = p
        if kind == "seq":
            return "/".join(text(x) for x in inner)
        if kind == "alt":
            return "(" + "|".join(text(x) for x in inner) + ")"
        mark = {"inv": "^", "zom": "*", "oom": "+", "zoo": "?"}[kind]
        return "^" + text(inner) if kind == "inv" else text(inner) + mark

    return text(spec)


def _first_label(graph: Graph, node: Node) -> str | None:
    for predicate in (RDFS.label, SKOS.prefLabel):
        values = sorted(
            graph.objects(node, predicate),
            key=lambda v: (getattr(v, "language", "") != "vi", str(v)),
        )
        if values:
            return str(values[0])
    for predicate in (KGO.documentNumber, KGO.path, KGO.quote):
        value = graph.value(node, predicate)
        if value is not None:
            return str(value)
    return None


def _kind(graph: Graph, node: Node) -> str | None:
    names = sorted(_local(t) for t in graph.objects(node, RDF.type))
    specific = [n for n in names if n not in ("Statement", "Concept")] or names
    return specific[0] if specific else None


def _is_statement(graph: Graph, node: Node) -> bool:
    return (node, PROV.wasDerivedFrom, None) in graph or (node, KGO.rule, None) in graph


@dataclass(frozen=True)
class _Sentence:
    quote: str
    source: str | None
    start: int | None
    end: int | None


def _evidence_of(graph: Graph, evidence: Node) -> _Sentence | None:
    quote = graph.value(evidence, KGO.quote)
    if quote is None:
        return None
    source = graph.value(evidence, KGO.source)
    path = graph.value(source, KGO.path) if source is not None else None
    start, end = graph.value(evidence, KGO.start), graph.value(evidence, KGO.end)

    def number(x: Node | None) -> int | None:
        try:
            return int(x) if x is not None else None
        except (TypeError, ValueError):
            return None

    return _Sentence(
        str(quote), str(path) if path is not None else None, number(start), number(end)
    )


def _statement_sentence(graph: Graph, statement: Node) -> _Sentence | None:
    found = [
        s for e in graph.objects(statement, PROV.wasDerivedFrom) if (s := _evidence_of(graph, e))
    ]
    if not found:
        return None
    return min(found, key=lambda s: (s.source or "", s.start or 0, s.end or 0, s.quote))


def _sentence(graph: Graph, node: Node) -> _Sentence | None:
    """The sentence behind a node: a statement's evidence, evidence itself, or for an entity
    the evidence of a statement that mentions (or else refers to) it."""
    if (node, KGO.quote, None) in graph:
        return _evidence_of(graph, node)
    if _is_statement(graph, node):
        return _statement_sentence(graph, node)
    for predicate in (KGO.mentions, None):
        statements = sorted(
            {s for s in graph.subjects(predicate, node) if _is_statement(graph, s)}, key=str
        )
        for statement in statements[:20]:
            found = _statement_sentence(graph, statement)
            if found is not None:
                return found
    return None


def _describe(graph: Graph, shapes: Graph | None, raw: Sequence[_Raw]) -> tuple[Violation, ...]:
    nsm = graph.namespace_manager
    labels: dict[Node, tuple] = {}
    out = []
    for r in raw:
        if r.focus not in labels:
            label = _first_label(graph, r.focus)
            kind = _kind(graph, r.focus)
            if label is None and _is_statement(graph, r.focus):
                source = graph.value(r.focus, KGO.source)
                path = graph.value(source, KGO.path) if source is not None else None
                label = f"{kind or 'statement'} in {path}" if path is not None else None
            labels[r.focus] = (label, kind, _sentence(graph, r.focus))
        label, kind, sentence = labels[r.focus]
        value_text = None
        if r.value is not None:
            value_text = r.value.n3(nsm) if not isinstance(r.value, BNode) else "a blank node"
        out.append(
            Violation(
                focus=str(r.focus) if not isinstance(r.focus, BNode) else f"_:{r.focus}",
                label=label,
                path=_path_text(shapes, r.path, nsm),
                message=r.messages[0] if r.messages else "constraint not met",
                severity=_local(r.severity),
                value=str(r.value) if r.value is not None else None,
                evidence=sentence.quote if sentence else None,
                kind=kind,
                value_text=value_text,
                source=sentence.source if sentence else None,
                start=sentence.start if sentence else None,
                end=sentence.end if sentence else None,
                shape=str(r.shape) if r.shape is not None else None,
                component=_local(r.component) if r.component is not None else None,
            )
        )
    out.sort(
        key=lambda v: (
            SEVERITY_RANK.get(v.severity, 3),
            v.focus,
            v.path or "",
            v.message,
            v.value or "",
        )
    )
    return tuple(out)


def validate_graph(
    graph: Graph,
    shapes: Graph | str | Path | None = None,
    *,
    jobs: int | None = None,
    how: str | None = None,
    slice_size: int | None = None,
    shapes_origin: str | None = None,
) -> ValidationReport:
    """Validate `graph` against `shapes` (a Graph, a shapes folder or file; kg's own shapes by
    default). Raises DataFileError for shapes that do not load or that pySHACL rejects.

    `how` (default: chosen) is "whole" (one plain pySHACL run of the shapes as written),
    "compiled" (one run of the compiled shapes), "slices" (slices cut out and validated here),
    "fork" or "spawn" (slices validated by `jobs` worker processes). The default is a worker
    pool for a graph of POOL_MIN_TRIPLES or more when `jobs` (default: one per core) is over
    one, else "compiled"; "whole" whenever the shapes cannot be compiled. All give the same
    results."""
    if how is not None and how not in HOW:
        raise ValueError(f"how must be one of {', '.join(HOW)}")
    if shapes_origin is not None:
        origin = shapes_origin
    elif isinstance(shapes, (str, Path)):
        origin = str(shapes)
    else:
        origin = str(default_shapes_dir())
    if not isinstance(shapes, Graph):
        shapes = load_shapes(shapes)
    compiled = _compiled(shapes, origin)
    jobs = jobs if jobs is not None else default_jobs()
    if not compiled.sliceable:
        how = "whole"
    elif how is None:
        if jobs > 1 and len(graph) >= POOL_MIN_TRIPLES:
            how = "fork" if _can_fork(graph) else "spawn"
        else:
            how = "compiled"
    elif how == "fork" and not isinstance(graph.store, Memory):
        raise ValueError('how="fork" marks the graph in place: it needs an in-memory graph')
    slices_count = 1
    try:
        with _FrozenHeap():
            if how in ("whole", "compiled"):
                shapes_graph = shapes if how == "whole" else compiled.graph(markers=False)
                raw = _pyshacl(graph, shapes_graph)
                checked = len(focus_of(graph, compiled)[0])
            else:
                slices, checked = plan_slices(graph, compiled, slice_size, jobs)
                raw = _run_slices(graph, compiled, slices, how, jobs)
                slices_count = len(slices)
    except DataFileError:
        raise
    except Exception as exc:  # pySHACL raises its own types for broken shapes
        raise DataFileError(origin, f"SHACL validation failed: {exc}") from exc
    raw = sorted(set(raw), key=_Raw.key)
    return ValidationReport(
        violations=_describe(graph, shapes, raw),
        raw=tuple(raw),
        shapes=shapes,
        checked=checked,
        slices=slices_count,
        mode=how if compiled.sliceable else f"whole ({compiled.reason})",
    )


def report_graph(report: ValidationReport) -> Graph:
    """A SHACL validation report graph (sh:ValidationReport) of the merged results."""
    out = Graph()
    shapes = report.shapes
    if shapes is not None:
        for prefix, namespace in shapes.namespace_manager.namespaces():
            out.bind(prefix, namespace, override=False, replace=False)
    root = BNode()
    out.add((root, RDF.type, SH.ValidationReport))
    out.add((root, SH.conforms, Literal(report.conforms)))
    copied: set[Node] = set()

    def copy_bnode(node: Node) -> None:
        if shapes is None or not isinstance(node, BNode) or node in copied:
            return
        copied.add(node)
        for p, o in shapes.predicate_objects(node):
            out.add((node, p, o))
            copy_bnode(o)

    for raw in report.raw:
        result = BNode()
        out.add((root, SH.result, result))
        out.add((result, RDF.type, SH.ValidationResult))
        out.add((result, SH.focusNode, raw.focus))
        out.add((result, SH.resultSeverity, raw.severity))
        for name, value in (
            (SH.resultPath, raw.path),
            (SH.value, raw.value),
            (SH.sourceShape, raw.shape),
            (SH.sourceConstraintComponent, raw.component),
        ):
            if value is not None:
                out.add((result, name, value))
                if name in (SH.resultPath, SH.sourceShape):
                    copy_bnode(value)
        for message in raw.messages:
            out.add((result, SH.resultMessage, Literal(message)))
    return out


def _clip(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_text(report: ValidationReport, *, limit: int | None = None) -> str:
    """The report grouped by node: what it is, each problem on one line (severity, property,
    offending value, message) and the sentence the fact came from. `limit` caps the nodes."""
    if not report.violations:
        if report.checked == 0:
            return "The graph conforms: no node in it is targeted by the shapes (none checked).\n"
        return f"The graph conforms to the shapes ({_count(report.checked, 'node')} checked).\n"
    groups: dict[str, list[Violation]] = defaultdict(list)
    for v in report.violations:
        groups[v.focus].append(v)
    order = sorted(
        groups,
        key=lambda f: (min(SEVERITY_RANK.get(v.severity, 3) for v in groups[f]), f),
    )
    lines = [
        f"The graph {report.summary()}: problems on {_count(len(groups), 'node')} "
        f"({_count(report.checked, 'node')} checked)."
    ]
    shown = order if limit is None else order[:limit]
    for focus in shown:
        items = groups[focus]
        first = items[0]
        if first.label and first.kind and first.label.startswith(f"{first.kind} in "):
            title = first.label  # a statement: "Oversight in notice.txt"
        else:
            title = " ".join(x for x in (first.kind, first.label and f"“{first.label}”") if x)
        lines.append("")
        lines.append(f"{title}  <{focus}>" if title else f"<{focus}>")
        for v in items:
            value = f" = {_clip(v.value_text or v.value or '', 80)}" if v.value is not None else ""
            lines.append(f"  {v.severity}: {v.path or '(the node itself)'}{value}: {v.message}")
        if first.evidence:
            where = first.source or "source"
            if first.start is not None and first.end is not None:
                where += f" [{first.start}–{first.end}]"
            lines.append(f"  sentence ({where}): “{_clip(first.evidence)}”")
    if len(shown) < len(order):
        lines.append("")
        lines.append(
            f"… and {_count(len(order) - len(shown), 'more node')}: run `kg validate` for all."
        )
    return "\n".join(lines) + "\n"


def format_json(report: ValidationReport) -> str:
    """The report as JSON: conforms, counts and every result with its description."""
    payload = {
        "conforms": report.conforms,
        "counts": {"violations": len(report.errors), "warnings": len(report.warnings)},
        "checked": report.checked,
        "results": [asdict(v) for v in report.violations],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1)
