"""The per-document stage and where it runs: in this process, in a pool of worker processes
(`--jobs N`), or on a Dask cluster (`--executor dask`).

`analyse_document` is a pure function of (document, reference data, configuration): its result,
the document's triples as N-Triples, depends on nothing else, so it can run anywhere, be cached
by the document's fingerprint, and be merged in any order into the same graph.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from kg.errors import KgError
from kg.ingest import Source
from kg.namespaces import DEFAULT_BASE
from kg.processes import pool_context

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class DocumentResult:
    """What the per-document stage makes of one document: its triples or why there are none."""

    path: str
    graph: str  # IRI of the document's source node, which also names its graph in a store
    ntriples: bytes = b""
    triples: int = 0
    failure: str | None = None


@dataclass(frozen=True)
class StageConfig:
    """Everything besides the document that the per-document stage depends on."""

    data_dir: str | None = None
    base: str = DEFAULT_BASE


# One pipeline per process and configuration: building it reads the reference data (~0.3 s),
# which must not happen per document. Workers forked from a process that already built it
# inherit it.
_PIPELINES: dict[StageConfig, tuple[Any, Any]] = {}


def pipeline_for(config: StageConfig) -> tuple[Any, Any]:
    """The spaCy pipeline and gazetteers for `config`, built once per process."""
    if config not in _PIPELINES:
        # Importing spaCy and building the pipeline make a great many objects that all stay
        # alive: collections meanwhile only walk them (about an eighth of the start-up).
        collecting = gc.isenabled()
        gc.disable()
        try:
            from kg.gazetteers import default_gazetteers
            from kg.pipeline import make_nlp

            _PIPELINES[config] = (make_nlp(config.data_dir), default_gazetteers(config.data_dir))
        finally:
            if collecting:
                gc.enable()
    return _PIPELINES[config]


def analyse_document(source: Source, config: StageConfig) -> DocumentResult:
    """Analyse one document into N-Triples. Never raises for a problem of the document: a
    document the pipeline cannot handle comes back with `failure` saying why."""
    from kg.pipeline import analyse
    from kg.rdf import GraphBuilder, TripleSet

    nlp, gazetteers = pipeline_for(config)
    builder = GraphBuilder(gazetteers, config.base, graph=TripleSet())
    graph = str(builder.source_iri(source.path))
    try:
        builder.add(analyse(nlp, source))
    except KgError as exc:
        return DocumentResult(source.path, graph, failure=f"{source.path}: {exc}")
    except Exception as exc:  # one document's surprise must not lose the others' work
        return DocumentResult(
            source.path,
            graph,
            failure=f"{source.path}: could not be analysed ({type(exc).__name__}: {exc}); "
            "please report this file",
        )
    triples: Any = builder.graph
    return DocumentResult(source.path, graph, triples.ntriples(), len(triples))


GC_THRESHOLD = 100_000
# Documents go to the workers a few at a time: one task per document cost the parent process,
# which also loads the results, ~0.3 ms of bookkeeping per document.
_BATCH = 4
_BATCHES_IN_FLIGHT = 4  # per worker: enough to keep it busy, few enough to bound memory


def analyse_batch(sources: Sequence[Source], config: StageConfig) -> list[DocumentResult]:
    """`analyse_document` for each of `sources`, in order."""
    return [analyse_document(source, config) for source in sources]


def run_local(
    sources: Sequence[Source], config: StageConfig, jobs: int = 1
) -> Iterator[DocumentResult]:
    """Results in the order of `sources`; with `jobs` > 1, from a pool of worker processes with
    a bounded number of documents in flight, so memory does not grow with the corpus."""
    jobs = min(jobs, len(sources))
    if not sources:
        return
    pipeline_for(config)  # built once here; forked workers inherit it
    # The pipeline and reference data live as long as the process: frozen, the collector stops
    # walking them on every collection, and forked workers keep sharing their pages instead of
    # copying each page the collector touches.
    gc.freeze()
    # A document's analysis makes a few hundred thousand short-lived objects and almost no
    # cycles: with the default threshold the collector runs every 700 allocations and costs
    # ~15 % of the stage for nothing. Forked workers inherit the setting.
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        if jobs <= 1:
            for source in sources:
                yield analyse_document(source, config)
            return
        in_flight: deque[Future[list[DocumentResult]]] = deque()
        with ProcessPoolExecutor(max_workers=jobs, mp_context=pool_context()) as pool:
            for start in range(0, len(sources), _BATCH):
                batch = sources[start : start + _BATCH]
                in_flight.append(pool.submit(analyse_batch, batch, config))
                if len(in_flight) >= _BATCHES_IN_FLIGHT * jobs:
                    yield from in_flight.popleft().result()
            while in_flight:
                yield from in_flight.popleft().result()
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def run_dask(
    sources: Iterable[Source], config: StageConfig, scheduler: str, batch: int = 256
) -> Iterator[DocumentResult]:
    """Results in the order of `sources`, computed on the Dask cluster at `scheduler`
    (needs the `distributed` package: `pip install 'kg[dask]'`)."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise KgError(
            "--executor dask needs the distributed package: pip install 'kg[dask]'"
        ) from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        raise KgError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        pending: list[Source] = []
        for source in sources:
            pending.append(source)
            if len(pending) >= batch:
                yield from _dask_batch(client, pending, config)
                pending = []
        if pending:
            yield from _dask_batch(client, pending, config)
    finally:
        client.close()


def _dask_batch(client: Any, sources: list[Source], config: StageConfig) -> list[DocumentResult]:
    futures = client.map(analyse_document, sources, config=config, pure=False)
    return client.gather(futures)


def run_stage(
    sources: Sequence[Source],
    config: StageConfig,
    *,
    jobs: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[DocumentResult], None] | None = None,
) -> Iterator[DocumentResult]:
    """Run the per-document stage on `sources` where the options say, in document order."""
    if executor == "dask":
        if not scheduler:
            raise KgError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
        results = run_dask(sources, config, scheduler)
    elif executor == "local":
        results = run_local(sources, config, jobs)
    else:
        raise KgError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
    for result in results:
        if progress:
            progress(result)
        yield result
