"""A persistent graph: an on-disk Oxigraph database that `kg build --store DIR` keeps up to
date document by document, and that the other commands open without re-parsing any Turtle.

Layout of DIR::

    kg-store.json   which database is current, the configuration it was built with, and the
                    fingerprint of every document in it (replaced atomically)
    db-<n>/         the current Oxigraph (RocksDB) database
    documents/      each document's triples as N-Triples, named by its fingerprint: the Turtle
                    is written from them (see kg.turtle), exactly as a build without a store
                    writes it, or patched with them after a few documents changed

In the database the default graph is the whole graph, exactly what `kg build -o` writes as
Turtle, and each document's own triples are also kept in a named graph (its source IRI), so a
changed or removed document can be taken out without rebuilding the rest.

A build never writes into the current database: it writes into a new `db-<n+1>` (for an
incremental build, a checkpoint of the current one: hard links, cheap), and only when that is
complete does `kg-store.json` switch to it. A build killed at any moment leaves the previous
database current and intact; the next build removes what the killed one left behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyoxigraph as ox

from kg.errors import KgError

STATE_FILE = "kg-store.json"
LOCK_FILE = ".kg-store.lock"
DOCUMENTS_DIR = "documents"  # each document's N-Triples, by fingerprint
FORMAT = 1


class StoreError(KgError):
    """A store folder is missing, is not a kg store, or is damaged."""


@dataclass
class StoreState:
    """What kg-store.json records."""

    database: str | None = None
    config: str | None = None
    documents: dict[str, dict[str, str | int]] = field(default_factory=dict)
    # Turtle files written from this store: absolute path -> {"graph": the key of the graph
    # written (see kg.build.turtle_key), and kg.turtle.TurtleRecord's fields: "sha256" of the
    # bytes written, the "header" length and each document's "segments" length}
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        data = {
            "kg": "store",
            "format": FORMAT,
            "database": self.database,
            "config": self.config,
            "documents": dict(sorted(self.documents.items())),
            "outputs": dict(sorted(self.outputs.items())),
        }
        return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def is_store(path: str | Path) -> bool:
    return (Path(path) / STATE_FILE).is_file()


def read_state(folder: str | Path) -> StoreState:
    """The state of the store at `folder`; an empty state for a folder that does not exist or
    is empty. A folder holding anything else is refused, so a typo cannot wipe user files."""
    root = Path(folder)
    state_path = root / STATE_FILE
    if not state_path.is_file():
        if root.exists() and (not root.is_dir() or any(_foreign(root))):
            raise StoreError(f"{root}: not a kg store (no {STATE_FILE}) and not empty")
        return StoreState()
    try:
        data = json.loads(state_path.read_text(encoding="utf-8"))
        if data.get("kg") != "store" or data.get("format") != FORMAT:
            raise ValueError(f"unknown store format {data.get('format')!r}")
        return StoreState(
            data.get("database"),
            data.get("config"),
            dict(data["documents"]),
            dict(data.get("outputs") or {}),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{state_path}: cannot read the store's state: {exc}") from exc


def _foreign(root: Path) -> Iterator[Path]:
    for entry in root.iterdir():
        if entry.name not in (LOCK_FILE, STATE_FILE, DOCUMENTS_DIR) and not entry.name.startswith(
            "db-"
        ):
            yield entry


def database_path(folder: str | Path) -> Path:
    state = read_state(folder)
    if state.database is None:
        raise StoreError(f"{folder}: not a kg store (build one with `kg build CORPUS --store`)")
    path = Path(folder) / state.database
    if not path.is_dir():
        raise StoreError(f"{folder}: its database {state.database} is missing")
    return path


def pick_graph(graph: str | Path | None, store: str | Path | None) -> Path:
    """The graph file or store folder a command reads: exactly one of GRAPH and --store."""
    if (graph is None) == (store is None):
        raise StoreError("give a GRAPH file or --store DIR (one of them)")
    if store is not None and not is_store(store):
        raise StoreError(f"{store}: not a kg store (build one with `kg build CORPUS --store`)")
    return Path(graph if graph is not None else store)  # type: ignore[arg-type]


def open_store(folder: str | Path) -> ox.Store:
    """Open the store at `folder` read-only, for queries, validation, exports and views."""
    path = database_path(folder)
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise StoreError(f"{folder}: cannot open its database: {exc}") from exc


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Only one build at a time may write a store."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(f"{folder}: another kg build is writing this store") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_state(folder: Path, state: StoreState) -> None:
    from kg.build import write_atomically

    write_atomically(folder / STATE_FILE, state.to_json())


def record_output(folder: Path, database: str | None, target: str, record: dict[str, Any]) -> None:
    """Remember a Turtle file written from the store's current database after the build that
    made it was committed (when it was not, the record goes in with the commit)."""
    with locked(folder):
        state = read_state(folder)
        if state.database == database:
            state.outputs[target] = record
            _write_state(folder, state)


def triple_count(store: ox.Store) -> int:
    """Triples in the default graph (the whole graph), counted by the store."""
    solutions = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(next(iter(solutions))["n"].value)


def named_lines(ntriples: bytes, graph: str) -> bytes:
    """N-Triples lines turned into N-Quads lines of `graph`."""
    suffix = f" <{graph}> .\n".encode()
    return b"".join(line[:-2].rstrip() + suffix for line in ntriples.splitlines(keepends=True))


class DatabaseWriter:
    """A new database beside the current one, filled by a build and then made current
    (`commit`) or thrown away (`discard`)."""

    def __init__(
        self,
        folder: Path,
        *,
        base_on: Path | None,
    ) -> None:
        self.folder = folder
        self.path = self._new_path()
        if base_on is not None:
            ox.Store.read_only(str(base_on)).backup(str(self.path))
        self.store = ox.Store(str(self.path))
        self._spool: IO[bytes] | None = None
        self._spool_path: str | None = None

    def _new_path(self) -> Path:
        numbers = [int(p.name[3:]) for p in self.folder.glob("db-*") if p.name[3:].isdigit()] or [0]
        return self.folder / f"db-{max(numbers) + 1:06d}"

    # bulk loading, for a build from scratch -----------------------------------------------
    # Oxigraph's bulk loader holds what it is given in memory while it sorts it (about 1 KB per
    # quad), so documents are spooled to a file and loaded 16 MB at a time.
    SPOOL_BYTES = 16 << 20

    def spool(self, ntriples: bytes, graph: str) -> None:
        """Queue a document's triples for bulk loading (fast, and bounded in memory)."""
        if self._spool is None:
            fd, self._spool_path = tempfile.mkstemp(prefix=".spool-", suffix=".nq", dir=self.folder)
            self._spool = os.fdopen(fd, "wb")
        self._spool.write(ntriples)
        self._spool.write(named_lines(ntriples, graph))
        if self._spool.tell() >= self.SPOOL_BYTES:
            self.load_spool()

    def load_spool(self) -> None:
        if self._spool is None or self._spool_path is None:
            return
        self._spool.close()
        try:
            self.store.bulk_load(path=self._spool_path, format=ox.RdfFormat.N_QUADS, lenient=True)
        finally:
            Path(self._spool_path).unlink(missing_ok=True)
            self._spool = None
            self._spool_path = None

    # updates, for an incremental build ------------------------------------------------------
    def remove_document(self, graph: str) -> None:
        """Take a document's triples out: its named graph, and from the whole graph each
        triple no other document also states."""
        node = ox.NamedNode(graph)
        triples = [q.triple for q in self.store.quads_for_pattern(None, None, None, node)]
        self.store.remove_graph(node)
        self._drop_unstated(triples)

    def update_document(self, graph: str, old: list[bytes], new: list[bytes]) -> None:
        """Turn a document's triples from `old` into `new` (N-Triples lines): only what
        differs is taken out or put in, a few triples where a document gained a paragraph."""
        old_lines, new_lines = set(old), set(new)
        gone = b"".join(line for line in old if line not in new_lines)
        if gone:
            node = ox.NamedNode(graph)
            triples = list(ox.parse(gone, format=ox.RdfFormat.N_TRIPLES, lenient=True))
            for triple in triples:
                self.store.remove(ox.Quad(triple.subject, triple.predicate, triple.object, node))
            self._drop_unstated(triples)
        added = b"".join(line for line in new if line not in old_lines)
        if added:
            self.add_document(added, graph)

    def _drop_unstated(self, triples: Iterable[ox.Triple]) -> None:
        """Take out of the whole graph each of `triples` that no document states any more."""
        for triple in triples:
            others = self.store.quads_for_pattern(triple.subject, triple.predicate, triple.object)
            if not any(isinstance(q.graph_name, ox.NamedNode) for q in others):
                self.store.remove(ox.Quad(triple.subject, triple.predicate, triple.object))

    def add_document(self, ntriples: bytes, graph: str) -> None:
        data = ntriples + named_lines(ntriples, graph)
        self.store.load(input=data, format=ox.RdfFormat.N_QUADS, lenient=True)

    # ending -------------------------------------------------------------------------------
    def finish(self) -> ox.Store:
        self.load_spool()
        self.store.flush()
        return self.store

    def keep_document(self, fingerprint: str, ntriples: bytes) -> None:
        """Keep a document's triples beside the database (see DOCUMENTS_DIR)."""
        target = kept_file(self.folder, fingerprint)
        target.parent.mkdir(exist_ok=True)
        if not target.exists():
            partial = target.parent / f".{fingerprint}.part"
            partial.write_bytes(ntriples)
            os.replace(partial, target)

    def commit(self, state: StoreState) -> None:
        """Make this database current; the one it replaces is deleted, and so are the kept
        triples of documents no longer in the store."""
        self.finish()
        previous = read_state(self.folder).database
        state.database = self.path.name
        _write_state(self.folder, state)
        if previous and previous != self.path.name:
            shutil.rmtree(self.folder / previous, ignore_errors=True)
        remove_unused_documents(self.folder, state)

    def discard(self) -> None:
        if self._spool is not None:
            self._spool.close()
        if self._spool_path:
            Path(self._spool_path).unlink(missing_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)


def remove_leftovers(folder: Path, state: StoreState) -> None:
    """Delete databases, spool files and kept triples a killed build left behind."""
    for entry in folder.glob("db-*"):
        if entry.name != state.database:
            shutil.rmtree(entry, ignore_errors=True)
    for entry in folder.glob(".spool-*"):
        entry.unlink(missing_ok=True)
    remove_unused_documents(folder, state)


def kept_file(folder: Path, fingerprint: str) -> Path:
    """Where a store keeps the N-Triples of the document with `fingerprint`."""
    return folder / DOCUMENTS_DIR / f"{fingerprint}.nt"


def remove_unused_documents(folder: Path, state: StoreState) -> None:
    used = {kept_file(folder, str(entry["fingerprint"])).name for entry in state.documents.values()}
    for entry in (folder / DOCUMENTS_DIR).glob("*"):
        if entry.name not in used:
            entry.unlink(missing_ok=True)


def document_files(folder: Path, state: StoreState, order: Iterable[str]) -> list[Path]:
    """The kept triples of the store's documents, in the order of `order` (paths)."""
    files = []
    for path in order:
        entry = state.documents.get(path)
        if entry is not None:
            files.append(kept_file(folder, str(entry["fingerprint"])))
    return files
