"""Throughput and scale benchmark of `kg build` and of the canned queries, against baselines
measured in the same run on the same text (issue 7).

For each `--docs` size, a corpus is generated into a temporary folder by
`benchmarks/generate.py` (variants of the shared seed and news documents, `--shared`), then:

- **build**: `kg build CORPUS -o OUT.ttl --no-validate -q` runs in a fresh subprocess, timed
  from process start until the Turtle is written (interpreter start and imports included).
  Documents/s, characters/s and output triples/s (triples counted by loading the Turtle into
  pyoxigraph); peak memory is the exact `ru_maxrss` of the process (`os.wait4`, the largest
  of the process and its workers), read by a small launcher process that starts it (a
  process's `ru_maxrss` also counts the process that forked it), and, for process trees, the
  sampled sum of the RSS of the process and its children (polled from /proc every 50 ms);
  bytes per triple = peak ÷ triples.
- **baselines**: spaCy's blank Vietnamese tokenizer (without pyvi: "raw spaCy tokenization",
  the issue's baseline) and, for information, kg's own tokenizer (`kg.vi_tokenizer.v1`, about
  3x faster) each tokenize every document's text once, in this process; the spaCy tokenizer
  also makes one pass right before each run of the builds, and a throughput ratio is the
  median over the runs of each build's ratio to the pass before it (the machine's speed
  drifts). The throughput target
  is checked on the largest size's build with `--jobs N` (N = the cores, `kg build`'s
  default); the `--jobs 1` ratio and the ratio to kg's tokenizer are shown too. pyoxigraph
  `Store.bulk_load` of the Turtle and `Store.dump` of it to Turtle (in memory), in triples/s.
- **queries**: each canned query (`kg.sparql.canned_names()`) through kg's query path
  (`kg.sparql.query(store, name)`: query text, pyoxigraph, rows as dicts of strings) against
  pyoxigraph's own `store.query(text)` with every binding of every row read, in order (median of
  `--repeat` runs; a run slower than 2 s is not repeated; one still running after
  `--query-timeout` s is cut off and shown as "> 30 s"), and rdflib's `Graph.query` (one run,
  only on graphs of at most `--rdflib-max-triples` triples, cut off after `--rdflib-timeout`
  s). Queries run in worker subprocesses so that a slow one can be stopped. With a store,
  also `kg query NAME --store DIR` as a whole process.
- **parallel**: the same build with `--jobs 1` and `--jobs N`, when `kg build --jobs`
  parallelises the analysis (detected from `kg build --help`; else skipped, and said so).
- **incremental**: when `kg build` has `--store DIR` (else skipped, and said so): full builds
  into a new store (`--build-repeat` of them, the median counting), rebuilds with nothing
  changed (with `-o`, and without it: store only), then one document changed
  (`generate.touch_one`) and, separately, one removed (`generate.remove_one`), each rebuilt
  into the same store, `--build-repeat` times over (each time another change; the median
  counting); each time is compared with the full build, and each Turtle written is compared
  byte for byte with that of a clean build into a new store.

Before measuring, kg's modules are byte-compiled, as those of an installed package are: an
editable install run with PYTHONDONTWRITEBYTECODE set would otherwise compile them again in
every timed process.

When the largest `--docs` build has fewer than 1M triples, one more build (`--scale-docs`,
default `auto`: enough documents for 1M triples, about 3,100) gives the peak memory per triple
and the query times at 1M triples; it has no parallel, incremental or per-size query runs.
With `--scale-docs 0`, the query targets use instead a graph of at least `--large-triples`
triples made by replicating the largest built graph under renamed IRIs: copy k puts the IRIs of
sources, statements, evidence and meetings under `…/id/<kind>/rK/`, those of people and cited
documents under `…/id/<kind>/rK%50/`, and prefixes each source path with `rK/`; provinces,
organisations, posts, roles and principles stay shared, as in a real corpus. The output says
which it used.

Usage, from the checkout (about 3 minutes on 2 cores for 100 and 1,000 documents):

    python benchmarks/run.py --docs 100 1000
    python benchmarks/run.py --docs 100 1000 --jobs 2 --out benchmarks/results/run-2026-11-30.json
    python benchmarks/run.py --docs 100 --scale-docs 0 --no-large --no-incremental  # a quick look
    python benchmarks/run.py --from-json benchmarks/results/throughput.json --markdown

Prints a table (Markdown with `--markdown`, for docs/benchmarks.md) and writes every number to
the JSON file (default `benchmarks/results/run-<UTC date>.json`). Timings on a shared machine
are noisy: compare runs made on the same machine at the same time."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py, beside this file)

RESULTS = HERE / "results"
KG = [sys.executable, "-m", "kg"]
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

TARGETS = {
    "build_vs_tokenizer": 0.25,  # build chars/s ÷ tokenizer chars/s, at least
    "bytes_per_triple": 600,  # peak RSS ÷ output triples at ≥ 1M triples, at most
    "query_ratio": 2.0,  # kg query time ÷ pyoxigraph time per canned query, at most
    "query_ms": 200.0,  # kg query time per canned query on ≥ 1M triples, at most
    "parallel_speedup": 1.6,  # --jobs 1 time ÷ --jobs 2 time on 1,000 documents, at least
    "incremental_ratio": 0.10,  # rebuild after one change ÷ full build, at most
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# What the installed kg can do
# --------------------------------------------------------------------------------------------


@dataclass
class Capabilities:
    parallel: bool
    store: bool
    query_store: bool
    jobs_help: str
    notes: list[str]


def _help(*command: str) -> str:
    done = subprocess.run([*KG, *command, "--help"], capture_output=True, text=True, check=False)
    return done.stdout


def _option_help(help_text: str, option: str) -> str:
    """The help paragraph of `option` in click's --help output."""
    lines = help_text.splitlines()
    for i, line in enumerate(lines):
        if re.search(rf"(^|\s|,){re.escape(option)}\b", line.strip()):
            text = [line.strip()]
            for more in lines[i + 1 :]:
                if not more.startswith(" " * 8) or more.strip().startswith("-"):
                    break
                text.append(more.strip())
            return " ".join(text)
    return ""


def detect(force_parallel: bool = False) -> Capabilities:
    """Read `kg build --help` and `kg query --help`: `--jobs` counts as parallel analysis when
    its help speaks of analysing or documents (it used to set validation workers only)."""
    build_help = _help("build")
    query_help = _help("query")
    jobs_help = _option_help(build_help, "--jobs")
    parallel = bool(re.search(r"analy|document|extract|pars", jobs_help, re.I)) or force_parallel
    store = "--store" in build_help
    notes = []
    if not parallel:
        notes.append(
            "kg build --jobs does not parallelise the analysis in this version "
            f"(its help: {jobs_help or 'no --jobs option'!r}); parallel speed-up not measured"
        )
    elif force_parallel:
        notes.append("parallel analysis assumed (--force-parallel)")
    if not store:
        notes.append("kg build has no --store option yet; incremental rebuild not measured")
    return Capabilities(parallel, store, "--store" in query_help, jobs_help, notes)


# --------------------------------------------------------------------------------------------
# A measured subprocess
# --------------------------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    returncode: int
    maxrss_bytes: int  # exact: ru_maxrss of the process and the children it waited for
    # (0 when it was killed)
    tree_peak_bytes: int  # sampled: largest sum of RSS over the process and its descendants
    stderr_tail: str


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _tree_rss(root: int) -> int:
    """The RSS of `root`'s descendants, not counting `root` (the launcher)."""
    children = _children_map()
    total, todo = 0, list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


# `measure` runs the command from this small process: Linux counts in a child's ru_maxrss the
# memory of the process that forked it (the larger of the two is kept across exec), and this
# benchmark holds whole graphs in memory, so a command it started itself showed that as its
# peak (a /bin/true started from a 500 MB process reports 510 MiB).
_LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "status": status, "maxrss": usage.ru_maxrss}, out)
"""


def measure(
    command: Sequence[str], timeout: float | None = None, cwd: Path | None = None
) -> Measured:
    """Run `command`, timing it from just before the process starts to its exit; its peak
    memory is its own `ru_maxrss`, from a launcher that started it (see `_LAUNCHER`)."""
    sample = os.path.isdir("/proc")
    peak = 0
    done = threading.Event()
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as err:
        report = Path(scratch) / "measured.json"
        started = time.perf_counter()
        launcher = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(report), *command],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
            cwd=cwd,
        )

        def poll() -> None:
            nonlocal peak
            while not done.wait(0.05):
                peak = max(peak, _tree_rss(launcher.pid))

        sampler = threading.Thread(target=poll, daemon=True)
        if sample:
            sampler.start()
        timer = None
        if timeout is not None:
            timer = threading.Timer(timeout, lambda: os.killpg(launcher.pid, signal.SIGKILL))
            timer.start()
        _, status, _ = os.wait4(launcher.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        if timer is not None:
            timer.cancel()
        if sample:
            sampler.join()
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        try:
            measured = json.loads(report.read_text())
        except (OSError, ValueError):  # the launcher was killed (timeout): no report
            return Measured(seconds, os.waitstatus_to_exitcode(status), 0, peak, tail)
    returncode = os.waitstatus_to_exitcode(measured["status"])
    return Measured(measured["seconds"], returncode, measured["maxrss"] * 1024, peak, tail)


def compile_kg() -> None:
    """Byte-compile kg's modules (see the module docstring)."""
    import compileall

    import kg

    compileall.compile_dir(str(Path(kg.__file__).parent), quiet=1)


def kg_build(
    corpus: Path,
    out: Path | None,
    jobs: int | None = None,
    store: Path | None = None,
    timeout: float | None = None,
) -> Measured:
    """`kg build CORPUS -o OUT --no-validate -q [--jobs N] [--store DIR]`, measured (no
    `-o` when `out` is None: with a store, only the store is written)."""
    command = [*KG, "build", str(corpus), "--no-validate", "-q"]
    if out is not None:
        command += ["-o", str(out)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    if store is not None:
        command += ["--store", str(store)]
    result = measure(command, timeout, cwd=corpus.parent)
    if result.returncode != 0:
        log(f"  kg build exited {result.returncode}: {result.stderr_tail.strip()[-600:]}")
    return result


# --------------------------------------------------------------------------------------------
# Baselines in this process
# --------------------------------------------------------------------------------------------


BASELINE_TOKENIZER = "spacy-blank-vi"


def baseline_tokenizer() -> Any:
    """spaCy's blank Vietnamese tokenizer without pyvi: issue 7's "raw spaCy tokenization"."""
    import spacy

    return spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}}).tokenizer


def tokenizer_pass(tokenizer: Any, texts: list[str]) -> float:
    """Seconds for `tokenizer` to tokenize every text once."""
    started = time.perf_counter()
    for text in texts:
        tokenizer(text)
    return time.perf_counter() - started


def tokenizer_baseline(texts: list[str], baseline: Any, repeat: int = 3) -> dict[str, Any]:
    """Characters/s of `baseline` (`baseline_tokenizer()`) and of kg's tokenizer, each over
    every text (after one warm-up text), the median of `repeat` passes, as the builds it is
    compared with are medians too."""
    import spacy

    import kg.pipeline  # noqa: F401  (registers kg.vi_tokenizer.v1)

    chars = sum(len(t) for t in texts)
    kg_config = {"nlp": {"tokenizer": {"@tokenizers": "kg.vi_tokenizer.v1"}}}
    candidates = {
        BASELINE_TOKENIZER: baseline,
        "kg-tokenizer": spacy.blank("vi", config=kg_config).tokenizer,
    }
    out: dict[str, Any] = {"chars": chars}
    for name, tokenizer in candidates.items():
        tokenizer(texts[0])
        passes = []
        for _ in range(max(1, repeat)):
            started = time.perf_counter()
            tokens = sum(len(tokenizer(text)) for text in texts)
            passes.append(time.perf_counter() - started)
        seconds = statistics.median(passes)
        out[name] = {
            "seconds": round(seconds, 4),
            "chars_per_s": chars / seconds,
            "tokens": tokens,
            "passes_seconds": [round(p, 4) for p in passes],
        }
    out["baseline"] = BASELINE_TOKENIZER
    out["chars_per_s"] = out[BASELINE_TOKENIZER]["chars_per_s"]
    return out


def load_and_dump(path: Path, fmt: Any) -> tuple[Any, dict[str, Any]]:
    """A pyoxigraph store of `path`, with the bulk_load and Turtle dump speeds."""
    import pyoxigraph as ox

    store = ox.Store()
    started = time.perf_counter()
    store.bulk_load(path=str(path), format=fmt)
    load = time.perf_counter() - started
    triples = len(store)
    started = time.perf_counter()
    dumped = store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    dump = time.perf_counter() - started
    return store, {
        "triples": triples,
        "load_seconds": round(load, 3),
        "load_triples_per_s": triples / load,
        "dump_seconds": round(dump, 3),
        "dump_triples_per_s": triples / dump,
        "dump_bytes": len(dumped),
    }


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


SCALE_TRIPLES = 1_000_000  # the size at which the memory and query targets apply
SLOW_MS = 2000  # a query run slower than this is not repeated


def _run_task(task: str, store: Any, graph: Any, repeat: int) -> dict[str, Any]:
    """One query on one engine, `repeat` times (once if slow): kg's query path, pyoxigraph's
    own with every binding read, or rdflib's `Graph.query` with every row read."""
    from kg.sparql import load_query
    from kg.sparql import query as kg_query

    engine, name = task.split(":", 1)
    text = load_query(name)

    def oxigraph() -> int:
        # every binding read the quickest way pyoxigraph has: in order, not by name
        rows = 0
        for solution in store.query(text):
            for _ in solution:
                pass
            rows += 1
        return rows

    def rdflib() -> int:
        rows = 0
        for row in graph.query(text):
            for _ in row:  # every value of every row
                pass
            rows += 1
        return rows

    def kg() -> int:
        return len(kg_query(store, name))

    function = {"kg": kg, "ox": oxigraph, "rdflib": rdflib}[engine]
    samples, rows = [], 0
    for i in range(repeat):
        started = time.perf_counter()
        rows = function()
        samples.append((time.perf_counter() - started) * 1000)
        if i == 0 and samples[0] > SLOW_MS:
            break
    return {"task": task, "ms": statistics.median(samples), "samples": samples, "rows": rows}


def query_worker(engine: str, graph: str, repeat: int, tasks: list[str]) -> int:
    """Hidden mode (`--query-worker`): load `graph` into pyoxigraph (engine `oxigraph`, for the
    `kg:` and `ox:` tasks) or rdflib (`rdflib`), then run the tasks, printing one JSON line per
    step so that the parent can cut a slow query off."""
    import pyoxigraph as ox

    store = rdf = None
    started = time.perf_counter()
    if engine == "rdflib":
        from rdflib import Graph

        rdf = Graph()
        rdf.parse(graph, format="nt" if graph.endswith(".nt") else "turtle")
        triples = len(rdf)
    else:
        fmt = ox.RdfFormat.N_TRIPLES if graph.endswith(".nt") else ox.RdfFormat.TURTLE
        store = ox.Store()
        store.bulk_load(path=graph, format=fmt)
        triples = len(store)
    print(json.dumps({"loaded": time.perf_counter() - started, "triples": triples}), flush=True)
    for task in tasks:
        print(json.dumps(_run_task(task, store, rdf, repeat)), flush=True)
    return 0


def run_tasks(
    graph: Path, engine: str, tasks: list[str], repeat: int, timeout: float, budget: float
) -> tuple[dict[str, Any], float | None]:
    """Results of `tasks` run by `query_worker` subprocesses: a dict per task, or "timeout"
    for one cut off after `timeout` s (the worker is restarted for the rest), or "skipped"
    once `budget` s have gone. Also the load time of the first worker."""
    results: dict[str, Any] = {}
    load_seconds = None
    remaining = list(tasks)
    deadline = time.monotonic() + budget
    while remaining:
        if time.monotonic() >= deadline:
            results.update({task: "skipped (time budget)" for task in remaining})
            break
        command = [sys.executable, __file__, "--query-worker", engine, str(graph), str(repeat)]
        proc = subprocess.Popen(
            [*command, *remaining], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        buffer, loaded = b"", False
        try:
            while remaining:
                wait = deadline - time.monotonic()
                if loaded:
                    wait = min(wait, timeout)
                if wait <= 0 or not selector.select(wait):
                    if loaded and time.monotonic() < deadline:
                        results[remaining.pop(0)] = "timeout"
                    break
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    results.update({task: "failed" for task in remaining})
                    remaining = []
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    record = json.loads(line)
                    if "loaded" in record:
                        loaded = True
                        load_seconds = load_seconds or record["loaded"]
                    else:
                        results[record["task"]] = record
                        remaining.remove(record["task"])
        finally:
            proc.kill()
            proc.wait()
            selector.close()
    return results, load_seconds


def _ms(result: Any, timeout: float) -> tuple[float | None, str | None]:
    if isinstance(result, dict):
        return round(result["ms"], 2), None
    return None, f"> {timeout:g} s" if result == "timeout" else str(result)


def time_queries(graph: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """kg's query path against pyoxigraph's own, per canned query (median of `--repeat`)."""
    from kg.sparql import canned_names

    names = canned_names()
    tasks = [f"{engine}:{name}" for name in names for engine in ("kg", "ox")]
    results, _ = run_tasks(
        graph, "oxigraph", tasks, args.repeat, args.query_timeout, args.query_budget
    )
    out = {}
    for name in names:
        kg, ox = results.get(f"kg:{name}"), results.get(f"ox:{name}")
        kg_ms, kg_status = _ms(kg, args.query_timeout)
        ox_ms, ox_status = _ms(ox, args.query_timeout)
        out[name] = {
            "rows": kg["rows"] if isinstance(kg, dict) else None,
            "kg_ms": kg_ms,
            "oxigraph_ms": ox_ms,
            "ratio": round(kg_ms / ox_ms, 2) if kg_ms and ox_ms else None,
            "same_rows": kg["rows"] == ox["rows"]
            if isinstance(kg, dict) and isinstance(ox, dict)
            else None,
            "kg_status": kg_status,
            "oxigraph_status": ox_status,
            "kg_samples": kg.get("samples") if isinstance(kg, dict) else None,
            "oxigraph_samples": ox.get("samples") if isinstance(ox, dict) else None,
        }
    return out


def rdflib_queries(graph: Path, names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """rdflib's time per canned query (one run each), in ms or a status."""
    tasks = [f"rdflib:{name}" for name in names]
    results, load = run_tasks(graph, "rdflib", tasks, 1, args.rdflib_timeout, args.rdflib_budget)
    queries = {}
    for name in names:
        ms, status = _ms(results.get(f"rdflib:{name}"), args.rdflib_timeout)
        queries[name] = ms if ms is not None else status
    return {"load_seconds": load, "queries": queries}


# --------------------------------------------------------------------------------------------
# A large graph by replication
# --------------------------------------------------------------------------------------------


def replicate(store: Any, target: int, out: Path) -> dict[str, Any]:
    """Write copies of `store`'s triples with renamed IRIs (module docstring) to `out`
    (N-Triples) until they hold at least `target` triples."""
    import pyoxigraph as ox

    from kg.namespaces import DEFAULT_BASE, KGO

    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    base = re.escape(DEFAULT_BASE.encode())
    own = re.compile(b"<" + base + b"(source|statement|evidence|meeting)/")
    shared = re.compile(b"<" + base + b"(person|document)/")
    path = re.compile(b"(<" + re.escape(str(KGO.path).encode()) + b'> ")')
    triples = len(store)
    copies = max(1, math.ceil(target / triples))
    with out.open("wb") as handle:
        for k in range(copies):
            if k == 0:
                handle.write(data)
                continue
            copy = own.sub(lambda m, k=k: b"<%s%s/r%05d/" % (DEFAULT_BASE.encode(), m[1], k), data)
            copy = shared.sub(
                lambda m, k=k: b"<%s%s/r%02d/" % (DEFAULT_BASE.encode(), m[1], k % 50), copy
            )
            copy = path.sub(lambda m, k=k: m[1] + b"r%05d/" % k, copy)
            handle.write(copy)
    return {"copies": copies, "base_triples": triples}


# --------------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------------


def _median_run(runs: list[Measured]) -> Measured:
    """The run of median time (the slower middle one of an even count)."""
    return sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]


def paired_ratio(token_passes: list[float], builds: list[Measured]) -> float:
    """Build throughput ÷ tokenizer throughput on the same text: the median over the runs of
    each build's ratio to the tokenizer pass just before it."""
    return statistics.median(
        tokens / build.seconds for tokens, build in zip(token_passes, builds, strict=False)
    )


def rate(amount: float, seconds: float) -> float | None:
    return amount / seconds if seconds > 0 else None


def build_numbers(m: Measured, docs: int, chars: int, triples: int) -> dict[str, Any]:
    return {
        "seconds": round(m.seconds, 3),
        "returncode": m.returncode,
        "docs_per_s": rate(docs, m.seconds),
        "chars_per_s": rate(chars, m.seconds),
        "triples_per_s": rate(triples, m.seconds),
        "peak_rss_bytes": m.maxrss_bytes,
        "tree_peak_rss_bytes": m.tree_peak_bytes or None,
        "bytes_per_triple": m.maxrss_bytes / triples if triples else None,
        "tree_bytes_per_triple": m.tree_peak_bytes / triples
        if triples and m.tree_peak_bytes
        else None,
    }


def same_triples(a: Path, b: Path) -> bool | None:
    """Whether two Turtle files hold the same triples, whatever their order."""
    if not (a.exists() and b.exists()):
        return None
    import pyoxigraph as ox

    return set(ox.parse(path=str(a), format=ox.RdfFormat.TURTLE)) == set(
        ox.parse(path=str(b), format=ox.RdfFormat.TURTLE)
    )


def same_bytes(a: Path, b: Path) -> bool | None:
    if not a.is_file() or not b.is_file():
        return None
    return a.read_bytes() == b.read_bytes()


def incremental(
    corpus: Path,
    work: Path,
    jobs: int | None,
    plain: Path,
    plain_seconds: float,
    seed: int,
    repeat: int = 3,
) -> dict[str, Any]:
    """Full builds into a new store, then rebuilds into it: unchanged, one document changed,
    one removed; each Turtle compared byte for byte with that of a clean build into a new
    store, and the full build's with the plain build's. The full build and each kind of
    change are timed `repeat` times (each time another change), the median counting: one
    rebuild takes about a second, and this machine's timings swing by 10-20 %."""
    store, out, clean = work / "store", work / "incremental.ttl", work / "clean.ttl"
    fulls = []
    for run in range(max(1, repeat)):
        log(f"  incremental: full build into a new store ({run + 1}/{max(1, repeat)})")
        shutil.rmtree(store, ignore_errors=True)
        out.unlink(missing_ok=True)
        fulls.append(kg_build(corpus, out, jobs, store))
    full = fulls[-1]
    timed = _median_of(fulls)
    full_seconds = timed["seconds"]
    result: dict[str, Any] = {f"full_{key}": value for key, value in timed.items()}
    result |= {
        "full_vs_plain_build": round(full_seconds / plain_seconds, 3) if plain_seconds else None,
        "jobs": jobs,
        "full_peak_rss_bytes": full.maxrss_bytes,
        "full_same_triples_as_plain": same_triples(out, plain),
    }
    full_copy = work / "full.ttl"
    if out.exists():
        shutil.copyfile(out, full_copy)
    steps: list[tuple[str, Callable[[], Any] | None, int]] = [
        ("unchanged", None, 1),
        ("unchanged_store_only", None, 1),
        ("touch_one", lambda: generate.touch_one(corpus, seed=seed), repeat),
        ("remove_one", lambda: generate.remove_one(corpus), repeat),
    ]
    for name, change, times in steps:
        runs = []
        for _ in range(max(1, times)):
            changed = change() if change else None
            log(f"  incremental: {name}" + (f" ({Path(changed).name})" if changed else ""))
            runs.append(
                kg_build(corpus, None if name == "unchanged_store_only" else out, jobs, store)
            )
        entry = _median_of(runs)
        entry["ratio_to_full"] = round(entry["seconds"] / full_seconds, 4) if full_seconds else None
        if name == "unchanged":
            entry["identical_to_clean"] = same_bytes(out, full_copy)
        elif name == "unchanged_store_only":
            entry["note"] = "no -o: the store is updated, no Turtle is written"
        else:
            fresh = work / f"clean-store-{name}"
            shutil.rmtree(fresh, ignore_errors=True)
            reference = kg_build(corpus, clean, jobs, fresh)
            entry["clean_seconds"] = round(reference.seconds, 3)
            entry["identical_to_clean"] = same_bytes(out, clean)
        result[name] = entry
    return result


def _median_of(runs: list[Measured]) -> dict[str, Any]:
    """The median time of repeated runs, every run's time, and the worst exit status."""
    return {
        "seconds": round(statistics.median(r.seconds for r in runs), 3),
        "runs_seconds": [round(r.seconds, 3) for r in runs],
        "returncode": max(r.returncode for r in runs),
    }


def run_size(
    docs: int, args: argparse.Namespace, caps: Capabilities, work: Path, scale: bool = False
) -> dict[str, Any]:
    """Every measurement at one corpus size; with `scale`, only the build and its baselines
    (the extra build for memory and queries at ≥ 1M triples)."""
    import pyoxigraph as ox

    folder = work / f"docs-{docs}"
    corpus = folder / "corpus"
    log(f"{docs:,} documents: generating into {corpus}")
    started = time.perf_counter()
    stats = generate.generate(docs, corpus, shared=args.shared, seed=args.seed, force=True)
    generated = time.perf_counter() - started
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    chars = sum(len(t) for t in texts)
    entry: dict[str, Any] = {
        "docs": docs,
        "chars": chars,
        "bytes": stats["bytes"],
        "generate_seconds": round(generated, 3),
        "scale": scale,
    }

    log("  tokenizer baselines")
    tokenizer = baseline_tokenizer()
    entry["tokenizer"] = tokenizer_baseline(texts, tokenizer, 1 if scale else args.build_repeat)

    jobs_one = 1 if caps.parallel else None
    parallel = caps.parallel and not args.no_parallel and not scale
    repeat = 1 if scale else max(1, args.build_repeat)
    out = folder / "graph.ttl"
    parallel_out = folder / f"graph-jobs{args.jobs}.ttl"
    firsts: list[Measured] = []
    seconds: list[Measured] = []
    # Each run of the builds follows a pass of the baseline tokenizer over the same texts,
    # and the throughput ratios are the medians of the runs' own ratios: this machine's speed
    # drifts by 10-30 % within minutes, which would tilt a ratio of numbers taken apart.
    token_passes: list[float] = []
    # --jobs 1 and --jobs N alternate, so that whatever else the machine does hits both alike
    for run in range(repeat):
        token_passes.append(tokenizer_pass(tokenizer, texts))
        log(f"  kg build{' --jobs 1' if jobs_one else ''} ({run + 1}/{repeat})")
        firsts.append(kg_build(corpus, out, jobs_one, timeout=args.build_timeout))
        if firsts[-1].returncode != 0:
            break
        if parallel:
            log(f"  kg build --jobs {args.jobs} ({run + 1}/{repeat})")
            seconds.append(kg_build(corpus, parallel_out, args.jobs, timeout=args.build_timeout))
    del texts
    tokenizer_runs = {
        "seconds": [round(t, 4) for t in token_passes],
        "chars_per_s": chars / statistics.median(token_passes),
    }
    entry["tokenizer"]["paired_passes"] = tokenizer_runs
    entry["tokenizer"]["chars_per_s"] = tokenizer_runs["chars_per_s"]
    first = _median_run(firsts)
    if first.returncode != 0 or not out.is_file():
        entry["error"] = f"kg build failed ({first.returncode}): {first.stderr_tail[-600:]}"
        return entry
    store, rdf = load_and_dump(out, ox.RdfFormat.TURTLE)
    triples = rdf["triples"]
    entry["triples"] = triples
    entry["turtle_bytes"] = out.stat().st_size
    entry["build"] = build_numbers(first, docs, chars, triples)
    entry["build"]["jobs"] = jobs_one
    entry["oxigraph"] = rdf
    entry["build_vs_tokenizer"] = paired_ratio(token_passes, firsts)
    log(f"  {first.seconds:.1f} s, {triples:,} triples, peak {first.maxrss_bytes / 2**20:.0f} MiB")
    entry["_store"], entry["_graph"] = store, out  # for the large graph; not written out
    if scale:
        entry["parallel"] = entry["incremental"] = None
        return entry

    entry["build"]["runs_seconds"] = [round(m.seconds, 3) for m in firsts]
    if parallel and seconds:
        second = _median_run(seconds)
        entry["parallel"] = {
            "jobs": args.jobs,
            **build_numbers(second, docs, chars, triples),
            "speedup": round(first.seconds / second.seconds, 3) if second.seconds else None,
            "identical_to_jobs_1": same_bytes(out, parallel_out),
            "runs_seconds": [round(m.seconds, 3) for m in seconds],
        }
        entry["parallel"]["vs_tokenizer"] = paired_ratio(token_passes, seconds)
    else:
        entry["parallel"] = None

    log("  queries: kg vs pyoxigraph")
    entry["queries"] = time_queries(out, args)
    if triples <= args.rdflib_max_triples:
        log("  queries: rdflib")
        entry["rdflib"] = rdflib_queries(out, list(entry["queries"]), args)
    else:
        entry["rdflib"] = {
            "skipped": f"graph has {triples:,} triples > --rdflib-max-triples "
            f"{args.rdflib_max_triples:,}"
        }

    if caps.store and not args.no_incremental:
        jobs = args.jobs if caps.parallel else None
        # the plain build with the same --jobs, to see what keeping a store costs
        same_jobs = entry["parallel"]["seconds"] if entry["parallel"] else first.seconds
        entry["incremental"] = incremental(
            corpus, folder, jobs, out, same_jobs, args.seed, args.build_repeat
        )
        if caps.query_store:
            log("  kg query NAME --store")
            entry["incremental"]["cli_query_store_ms"] = cli_queries(
                folder / "store", list(entry["queries"]), args.query_timeout
            )
    else:
        entry["incremental"] = None
    return entry


def cli_queries(store: Path, names: list[str], timeout: float) -> dict[str, float | str]:
    """`kg query NAME --store DIR --format json` end to end (process start to exit), in ms."""
    out: dict[str, float | str] = {}
    for name in names:
        m = measure([*KG, "query", name, "--store", str(store), "--format", "json"], timeout)
        if m.returncode == 0:
            out[name] = round(m.seconds * 1000, 1)
        else:
            out[name] = f"> {timeout:g} s" if m.returncode < 0 else f"exit {m.returncode}"
    return out


def large_graph(source: dict[str, Any], args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The canned queries on a graph of at least `--large-triples`: the built graph of
    `source` if it is that large, else copies of it under renamed IRIs."""
    import pyoxigraph as ox

    docs = source["docs"]
    if source["triples"] >= args.large_triples:
        log(f"large graph: the {docs:,}-document graph ({source['triples']:,} triples); queries")
        return {
            "from_docs": docs,
            "copies": 1,
            "base_triples": source["triples"],
            "triples": source["triples"],
            "oxigraph": source["oxigraph"],
            "queries": time_queries(source["_graph"], args),
            "note": "the built graph itself",
        }
    path = work / "large.nt"
    log(f"large graph: replicating the {docs:,}-document graph to ≥ {args.large_triples:,} triples")
    made = replicate(source["_store"], args.large_triples, path)
    big, rdf = load_and_dump(path, ox.RdfFormat.N_TRIPLES)
    del big
    log(f"  {rdf['triples']:,} triples; queries")
    result = {
        "from_docs": docs,
        **made,
        "triples": rdf["triples"],
        "oxigraph": rdf,
        "queries": time_queries(path, args),
        "note": (
            "replicated graph: copies of the built graph with sources, statements, evidence "
            "and meetings renamed per copy, people and cited documents per copy modulo 50"
        ),
    }
    path.unlink(missing_ok=True)
    return result


# --------------------------------------------------------------------------------------------
# Targets and tables
# --------------------------------------------------------------------------------------------


def _identical(inc: dict[str, Any]) -> bool:
    """Whether every Turtle written with the store equals that of a clean build into a new
    store, and the store holds the same triples as a build without one."""
    steps = ("unchanged", "touch_one", "remove_one")
    same = inc.get("full_same_triples_as_plain", inc.get("full_identical_to_clean"))
    return bool(same) and all(inc[k].get("identical_to_clean") for k in steps if k in inc)


def check_targets(payload: dict[str, Any]) -> list[dict[str, Any]]:
    sizes = [s for s in payload["sizes"] if "build" in s]
    checks: list[dict[str, Any]] = []
    if not sizes:
        return checks
    last = sizes[-1]

    def add(name: str, target: str, value: Any, met: bool | None, note: str = "") -> None:
        checks.append({"name": name, "target": target, "value": value, "met": met, "note": note})

    # kg build as a user runs it: --jobs defaults to the cores, so the parallel build of the
    # largest size that has one, when it used every core; else the --jobs 1 build
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    default_runs = [s for s in sizes if s.get("parallel") and s["parallel"]["jobs"] == cores]
    if default_runs:
        where = default_runs[-1]
        ratio, how = where["parallel"]["vs_tokenizer"], f"--jobs {cores} (the default)"
        other = f"; --jobs 1: {where['build_vs_tokenizer']:.3f}"
    else:
        where, how, other = last, "--jobs 1", ""
        ratio = last["build_vs_tokenizer"]
    tok = where["tokenizer"]
    kg_tok = tok["kg-tokenizer"]["chars_per_s"] / tok[BASELINE_TOKENIZER]["chars_per_s"]
    add(
        "build ÷ tokenizer throughput",
        f"≥ {TARGETS['build_vs_tokenizer']}",
        round(ratio, 4),
        ratio >= TARGETS["build_vs_tokenizer"],
        f"{where['docs']:,} documents, kg build {how}, against spaCy's blank vi tokenizer"
        f"{other}; against kg's own tokenizer ({kg_tok:.1f}x faster): {ratio / kg_tok:.3f}",
    )
    big_builds = [s for s in sizes if s["triples"] >= 1_000_000]
    if big_builds:
        b = big_builds[-1]["build"]["bytes_per_triple"]
        add(
            "peak bytes per triple",
            f"≤ {TARGETS['bytes_per_triple']} at ≥ 1M triples",
            round(b),
            b <= TARGETS["bytes_per_triple"],
            f"{big_builds[-1]['docs']:,} documents, {big_builds[-1]['triples']:,} triples, "
            f"peak {big_builds[-1]['build']['peak_rss_bytes'] / 2**20:,.0f} MiB",
        )
    else:
        b = last["build"]["bytes_per_triple"]
        add(
            "peak bytes per triple",
            f"≤ {TARGETS['bytes_per_triple']} at ≥ 1M triples",
            round(b),
            None,
            f"not measured at 1M: the largest build has {last['triples']:,} triples "
            f"({last['docs']:,} documents); value shown is at that size",
        )
    large = payload.get("large_graph")
    if large:
        queries = large["queries"]
        at_scale = large["triples"] >= 1_000_000
        scale_note = "" if at_scale else f"; the graph has only {large['triples']:,} triples"

        def kg_ms(q: dict[str, Any]) -> float:
            return q["kg_ms"] if q["kg_ms"] is not None else math.inf

        def ratio(q: dict[str, Any]) -> float:
            if q["ratio"] is not None:
                return q["ratio"]
            return math.inf if q["kg_ms"] is None and q["oxigraph_ms"] is not None else 0

        worst_ratio = max(queries, key=lambda n: ratio(queries[n]))
        worst_ms = max(queries, key=lambda n: kg_ms(queries[n]))
        over_ratio = [n for n, q in queries.items() if ratio(q) > TARGETS["query_ratio"]]
        over_ms = [n for n, q in queries.items() if kg_ms(q) > TARGETS["query_ms"]]
        unknown = [n for n, q in queries.items() if q["ratio"] is None]
        worst = queries[worst_ms]
        add(
            "kg ÷ pyoxigraph query time",
            f"≤ {TARGETS['query_ratio']:g} per query at ≥ 1M triples",
            f"worst {queries[worst_ratio]['ratio']} ({worst_ratio})",
            (False if over_ratio else None if unknown else True) if at_scale else None,
            (
                f"over: {', '.join(over_ratio)}"
                if over_ratio
                else "the others within"
                if unknown
                else "all within"
            )
            + (f"; no ratio (cut off): {', '.join(unknown)}" if unknown else "")
            + scale_note,
        )
        add(
            "kg query time",
            f"≤ {TARGETS['query_ms']:g} ms per query at ≥ 1M triples",
            f"worst {worst['kg_ms']:,.0f} ms ({worst_ms})"
            if worst["kg_ms"] is not None
            else f"worst {worst['kg_status']} ({worst_ms})",
            (not over_ms) if at_scale else None,
            (f"over: {', '.join(over_ms)}" if over_ms else "all within") + scale_note,
        )
    parallel = [s for s in sizes if s.get("parallel")]
    if parallel:
        p = parallel[-1]
        speedup = p["parallel"]["speedup"]
        at_1000 = p["docs"] >= 1000
        add(
            "parallel speed-up",
            f"≥ {TARGETS['parallel_speedup']}× with --jobs 2 on 1,000 documents",
            speedup,
            (speedup >= TARGETS["parallel_speedup"]) if at_1000 and speedup else None,
            f"--jobs {p['parallel']['jobs']} on {p['docs']:,} documents",
        )
    else:
        add(
            "parallel speed-up",
            f"≥ {TARGETS['parallel_speedup']}× with --jobs 2 on 1,000 documents",
            None,
            None,
            "not measured: "
            + "; ".join(n for n in payload["capabilities"]["notes"] if "jobs" in n),
        )
    inc = [s for s in sizes if s.get("incremental")]
    if inc:
        s = inc[-1]["incremental"]
        worst = max(
            (s[k]["ratio_to_full"] or 0 for k in ("touch_one", "remove_one") if k in s),
            default=None,
        )
        identical = _identical(s)
        add(
            "incremental rebuild ÷ full build",
            f"≤ {TARGETS['incremental_ratio']:.0%}, output identical to a clean build",
            f"{worst:.1%}" if worst is not None else None,
            (worst is not None and worst <= TARGETS["incremental_ratio"] and identical),
            f"{inc[-1]['docs']:,} documents; identical: {identical}",
        )
    else:
        add(
            "incremental rebuild ÷ full build",
            f"≤ {TARGETS['incremental_ratio']:.0%}",
            None,
            None,
            "not measured: "
            + (
                "; ".join(n for n in payload["capabilities"]["notes"] if "--store" in n)
                or "--no-incremental"
            ),
        )
    return checks


def _n(value: float | None, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _qms(q: dict[str, Any], engine: str) -> str:
    value = q.get(f"{engine}_ms")
    return _n(value, 1) if value is not None else str(q.get(f"{engine}_status") or "–")


def _mib(value: int | None) -> str:
    return "–" if not value else f"{value / 2**20:,.0f}"


def tables(payload: dict[str, Any], markdown: bool) -> str:
    """The summary as plain-text or Markdown tables."""
    sizes = [s for s in payload["sizes"] if "build" in s]
    blocks: list[tuple[str, list[str], list[list[str]]]] = []

    head = [
        "docs",
        "chars",
        "triples",
        "build s",
        "docs/s",
        "chars/s",
        "triples/s",
        "peak MiB",
        "B/triple",
        "spaCy tokenizer chars/s",
        "build÷tok",
        "ox load t/s",
        "ox dump t/s",
    ]
    rows = []
    for s in sizes:
        b = s["build"]
        rows.append(
            [
                _n(s["docs"]) + (" (scale)" if s.get("scale") else ""),
                _n(s["chars"]),
                _n(s["triples"]),
                _n(b["seconds"], 1),
                _n(b["docs_per_s"], 1),
                _n(b["chars_per_s"]),
                _n(b["triples_per_s"]),
                _mib(b["peak_rss_bytes"]),
                _n(b["bytes_per_triple"]),
                _n(s["tokenizer"]["chars_per_s"]),
                _n(s["build_vs_tokenizer"], 4),
                _n(s["oxigraph"]["load_triples_per_s"]),
                _n(s["oxigraph"]["dump_triples_per_s"]),
            ]
        )
    large = payload.get("large_graph")
    if large and large["copies"] > 1:
        rows.append(
            [
                "replicated (N-Triples load)",
                "",
                _n(large["triples"]),
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                _n(large["oxigraph"]["load_triples_per_s"]),
                _n(large["oxigraph"]["dump_triples_per_s"]),
            ]
        )
    blocks.append(("Build throughput (kg build --no-validate, whole process)", head, rows))

    head = ["docs", "--jobs 1 s", "--jobs N s", "speed-up", "chars/s", "build÷tok", "same Turtle"]
    rows = []
    for s in sizes:
        p = s.get("parallel")
        if p:
            same = {None: "–", True: "yes", False: "NO"}[p["identical_to_jobs_1"]]
            rows.append(
                [
                    _n(s["docs"]),
                    _n(s["build"]["seconds"], 1),
                    f"{_n(p['seconds'], 1)} (N={p['jobs']})",
                    _n(p["speedup"], 2, "×"),
                    _n(p["chars_per_s"]),
                    _n(p.get("vs_tokenizer"), 4),
                    same,
                ]
            )
    if rows:
        blocks.append(("Parallel build", head, rows))

    head = [
        "docs",
        "full build with store s",
        "unchanged s",
        "unchanged, no -o s",
        "one changed s",
        "one removed s",
        "changed ÷ full",
        "removed ÷ full",
        "identical to clean",
    ]
    rows = []
    for s in sizes:
        inc = s.get("incremental")
        if inc:
            same = _identical(inc)
            rows.append(
                [
                    _n(s["docs"]),
                    _n(inc["full_seconds"], 1),
                    _n(inc["unchanged"]["seconds"], 1),
                    _n((inc.get("unchanged_store_only") or {}).get("seconds"), 1),
                    _n(inc["touch_one"]["seconds"], 1),
                    _n(inc["remove_one"]["seconds"], 1),
                    _n(100 * inc["touch_one"]["ratio_to_full"], 1, " %"),
                    _n(100 * inc["remove_one"]["ratio_to_full"], 1, " %"),
                    "yes" if same else "NO",
                ]
            )
    if rows:
        blocks.append(("Incremental rebuild (--store)", head, rows))

    if large:
        head = ["query", "rows", "kg ms", "pyoxigraph ms", "kg÷ox"]
        rows = [
            [
                name,
                _n(q["rows"]),
                _qms(q, "kg"),
                _qms(q, "oxigraph"),
                _n(q["ratio"], 2, "×"),
            ]
            for name, q in large["queries"].items()
        ]
        title = f"Canned queries on {large['triples']:,} triples"
        if large["copies"] > 1:
            title += f" ({large['copies']} renamed copies of the {large['from_docs']:,}-doc graph)"
        else:
            title += f" (the {large['from_docs']:,}-document graph)"
        blocks.append((title, head, rows))
    sizes_q = [s for s in sizes if s.get("queries")]
    if sizes_q:
        head = ["query"]
        for s in sizes_q:
            rdflib = "queries" in (s.get("rdflib") or {})
            head.append(
                f"{s['docs']:,} docs ({s['triples']:,} t): kg / ox"
                + (" / rdflib" if rdflib else "")
                + " ms"
            )
        cli = [s for s in sizes_q if (s.get("incremental") or {}).get("cli_query_store_ms")]
        if cli:
            head.append(f"kg query --store, {cli[-1]['docs']:,} docs: ms (whole process)")
        rows = []
        for name in sizes_q[-1]["queries"]:
            row = [name]
            for s in sizes_q:
                q = s["queries"].get(name, {})
                cell = f"{_qms(q, 'kg')} / {_qms(q, 'oxigraph')}"
                if "queries" in (s.get("rdflib") or {}):
                    r = s["rdflib"]["queries"].get(name)
                    cell += " / " + (_n(r, 1) if isinstance(r, (int, float)) else str(r))
                row.append(cell)
            if cli:
                value = cli[-1]["incremental"]["cli_query_store_ms"].get(name)
                row.append(_n(value, 0) if isinstance(value, (int, float)) else str(value))
            rows.append(row)
        blocks.append(("Canned queries on the built graphs (median ms)", head, rows))

    checks = payload.get("targets", [])
    head = ["target", "wanted", "measured", "met", "note"]
    rows = [
        [
            c["name"],
            c["target"],
            "–" if c["value"] is None else str(c["value"]),
            {True: "met", False: "not met", None: "n/a"}[c["met"]],
            c["note"],
        ]
        for c in checks
    ]
    blocks.append(("Targets", head, rows))

    out = []
    for title, head, rows in blocks:
        if markdown:
            out.append(f"**{title}**\n")
            out.append("| " + " | ".join(head) + " |")
            align = [
                "---"
                if i == 0
                or h
                in (
                    "same Turtle",
                    "note",
                    "wanted",
                    "met",
                    "target",
                    "identical to clean",
                    "measured",
                )
                else "---:"
                for i, h in enumerate(head)
            ]
            out.append("| " + " | ".join(align) + " |")
            out.extend(
                "| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows
            )
        else:
            out.append(title)
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
            out.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
            out.append("  ".join("-" * w for w in widths))
            out.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
        out.append("")
    m = payload["machine"]
    notes = [
        f"{m['cpus']} CPU cores, Python {m['python']}, kg {m['kg']}, spaCy {m['spacy']}, "
        f"pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}; run {payload['generated']}; "
        f"query times are medians of {payload['args']['repeat']} runs.",
        *payload["capabilities"]["notes"],
    ]
    if large and large["copies"] > 1:
        notes.append(
            f"The {large['triples']:,}-triple graph is {large['copies']} renamed copies of the "
            f"{large['from_docs']:,}-document graph ({large['base_triples']:,} triples)."
        )
    scaled = [s for s in sizes if s.get("scale")]
    if scaled:
        notes.append(
            f"The {scaled[-1]['docs']:,}-document (scale) build is one extra build for peak "
            "memory and the queries at ≥ 1M triples, without the parallel and incremental runs."
        )
    for s in sizes:
        if "skipped" in (s.get("rdflib") or {}):
            notes.append(f"rdflib skipped at {s['docs']:,} documents: {s['rdflib']['skipped']}.")
    out.extend(f"- {n}" if markdown else n for n in notes if n)
    return "\n".join(out) + "\n"


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--query-worker"]:
        return query_worker(argv[1], argv[2], int(argv[3]), argv[4:])
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (python -m pydoc benchmarks/run.py) for details.",
    )
    parser.add_argument("--docs", type=int, nargs="+", default=[100, 1000], help="corpus sizes")
    parser.add_argument("--jobs", type=int, default=2, help="workers of the parallel build")
    parser.add_argument("--out", type=Path, default=None, help="JSON file for all the numbers")
    parser.add_argument(
        "--shared",
        type=Path,
        default=generate.DEFAULT_SHARED,
        help="the shared folder with corpus/seeds and corpus/news (default: ../shared)",
    )
    parser.add_argument("--seed", type=int, default=0, help="corpus generator seed")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query (median)")
    parser.add_argument(
        "--build-repeat",
        type=int,
        default=3,
        help="runs of each timed build, --jobs 1 and --jobs N alternating (median); the scale "
        "build runs once",
    )
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument(
        "--from-json", type=Path, help="print the tables of an earlier run's JSON and stop"
    )
    parser.add_argument(
        "--scale-docs",
        default="auto",
        help="one more build (no parallel, incremental or per-size queries) of this many "
        "documents, for peak memory and the queries at ≥ 1M triples; 'auto' (default): enough "
        "documents for 1M triples, judged from the largest --docs build; 0: none (the query "
        "targets then use a replicated graph)",
    )
    parser.add_argument(
        "--large-triples",
        type=int,
        default=1_000_000,
        help="size of the graph for the query targets (replicated if no build is that large)",
    )
    parser.add_argument("--no-large", action="store_true", help="skip the queries at scale")
    parser.add_argument("--no-parallel", action="store_true")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument(
        "--force-parallel",
        action="store_true",
        help="measure --jobs even if kg build --help does not say it parallelises analysis",
    )
    parser.add_argument("--rdflib-max-triples", type=int, default=300_000)
    parser.add_argument("--rdflib-timeout", type=float, default=20, help="seconds per query")
    parser.add_argument("--rdflib-budget", type=float, default=120, help="seconds per graph")
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=30,
        help="seconds after which one query's kg or pyoxigraph runs are cut off",
    )
    parser.add_argument(
        "--query-budget", type=float, default=300, help="seconds for all queries of one graph"
    )
    parser.add_argument("--build-timeout", type=float, default=3600)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    args = parser.parse_args(argv)

    if args.from_json:
        payload = json.loads(args.from_json.read_text(encoding="utf-8"))
        payload["targets"] = check_targets(payload)  # as this version judges them
        print(tables(payload, args.markdown), end="")
        return 0

    compile_kg()
    caps = detect(args.force_parallel)
    for note in caps.notes:
        log(f"note: {note}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="kg-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sizes = []
    try:
        for docs in sorted(set(args.docs)):
            sizes.append(run_size(docs, args, caps, work))
        built = [s for s in sizes if "_store" in s]
        if built and args.scale_docs != "0" and built[-1]["triples"] < SCALE_TRIPLES:
            largest = built[-1]
            if args.scale_docs == "auto":
                per_doc = largest["triples"] / largest["docs"]
                scale_docs = math.ceil(1.05 * SCALE_TRIPLES / per_doc)
            else:
                scale_docs = int(args.scale_docs)
            log(f"scale build: {scale_docs:,} documents for ≥ {SCALE_TRIPLES:,} triples")
            sizes.append(run_size(scale_docs, args, caps, work, scale=True))
            built = [s for s in sizes if "_store" in s]
        large = None
        if built and not args.no_large:
            large = large_graph(max(built, key=lambda s: s["triples"]), args, work)
        for s in sizes:
            s.pop("_store", None)
            s.pop("_graph", None)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    payload: dict[str, Any] = {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "total_seconds": round(time.perf_counter() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "kg": version("kg"),
            "spacy": version("spacy"),
            "pyoxigraph": version("pyoxigraph"),
            "rdflib": version("rdflib"),
        },
        "args": {
            "docs": sorted(set(args.docs)),
            "jobs": args.jobs,
            "seed": args.seed,
            "repeat": args.repeat,
            "rdflib_max_triples": args.rdflib_max_triples,
            "rdflib_timeout": args.rdflib_timeout,
            "large_triples": args.large_triples,
            "build_command": "kg build CORPUS -o OUT.ttl --no-validate -q [--jobs N] [--store DIR]",
        },
        "capabilities": asdict(caps),
        "sizes": sizes,
        "large_graph": large,
        "targets_wanted": TARGETS,
    }
    payload["targets"] = check_targets(payload)
    payload = _clean(payload)
    out = args.out or RESULTS / f"run-{dt.datetime.now(dt.timezone.utc):%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(tables(payload, args.markdown), end="")
    log(f"wrote {out} ({payload['total_seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
