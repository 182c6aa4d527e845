"""Persistent stores, incremental and parallel builds: whatever the route, the same corpus gives
the same bytes, and a store is never left half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.build import build_graph, document_fingerprint
from kg.cli import main
from kg.errors import KgError
from kg.ingest import read_corpus
from kg.sparql import canned_names, open_graph, query
from kg.store import STATE_FILE, StoreError, open_store, read_state, triple_count
from kg.turtle import TurtleSegments

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "corpus"


def invoke(*args: object) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def turtle_of(corpus: Path, out: Path, **options: object) -> bytes:
    result = build_graph(corpus, **options)
    result.write_turtle(out)
    return out.read_bytes()


def clean_store_turtle(corpus: Path, folder: Path) -> bytes:
    """The Turtle of a build from scratch into a new store, which is also that of a build
    without a store."""
    folder.mkdir()
    data = turtle_of(corpus, folder / "clean.ttl", store=folder / "store")
    assert data == turtle_of(corpus, folder / "plain.ttl")
    return data


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, folder)
    return folder


def _documents(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".txt", ".md"))


def _change(corpus: Path) -> None:
    """Edit one document, remove another, add a third."""
    docs = _documents(corpus)
    first = docs[0].read_text(encoding="utf-8")
    docs[0].write_text(first.replace("Bắc Giang", "Lạng Sơn"), encoding="utf-8")
    removed = docs[-1]
    removed.unlink()
    manifest = corpus / "manifest.csv"
    if manifest.exists():
        lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
        manifest.write_text(
            "".join(line for line in lines if removed.name not in line), encoding="utf-8"
        )
    (corpus / "added.txt").write_text(
        "Phó Thủ tướng Vũ Đức Đam chỉ đạo công tác phòng, chống dịch tại tỉnh Hải Dương.\n",
        encoding="utf-8",
    )


def test_parallel_build_writes_the_same_bytes_as_one_process(corpus: Path, tmp_path: Path) -> None:
    single = turtle_of(corpus, tmp_path / "one.ttl", jobs=1)
    parallel = turtle_of(corpus, tmp_path / "two.ttl", jobs=2)
    assert single == parallel
    assert b"kgo:Oversight" in single


def test_store_build_equals_file_build_and_answers_every_canned_query(
    corpus: Path, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    result = invoke("build", corpus, "--store", store_dir, "-o", tmp_path / "g.ttl", "-q")
    assert result.exit_code == 0, result.output
    plain = turtle_of(corpus, tmp_path / "plain.ttl")
    stored = (tmp_path / "g.ttl").read_bytes()
    assert stored == plain
    from_file, from_store = open_graph(tmp_path / "g.ttl"), open_store(store_dir)
    for name in canned_names():
        assert query(from_store, name) == query(from_file, name), name
    assert read_state(store_dir).documents.keys() == {p.name for p in _documents(EXAMPLES)}


def test_commands_read_a_store_without_a_turtle_file(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_dir = tmp_path / "store"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert invoke("build", corpus, "--store", store_dir, "-q").exit_code == 0
    assert list(cwd.iterdir()) == []  # with --store and no -o, no Turtle file
    assert STATE_FILE in {p.name for p in store_dir.iterdir()}
    rows = invoke("query", "oversight", "--store", store_dir, "--format", "csv")
    assert rows.exit_code == 0 and "VN-" in rows.output
    assert invoke("validate", "--store", store_dir).exit_code == 0
    out = tmp_path / "x.nq"
    assert invoke("export", "--store", store_dir, "-o", out).exit_code == 0
    assert out.stat().st_size > 0
    view = tmp_path / "v.graphml"
    assert invoke("viz", "oversight", "--store", store_dir, "-o", view).exit_code == 0
    assert "<graphml" in view.read_text(encoding="utf-8")


def test_incremental_build_analyses_only_what_changed_and_equals_a_clean_build(
    corpus: Path, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    first = build_graph(corpus, store=store_dir)
    assert first.analysed == first.documents == len(_documents(corpus))
    _change(corpus)
    again = build_graph(corpus, store=store_dir)
    assert again.analysed == 2  # the edited and the added document
    assert again.removed == 1
    again.write_turtle(tmp_path / "incremental.ttl")
    clean = clean_store_turtle(corpus, tmp_path / "clean")
    assert (tmp_path / "incremental.ttl").read_bytes() == clean
    assert b"VN-61" in clean  # Hải Dương, from the added document
    unchanged = build_graph(corpus, store=store_dir)
    assert unchanged.analysed == 0 and unchanged.triples == again.triples


def test_incremental_build_keeps_a_triple_another_document_still_states(
    corpus: Path, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    (corpus / "twin.txt").write_text(
        _documents(corpus)[0].read_text(encoding="utf-8"), encoding="utf-8"
    )
    build_graph(corpus, store=store_dir)
    (corpus / "twin.txt").unlink()
    again = build_graph(corpus, store=store_dir)
    again.write_turtle(tmp_path / "a.ttl")
    assert (tmp_path / "a.ttl").read_bytes() == clean_store_turtle(corpus, tmp_path / "b")


def test_changed_configuration_rebuilds_the_whole_store(corpus: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    build_graph(corpus, store=store_dir)
    other = build_graph(corpus, store=store_dir, base="https://example.org/kg/")
    assert other.analysed == other.documents
    assert query(open_store(store_dir), "oversight")
    subjects = {str(q.subject) for q in open_store(store_dir).quads_for_pattern(None, None, None)}
    assert not any(s.startswith("https://w3id.org/kgvn/id/") for s in subjects)


def test_turtle_after_a_configuration_change_is_the_new_configurations(
    corpus: Path, tmp_path: Path
) -> None:
    """Regression: a store rebuilt whole because the configuration changed kept each
    document's triples from before (same document, same file name), and wrote its Turtle from
    them."""
    store_dir = tmp_path / "store"
    turtle_of(corpus, tmp_path / "old.ttl", store=store_dir)
    base = "https://example.org/kg/"
    rebuilt = turtle_of(corpus, tmp_path / "new.ttl", store=store_dir, base=base)
    assert b"<https://example.org/kg/source/" in rebuilt
    assert rebuilt == turtle_of(corpus, tmp_path / "plain.ttl", base=base)
    # and back: the first configuration's triples are made again, not found stale
    again = turtle_of(corpus, tmp_path / "again.ttl", store=store_dir)
    assert again == (tmp_path / "old.ttl").read_bytes()


def _no_full_turtle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make writing a store's whole Turtle fail: what follows must patch the file."""

    def refuse(*args: object) -> None:
        raise AssertionError("the whole Turtle was written instead of patching it")

    monkeypatch.setattr(TurtleSegments, "add", refuse)


def _add_sentence(path: Path, sentence: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + sentence + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "edit",
    ["first", "middle", "last", "remove-first", "remove-middle", "add", "two", "blank-first"],
)
@pytest.mark.parametrize("given_file", [False, True], ids=["patched-on-write", "patched-in-build"])
def test_rebuild_patches_the_turtle_it_wrote_into_the_bytes_of_a_clean_build(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str, given_file: bool
) -> None:
    """Only the changed documents' segments, and those of documents that now are (or no
    longer are) the first to state one of their triples, are made again; the bytes are those
    of a clean build, whichever document changed and however."""
    store_dir, out = tmp_path / "store", tmp_path / "graph.ttl"
    build_graph(corpus, store=store_dir).write_turtle(out)
    docs = _documents(corpus)
    sentence = "Phó Thủ tướng Vũ Đức Đam chỉ đạo công tác phòng, chống dịch tại tỉnh Hải Dương."
    if edit in ("first", "middle", "last"):
        _add_sentence(docs[{"first": 0, "middle": 1, "last": -1}[edit]], sentence)
    elif edit.startswith("remove"):
        docs[0 if edit == "remove-first" else 1].unlink()  # its triples' first stater changes
    elif edit == "add":
        (corpus / "2021-08-01_them.txt").write_text(sentence + "\n", encoding="utf-8")
    elif edit == "two":
        _add_sentence(docs[0], sentence)
        _add_sentence(docs[2], "Bộ Y tế chủ trì, phối hợp với tỉnh Bắc Giang.")
    else:  # the first document loses what it shared with the others
        docs[0].write_text("Văn bản không có nội dung.\n", encoding="utf-8")
    with monkeypatch.context() as patched:
        _no_full_turtle(patched)
        again = build_graph(corpus, store=store_dir, turtle=out if given_file else True, jobs=2)
        assert (again._patched is not None) is given_file
        assert again.write_turtle(out) is True
    assert out.read_bytes() == turtle_of(corpus, tmp_path / "plain.ttl")
    assert again.triples == build_graph(corpus).triples == triple_count(open_store(store_dir))
    # and the database holds what a clean build's does, document by document
    build_graph(corpus, store=tmp_path / "clean")
    assert _quads(open_store(store_dir)) == _quads(open_store(tmp_path / "clean"))


def _quads(store: ox.Store) -> set[str]:
    return {str(quad) for quad in store.quads_for_pattern(None, None, None)}


def test_a_rebuild_without_the_record_of_the_file_writes_it_whole(
    corpus: Path, tmp_path: Path
) -> None:
    store_dir, out = tmp_path / "store", tmp_path / "graph.ttl"
    build_graph(corpus, store=store_dir).write_turtle(out)
    state = json.loads((store_dir / STATE_FILE).read_text(encoding="utf-8"))
    for record in state["outputs"].values():
        record["segments"] = record["segments"][1:]  # does not fit the file any more
    (store_dir / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    _add_sentence(_documents(corpus)[1], "Bộ Y tế chủ trì, phối hợp với tỉnh Bắc Giang.")
    build_graph(corpus, store=store_dir, jobs=1).write_turtle(out)
    assert out.read_bytes() == turtle_of(corpus, tmp_path / "plain.ttl")


def _written(result: object, path: Path) -> bytes:
    result.write_turtle(path)  # type: ignore[attr-defined]
    return path.read_bytes()


def test_manifest_metadata_is_part_of_a_documents_fingerprint(corpus: Path) -> None:
    source = read_corpus(corpus).sources[0]
    from dataclasses import replace

    changed = replace(source, meta=replace(source.meta, title="Một tiêu đề khác"))
    assert document_fingerprint(changed) != document_fingerprint(source)
    assert document_fingerprint(replace(source)) == document_fingerprint(source)


def test_failed_build_leaves_the_previous_store_current_and_the_next_build_recovers(
    corpus: Path, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    build_graph(corpus, store=store_dir)
    before = read_state(store_dir)
    before_rows = query(open_store(store_dir), "oversight")
    _change(corpus)

    def interrupt(done: int, total: int, path: str) -> None:
        raise KeyboardInterrupt  # as Ctrl-C in the middle of the analysis

    with pytest.raises(KeyboardInterrupt):
        build_graph(corpus, store=store_dir, progress=interrupt)
    assert read_state(store_dir) == before
    assert query(open_store(store_dir), "oversight") == before_rows
    # a killed process leaves its new database behind; the next build clears it away
    (store_dir / "db-999999").mkdir()
    (store_dir / ".spool-x.nq").write_bytes(b"half")
    again = build_graph(corpus, store=store_dir)
    assert again.analysed == 2
    assert sorted(p.name for p in store_dir.glob("db-*")) == [read_state(store_dir).database]
    assert not list(store_dir.glob(".spool-*"))
    kept = {p.stem for p in (store_dir / "documents").iterdir()}
    assert kept == {e["fingerprint"] for e in read_state(store_dir).documents.values()}


def test_strict_build_that_fails_keeps_the_previous_store(corpus: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    assert invoke("build", corpus, "--store", store_dir, "-q", "--no-validate").exit_code == 0
    before = json.loads((store_dir / STATE_FILE).read_text())
    (corpus / "broken.txt").write_bytes(b"%PDF-1.4\x00\x01\x02 binary")
    result = invoke("build", corpus, "--store", store_dir, "--strict", "--no-validate")
    assert result.exit_code == 1
    assert json.loads((store_dir / STATE_FILE).read_text()) == before
    assert len(list(store_dir.glob("db-*"))) == 1


def test_store_refuses_a_folder_that_holds_other_files(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("my own notes", encoding="utf-8")
    with pytest.raises(StoreError, match="not a kg store"):
        build_graph(corpus, store=folder)
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "my own notes"
    result = invoke("query", "oversight", "--store", folder)
    assert result.exit_code == 2 and "not a kg store" in result.output


def test_query_needs_one_graph_or_store(tmp_path: Path) -> None:
    result = invoke("validate")
    assert result.exit_code == 2
    assert "GRAPH" in result.output and "--store" in result.output


def test_dask_executor_gives_the_same_graph(corpus: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = turtle_of(
            corpus, tmp_path / "dask.ttl", executor="dask", scheduler=cluster.scheduler_address
        )
    assert dask == turtle_of(corpus, tmp_path / "local.ttl")


def test_dask_executor_without_scheduler_is_a_clear_error(corpus: Path) -> None:
    with pytest.raises(KgError, match="--scheduler"):
        build_graph(corpus, executor="dask")


def test_store_counts_whole_graph_not_document_graphs(corpus: Path, tmp_path: Path) -> None:
    result = build_graph(corpus, store=tmp_path / "store")
    store = open_store(tmp_path / "store")
    default = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert result.triples == default == len(result.graph)
    assert len(list(store.named_graphs())) == result.documents


def test_written_files_get_the_usual_permissions_not_private_ones(
    corpus: Path, tmp_path: Path
) -> None:
    import os

    umask = os.umask(0o022)
    try:
        out = tmp_path / "g.ttl"
        assert invoke("build", corpus, "-o", out, "--store", tmp_path / "s", "-q").exit_code == 0
    finally:
        os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "s" / STATE_FILE).stat().st_mode & 0o777 == 0o644


def test_serve_answers_from_a_store_without_repeating_document_graphs(
    corpus: Path, tmp_path: Path
) -> None:
    import threading
    import urllib.parse
    import urllib.request

    from kg.serve import start

    store_dir = tmp_path / "store"
    result = build_graph(corpus, store=store_dir)
    server = start(store_dir, "127.0.0.1", 0, workers=1)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        url = f"http://127.0.0.1:{port}/sparql?" + urllib.parse.urlencode({"query": text})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert int(answer["results"]["bindings"][0]["n"]["value"]) == result.triples
        with pytest.raises(KgError, match="read-only"):
            start(store_dir, "127.0.0.1", 0, update_token="x" * 32)
    finally:
        server.shutdown()
        server.server_close()
        server.pool.close()
        thread.join(5)


@pytest.mark.parametrize(
    "text", ["plain", 'a "quote"', "back\\slash", "two\nlines\r\n", "tab\tand ✓ Việt"]
)
def test_per_document_ntriples_escape_every_literal_as_rdflib_would(text: str) -> None:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import XSD

    from kg.rdf import TripleSet, nt_literal

    subject, predicate = URIRef("https://example.org/s"), URIRef("https://example.org/p")
    triples = TripleSet()
    expected = Graph()
    for made, literal in [
        (nt_literal(text), Literal(text)),
        (nt_literal(text, lang="vi"), Literal(text, lang="vi")),
        (nt_literal(text, datatype=XSD.string), Literal(text, datatype=XSD.string)),
    ]:
        triples.add((subject, predicate, made))
        expected.add((subject, predicate, literal))
    parsed = Graph().parse(data=triples.ntriples(), format="nt")
    assert set(parsed) == set(expected)
    assert len(list(ox.parse(triples.ntriples(), format=ox.RdfFormat.N_TRIPLES))) == 3


def test_a_document_whose_kept_triples_are_gone_is_analysed_again(
    corpus: Path, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    build_graph(corpus, store=store_dir)
    kept = sorted((store_dir / "documents").glob("*.nt"))
    assert len(kept) == len(_documents(corpus))
    kept[0].unlink()
    again = build_graph(corpus, store=store_dir)
    assert again.analysed == 1
    again.write_turtle(tmp_path / "a.ttl")
    assert (tmp_path / "a.ttl").read_bytes() == turtle_of(corpus, tmp_path / "b.ttl")


def test_rebuild_that_changed_nothing_leaves_the_turtle_file_alone(
    corpus: Path, tmp_path: Path
) -> None:
    store, out = tmp_path / "store", tmp_path / "graph.ttl"
    assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
    written = out.stat()
    again = invoke("build", corpus, "--store", store, "-o", out, "--no-validate")
    assert again.exit_code == 0
    assert "was already up to date" in again.output
    assert (out.stat().st_ino, out.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    # another file for the same graph is written, and so is this one once a document changes
    other = tmp_path / "other.ttl"
    assert invoke("build", corpus, "--store", store, "-o", other, "--no-validate").exit_code == 0
    assert other.read_bytes() == out.read_bytes()
    _change(corpus)
    assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
    assert out.read_bytes() == clean_store_turtle(corpus, tmp_path / "clean")


@pytest.mark.parametrize("damage", ["edit", "remove"])
def test_a_turtle_file_changed_since_it_was_written_is_written_again(
    corpus: Path, tmp_path: Path, damage: str
) -> None:
    store, out = tmp_path / "store", tmp_path / "graph.ttl"
    assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
    expected = out.read_bytes()
    if damage == "edit":
        out.write_bytes(expected.replace(b"kgo:Oversight", b"kgo:Nothing", 1))
    else:
        out.unlink()
    again = invoke("build", corpus, "--store", store, "-o", out, "--no-validate")
    assert again.exit_code == 0 and "already up to date" not in again.output
    assert out.read_bytes() == expected


def test_a_rebuild_gives_its_few_documents_to_the_worker_started_beforehand(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With more than one job, a worker starts importing spaCy before the corpus is read; a
    rebuild that then finds a few changed documents has them analysed there."""
    from kg.processes import Prestarted

    store_dir = tmp_path / "store"
    build_graph(corpus, store=store_dir)
    _add_sentence(_documents(corpus)[1], "Bộ Y tế chủ trì, phối hợp với tỉnh Bắc Giang.")
    collected = []
    original = Prestarted.results

    def results(self: Prestarted) -> list:  # type: ignore[type-arg]
        collected.append(self._process.pid)
        return original(self)

    monkeypatch.setattr(Prestarted, "results", results)
    again = build_graph(corpus, store=store_dir, turtle=True, jobs=2)
    assert again.analysed == 1 and len(collected) == 1
    assert _written(again, tmp_path / "a.ttl") == turtle_of(corpus, tmp_path / "b.ttl")
    # with one job, or nothing to analyse, no worker is used
    assert build_graph(corpus, store=store_dir, jobs=2).analysed == 0
    _add_sentence(_documents(corpus)[2], "Bộ Y tế chủ trì.")
    assert build_graph(corpus, store=store_dir, jobs=1).analysed == 1
    assert len(collected) == 1


def test_a_prestarted_worker_that_died_leaves_the_work_to_this_process(corpus: Path) -> None:
    from kg.parallel import StageConfig, analyse_batch
    from kg.processes import Prestarted

    sources = read_corpus(corpus).sources[:2]
    worker = Prestarted()
    worker._process.kill()
    worker._process.join()
    worker.submit(sources, StageConfig())
    assert worker.results() == analyse_batch(sources, StageConfig())
    assert not worker._process.is_alive()


def test_a_turtle_file_written_some_builds_ago_is_written_whole_not_patched(
    corpus: Path, tmp_path: Path
) -> None:
    """Regression: a file written two builds ago holds an older version of a document the
    last build (without -o) changed; patching it for this build's changes alone kept that
    old version."""
    store, out = tmp_path / "store", tmp_path / "graph.ttl"
    assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
    docs = _documents(corpus)
    _add_sentence(docs[0], "Phó Thủ tướng Vũ Đức Đam chỉ đạo tỉnh Hải Dương.")
    assert invoke("build", corpus, "--store", store, "--no-validate").exit_code == 0
    for change in (None, docs[2]):  # nothing more changed; another document changed
        if change is not None:
            _add_sentence(change, "Bộ Y tế chủ trì, phối hợp với tỉnh Bắc Giang.")
        assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
        assert out.read_bytes() == turtle_of(corpus, tmp_path / f"plain-{change is None}.ttl")
        assert b"VN-61" in out.read_bytes()  # Hải Dương, from the build without -o


def test_a_prestarted_worker_builds_the_pipeline_it_is_given(corpus: Path) -> None:
    from kg.parallel import StageConfig, analyse_batch
    from kg.processes import Prestarted

    sources = read_corpus(corpus).sources[:1]
    other = StageConfig(base="https://example.org/kg/")
    worker = Prestarted()  # started for the default base
    worker.submit(sources, other)
    results = worker.results()
    assert results == analyse_batch(sources, other)
    assert b"https://example.org/kg/" in results[0].ntriples


def test_kg_build_starts_the_worker_for_a_rebuild_before_it_builds(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.processes import Prestarted

    store, out = tmp_path / "store", tmp_path / "graph.ttl"
    started = []
    original = Prestarted.__init__

    def init(self: Prestarted, *args: object) -> None:
        started.append(args)
        original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Prestarted, "__init__", init)
    assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
    assert started == []  # a first build: every document goes to the pool
    _add_sentence(_documents(corpus)[1], "Bộ Y tế chủ trì, phối hợp với tỉnh Bắc Giang.")
    again = invoke("build", corpus, "--store", store, "-o", out, "--no-validate", "-j", "2")
    assert again.exit_code == 0 and "1 analysed" in again.output
    assert len(started) == 1
    assert out.read_bytes() == turtle_of(corpus, tmp_path / "plain.ttl")


def test_a_build_without_output_keeps_the_record_of_the_turtle_written_before(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a store-only rebuild forgot the Turtle files written before, so the next
    rebuild with -o wrote its file whole instead of patching it."""
    store, out = tmp_path / "store", tmp_path / "graph.ttl"
    assert invoke("build", corpus, "--store", store, "-o", out, "--no-validate").exit_code == 0
    assert invoke("build", corpus, "--store", store, "--no-validate").exit_code == 0
    assert str(out.resolve()) in read_state(store).outputs
    _add_sentence(_documents(corpus)[1], "Bộ Y tế chủ trì, phối hợp với tỉnh Bắc Giang.")
    with monkeypatch.context() as patched:
        _no_full_turtle(patched)
        again = invoke("build", corpus, "--store", store, "-o", out, "--no-validate")
        assert again.exit_code == 0
    assert out.read_bytes() == turtle_of(corpus, tmp_path / "plain.ttl")
    out.unlink()  # a file that is gone is forgotten
    assert invoke("build", corpus, "--store", store, "--no-validate").exit_code == 0
    assert read_state(store).outputs == {}


def test_a_build_that_fails_early_stops_the_worker_it_was_given(
    corpus: Path, tmp_path: Path
) -> None:
    from kg.processes import Prestarted

    worker = Prestarted()
    with pytest.raises(KgError):
        build_graph(corpus, store=tmp_path / "store", base="not an IRI", prestarted=worker)
    assert not worker._process.is_alive()
