"""The commands that move a built graph elsewhere: `kg serve` (a SPARQL endpoint, read-only
unless given an update token),
`kg push` (into a triple store) and `kg export` (other RDF formats). Defined here and
registered in kg.cli; heavy imports wait until a command runs so `kg --help` stays fast."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import NoReturn

import click

from kg.cli_options import store_option
from kg.errors import KgError

EXIT_ERROR = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"kg: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.argument("graph", required=False, type=click.Path(dir_okay=False, path_type=Path))
@store_option("Serve (read-only)")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback exposes the graph to the network.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Stop a query after this many seconds and answer HTTP 503.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Return at most this many rows (or triples); the header KG-Truncated says when cut.",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=1 << 20,
    show_default=True,
    help="Refuse request bodies larger than this many bytes (HTTP 413).",
)
@click.option(
    "--max-connections",
    type=click.IntRange(1, 10_000),
    default=64,
    show_default=True,
    help="Connections served at once; more get HTTP 503 at once (each holds a thread).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Query worker processes (queries that run at once).",
)
@click.option(
    "--allow-update",
    is_flag=True,
    help="Accept SPARQL Update at /update from clients sending the --token as "
    "'Authorization: Bearer TOKEN'. Updates change the served graph in memory, never the file.",
)
@click.option(
    "--token",
    envvar="KG_SERVE_TOKEN",
    metavar="TOKEN",
    help="The bearer token updates need (16+ characters). Prefer the KG_SERVE_TOKEN environment "
    "variable: a command line is visible to every user of the machine.",
)
@click.option("-q", "--quiet", is_flag=True, help="Do not log requests.")
def serve_command(
    graph: Path | None,
    store: Path | None,
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    max_body: int,
    max_connections: int,
    workers: int,
    allow_update: bool,
    token: str | None,
    quiet: bool,
) -> None:
    """Serve GRAPH (or the store at --store DIR) as a SPARQL 1.1 endpoint at /sparql, with a
    page at / that lists and runs the canned queries. Read-only unless started with
    --allow-update and a --token. Ctrl-C stops it."""
    from kg.serve import serve_until_stopped, start

    def log(line: str) -> None:
        click.echo(f"kg: {line}", err=True)

    if allow_update and not token:
        _fail("--allow-update needs --token TOKEN (or KG_SERVE_TOKEN)")
    source = click.get_current_context().get_parameter_source("token")
    if token and not allow_update and source is click.core.ParameterSource.COMMANDLINE:
        _fail("--token goes with --allow-update (the server is read-only without it)")
    try:
        from kg.store import pick_graph

        graph = pick_graph(graph, store)
        server = start(
            graph,
            host,
            port,
            timeout=timeout,
            max_rows=max_rows,
            max_body=max_body,
            max_connections=max_connections,
            workers=workers,
            log=None if quiet else log,
            update_token=token if allow_update else None,
        )
    except KgError as exc:
        _fail(str(exc))
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    click.echo(
        f"kg: serving {graph} ({server.pool.quads} triples) at http://{shown}:{bound_port}/sparql"
        f" (page at http://{shown}:{bound_port}/); Ctrl-C stops",
        err=True,
    )
    if allow_update:
        click.echo(
            f"kg: SPARQL Update accepted at http://{shown}:{bound_port}/update with the bearer "
            "token; updates live in memory and are lost when the server stops",
            err=True,
        )
    if not _is_loopback(host):
        click.echo(
            f"kg: warning: listening on {host}, not loopback: anyone who can reach this machine "
            "can query the graph",
            err=True,
        )
        if allow_update:
            click.echo(
                "kg: warning: the update token travels in clear text over HTTP: put a TLS proxy "
                "in front of this server",
                err=True,
            )
    serve_until_stopped(server)
    click.echo("kg: stopped", err=True)


@click.command("push")
@click.argument("graph", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Graph Store Protocol endpoint, e.g. http://localhost:7878/store.",
)
@click.option(
    "--update",
    "update_url",
    metavar="URL",
    help="SPARQL Update endpoint instead: the graph goes as INSERT DATA in batches.",
)
@click.option("--graph-iri", metavar="IRI", help="Load into this named graph, not the default.")
@click.option(
    "--replace",
    is_flag=True,
    help="Replace what the target graph holds (PUT, or CLEAR/DROP first) instead of adding.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="Triples per INSERT DATA request (with --update).",
)
@click.option("--user", help="HTTP Basic user (or $KG_SPARQL_USER).")
@click.option("--password", help="HTTP Basic password (or $KG_SPARQL_PASSWORD).")
@click.option("--token", help="Bearer token (or $KG_SPARQL_TOKEN).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Seconds to wait for each request.",
)
def push_command(
    graph: Path,
    store_url: str | None,
    update_url: str | None,
    graph_iri: str | None,
    replace: bool,
    batch_size: int,
    user: str | None,
    password: str | None,
    token: str | None,
    timeout: float,
) -> None:
    """Load GRAPH into a triple store through the SPARQL 1.1 Graph Store HTTP Protocol
    (--store) or SPARQL Update (--update). Pushing the same graph twice leaves one copy."""
    from kg.endpoint import Credentials, push, safe_url

    try:
        credentials = Credentials.resolve(user, password, token)
        result = push(
            graph,
            store=store_url,
            update=update_url,
            graph_iri=graph_iri,
            replace=replace,
            batch_size=batch_size,
            credentials=credentials,
            timeout=timeout,
        )
    except KgError as exc:
        _fail(str(exc))
    where = safe_url(store_url or update_url or "")
    note = f"; {result.skolemized} blank node(s) named" if result.skolemized else ""
    verb = "replaced" if replace else "added to"
    click.echo(
        f"kg: pushed {result.triples} triples from {graph} ({verb} {result.target} at {where}, "
        f"{result.requests} request{'s' if result.requests != 1 else ''}{note})",
        err=True,
    )


@click.command("export")
@click.argument("graph", required=False, type=click.Path(dir_okay=False, path_type=Path))
@store_option("Export")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["turtle", "ntriples", "nquads", "trig", "jsonld"]),
    default=None,
    help="Output format (default: from the extension of --output).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="File to write (replaced atomically), or - for standard output.",
)
@click.option("--base", metavar="IRI", help="JSON-LD @base (default: the graph's own base).")
def export_command(
    graph: Path | None, store: Path | None, fmt: str | None, output: Path, base: str | None
) -> None:
    """Write GRAPH (or the store at --store DIR) as Turtle, N-Triples, N-Quads, TriG or
    JSON-LD. In TriG and N-Quads each
    source document's statements, evidence and meetings form a named graph (the source's IRI);
    entities and sources stay in the default graph."""
    from kg.export import export_file, export_store, format_for
    from kg.sparql import open_graph
    from kg.store import pick_graph

    try:
        graph = pick_graph(graph, store)
        if str(output) == "-":
            if fmt is None:
                _fail("give --format when writing to standard output")
            sys.stdout.buffer.write(export_store(open_graph(graph), fmt, base))
            sys.stdout.flush()
            return
        chosen = format_for(output, fmt)
        triples = export_file(graph, output, chosen, base)
    except KgError as exc:
        _fail(str(exc))
    click.echo(f"kg: wrote {output}: {triples} triples as {chosen}", err=True)
