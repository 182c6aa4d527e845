"""Command-line options that several commands share, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def store_option(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--store DIR`: read the graph from a store folder that `kg build --store` made, opened
    without parsing anything, instead of a graph file. `action` starts the help text."""
    return click.option(
        "--store",
        "store",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"{action} the graph in this store folder (made by `kg build --store`) instead of "
        "a graph file.",
    )
