"""What the pipeline learns about one document: entity mentions and facts, with the spans of
the analysed text that state them. The spaCy components fill `doc._.kg`; `kg.rdf` reads it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Doc

from kg.ingest import ManifestEntry, Source
from kg.matching import Word, key_positions, words_of
from kg.text import CleanText

ENTITY_KINDS = ("person", "organization", "province", "document", "principle", "post")


@dataclass
class Entity:
    """A real-world thing the document talks about; `key` is its identity across documents."""

    kind: str
    key: str
    label: str
    attrs: dict[str, object] = field(default_factory=dict)


@dataclass
class Mention:
    """A stretch of text that names an entity."""

    kind: str
    start: int
    end: int
    key: str
    surface: str
    rule: str
    confidence: float = 1.0
    in_post: bool = False  # an organisation named only as part of a post ("Bộ trưởng Bộ Y tế")


@dataclass
class Fact:
    """A relation the text states. `args` maps role names to entity keys or literal values."""

    kind: str
    args: dict[str, str]
    span: tuple[int, int]
    rule: str
    confidence: float = 1.0
    also: tuple[tuple[int, int], ...] = ()  # further spans that state part of the fact


@dataclass
class _WordCache:
    """The words of one text and, once asked for, where each key occurs."""

    text: str
    words: list[Word]
    positions: dict[str, list[int]] | None = None


@dataclass
class DocAnalysis:
    """Everything extracted from one document, in analysed-text offsets."""

    source: Source
    clean: CleanText
    ref_date: date | None
    sentences: list[tuple[int, int]] = field(default_factory=list)
    entities: dict[str, Entity] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    dates: list[tuple[int, int, date, bool]] = field(
        default_factory=list
    )  # start, end, value, explicit year
    # Per-document scratch, computed on first use: every component reads the same words, so
    # they are found once, not once per component.
    _words: _WordCache | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The analysed text (the text of the Doc), without re-joining spaCy's tokens."""
        return self.clean.text

    def words(self) -> list[Word]:
        """`words_of` the analysed text, shared by the components: do not modify it."""
        return self._word_cache().words

    def word_positions(self) -> dict[str, list[int]]:
        """`key_positions` of `words()`, shared by the components: do not modify it."""
        cache = self._word_cache()
        if cache.positions is None:
            cache.positions = key_positions(cache.words)
        return cache.positions

    def positions_for(self, words: list[Word]) -> dict[str, list[int]] | None:
        """`word_positions()` when `words` is `words()`, else None: for rules that may be
        handed other words."""
        return self.word_positions() if words is self.words() else None

    def _word_cache(self) -> _WordCache:
        text = self.clean.text
        cache = self._words
        if cache is None or cache.text is not text:
            cache = self._words = _WordCache(text, words_of(text))
        return cache

    def add_entity(self, kind: str, key: str, label: str, **attrs: object) -> Entity:
        entity = self.entities.get(key)
        if entity is None:
            entity = self.entities[key] = Entity(kind, key, label, dict(attrs))
        else:
            for name, value in attrs.items():
                if entity.attrs.get(name) is None:
                    entity.attrs[name] = value  # a later mention may know what an earlier did not
        return entity

    def add_mention(self, mention: Mention) -> None:
        self.mentions.append(mention)

    def add_fact(self, fact: Fact) -> None:
        self.facts.append(fact)

    def mentions_of(self, kind: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind == kind]

    def sentence_of(self, offset: int) -> tuple[int, int]:
        """The sentence holding `offset` (the whole text when sentences are not set)."""
        for start, end in self.sentences:
            if start <= offset < end:
                return start, end
        return 0, len(self.clean.text)


def get_analysis(doc: Doc) -> DocAnalysis:
    """The analysis a component adds to. A Doc made by plain `nlp(text)` gets one over its own
    text, with no date; `kg.pipeline.make_doc` gives one with the source's metadata."""
    analysis = doc._.kg
    if analysis is None:
        text = doc.text
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        source = Source("<text>", text, digest, ManifestEntry("<text>"))
        identity = CleanText(text, text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))
        analysis = doc._.kg = DocAnalysis(source=source, clean=identity, ref_date=None)
    return analysis


if not Doc.has_extension("kg"):
    Doc.set_extension("kg", default=None)
