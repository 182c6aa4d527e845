"""Every error kg raises on purpose, so callers can catch one family and the CLI can map it
to an exit code and a one-line message that names the file and the problem."""

from __future__ import annotations

from pathlib import Path


class KgError(Exception):
    """Base class for all of kg's own errors."""

    exit_code = 2


class DataFileError(KgError):
    """A data file (reference data, patterns, queries, shapes) is missing or malformed."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ReferenceDataError(DataFileError):
    """A reference-data file (provinces, organisations, people, principles) is malformed."""


class InputError(DataFileError):
    """A document of the corpus cannot be read (binary, wrong encoding, unreadable)."""


class ManifestError(DataFileError):
    """A row of manifest.csv is malformed."""


class OptionError(KgError):
    """An option or argument has a value kg cannot work with."""


class QueryError(KgError):
    """A canned or ad-hoc query cannot be found, parsed or run."""


class GraphError(KgError):
    """A graph file cannot be read or parsed."""
