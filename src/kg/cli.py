"""kg's command line. Exit codes: 0 success, 1 validation failed (or a file was skipped under
--strict), 2 error."""

from __future__ import annotations

import atexit
import gc
import json
import sys
from pathlib import Path

import click

from kg import __version__
from kg.cli_options import store_option
from kg.errors import KgError

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"kg: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """kg turns Vietnamese government documents on the COVID-19 response into a knowledge graph
    with provenance: every fact points back to the sentence that states it.

    \b
    Typical use:
      kg build CORPUS_DIR -o graph.ttl
      kg query oversight --graph graph.ttl
      kg validate graph.ttl
    """


@main.command()
@click.argument("corpus", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Turtle file to write (replaced atomically). Default: graph.ttl, or none with --store.",
)
@click.option(
    "--store",
    "store",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the graph in this on-disk Oxigraph store. A later build into the same store "
    "analyses only the documents that changed; query, validate, export, viz and serve open it "
    "with --store.",
)
@click.option("--base", default=None, help="Base IRI for the graph's own resources.")
@click.option(
    "--validate/--no-validate",
    default=True,
    show_default=True,
    help="Check the graph against the SHACL shapes before writing it.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 and keep any earlier output if a file is skipped or the graph does not conform.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for analysing documents and validating (default: one per core).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where documents are analysed: local processes, or a Dask cluster (needs kg[dask]).",
)
@click.option("--scheduler", help="Address of the Dask scheduler for --executor dask.")
@click.option(
    "--max-size",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="MB",
    help="Skip (and report) documents larger than this many megabytes.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Use reference data from this folder instead of kg's own.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def build(
    corpus: Path,
    output: Path | None,
    store: Path | None,
    base: str | None,
    validate: bool,
    strict: bool,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    max_size: float,
    data_dir: str | None,
    quiet: bool,
) -> None:
    """Build a graph from CORPUS, a folder of documents (.txt, .md, .html, .pdf, .docx and,
    with kg[ocr], scanned images) with an optional manifest.csv.

    Files that cannot be read are reported by name and skipped; the rest is built. The output
    is written only when the build is complete, so an earlier graph (Turtle file or store) is
    never left half-written.
    """
    from kg.processes import Prestarted, default_jobs, worth_prestarting

    if output is None and store is None:
        output = Path("graph.ttl")
    jobs = jobs or default_jobs()
    prestarted = None
    if worth_prestarting(store, jobs, executor):
        # before this process imports the rest of kg: the worker's imports overlap its own
        prestarted = Prestarted(data_dir, base)

    from kg.build import build_graph
    from kg.namespaces import DEFAULT_BASE

    progress = None if quiet else _Progress()
    try:
        result = build_graph(
            corpus,
            base=base or DEFAULT_BASE,
            data_dir=data_dir,
            progress=progress,
            jobs=jobs,
            store=store,
            executor=executor,
            scheduler=scheduler,
            max_bytes=int(max_size * 1_000_000),
            commit=False,
            turtle=output or False,
            prestarted=prestarted,
        )
    except KgError as exc:
        _fail(str(exc))
        return
    finally:
        if progress is not None:
            progress.close()
    for problem in result.problems:
        click.echo(f"kg: skipped: {problem}", err=True)
    for note in result.notes:
        click.echo(f"kg: note: {note}", err=True)
    if result.documents == 0:
        result.discard()
        _fail(f"nothing could be built from {corpus}")
    status = EXIT_OK
    target = output or store
    if validate:
        from kg.validate import format_text, validate_graph

        try:
            report = validate_graph(result.graph, jobs=jobs)
        except KgError as exc:
            result.discard()
            _fail(str(exc))
            return
        if report.errors:
            click.echo(format_text(report, limit=20), err=True)
            status = EXIT_INVALID if strict else EXIT_OK
        if report.errors or not quiet:
            hint = ""
            if report.warnings and not report.errors:
                where = f"--store {store}" if output is None else str(output)
                hint = f"; `kg validate {where}` lists the warnings"
            click.echo(f"validated: {report.summary()}{hint}", err=True)
    if strict and result.problems:
        status = EXIT_INVALID
    if strict and status != EXIT_OK:
        result.discard()
        click.echo(f"kg: --strict: {target} left unchanged", err=True)
        sys.exit(status)
    written = result.write_turtle(output) if output is not None else False
    result.commit()
    if not quiet:
        where = " and ".join(str(t) for t in (output if written else None, store) if t)
        reused = result.documents - result.analysed
        click.echo(
            f"wrote {where}: {result.triples} triples from {result.documents} document(s)"
            + (f" ({result.analysed} analysed, {reused} unchanged)" if store else "")
            + (f", {result.removed} removed" if result.removed else "")
            + (f", {len(result.problems)} skipped" if result.problems else "")
            + (f"; {output} was already up to date" if output is not None and not written else ""),
            err=True,
        )
    sys.exit(status)


def run() -> None:
    """The `kg` program: `main` with a quicker exit. At exit Python runs a last full collection
    over every object still alive (the pipeline, the reference data, a build's caches: ~0.2 s
    after a large build), only to free them all anyway; frozen, they are just freed."""
    atexit.register(gc.freeze)
    main()


class _Progress:
    """Progress of a build on stderr: a bar on a terminal, a line per step in a log."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int, path: str) -> None:
        if self.tty:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            click.echo(f"\r  [{bar}] {done}/{total} {path[-40:]:<40}", nl=False, err=True)
            return
        step = max(1, total // 20)  # about every 5% in a log
        if done == total or done % step == 0 or total <= 50:
            click.echo(f"  analysed {done}/{total}: {path}", err=True)

    def close(self) -> None:
        if self.tty:
            click.echo("", err=True)


@main.command()
@click.argument("name", required=False)
@click.option(
    "-g",
    "--graph",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("graph.ttl"),
    show_default=True,
    help="Graph file to query (Turtle, N-Triples, N-Quads, TriG).",
)
@store_option("Query")
@click.option("--sparql", help="Run this SPARQL text instead of a canned query.")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "tsv"]),
    default="table",
    show_default=True,
)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="VAR=VALUE",
    help="Bind a query variable to a value (as an RDF literal, or an IRI if it looks like one).",
)
@click.option(
    "--min-confidence", type=float, default=None, help="Drop rows whose ?confidence is lower."
)
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries and exit.")
@click.option(
    "--endpoint",
    metavar="URL",
    help="Run the query on this SPARQL 1.1 endpoint instead of a graph file.",
)
@click.option("--user", help="HTTP Basic user for --endpoint (or $KG_SPARQL_USER).")
@click.option("--password", help="HTTP Basic password (or $KG_SPARQL_PASSWORD).")
@click.option("--token", help="Bearer token for --endpoint (or $KG_SPARQL_TOKEN).")
def query(
    name: str | None,
    graph: Path,
    store: Path | None,
    sparql: str | None,
    fmt: str,
    params: tuple[str, ...],
    min_confidence: float | None,
    list_queries: bool,
    endpoint: str | None,
    user: str | None,
    password: str | None,
    token: str | None,
) -> None:
    """Run a canned query NAME (see --list), a .rq FILE, or --sparql TEXT against a graph
    file, a store (--store DIR) or, with --endpoint, any SPARQL 1.1 endpoint."""
    from kg.sparql import canned_names, filter_confidence, format_rows, load_query, open_graph, run

    try:
        if list_queries:
            for canned in canned_names():
                click.echo(canned)
            return
        if sparql is None and name is None:
            _fail("give a query NAME, a .rq file or --sparql (kg query --list shows the names)")
        bound = {}
        for item in params:
            if "=" not in item:
                _fail(f"--param {item!r} must look like VAR=VALUE")
            key, value = item.split("=", 1)
            bound[key.strip().lstrip("?")] = value
        text = sparql if sparql is not None else load_query(name)
        if endpoint is not None:
            from kg.endpoint import Credentials, remote_select

            source = click.get_current_context().get_parameter_source("graph")
            if source is click.core.ParameterSource.COMMANDLINE or store is not None:
                _fail("give either --graph, --store or --endpoint, not more")
            credentials = Credentials.resolve(user, password, token)
            variables, rows = remote_select(endpoint, text, bound, credentials)
        elif user is not None or password is not None or token is not None:
            _fail("--user, --password and --token go with --endpoint")
        else:
            from kg.store import pick_graph

            explicit = click.get_current_context().get_parameter_source("graph")
            given = graph if explicit is click.core.ParameterSource.COMMANDLINE else None
            target = pick_graph(given, store) if store is not None else graph
            variables, rows = run(open_graph(target), text, bound)
        rows = filter_confidence(rows, min_confidence)
        click.echo(format_rows(variables, rows, fmt), nl=False)
    except KgError as exc:
        _fail(str(exc))


@main.command()
@click.argument("graph", required=False, type=click.Path(dir_okay=False, path_type=Path))
@store_option("Validate")
@click.option(
    "--shapes",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder (every RDF file in it) or file of SHACL shapes; default: kg's own shapes/.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "turtle", "json"]),
    default="text",
    show_default=True,
    help="text: grouped by node, for a person; turtle: a SHACL validation report; json.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for a large graph (default: one per CPU core).",
)
def validate(
    graph: Path | None, store: Path | None, shapes: Path | None, fmt: str, jobs: int | None
) -> None:
    """Check GRAPH (or the store at --store DIR) against the SHACL shapes. GRAPH is Turtle, or
    by its extension N-Triples (.nt), N-Quads (.nq), TriG (.trig), N3, RDF/XML (.rdf) or
    JSON-LD (.jsonld).

    Exit 0 if it conforms (warnings allowed), 1 if it does not, 2 if the graph or the shapes
    cannot be read (a shapes file that does not parse or is not SHACL is named)."""
    from kg.validate import format_json, format_text, load_graph, load_shapes, validate_graph

    try:
        shapes_graph = load_shapes(shapes)
        from kg.store import pick_graph

        data = load_graph(pick_graph(graph, store))
        origin = str(shapes) if shapes is not None else None
        report = validate_graph(data, shapes_graph, jobs=jobs, shapes_origin=origin)
    except KgError as exc:
        _fail(str(exc))
        return
    if fmt == "turtle":
        click.echo(report.report_graph.serialize(format="turtle"), nl=False)
    elif fmt == "json":
        click.echo(format_json(report))
    else:
        click.echo(format_text(report), nl=False)
    sys.exit(EXIT_INVALID if report.errors else EXIT_OK)


@main.command()
@click.argument("corpus", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--gold",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Gold facts (JSON, the format of eval/gold/*.json).",
)
@click.option(
    "-g",
    "--graph",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Score this graph instead of building CORPUS.",
)
@click.option(
    "--aliases",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Accepted spellings (JSON: canonical -> variants); default: aliases.json by the gold.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the scores and every miss and false fact as JSON.",
)
def evaluate(
    corpus: Path | None, gold: Path, graph: Path | None, aliases: Path | None, as_json: bool
) -> None:
    """Score CORPUS (built now) or --graph against gold facts: precision, recall and F1 per
    category, and every missed and false fact with the sentence it was extracted from."""

    from kg.evaluate import Aliases, format_report, load_gold, summary
    from kg.evaluate import evaluate as run_evaluation
    from kg.sparql import open_graph

    try:
        gold_facts, alias_table = load_gold(gold)
        if aliases is not None:
            alias_table = Aliases(json.loads(aliases.read_text(encoding="utf-8")))
        if graph is not None:
            store = open_graph(graph)
        elif corpus is not None:
            from kg.build import build_graph

            store = build_graph(corpus).store
        else:
            _fail("give a CORPUS folder or --graph")
            return
        outcomes = run_evaluation(store, gold_facts, alias_table)
    except (KgError, ValueError, OSError) as exc:
        _fail(str(exc))
        return
    if as_json:
        payload = summary(outcomes)
        payload["misses"] = {c: o.misses for c, o in outcomes.items() if o.misses}
        payload["false"] = {c: o.false for c, o in outcomes.items() if o.false}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        click.echo(format_report(outcomes), nl=False)


# Commands defined in their own modules register here, one line each.
# -- registered commands --
from kg.cli_viz import viz  # noqa: E402  (light: heavy imports happen inside the commands)
from kg.graph_commands import export_command, push_command, serve_command  # noqa: E402

for _command in (viz, serve_command, push_command, export_command):
    main.add_command(_command)
# -- end of registered commands --

if __name__ == "__main__":  # pragma: no cover
    main()
