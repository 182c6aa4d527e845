"""spaCy components of kg's pipeline, one per extraction stage. Each is registered with
`@Language.factory("kg_…")` and exposed as a `spacy_factories` entry point, so
`nlp.add_pipe("kg_people")` works by name once kg is installed."""
