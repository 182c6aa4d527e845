"""The Turtle a build writes, made of one segment per document so that a rebuild after a few
documents changed can rewrite those segments and copy the rest.

The file is the prefix header followed, for each document in corpus order, by the Turtle of
the document's triples that no earlier document states, in the order the document made them.
Every kind of build (in one process, in workers, on Dask, from scratch into a store, or an
incremental rebuild of one) writes the same bytes for the same corpus, because the file is
defined by the documents' N-Triples alone.

A triple is "stated" by a document when its exact N-Triples line is among the document's:
kg writes each term one way, so equal lines are equal triples. An incremental rebuild finds
the documents that state a line through the store's database (one named graph per document)
and confirms with the lines themselves.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.errors import KgError

_PROBE = "urn:kg:probe"


class SpliceError(KgError):
    """A previous Turtle file cannot be patched (it changed, or its record does not fit):
    the caller writes the whole file instead."""


def turtle_header(prefixes: Mapping[str, str]) -> bytes:
    """The `@prefix` lines pyoxigraph writes before the first triple."""
    probe = ox.Triple(ox.NamedNode(_PROBE), ox.NamedNode(_PROBE), ox.NamedNode(_PROBE))
    text = ox.serialize([probe], format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
    return text[: text.index(f"<{_PROBE}>".encode())]


def ntriples_lines(ntriples: bytes) -> list[bytes]:
    """A document's N-Triples as lines (each ending in a newline), each once, in order."""
    lines = ntriples.splitlines(keepends=True)
    if not lines:
        return lines
    if not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    if min(map(len, lines)) < _SHORTEST:  # blank lines, which kg does not write
        lines = [line for line in lines if line.strip()]
    return list(dict.fromkeys(lines))


_SHORTEST = len(b"_:a <b> _:c .\n")  # no N-Triples line is shorter


def segment(lines: Sequence[bytes], prefixes: Mapping[str, str], header: bytes) -> bytes:
    """The Turtle of `lines` (N-Triples), without the header."""
    if not lines:
        return b""
    triples = ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(prefixes))
    if not text.startswith(header):  # pragma: no cover - pyoxigraph changed how it writes
        raise KgError("pyoxigraph wrote Turtle prefixes in an unexpected way")
    return text[len(header) :]


@dataclass
class TurtleRecord:
    """What a store remembers of a Turtle file it wrote, to patch it next time."""

    sha256: str
    header: int
    segments: list[tuple[str, int]]  # (document path, length in bytes), in file order

    def to_json(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "header": self.header,
            "segments": [[path, length] for path, length in self.segments],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> TurtleRecord | None:
        try:
            segments = [(str(p), int(n)) for p, n in data["segments"]]  # type: ignore[attr-defined]
            return cls(str(data["sha256"]), int(data["header"]), segments)  # type: ignore[call-overload]
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class TurtleSegments:
    """Documents' N-Triples in, Turtle segments out: each segment holds what earlier documents
    did not state. Fed in corpus order as documents arrive; `write` then only writes bytes."""

    prefixes: Mapping[str, str]
    # How the lines begin that only one document can state (`document_scoped_lines`): they
    # are new wherever they come, so only the others are remembered, about 2 % of a graph.
    scoped: tuple[bytes, ...] = ()
    header: bytes = b""
    segments: list[tuple[str, bytes]] = field(default_factory=list)
    _seen: set[bytes] = field(default_factory=set)
    _scoped_lines: int = 0

    def __post_init__(self) -> None:
        self.header = turtle_header(self.prefixes)

    def add(self, path: str, ntriples: bytes) -> None:
        lines = ntriples_lines(ntriples)
        shared = [line for line in lines if not line.startswith(self.scoped)]
        self._scoped_lines += len(lines) - len(shared)
        stated = self._seen.intersection(shared)
        self._seen.update(shared)
        new = [line for line in lines if line not in stated] if stated else lines
        self.segments.append((path, segment(new, self.prefixes, self.header)))

    @property
    def triples(self) -> int:
        return len(self._seen) + self._scoped_lines

    def turtle(self) -> Iterable[bytes]:
        yield self.header
        for _, text in self.segments:
            yield text

    def write(self, handle: IO[bytes]) -> TurtleRecord:
        return write_parts(handle, self.header, self.segments)


def write_parts(
    handle: IO[bytes], header: bytes, segments: Iterable[tuple[str, bytes | memoryview]]
) -> TurtleRecord:
    """Write the header and segments; the record says where each document's segment is."""
    digest = hashlib.sha256(header)
    handle.write(header)
    lengths = []
    for path, text in segments:
        digest.update(text)
        handle.write(text)
        lengths.append((path, len(text)))
    return TurtleRecord(digest.hexdigest(), len(header), lengths)


@dataclass
class Change:
    """How a store's documents changed between two builds, for `splice`.

    `old_lines` holds the lines of each document the previous file was written from that is
    gone or changed; `new_lines` those of each document analysed in this build. Every other
    document of `order` is unchanged and its lines come from `kept_lines`."""

    order: list[str]  # the documents in the graph now, in corpus order
    old_lines: dict[str, list[bytes]]
    new_lines: dict[str, list[bytes]]
    kept_lines: Callable[[str], list[bytes]]
    # documents stating a triple, in any order: only the unchanged ones are asked for, so the
    # changed documents need not be in the database yet
    holders: Callable[[ox.Triple], Iterable[str]]


@dataclass
class PreviousTurtle:
    """A Turtle file a store wrote, read back and checked against its record, to patch."""

    path: Path
    record: TurtleRecord
    data: bytes | mmap.mmap  # mapped: the copied segments are read from the page cache
    offsets: dict[str, tuple[int, int]]  # document path -> its segment's start and end

    @classmethod
    def read(
        cls, path: str | Path, record: TurtleRecord, prefixes: Mapping[str, str]
    ) -> PreviousTurtle:
        path = Path(path)
        with open(path, "rb") as handle:
            try:  # the mapping outlives the file's replacement, which keeps its old inode
                data: bytes | mmap.mmap = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file
                data = b""
        if hashlib.sha256(data).hexdigest() != record.sha256:
            raise SpliceError(f"{path} changed since it was written")
        if data[: record.header] != turtle_header(prefixes):
            raise SpliceError(f"{path} has other prefixes")
        offsets, at = {}, record.header
        for document, length in record.segments:
            offsets[document] = (at, at + length)
            at += length
        if at != len(data):
            raise SpliceError(f"the record of {path} does not fit its size")
        return cls(path, record, data, offsets)

    def segment(self, document: str) -> memoryview:
        start, end = self.offsets[document]
        return memoryview(self.data)[start:end]  # not copied


def splice(
    previous: PreviousTurtle,
    change: Change,
    prefixes: Mapping[str, str],
    handle: IO[bytes],
) -> TurtleRecord:
    """Write to `handle` the Turtle a full build of the current documents writes, from the
    previous file: the segments that can differ are made again, the others copied.

    A segment of an unchanged document can only differ where one of its lines is stated by a
    changed document: then the first document to state that line may be another now. So the
    documents that were or are first to state a changed document's line are redone."""
    header = turtle_header(prefixes)
    old_order = [path for path, _ in previous.record.segments]
    unchanged = [p for p in change.order if p not in change.new_lines]
    unchanged_set = set(unchanged)
    if [p for p in old_order if p in unchanged_set] != unchanged or set(old_order) - set(
        unchanged
    ) != set(change.old_lines):
        raise SpliceError(f"the record of {previous.path} does not fit the store")

    old_position = {path: i for i, path in enumerate(old_order)}
    new_position = {path: i for i, path in enumerate(change.order)}
    old_sets = {path: set(lines) for path, lines in change.old_lines.items()}
    new_sets = {path: set(lines) for path, lines in change.new_lines.items()}
    kept: dict[str, list[bytes]] = {}  # unchanged documents' lines, read when needed
    kept_sets: dict[str, set[bytes]] = {}

    def lines_of(path: str) -> list[bytes]:
        if path in change.new_lines:
            return change.new_lines[path]
        if path not in kept:
            kept[path] = change.kept_lines(path)
        return kept[path]

    def states(path: str, line: bytes) -> bool:
        """Whether `path`, as it is now, states `line`."""
        if path in new_sets:
            return line in new_sets[path]
        if path not in kept_sets:
            kept_sets[path] = set(lines_of(path))
        return line in kept_sets[path]

    # A line that the same changed documents state before and after the change, documents
    # that keep their order among the others, has the same first stater before and after.
    common = [p for p in old_order if p in new_position]
    same_order = common == [p for p in change.order if p in old_position]

    parsed: dict[int, list[ox.Triple]] = {}
    old_segments: dict[str, set[ox.Triple]] = {}

    def old_segment(path: str) -> set[ox.Triple]:
        """The triples of a changed document's segment in the previous file."""
        if path not in old_segments:
            text = header + previous.segment(path)
            old_segments[path] = set(ox.parse(text, format=ox.RdfFormat.TURTLE))
        return old_segments[path]

    def triples_of(lines: list[bytes], path: str) -> list[ox.Triple]:
        if id(lines) not in parsed:
            parsed[id(lines)] = _triples(lines, path)
        return parsed[id(lines)]

    redo = set(change.new_lines)
    for path, lines in [*change.old_lines.items(), *change.new_lines.items()]:
        for line, triple in zip(lines, triples_of(lines, path), strict=True):
            stated_before = [p for p in old_sets if line in old_sets[p]]
            stated_now = [p for p in new_sets if line in new_sets[p]]
            if same_order and stated_before == stated_now:
                continue
            if (
                stated_before
                and not stated_now
                and not any(triple in old_segment(p) for p in stated_before)
            ):
                # No changed document was first to state it: an unchanged one before them all
                # was, and still is, none of them stating it now.
                continue
            holders = sorted(
                (p for p in change.holders(triple) if p in unchanged_set),
                key=new_position.__getitem__,
            )
            first = next((p for p in holders if states(p, line)), None)
            if first is not None:
                stated_before.append(first)
                stated_now.append(first)
            first_before = min(stated_before, key=old_position.__getitem__, default=None)
            first_now = min(stated_now, key=new_position.__getitem__, default=None)
            if first_before != first_now:
                redo.update(p for p in (first_before, first_now) if p in unchanged_set)

    def changed_earlier(path: str, line: bytes) -> bool:
        """Whether a changed document before `path` states `line` now."""
        here = new_position[path]
        return any(new_position[p] < here and line in lines for p, lines in new_sets.items())

    def unchanged_earlier(path: str, line: bytes, triple: ox.Triple) -> bool:
        """Whether an unchanged document before `path` states `line`."""
        here = new_position[path]
        earlier = (
            p for p in change.holders(triple) if p in unchanged_set and new_position[p] < here
        )
        return any(states(p, line) for p in earlier)

    def remade(path: str) -> bytes:
        lines = lines_of(path)
        shortcut = None
        if same_order and path in old_sets:
            shortcut = _Shortcut.of(path, old_segment(path), old_position, old_sets)
        kept_lines = []
        for line, triple in zip(lines, triples_of(lines, path), strict=True):
            if changed_earlier(path, line):
                continue
            known = shortcut.kept(line, triple) if shortcut is not None else None
            if known is None:
                known = not unchanged_earlier(path, line, triple)
            if known:
                kept_lines.append(line)
        return segment(kept_lines, prefixes, header)

    def parts() -> Iterable[tuple[str, bytes | memoryview]]:
        for path in change.order:
            yield path, remade(path) if path in redo else previous.segment(path)

    return write_parts(handle, header, parts())


@dataclass
class _Shortcut:
    """What the previous file says of a changed document's lines it stated before too: with
    the documents in the same order and no other changed document stating the line before it
    then, the line was kept in its old segment exactly when no unchanged document before it
    states it, which is still so."""

    before: set[bytes]  # lines of the document's previous version
    old_kept: set[ox.Triple]  # the triples of its old segment
    earlier_changed: list[set[bytes]]  # lines of the changed documents before it, then

    @classmethod
    def of(
        cls,
        path: str,
        old_kept: set[ox.Triple],
        old_position: dict[str, int],
        old_sets: dict[str, set[bytes]],
    ) -> _Shortcut:
        """For changed document `path`, given the triples of its old segment; only when the
        documents kept their order."""
        here = old_position[path]
        earlier = [lines for p, lines in old_sets.items() if old_position[p] < here]
        return cls(old_sets[path], old_kept, earlier)

    def kept(self, line: bytes, triple: ox.Triple) -> bool | None:
        """Whether the line stays in the segment, or None when the previous file cannot say."""
        if line not in self.before or any(line in lines for lines in self.earlier_changed):
            return None
        return triple in self.old_kept


def _triples(lines: Sequence[bytes], path: str) -> list[ox.Triple]:
    triples = list(ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES, lenient=True))
    if len(triples) != len(lines):
        raise SpliceError(f"the kept triples of {path} are not one per line")
    return triples
