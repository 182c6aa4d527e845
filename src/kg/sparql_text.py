"""Just enough SPARQL lexing to look at a query's keywords without parsing it: strings, IRIs
and comments are set aside first, so `?service`, "delete" in a literal or "removed" in a
comment are not taken for keywords (SPARQLWrapper's own guess reads `# …removed…` as MOVE)."""

from __future__ import annotations

import re

_OPAQUE = re.compile(
    r"'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*",
    re.S,
)


def _keyword(*words: str) -> re.Pattern[str]:
    """A SPARQL keyword, not part of a name, a variable or a prefixed name."""
    return re.compile(rf"(?<![\w:?$])(?:{'|'.join(words)})(?![\w:])", re.I)


UPDATE = _keyword("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")
SERVICE = _keyword("SERVICE")


def bare(text: str) -> str:
    """The query with every string, IRI and comment blanked out."""
    return _OPAQUE.sub(" ", text)


def without_comments(text: str) -> str:
    """The query with its comments removed and everything else as it was."""
    return _OPAQUE.sub(lambda m: "" if m.group().startswith("#") else m.group(), text)


def is_update(text: str) -> bool:
    """True if the text uses a SPARQL Update keyword (none of them occurs in a query)."""
    return UPDATE.search(bare(text)) is not None


def uses_service(text: str) -> bool:
    return SERVICE.search(bare(text)) is not None
