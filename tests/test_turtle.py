"""The segmented Turtle: patching the previous file gives the bytes of writing it whole, for
any change to any documents."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.turtle import (
    Change,
    PreviousTurtle,
    SpliceError,
    TurtleRecord,
    TurtleSegments,
    splice,
)

PREFIXES = {"ex": "http://example.org/"}
# A small vocabulary, so that documents often state the same triples.
LINES = [
    f"<http://example.org/s{s}> <http://example.org/p{p}> <http://example.org/o{o}> .\n".encode()
    for s in range(3)
    for p in range(2)
    for o in range(3)
]

documents = st.lists(st.sampled_from(LINES), max_size=8).map(
    lambda lines: list(dict.fromkeys(lines))
)


def whole(corpus: dict[str, list[bytes]]) -> tuple[bytes, TurtleRecord]:
    segments = TurtleSegments(PREFIXES)
    for path, lines in corpus.items():
        segments.add(path, b"".join(lines))
    handle = io.BytesIO()
    record = segments.write(handle)
    return handle.getvalue(), record


def holders_in(corpus: dict[str, list[bytes]]):  # type: ignore[no-untyped-def]
    def holders(triple: ox.Triple) -> list[str]:
        line = f"{triple} .\n".encode()
        return [path for path, lines in corpus.items() if line in lines]

    return holders


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(documents, min_size=1, max_size=6),
    edits=st.lists(
        st.tuples(st.integers(0, 7), st.sampled_from(["edit", "remove", "add"]), documents),
        max_size=3,
    ),
)
def test_splice_equals_writing_the_whole_file(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[list[bytes]],
    edits: list[tuple[int, str, list[bytes]]],
) -> None:
    old = {f"d{i:02d}": lines for i, lines in enumerate(before)}
    new = dict(old)
    new_lines: dict[str, list[bytes]] = {}
    old_lines: dict[str, list[bytes]] = {}
    for index, kind, lines in edits:
        paths = sorted(new)
        if kind == "add" or not paths:
            path = f"d{index:02d}a"
            if path in new:
                continue
        else:
            path = paths[index % len(paths)]
            if path in old and path not in old_lines:
                old_lines[path] = old[path]
        if kind == "remove" and paths:
            del new[path]
            new_lines.pop(path, None)
        else:
            new[path] = new_lines[path] = lines
    new = dict(sorted(new.items()))
    previous = tmp_path_factory.mktemp("splice") / "graph.ttl"
    data, record = whole(old)
    previous.write_bytes(data)

    change = Change(
        list(new),
        old_lines,
        new_lines,
        kept_lines=lambda path: old[path],
        holders=holders_in(new),
    )
    handle = io.BytesIO()
    patched = splice(PreviousTurtle.read(previous, record, PREFIXES), change, PREFIXES, handle)
    expected, expected_record = whole(new)
    assert handle.getvalue() == expected
    assert patched == expected_record


def patched_equals_whole(
    tmp_path: Path, old: dict[str, list[bytes]], new: dict[str, list[bytes]], changed: set[str]
) -> None:
    """Patch the file written for `old` into that for `new`, where the documents in
    `changed` (and those only in one of them) changed."""
    previous = tmp_path / "graph.ttl"
    data, record = whole(old)
    previous.write_bytes(data)
    gone = {p: old[p] for p in old if p in changed or p not in new}
    made = {p: new[p] for p in new if p in changed or p not in old}
    change = Change(list(new), gone, made, old.__getitem__, holders_in(new))
    handle = io.BytesIO()
    splice(PreviousTurtle.read(previous, record, PREFIXES), change, PREFIXES, handle)
    assert handle.getvalue() == whole(new)[0]


A, B, C = LINES[0], LINES[1], LINES[2]


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        # a document added before a changed one now states what the changed one stated first
        ({"d1": [A]}, {"d0": [A], "d1": [A, B]}, {"d1"}),
        # a removed document stated first what the changed one states too
        ({"d0": [A], "d1": [A]}, {"d1": [A, B]}, {"d1"}),
        # an unchanged document becomes the first to state a line
        ({"d0": [A, C], "d1": [A], "d2": [C]}, {"d0": [B], "d1": [A], "d2": [C]}, {"d0"}),
        # and stops being the first
        ({"d0": [B], "d1": [A]}, {"d0": [A, B], "d1": [A]}, {"d0"}),
        # an added document comes before the unchanged one that was first, a changed one after
        ({"d1": [A], "d2": [A]}, {"d0": [A], "d1": [A], "d2": [A, B]}, {"d2"}),
    ],
    ids=[
        "added-before",
        "removed-before",
        "unchanged-becomes-first",
        "unchanged-stops",
        "added-before-unchanged",
    ],
)
def test_patching_where_the_first_stater_of_a_line_moves(
    tmp_path: Path,
    old: dict[str, list[bytes]],
    new: dict[str, list[bytes]],
    changed: set[str],
) -> None:
    patched_equals_whole(tmp_path, old, new, changed)


def test_a_changed_file_is_not_patched(tmp_path: Path) -> None:
    corpus = {"a": LINES[:3], "b": LINES[2:5]}
    data, record = whole(corpus)
    previous = tmp_path / "graph.ttl"
    previous.write_bytes(data + b"# edited\n")
    with pytest.raises(SpliceError, match="changed since it was written"):
        PreviousTurtle.read(previous, record, PREFIXES)


def test_segments_leave_out_what_earlier_documents_stated() -> None:
    corpus = {"a": LINES[:2], "b": LINES[1:3]}
    segments = TurtleSegments(PREFIXES)
    for path, lines in corpus.items():
        segments.add(path, b"".join(lines))
    assert segments.triples == 3
    graph = ox.Store()
    graph.load(input=b"".join(segments.turtle()), format=ox.RdfFormat.TURTLE)
    assert len(graph) == 3
    assert segments.segments[1][1].count(b"\n") == 1  # only the line "a" did not state


def test_ntriples_lines_drops_blank_and_repeated_lines() -> None:
    from kg.turtle import ntriples_lines

    assert ntriples_lines(b"") == []
    text = b"<a> <b> <c> .\n\n<a> <b> <c> .\n   \n<a> <b> <d> ."
    assert ntriples_lines(text) == [b"<a> <b> <c> .\n", b"<a> <b> <d> .\n"]


SCOPED = (b"<http://example.org/doc/",)


def scoped_corpus(shared: list[list[bytes]]) -> dict[str, list[bytes]]:
    """Documents stating shared lines and lines about their own nodes, interleaved."""
    corpus = {}
    for i, lines in enumerate(shared):
        own = [
            f'<http://example.org/doc/{i}/n{k}> <http://example.org/p0> "{k}" .\n'.encode()
            for k in range(len(lines) + 1)
        ]
        mixed = [line for pair in zip(own, [*lines, b""], strict=True) for line in pair if line]
        corpus[f"d{i}"] = mixed
    return corpus


@settings(max_examples=100, deadline=None)
@given(shared=st.lists(documents, min_size=1, max_size=6))
def test_lines_only_one_document_states_are_not_remembered(shared: list[list[bytes]]) -> None:
    corpus = scoped_corpus(shared)
    remembering, forgetting = TurtleSegments(PREFIXES), TurtleSegments(PREFIXES, SCOPED)
    for path, lines in corpus.items():
        remembering.add(path, b"".join(lines))
        forgetting.add(path, b"".join(lines))
    assert forgetting.segments == remembering.segments
    assert forgetting.triples == remembering.triples
    assert not any(line.startswith(SCOPED) for line in forgetting._seen)


def test_document_scoped_nodes_are_stated_by_one_document_only() -> None:
    """What `TurtleSegments` relies on: kg mints the nodes of `DOCUMENT_SCOPED` kinds per
    document, so no line about one of them comes from two documents."""
    from kg.ingest import read_corpus
    from kg.namespaces import DEFAULT_BASE, DOCUMENT_SCOPED, document_scoped_lines
    from kg.parallel import StageConfig, analyse_document
    from kg.turtle import ntriples_lines

    folders = [Path(__file__).parents[1] / "examples" / "corpus"]
    shared = Path(__file__).parents[2] / "shared" / "corpus"
    folders += [shared / name for name in ("seeds", "news") if (shared / name).is_dir()]
    for base in (DEFAULT_BASE, "urn:example:kg#"):
        scoped = document_scoped_lines(base)
        config = StageConfig(base=base)
        stated_by: dict[bytes, str] = {}
        kinds = set()
        for folder in folders:
            for source in read_corpus(folder).sources:
                result = analyse_document(source, config)
                assert result.failure is None
                for line in ntriples_lines(result.ntriples):
                    for kind, start in zip(DOCUMENT_SCOPED, scoped, strict=True):
                        if line.startswith(start):
                            kinds.add(kind)
                            path = f"{folder.name}/{source.path}"
                            assert stated_by.setdefault(line, path) == path, line
        assert kinds == set(DOCUMENT_SCOPED)  # every kind is minted as the prefixes say
