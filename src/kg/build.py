"""Build a graph from a corpus folder: ingest, analyse every document (here, in worker
processes or on a Dask cluster), merge the documents' triples in an Oxigraph database, write
Turtle atomically.

The database is an in-memory one, or with `store=DIR` a persistent one (see kg.store) that
later builds update incrementally: only documents whose fingerprint changed are analysed again.
The Turtle is dumped from an in-memory database loaded document by document in corpus order,
so full, incremental and parallel builds of the same corpus write the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pyoxigraph as ox
from rdflib import Graph

from kg.ingest import MAX_BYTES, IngestReport, Source, read_corpus
from kg.namespaces import DEFAULT_BASE, PREFIXES, check_base
from kg.parallel import DocumentResult, StageConfig, analyse_beside, run_stage
from kg.rdf import rdflib_graph, to_turtle
from kg.store import (
    DOCUMENTS_DIR,
    DatabaseWriter,
    StoreState,
    database_path,
    document_files,
    dump_turtle,
    locked,
    read_state,
    remove_leftovers,
    triple_count,
)

Progress = Callable[[int, int, str], None]  # (documents done, documents to analyse, path)


@dataclass
class BuildResult:
    """The outcome of a build: the merged graph in an Oxigraph store, and what was skipped.

    `graph` gives the same graph as an rdflib Graph (made on first use; fine for small and
    medium corpora). With a persistent store and `commit=False`, call `commit()` to make the
    new database current or `discard()` to keep the previous one.
    """

    report: IngestReport
    store: ox.Store
    base: str = DEFAULT_BASE
    documents: int = 0  # documents in the graph
    analysed: int = 0  # of which analysed in this build (the others were unchanged)
    removed: int = 0  # documents dropped since the previous build of the store
    failures: list[str] = field(default_factory=list)
    _writer: DatabaseWriter | None = None
    _state: StoreState | None = None
    _graph: Graph | None = None
    _turtle_from: list[Path] | None = None  # a store's kept documents, in corpus order
    _turtle_key: str | None = None  # what a store's Turtle is made from (see turtle_key)
    _turtle_store: ox.Store | None = None  # the first `_turtle_loaded` of `_turtle_from`
    _turtle_loaded: int = 0
    _written_before: dict[str, dict[str, str]] = field(default_factory=dict)
    _triples: int | None = None

    @property
    def triples(self) -> int:
        """Triples in the graph: counted when first asked, in the in-memory database the
        Turtle was written from if there is one (quicker than on disk)."""
        if self._triples is None:
            whole = self.store
            if self._turtle_store is not None and self._turtle_loaded == len(
                self._turtle_from or ()
            ):
                whole = self._turtle_store
            self._triples = triple_count(whole)
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
        if self._graph is None:
            graph = Graph()
            for prefix, namespace in self.prefixes.items():
                graph.bind(prefix, namespace)
            rdflib_graph(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()), graph)
            self._graph = graph
        return self._graph

    def write_turtle(self, path: str | Path) -> bool:
        """Write the whole graph to `path` as Turtle, atomically. A build without a store
        dumps its in-memory database, loaded in corpus order; a store's on-disk database orders
        triples otherwise, so its kept documents are loaded in that order into memory first:
        every kind of build writes the same bytes.

        With a store, a file this store wrote for the same graph and still holding the same
        bytes is left as it is (False is returned): a rebuild that changed nothing costs no
        Turtle."""
        target = str(Path(path).resolve())
        if self._turtle_key is not None and self._state is not None:
            before = self._written_before.get(target)
            if before and before.get("graph") == self._turtle_key:
                if _file_sha256(target) == before.get("sha256"):
                    self._state.outputs[target] = before
                    return False
        whole = self.store
        if self._turtle_from is not None:
            whole = self._turtle_store or ox.Store()
            for document in self._turtle_from[self._turtle_loaded :]:
                whole.load(path=str(document), format=ox.RdfFormat.N_TRIPLES, lenient=True)
            self._turtle_store, self._turtle_loaded = whole, len(self._turtle_from)
        digest = dump_turtle(whole, path, self.prefixes)
        if self._turtle_key is not None and self._state is not None:
            self._state.outputs[target] = {"graph": self._turtle_key, "sha256": digest}
        return True

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
    turtle: bool = False,
) -> BuildResult:
    """Analyse every readable document of `corpus` into one graph. A document the pipeline
    cannot handle is reported and skipped; the others still make it into the graph.

    `jobs` worker processes (or a Dask cluster: `executor="dask"`, `scheduler=ADDRESS`) run the
    per-document stage. With `store`, the graph goes to that persistent store, and only
    documents that changed since its last build are analysed again. `turtle` says the caller
    will call `write_turtle`: a store build that analyses a few documents again then loads
    the unchanged ones that come before them for the Turtle while another process analyses.
    """
    config = StageConfig(data_dir=str(data_dir) if data_dir else None, base=check_base(base))
    report = read_corpus(corpus, max_bytes=max_bytes)
    stage = _Stage(config, jobs, executor, scheduler, progress)
    if store is None:
        # In memory, loading is 2x and dumping 7x faster than on disk; the order of a dump
        # follows the order of loading, which is the corpus order whatever ran the stage.
        # Loading is lenient (a third faster): kg wrote the N-Triples, from a checked base.
        result = BuildResult(report, ox.Store(), base)
        for doc in _succeeded(result, stage.run(report.sources)):
            result.store.load(input=doc.ntriples, format=ox.RdfFormat.N_TRIPLES, lenient=True)
        result.triples = triple_count(result.store)
        return result

    folder = Path(store)
    with locked(folder):
        return _build_into_store(folder, report, stage, commit, turtle)


@dataclass(frozen=True)
class _Stage:
    """Where and how this build runs the per-document stage."""

    config: StageConfig
    jobs: int = 1
    executor: str = "local"
    scheduler: str | None = None
    progress: Progress | None = None

    def report(self, docs: list[DocumentResult]) -> list[DocumentResult]:
        """Progress for documents analysed outside `run`."""
        for done, doc in enumerate(docs, start=1):
            if self.progress:
                self.progress(done, len(docs), doc.path)
        return docs

    def run(self, sources: list[Source]) -> Iterator[DocumentResult]:
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
) -> None:
    by_path = {source.path: source for source in sources}
    for doc in _succeeded(result, stage.run(sources)):
        writer.spool(doc.ntriples, doc.graph)
        fingerprint = stored_fingerprint(by_path[doc.path], str(state.config))
        writer.keep_document(fingerprint, doc.ntriples)
        state.documents[doc.path] = {"fingerprint": fingerprint, "graph": doc.graph}


def _build_into_store(
    folder: Path, report: IngestReport, stage: _Stage, commit: bool, turtle: bool = False
) -> BuildResult:
    previous = read_state(folder)
    remove_leftovers(folder, previous)
    config_key = config_fingerprint(stage.config)
    current = database_path(folder) if previous.database else None
    incremental = current is not None and previous.config == config_key
    state = StoreState(config=config_key)
    writer = DatabaseWriter(folder, base_on=current if incremental else None)
    result = BuildResult(report, writer.store, stage.config.base, _writer=writer, _state=state)
    try:
        if incremental:
            prepared = _PreparedTurtle(folder, previous) if turtle else None
            _update(result, writer, previous, state, report.sources, stage, prepared)
            if prepared is not None and prepared.loaded:
                result._turtle_store, result._turtle_loaded = prepared.store, prepared.loaded
        else:
            _fill_fresh(result, writer, report.sources, stage, state)
        result.store = writer.finish()
        order = [source.path for source in report.sources]
        result._turtle_from = document_files(folder, state, order)
        kept = [state.documents[path] for path in order if path in state.documents]
        result._turtle_key = turtle_key(config_key, [str(doc["fingerprint"]) for doc in kept])
        result._written_before = previous.outputs
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
    prepared: _PreparedTurtle | None = None,
) -> None:
    """Bring a copy of the previous database up to date with the corpus as it is now."""
    config_key = str(state.config)
    fingerprints = {source.path: stored_fingerprint(source, config_key) for source in sources}
    changed = []
    for source in sources:
        old = previous.documents.get(source.path)
        kept = writer.folder / DOCUMENTS_DIR / f"{fingerprints[source.path]}.nt"
        if old is not None and old["fingerprint"] == fingerprints[source.path] and kept.exists():
            state.documents[source.path] = old
            result.documents += 1
        else:
            changed.append(source)
    for path, old in sorted(previous.documents.items()):
        if path not in state.documents:  # removed, changed, or failing now
            writer.remove_document(str(old["graph"]))
            if path not in fingerprints:
                result.removed += 1
    results: Iterable[DocumentResult]
    if (
        prepared is not None
        and 0 < len(changed) <= _BESIDE_AT_MOST
        and stage.executor == "local"
        and stage.jobs > 1
    ):
        first = sources.index(changed[0])
        results = stage.report(
            analyse_beside(changed, stage.config, lambda: prepared.load(sources[:first]))
        )
    else:
        results = stage.run(changed)
    for doc in _succeeded(result, results):
        writer.add_document(doc.ntriples, doc.graph)
        writer.keep_document(fingerprints[doc.path], doc.ntriples)
        state.documents[doc.path] = {"fingerprint": fingerprints[doc.path], "graph": doc.graph}


# A rebuild with more than one job that analyses this many documents or fewer runs them in one
# other process while this one loads the Turtle's first documents: starting spaCy (~0.7 s)
# then costs no time of its own. With --jobs 1 everything stays in one process.
_BESIDE_AT_MOST = 16


class _PreparedTurtle:
    """The in-memory database a store's Turtle is dumped from, loaded ahead of time with the
    unchanged documents that come first in corpus order."""

    def __init__(self, folder: Path, previous: StoreState) -> None:
        self.folder = folder
        self.previous = previous
        self.store = ox.Store()
        self.loaded = 0

    def load(self, sources: list[Source]) -> None:
        paths = [source.path for source in sources]
        for document in document_files(self.folder, self.previous, paths):
            self.store.load(path=str(document), format=ox.RdfFormat.N_TRIPLES, lenient=True)
            self.loaded += 1


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
    return to_turtle(graph)
