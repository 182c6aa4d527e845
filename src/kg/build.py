"""Build a graph from a corpus folder: ingest, analyse every document (here, in worker
processes or on a Dask cluster), merge the documents' triples in an Oxigraph database, write
Turtle atomically.

Without a store the graph is kept as Turtle segments (see kg.turtle) and loaded into an
in-memory database only when asked for; with `store=DIR` it goes to a persistent database (see
kg.store) that later builds update incrementally: only documents whose fingerprint changed are
analysed again, and the Turtle file the store wrote last is patched where it can differ. The
Turtle is a function of the documents' triples in corpus order, so full, incremental and
parallel builds of the same corpus write the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import KgError
from kg.ingest import MAX_BYTES, IngestReport, Source, read_corpus
from kg.namespaces import DEFAULT_BASE, PREFIXES, check_base, document_scoped_lines
from kg.parallel import DocumentResult, StageConfig, run_stage
from kg.processes import Prestarted, worth_prestarting
from kg.store import (
    DatabaseWriter,
    StoreState,
    database_path,
    document_files,
    kept_file,
    locked,
    read_state,
    record_output,
    remove_leftovers,
    triple_count,
)
from kg.turtle import (
    Change,
    PreviousTurtle,
    SpliceError,
    TurtleRecord,
    TurtleSegments,
    ntriples_lines,
    splice,
)

if TYPE_CHECKING:
    from rdflib import Graph

Progress = Callable[[int, int, str], None]  # (documents done, documents to analyse, path)


@dataclass
class BuildResult:
    """The outcome of a build: the merged graph, and what was skipped.

    `store` gives the graph in an Oxigraph store and `graph` as an rdflib Graph (each made on
    first use for a build without a store; an rdflib Graph is fine for small and medium
    corpora). With a persistent store and `commit=False`, call `commit()` to make the new
    database current or `discard()` to keep the previous one.
    """

    report: IngestReport
    base: str = DEFAULT_BASE
    documents: int = 0  # documents in the graph
    analysed: int = 0  # of which analysed in this build (the others were unchanged)
    removed: int = 0  # documents dropped since the previous build of the store
    failures: list[str] = field(default_factory=list)
    _store: ox.Store | None = None
    _segments: TurtleSegments | None = None  # the Turtle, made as the documents came
    _writer: DatabaseWriter | None = None
    _state: StoreState | None = None
    _graph: Graph | None = None
    _folder: Path | None = None  # the store's folder
    _order: list[str] = field(default_factory=list)  # the store's documents, corpus order
    _change: Change | None = None  # how a store's documents changed in this build
    _previous_turtle: PreviousTurtle | None = None  # read while the documents were analysed
    _patched: tuple[str, list[bytes], TurtleRecord] | None = None  # (file, its bytes, record)
    _turtle_key: str | None = None  # what a store's Turtle is made from (see turtle_key)
    _previous_state: StoreState | None = None  # what the store held before this build
    _triples: int | None = None

    @property
    def store(self) -> ox.Store:
        if self._store is None:
            store = ox.Store()
            if self._segments is not None:
                turtle = b"".join(self._segments.turtle())
                store.load(input=turtle, format=ox.RdfFormat.TURTLE, lenient=True)
            self._store = store
        return self._store

    @store.setter
    def store(self, value: ox.Store) -> None:
        self._store = value

    @property
    def triples(self) -> int:
        """Triples in the graph, counted when first asked."""
        if self._triples is None:
            if self._segments is not None:
                self._triples = self._segments.triples
            else:
                self._triples = triple_count(self.store)
        return self._triples

    @triples.setter
    def triples(self, value: int) -> None:
        self._triples = value

    @property
    def problems(self) -> list[str]:
        """Why documents were left out."""
        return [str(p) for p in self.report.problems] + self.failures

    @property
    def notes(self) -> list[str]:
        """Documents built in spite of damage: some of their text may be missing."""
        return [str(n) for n in self.report.notes]

    @property
    def prefixes(self) -> dict[str, str]:
        # No prefix for the graph's own IRIs: their paths would need "\/" escapes in Turtle,
        # which some tools misread.
        return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}

    @property
    def graph(self) -> Graph:
        from rdflib import Graph

        if self._graph is None:
            graph = Graph()
            for prefix, namespace in self.prefixes.items():
                graph.bind(prefix, namespace)
            from kg.rdf import rdflib_graph

            rdflib_graph(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()), graph)
            self._graph = graph
        return self._graph

    def write_turtle(self, path: str | Path) -> bool:
        """Write the whole graph to `path` as Turtle (see kg.turtle), atomically.

        With a store, a file this store wrote for the same graph and still holding the same
        bytes is left as it is (False is returned): a rebuild that changed nothing costs no
        Turtle. A file it wrote for the previous build is patched: only the segments of the
        documents that changed, and of those whose segment they change, are made again."""
        target = str(Path(path).resolve())
        before = self._previous_state.outputs.get(target) if self._previous_state else None
        if self._turtle_key is not None and self._state is not None and before:
            if before.get("graph") == self._turtle_key:
                if _file_sha256(target) == before.get("sha256"):
                    self._state.outputs[target] = before
                    return False
        with atomic_output(path) as handle:
            record = self._write_turtle_to(handle, target, before)
        if self._turtle_key is not None and self._state is not None:
            entry = {"graph": self._turtle_key, **record.to_json()}
            self._state.outputs[target] = entry
            if self._writer is None and self._folder is not None:  # committed already
                record_output(self._folder, self._state.database, target, entry)
        return True

    def _write_turtle_to(
        self, handle: IO[bytes], target: str, before: dict[str, Any] | None
    ) -> TurtleRecord:
        if self._segments is not None:
            return self._segments.write(handle)
        if self._state is None:
            raise KgError("this build has no Turtle to write")
        if self._patched is not None and self._patched[0] == target:
            handle.writelines(self._patched[1])
            return self._patched[2]
        if self._change is not None:
            previous = self._previous_turtle
            if previous is None or str(previous.path) != target:
                previous = _read_previous(target, self._previous_state, self.prefixes)
            if previous is not None:
                position = handle.tell()
                try:
                    return splice(previous, self._change, self.prefixes, handle)
                except SpliceError:
                    handle.seek(position)
                    handle.truncate()
        segments = self._new_segments()
        for path in self._order:
            segments.add(path, self._kept(path).read_bytes())
        return segments.write(handle)

    def _new_segments(self) -> TurtleSegments:
        return TurtleSegments(self.prefixes, document_scoped_lines(self.base))

    def _kept_lines(self, path: str) -> list[bytes]:
        return ntriples_lines(self._kept(path).read_bytes())

    def _kept(self, path: str) -> Path:
        """The kept N-Triples of one of a store's documents."""
        assert self._folder is not None and self._state is not None
        (kept,) = document_files(self._folder, self._state, [path])
        return kept

    def commit(self) -> None:
        """Make a persistent store's new database current (no-op for a temporary one)."""
        if self._writer is not None and self._state is not None:
            self._writer.commit(self._state)
            self._writer = None

    def discard(self) -> None:
        """Throw away a persistent store's new database; the previous one stays current."""
        if self._writer is not None:
            self._writer.discard()
            self._writer = None


def document_fingerprint(source: Source) -> str:
    """Equal fingerprints mean the per-document stage would give the same triples."""
    meta = source.meta
    key = "\0".join(
        [
            source.path,
            source.sha256,
            source.kind,
            meta.title or "",
            meta.date.isoformat() if meta.date else "",
            meta.publisher or "",
            meta.language or "",
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def stored_fingerprint(source: Source, config_key: str) -> str:
    """What a store records for a document: its fingerprint under this configuration (kg's
    code, reference data, options). The document's kept triples are named by it, so a build
    under another configuration never takes them for its own."""
    return hashlib.sha256(f"{config_key}\0{document_fingerprint(source)}".encode()).hexdigest()


def turtle_key(config_key: str, fingerprints: list[str]) -> str:
    """What a store's Turtle is a function of: kg's code, reference data and options, the
    documents' fingerprints in corpus order, and the Oxigraph that writes it."""
    digest = hashlib.sha256(f"{config_key}\0{ox.__version__}\0".encode())
    for fingerprint in fingerprints:
        digest.update(fingerprint.encode() + b"\0")
    return digest.hexdigest()


def _file_sha256(path: str | Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def config_fingerprint(config: StageConfig) -> str:
    """kg's own code and reference data and the options: a change to any of them can change
    any document's triples, so a store built under another fingerprint is rebuilt whole."""
    from kg import __version__

    digest = hashlib.sha256(f"{__version__}\0{config.base}\0".encode())
    folders = [Path(__file__).resolve().parent]
    if config.data_dir:
        folders.append(Path(config.data_dir).resolve())
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def build_graph(
    corpus: str | Path,
    *,
    base: str = DEFAULT_BASE,
    data_dir: str | None = None,
    progress: Progress | None = None,
    max_bytes: int = MAX_BYTES,
    jobs: int = 1,
    store: str | Path | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    commit: bool = True,
    turtle: bool | str | Path = False,
    prestarted: Prestarted | None = None,
) -> BuildResult:
    """Analyse every readable document of `corpus` into one graph. A document the pipeline
    cannot handle is reported and skipped; the others still make it into the graph.

    `jobs` worker processes (or a Dask cluster: `executor="dask"`, `scheduler=ADDRESS`) run the
    per-document stage. With `store`, the graph goes to that persistent store, and only
    documents that changed since its last build are analysed again. `turtle` says the caller
    will call `write_turtle` (given the file, a rebuild reads the Turtle it patches while the
    documents are analysed). `prestarted` is a worker the caller started early for a rebuild
    (see kg.processes); by default a store rebuild with more than one job starts one itself.
    It is closed when the build ends.
    """
    try:
        config = StageConfig(data_dir=str(data_dir) if data_dir else None, base=check_base(base))
        if prestarted is None and worth_prestarting(store, jobs, executor):
            prestarted = Prestarted(config.data_dir, config.base)
        report = read_corpus(corpus, max_bytes=max_bytes)
        stage = _Stage(config, jobs, executor, scheduler, progress, prestarted)
        if store is None:
            return _build_in_memory(report, stage)
        folder = Path(store)
        with locked(folder):
            return _build_into_store(folder, report, stage, commit, turtle)
    finally:
        if prestarted is not None:
            prestarted.close()


def _build_in_memory(report: IngestReport, stage: _Stage) -> BuildResult:
    # The Turtle is made as the documents come, in corpus order whatever ran the stage; a
    # database is loaded from it only if the caller asks for one.
    result = BuildResult(report, stage.config.base)
    result._segments = result._new_segments()
    for doc in _succeeded(result, stage.run(report.sources)):
        result._segments.add(doc.path, doc.ntriples)
    return result


@dataclass(frozen=True)
class _Stage:
    """Where and how this build runs the per-document stage."""

    config: StageConfig
    jobs: int = 1
    executor: str = "local"
    scheduler: str | None = None
    progress: Progress | None = None
    prestarted: Prestarted | None = None  # a worker already starting, for a few documents

    def report(self, docs: list[DocumentResult]) -> list[DocumentResult]:
        """Progress for documents analysed outside `run`."""
        for done, doc in enumerate(docs, start=1):
            if self.progress:
                self.progress(done, len(docs), doc.path)
        return docs

    def start(self, sources: list[Source]) -> Iterator[DocumentResult]:
        """`run`, except that a few documents go at once to the worker started beforehand,
        which analyses them while the caller does other work before iterating."""
        if self.prestarted is not None and 0 < len(sources) <= PRESTARTED_AT_MOST:
            self.prestarted.submit(sources, self.config)
            return self._collect(self.prestarted)
        return self.run(sources)

    def _collect(self, worker: Prestarted) -> Iterator[DocumentResult]:
        yield from self.report(worker.results())

    def run(self, sources: list[Source]) -> Iterator[DocumentResult]:
        if self.prestarted is not None:
            self.prestarted.close()
        total, done = len(sources), 0

        def tick(result: DocumentResult) -> None:
            nonlocal done
            done += 1
            if self.progress:
                self.progress(done, total, result.path)

        yield from run_stage(
            sources,
            self.config,
            jobs=self.jobs,
            executor=self.executor,
            scheduler=self.scheduler,
            progress=tick,
        )


def _succeeded(result: BuildResult, docs: Iterable[DocumentResult]) -> Iterator[DocumentResult]:
    """The documents the stage could analyse, counted; the others' failures are recorded."""
    for doc in docs:
        if doc.failure:
            result.failures.append(doc.failure)
            continue
        result.documents += 1
        result.analysed += 1
        yield doc


def _fill_fresh(
    result: BuildResult,
    writer: DatabaseWriter,
    sources: list[Source],
    stage: _Stage,
    state: StoreState,
    segments: TurtleSegments | None,
) -> None:
    by_path = {source.path: source for source in sources}
    for doc in _succeeded(result, stage.run(sources)):
        writer.spool(doc.ntriples, doc.graph)
        fingerprint = stored_fingerprint(by_path[doc.path], str(state.config))
        writer.keep_document(fingerprint, doc.ntriples)
        state.documents[doc.path] = {"fingerprint": fingerprint, "graph": doc.graph}
        if segments is not None:
            segments.add(doc.path, doc.ntriples)


def _build_into_store(
    folder: Path,
    report: IngestReport,
    stage: _Stage,
    commit: bool,
    turtle: bool | str | Path = False,
) -> BuildResult:
    previous = read_state(folder)
    remove_leftovers(folder, previous)
    config_key = config_fingerprint(stage.config)
    current = database_path(folder) if previous.database else None
    incremental = current is not None and previous.config == config_key
    # The Turtle files written before are remembered until they are written again or gone:
    # a build without -o between two with it leaves the file patchable if it changed nothing.
    outputs = {path: entry for path, entry in previous.outputs.items() if Path(path).is_file()}
    state = StoreState(config=config_key, outputs=outputs)
    writer = DatabaseWriter(folder, base_on=current if incremental else None)
    result = BuildResult(
        report, stage.config.base, _store=writer.store, _writer=writer, _state=state
    )
    result._folder = folder
    try:
        if incremental:
            target = str(Path(turtle).resolve()) if isinstance(turtle, (str, Path)) else None
            result._change = _update(result, writer, previous, state, report.sources, stage, target)
        else:
            segments = result._new_segments() if turtle else None
            _fill_fresh(result, writer, report.sources, stage, state, segments)
            result._segments = segments
        result.store = writer.finish()
        result._order = _in_corpus_order(report.sources, state)
        kept = [state.documents[path] for path in result._order]
        result._turtle_key = turtle_key(config_key, [str(doc["fingerprint"]) for doc in kept])
        result._previous_state = previous
        if commit:
            result.commit()
    except BaseException:
        writer.discard()
        raise
    return result


def _update(
    result: BuildResult,
    writer: DatabaseWriter,
    previous: StoreState,
    state: StoreState,
    sources: list[Source],
    stage: _Stage,
    turtle: str | None = None,
) -> Change | None:
    """Bring a copy of the previous database up to date with the corpus as it is now. Returns
    how the documents changed, for patching the Turtle (None when too many did)."""
    config_key = str(state.config)
    fingerprints = {source.path: stored_fingerprint(source, config_key) for source in sources}
    changed = []
    for source in sources:
        old = previous.documents.get(source.path)
        kept = kept_file(writer.folder, fingerprints[source.path])
        if old is not None and old["fingerprint"] == fingerprints[source.path] and kept.exists():
            state.documents[source.path] = old
            result.documents += 1
        else:
            changed.append(source)
    gone = {path: old for path, old in previous.documents.items() if path not in state.documents}
    results = stage.start(changed)  # analysed in another process meanwhile, if it can
    change: Change | None = None
    if len(gone) + len(changed) <= _PATCH_AT_MOST:
        change = Change([], {}, {}, result._kept_lines, _holders(writer.store, state))
        for path, old in gone.items():
            kept = kept_file(writer.folder, str(old["fingerprint"]))
            try:
                change.old_lines[path] = ntriples_lines(kept.read_bytes())
            except OSError:
                change = None
                break
    # A changed document's triples are updated where they differ once its new ones are known
    # (when its old ones could be read); the others' go now, while the documents are analysed.
    later = {p: old for p, old in gone.items() if p in fingerprints} if change else {}
    for path, old in sorted(gone.items()):
        if path not in later:
            writer.remove_document(str(old["graph"]))
        if path not in fingerprints:
            result.removed += 1
    writer.store.flush()
    if change is not None and turtle is not None and (gone or changed):  # during the analysis
        result._previous_turtle = _read_previous(turtle, previous, result.prefixes)
    docs = []
    for doc in _succeeded(result, results):
        writer.keep_document(fingerprints[doc.path], doc.ntriples)
        state.documents[doc.path] = {"fingerprint": fingerprints[doc.path], "graph": doc.graph}
        if change is None:  # many documents: into the database as they come
            writer.add_document(doc.ntriples, doc.graph)
        else:
            change.new_lines[doc.path] = ntriples_lines(doc.ntriples)
            docs.append(doc)
    if change is None:
        return None
    change.order = _in_corpus_order(sources, state)

    def update_database() -> None:
        for doc in docs:
            old = later.get(doc.path)
            if old is not None and old["graph"] == doc.graph:
                writer.update_document(
                    doc.graph, change.old_lines[doc.path], change.new_lines[doc.path]
                )
            else:
                if old is not None:
                    writer.remove_document(str(old["graph"]))
                writer.add_document(doc.ntriples, doc.graph)
        for path, old in later.items():
            if path not in state.documents:  # it could not be analysed this time
                writer.remove_document(str(old["graph"]))
        writer.store.flush()

    # pyoxigraph lets go of the GIL while it loads and flushes: the database takes in the new
    # documents while this thread patches the Turtle in memory
    updating = _Background(update_database)
    try:
        if result._previous_turtle is not None:
            result._patched = _patch(result._previous_turtle, change, result.prefixes)
    finally:
        updating.join()
    return change


class _Background(threading.Thread):
    """A function run in a thread; `join` raises what it raised."""

    def __init__(self, function: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.function = function
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.function()
        except BaseException as exc:  # handed to the joining thread
            self.error = exc

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def _patch(
    previous: PreviousTurtle, change: Change, prefixes: dict[str, str]
) -> tuple[str, list[bytes], TurtleRecord] | None:
    """The previous Turtle file patched for `change`, in memory (None if it cannot be)."""
    parts = _Parts()
    try:
        record = splice(previous, change, prefixes, parts)  # type: ignore[arg-type]
    except SpliceError:
        return None
    return str(previous.path), parts, record


class _Parts(list):  # type: ignore[type-arg]
    """A file that keeps what is written to it, without copying it into one buffer."""

    write = list.append


# A rebuild with more than one job that analyses this many documents or fewer gives them to
# the worker started before the corpus was read; more go to a pool of `jobs` workers.
PRESTARTED_AT_MOST = 16

# A rebuild that changed this many documents or fewer patches the Turtle file it wrote last;
# with more, writing the whole file is about as quick and much simpler.
_PATCH_AT_MOST = 64


def _in_corpus_order(sources: list[Source], state: StoreState) -> list[str]:
    """The store's documents, in corpus order."""
    return [source.path for source in sources if source.path in state.documents]


def _read_previous(
    target: str, previous: StoreState | None, prefixes: dict[str, str]
) -> PreviousTurtle | None:
    """The Turtle file the store wrote to `target` from the documents it held before this
    build, if that file is still as written; None otherwise (a file written some builds ago
    holds other versions of some documents, and is written whole)."""
    entry = previous.outputs.get(target) if previous is not None else None
    record = TurtleRecord.from_json(entry) if entry else None
    if record is None or previous is None or previous.config is None:
        return None
    documents = previous.documents
    if len(record.segments) != len(documents) or any(
        p not in documents for p, _ in record.segments
    ):
        return None
    fingerprints = [str(documents[path]["fingerprint"]) for path, _ in record.segments]
    if entry.get("graph") != turtle_key(previous.config, fingerprints):  # type: ignore[union-attr]
        return None
    try:
        return PreviousTurtle.read(target, record, prefixes)
    except (SpliceError, OSError):
        return None


def _holders(store: ox.Store, state: StoreState) -> Callable[[ox.Triple], Iterator[str]]:
    """Which of the store's documents state a triple, from their named graphs; lazily, as
    a shared triple can be in thousands of them and the caller often needs only one."""
    by_graph: dict[str, str] | None = None

    def holders(triple: ox.Triple) -> Iterator[str]:
        nonlocal by_graph
        if by_graph is None:  # the state is complete by the time the Turtle is written
            by_graph = {str(doc["graph"]): path for path, doc in state.documents.items()}
        for quad in store.quads_for_pattern(triple.subject, triple.predicate, triple.object):
            graph = quad.graph_name
            if isinstance(graph, ox.NamedNode) and graph.value in by_graph:
                yield by_graph[graph.value]

    return holders


def default_file_mode() -> int:
    """The mode a plain `open()` would give a new file (mkstemp's files are private, 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[IO[bytes]]:
    """A file to write `path` through: a temporary file beside it, renamed over it when the
    block ends without an error, so readers see the old file or the new one, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.part"):
        stale.unlink(missing_ok=True)  # left by a write that was killed
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, default_file_mode())
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic_output`)."""
    with atomic_output(path) as handle:
        handle.write(data)


def serialize(graph: Graph) -> bytes:
    from kg.rdf import to_turtle

    return to_turtle(graph)
