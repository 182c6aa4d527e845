"""Worker processes: how many, how they are started, and one started ahead of its work.

This module imports nothing heavy, so that `kg build` can start a worker before it imports
rdflib, pyoxigraph or spaCy itself: the worker's imports then overlap the parent's.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.ingest import Source
    from kg.parallel import DocumentResult, StageConfig


def default_jobs() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def pool_context() -> Any:
    """Fork where the platform can (workers share the parent's memory), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def worth_prestarting(store: str | os.PathLike[str] | None, jobs: int, executor: str) -> bool:
    """Whether a build should start a worker before it reads the corpus: a rebuild of a
    store with more than one job, which likely analyses a few documents."""
    from kg.store import is_store

    return store is not None and jobs > 1 and executor == "local" and is_store(store)


class Prestarted:
    """One worker process started before the caller knows what it will analyse: it imports
    spaCy and builds the pipeline for `data_dir` and `base` (~0.7 s) while the caller reads
    the corpus and works out which documents changed. For a rebuild that analyses a few
    documents that start-up is then hidden; with nothing for it to do, it is killed."""

    def __init__(self, data_dir: str | None = None, base: str | None = None) -> None:
        context = pool_context()
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, data_dir, base), daemon=True)
        self._process.start()
        child.close()
        self._job: tuple[list[Source], StageConfig] | None = None

    def submit(self, sources: Sequence[Source], config: StageConfig) -> None:
        """Give the worker its documents; `results` waits for them. A `config` other than
        the one it started with only costs it building that pipeline too."""
        self._job = (list(sources), config)
        try:
            self._connection.send(self._job)
        except OSError:
            pass  # it died: `results` analyses them here

    def results(self) -> list[DocumentResult]:
        """`analyse_document` for each submitted document (in this process if the worker
        died)."""
        from kg.parallel import analyse_batch

        assert self._job is not None, "submit first"
        try:
            results: list[DocumentResult] = self._connection.recv()
        except (EOFError, OSError):
            results = analyse_batch(*self._job)
        self.close()
        return results

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._connection.close()


def _serve(connection: Any, data_dir: str | None, base: str | None) -> None:
    gc.disable()  # everything imported and built now stays alive: nothing to collect
    from kg.namespaces import DEFAULT_BASE
    from kg.parallel import GC_THRESHOLD, StageConfig, analyse_batch, pipeline_for

    pipeline_for(StageConfig(data_dir=data_dir, base=base or DEFAULT_BASE))
    gc.freeze()  # as in kg.parallel.run_local: the pipeline lives as long as the process
    gc.set_threshold(GC_THRESHOLD)
    gc.enable()
    try:
        sources, config = connection.recv()
    except EOFError:
        return
    connection.send(analyse_batch(sources, config))
