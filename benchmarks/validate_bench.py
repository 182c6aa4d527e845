"""Validation benchmark: kg's sliced validation against one plain pySHACL run of the same shapes
on the same whole graph, on synthetic graphs of about 100k and 1M triples.

The graphs replicate a real kg graph (the shared seed corpus `../shared/corpus/seeds`, else
`examples/corpus`) with renamed sources: every replica has its own source documents,
statements, evidence and meetings; people and cited documents are renamed per replica modulo 50
(a large corpus names more of them, but far fewer than it has statements); provinces,
organisations, posts, roles and principles are shared, as they are in real graphs.

Run on demand (not part of the tests), from the checkout:

    python benchmarks/validate_bench.py                       # 100k and 1M, sliced and plain
    python benchmarks/validate_bench.py --no-plain-above 200000   # skip the slow plain run at 1M
    python benchmarks/validate_bench.py --sizes 100000 300000 --jobs 2

Writes benchmarks/results/validate.json and the table in docs/benchmarks.md (between the
`validate-bench` markers). Times are wall-clock seconds for validating a graph already in
memory: for the sliced run everything `kg.validate.validate_graph` does (compiling the shapes,
planning the slices, the worker pool, merging and describing the results); for the plain run
one `pyshacl.validate` call."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from kg.build import build_graph
from kg.namespaces import DEFAULT_BASE, KGO
from kg.validate import default_jobs, load_shapes, validate_graph, validate_whole

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"
EXAMPLES = ROOT / "examples" / "corpus"
RESULTS = ROOT / "benchmarks" / "results" / "validate.json"
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- validate-bench:start -->", "<!-- validate-bench:end -->"

PER_REPLICA = ("source", "statement", "evidence", "meeting")
PER_50_REPLICAS = ("person", "document")


def base_graph() -> tuple[Graph, Path]:
    """The graph the synthetic graphs replicate: the seed corpus, else the demo corpus."""
    corpus = SEEDS if SEEDS.is_dir() else EXAMPLES
    return build_graph(corpus).graph, corpus


def replicate(graph: Graph, target: int, base: str = DEFAULT_BASE) -> tuple[Graph, int]:
    """Copies of `graph` with renamed IRIs (see the module docstring) until the result has at
    least `target` triples. Returns the graph and the number of replicas."""
    triples = list(graph)
    out = Graph()
    for prefix, namespace in graph.namespace_manager.namespaces():
        out.bind(prefix, namespace, override=False, replace=False)
    replica = 0
    while len(out) < target:
        cache: dict = {}

        def rename(term, i=replica, cache=cache):  # noqa: ANN001, ANN202
            found = cache.get(term)
            if found is not None:
                return found
            made = term
            if isinstance(term, URIRef) and term.startswith(base):
                kind, _, rest = term[len(base) :].partition("/")
                if kind in PER_REPLICA:
                    made = URIRef(f"{base}{kind}/r{i:05d}/{rest}")
                elif kind in PER_50_REPLICAS:
                    made = URIRef(f"{base}{kind}/r{i % 50:02d}/{rest}")
            cache[term] = made
            return made

        out.addN(
            (
                rename(s),
                p,
                Literal(f"r{replica:05d}/{o}") if p == KGO.path else rename(o),
                out,
            )
            for s, p, o in triples
        )
        replica += 1
    return out, replica


def timed(function, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    gc.collect()
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def per_100k(seconds: float | None, triples: int) -> float | None:
    return None if seconds is None else round(seconds / (triples / 100_000), 3)


def size_label(target: int) -> str:
    return f"~{target / 1e6:g}M" if target >= 1_000_000 else f"~{target // 1000}k"


def write_docs(payload: dict) -> None:
    """Replace the table between the markers in docs/benchmarks.md (create it if missing)."""
    rows = [
        "| graph | triples | sliced, s | sliced, s per 100k | plain pySHACL, s | "
        "plain, s per 100k | speed-up | same results | compiled, 1 process, s per 100k |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]

    def show(x: float | None, digits: int = 1, suffix: str = "") -> str:
        return "skipped" if x is None else f"{x:.{digits}f}{suffix}"

    for run in payload["runs"]:
        same = {None: "–", True: "yes", False: "NO"}[run["same_results"]]
        cells = [
            size_label(run["target"]),
            f"{run['triples']:,}",
            show(run["sliced_seconds"]),
            show(run["sliced_per_100k"], 2),
            show(run["plain_seconds"]),
            show(run["plain_per_100k"], 2),
            show(run["speedup"], 1, "×"),
            same,
            show(run.get("compiled_per_100k"), 2),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    targets = payload["targets"]
    machine = payload["machine"]
    summary = (
        f"{machine['cpus']} CPU cores, Python {machine['python']}, pySHACL {machine['pyshacl']}, "
        f"rdflib {machine['rdflib']}; sliced with {payload['jobs']} workers; base graph "
        f"{payload['base_graph']['triples']:,} triples from `{payload['base_graph']['corpus']}`; "
        f"run {payload['generated']}."
    )
    checks = []
    if targets.get("speedup_largest") is not None:
        checks.append(
            f"speed-up at the largest graph {targets['speedup_largest']:.1f}× (target ≥ 3×)"
        )
    if targets.get("linearity") is not None:
        checks.append(
            f"sliced time per 100k at the largest graph is {targets['linearity']:.2f}× that at "
            "the smallest (target ≤ 1.3×)"
        )
    block = "\n".join([START, "", *rows, "", summary, *(f"- {c}" for c in checks), "", END])
    text = f"# Benchmarks\n\n{START}\n{END}\n"
    if DOCS.is_file():
        text = DOCS.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, default=min(2, default_jobs()))
    parser.add_argument(
        "--no-plain-above",
        type=int,
        default=None,
        metavar="TRIPLES",
        help="skip the plain pySHACL run on graphs larger than this (it takes minutes at 1M)",
    )
    parser.add_argument(
        "--no-compiled",
        action="store_true",
        help="skip the run of the compiled shapes in one process (shows what the pool adds)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument(
        "--docs-only", action="store_true", help="rewrite the docs table from --out and stop"
    )
    args = parser.parse_args(argv)
    if args.docs_only:
        write_docs(json.loads(args.out.read_text(encoding="utf-8")))
        return 0

    shapes = load_shapes()
    seed, corpus = base_graph()
    runs = []
    for target in sorted(args.sizes):
        graph, replicas = replicate(seed, target)
        triples = len(graph)
        print(f"{triples:,} triples ({replicas} replicas)", file=sys.stderr, flush=True)
        report, sliced = timed(validate_graph, graph, shapes, jobs=args.jobs)
        print(f"  sliced: {sliced:.1f} s, {report.slices} slices", file=sys.stderr, flush=True)
        compiled = None
        if not args.no_compiled:
            one, compiled = timed(validate_graph, graph, shapes, how="compiled")
            assert {r.key() for r in one.raw} == {r.key() for r in report.raw}
            print(f"  compiled, one process: {compiled:.1f} s", file=sys.stderr, flush=True)
        plain = same = None
        if args.no_plain_above is None or triples <= args.no_plain_above:
            raw, plain = timed(validate_whole, graph, shapes)
            same = {r.key() for r in raw} == {r.key() for r in report.raw}
            print(f"  plain:  {plain:.1f} s, same results: {same}", file=sys.stderr, flush=True)
        runs.append(
            {
                "target": target,
                "triples": triples,
                "replicas": replicas,
                "sliced_seconds": round(sliced, 3),
                "sliced_per_100k": per_100k(sliced, triples),
                "slices": report.slices,
                "mode": report.mode,
                "compiled_seconds": None if compiled is None else round(compiled, 3),
                "compiled_per_100k": per_100k(compiled, triples),
                "focus_nodes": report.checked,
                "results": len(report.raw),
                "plain_seconds": None if plain is None else round(plain, 3),
                "plain_per_100k": per_100k(plain, triples),
                "speedup": None if plain is None else round(plain / sliced, 2),
                "same_results": same,
            }
        )
        del graph, report
        gc.collect()
    first, last = runs[0], runs[-1]
    linearity = (
        round(last["sliced_per_100k"] / first["sliced_per_100k"], 3) if len(runs) > 1 else None
    )
    payload = {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "pyshacl": version("pyshacl"),
            "rdflib": version("rdflib"),
        },
        "jobs": args.jobs,
        "base_graph": {"corpus": os.path.relpath(corpus, ROOT), "triples": len(seed)},
        "runs": runs,
        "targets": {
            "speedup_largest": last["speedup"],
            "speedup_ok": None if last["speedup"] is None else last["speedup"] >= 3,
            "linearity": linearity,
            "linearity_ok": None if linearity is None else linearity <= 1.3,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_docs(payload)
    print(json.dumps(payload["targets"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
