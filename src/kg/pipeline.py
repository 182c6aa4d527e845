"""The spaCy pipeline: a blank Vietnamese language with a punctuation-aware tokenizer (no pyvi
needed) and kg's registered components, in dependency order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import spacy
from spacy.lang.punctuation import TOKENIZER_INFIXES, TOKENIZER_PREFIXES, TOKENIZER_SUFFIXES
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from kg.annotations import DocAnalysis

# Importing the modules registers their factories even when kg is not installed.
from kg.components import (  # noqa: F401
    dates,
    documents,
    gazetteer,
    people,
    principles,
    relations,
    sentences,
)
from kg.ingest import MAX_BYTES, Source
from kg.text import clean

COMPONENTS = (
    "kg_sentences",
    "kg_dates",
    "kg_gazetteer",
    "kg_people",
    "kg_documents",
    "kg_principles",
    "kg_relations",
)
_WITH_DATA = {"kg_gazetteer", "kg_people", "kg_documents", "kg_principles", "kg_relations"}


@spacy.registry.tokenizers("kg.vi_tokenizer.v1")
def create_vi_tokenizer():
    """Syllables separated by white space, with punctuation split off (spaCy's default rules):
    "(07-KL/TW)," gives "(", "07-KL/TW", ")", ","."""

    def make(nlp: Language) -> Tokenizer:
        return Tokenizer(
            nlp.vocab,
            prefix_search=compile_prefix_regex(TOKENIZER_PREFIXES).search,
            suffix_search=compile_suffix_regex(TOKENIZER_SUFFIXES).search,
            infix_finditer=compile_infix_regex(TOKENIZER_INFIXES).finditer,
        )

    return make


def make_nlp(data_dir: str | None = None) -> Language:
    """A fresh pipeline; `data_dir` points at another reference-data folder (tests, users)."""
    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "kg.vi_tokenizer.v1"}}})
    # kg's components are rules linear in the text, not models with spaCy's memory needs;
    # ingest bounds document size (kg.ingest.MAX_BYTES) instead.
    nlp.max_length = MAX_BYTES + 1
    for name in COMPONENTS:
        config = {"data_dir": data_dir} if name in _WITH_DATA else {}
        nlp.add_pipe(name, config=config)
    return nlp


def make_doc(nlp: Language, source: Source) -> Doc:
    """A Doc over the cleaned text of `source`, carrying the analysis the components fill."""
    cleaned = clean(source.text, list(source.blank))
    doc = nlp.make_doc(cleaned.text)
    doc._.kg = DocAnalysis(source=source, clean=cleaned, ref_date=source.meta.date)
    return doc


def analyse(nlp: Language, source: Source) -> DocAnalysis:
    doc = make_doc(nlp, source)
    for _, component in nlp.pipeline:
        doc = component(doc)
    return doc._.kg


def analyse_all(nlp: Language, sources: Iterable[Source]) -> Iterator[DocAnalysis]:
    for source in sources:
        yield analyse(nlp, source)
