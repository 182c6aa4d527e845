"""Build a graph from a corpus folder: ingest, analyse every document, write RDF atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.errors import KgError
from kg.gazetteers import default_gazetteers
from kg.ingest import MAX_BYTES, IngestReport, read_corpus
from kg.namespaces import DEFAULT_BASE
from kg.pipeline import analyse, make_nlp
from kg.rdf import GraphBuilder, to_turtle


@dataclass
class BuildResult:
    graph: Graph
    report: IngestReport
    documents: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [str(p) for p in self.report.problems] + self.failures


def build_graph(
    corpus: str | Path,
    *,
    base: str = DEFAULT_BASE,
    data_dir: str | None = None,
    progress: Callable[[str], None] | None = None,
    max_bytes: int = MAX_BYTES,
) -> BuildResult:
    """Analyse every readable document of `corpus` into one graph. A document the pipeline
    cannot handle is reported and skipped; the others still make it into the graph."""
    report = read_corpus(corpus, max_bytes=max_bytes)
    nlp = make_nlp(data_dir)
    builder = GraphBuilder(default_gazetteers(data_dir), base)
    result = BuildResult(builder.graph, report)
    for source in report.sources:
        if progress:
            progress(source.path)
        try:
            builder.add(analyse(nlp, source))
        except KgError as exc:
            result.failures.append(f"{source.path}: {exc}")
            continue
        except Exception as exc:  # one document's surprise must not lose the others' work
            result.failures.append(
                f"{source.path}: could not be analysed ({type(exc).__name__}: {exc}); "
                "please report this file"
            )
            continue
        result.documents += 1
    return result


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers see old or new, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.part"):
        stale.unlink(missing_ok=True)  # left by a write that was killed
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def serialize(graph: Graph) -> bytes:
    return to_turtle(graph)
