"""`kg viz`: draw a view of a graph (who oversees which province, which sources tasked which
agencies, which documents cite which) as an interactive HTML page, SVG/PNG, GraphML or GEXF.

This module only parses options; it imports the drawing code when a command runs, so that
`kg --help` stays fast. Exit codes as everywhere in kg: 0 written, 2 error."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg.cli_options import store_option

EXIT_ERROR = 2
_FORMATS = ".html, .svg, .png, .graphml or .gexf"


def _options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The arguments every view takes."""
    for decorator in reversed(
        [
            click.argument(
                "graph", required=False, type=click.Path(dir_okay=False, path_type=Path)
            ),
            store_option("Draw"),
            click.option(
                "-o",
                "--output",
                required=True,
                type=click.Path(dir_okay=False, path_type=Path),
                help=f"File to write; its extension picks the format: {_FORMATS}.",
            ),
            click.option(
                "--on",
                "on",
                type=click.DateTime(formats=["%Y-%m-%d"]),
                default=None,
                metavar="YYYY-MM-DD",
                help="As of this date: use only sources dated on or before it (see the view's "
                "help for what it applies to). Undated sources are then left out.",
            ),
            click.option(
                "--source",
                default=None,
                metavar="FILE",
                help="Only what this source document states (its path in the corpus, or a "
                "path ending with it).",
            ),
            click.option("-q", "--quiet", is_flag=True, help="Print only problems."),
        ]
    ):
        command = decorator(command)
    return command


def _run(
    view: str,
    graph: Path | None,
    store: Path | None,
    output: Path,
    on: dt.datetime | None,
    source: str | None,
    quiet: bool,
) -> None:
    from kg.errors import KgError
    from kg.store import pick_graph
    from kg.viz import check_format, to_networkx, write

    try:
        graph = pick_graph(graph, store)
        check_format(output)  # before reading the graph: a typo costs nothing
        g = to_networkx(graph, view=view, on=on.date() if on else None, source=source)
        write(g, output)
    except KgError as exc:
        click.echo(f"kg: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except OSError as exc:
        click.echo(f"kg: error: cannot write {output}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_ERROR)
    if not quiet:
        click.echo(
            f"wrote {output}: {view} view, {g.number_of_nodes()} nodes, "
            f"{g.number_of_edges()} edges",
            err=True,
        )


@click.group("viz")
def viz() -> None:
    """Draw a view of GRAPH for people: an interactive HTML page (one file, works offline), a
    static SVG/PNG, or GraphML/GEXF for Gephi and yEd. Every line drawn carries the documents,
    dates and sentences that state it.

    \b
    Examples:
      kg viz oversight graph.ttl -o oversight.html
      kg viz oversight graph.ttl -o oversight.png --on 2021-08-01
      kg viz agencies graph.ttl -o agencies.graphml --source 2021-07-20_thong-bao.txt
    """


@viz.command("oversight")
@_options
def oversight(**options: Any) -> None:
    """Leaders and provinces: who was assigned to direct or inspect a province (solid red) and
    who leads one through a post in its Party committee or People's Committee (dashed blue).
    Leaders show their posts, provinces their region and latest epidemic status.

    --on DATE takes posts, provincial leadership and status from sources dated on or before
    DATE only; assignments are shown whatever their date, each with its dates.
    """
    _run("oversight", **options)


@viz.command("agencies")
@_options
def agencies(**options: Any) -> None:
    """Source documents and the agencies (or provinces' authorities) they tasked, with the
    tasks and sentences. --on DATE keeps sources dated on or before DATE."""
    _run("agencies", **options)


@viz.command("documents")
@_options
def documents(**options: Any) -> None:
    """Official documents, the sources that cite them, and who issued and signed them.
    --on DATE keeps sources dated on or before DATE."""
    _run("documents", **options)
