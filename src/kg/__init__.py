"""kg: a knowledge graph of Vietnamese government documents on the COVID-19 response.

The Python API mirrors the command line:

>>> from kg import build_graph, query
>>> result = build_graph("examples/corpus")            # doctest: +SKIP
>>> query(result.graph, "oversight")                    # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.build import BuildResult

__version__ = "0.1.0"


def build_graph(corpus: str | Path, **options: Any) -> BuildResult:
    """Analyse a corpus folder into an rdflib Graph (see `kg.build.build_graph`)."""
    from kg.build import build_graph as _build

    return _build(corpus, **options)


def query(graph: Any, name: str, /, **params: str) -> list[dict[str, str]]:
    """Rows of a canned query (or .rq file) over a graph file, an rdflib Graph, a
    pyoxigraph Store or a SPARQL endpoint URL (http:// or https://; credentials from
    KG_SPARQL_USER / KG_SPARQL_PASSWORD / KG_SPARQL_TOKEN), as dicts of plain strings
    (see `kg.sparql.query`)."""
    from kg.sparql import query as _query

    return _query(graph, name, **params)


def to_networkx(graph: Any, view: str = "oversight", on: Any = None, source: Any = None) -> Any:
    """A view ("oversight", "agencies" or "documents") of a graph file, an rdflib Graph or a
    pyoxigraph Store as a networkx MultiDiGraph whose nodes and edges carry the documents,
    dates and evidence sentences behind them (see `kg.viz.to_networkx`)."""
    from kg.viz import to_networkx as _to_networkx

    return _to_networkx(graph, view=view, on=on, source=source)


__all__ = ["__version__", "build_graph", "query", "to_networkx"]
