"""One self-contained interactive HTML page for a view: the data, the script (a small
force-directed SVG layout written for kg, `viz_assets/viz.js`) and the style are all inlined,
and a Content-Security-Policy forbids any network access, so the page works offline, from an
e-mail attachment or a CI artefact, exactly as it was written.

Text reaches the page only as JSON inside a `<script type="application/json">` block (with `<`,
`>` and `&` escaped) and is put into the DOM with `textContent`, never as markup, so names and
quotes containing `<`, `"` or `&` are shown as written and cannot inject anything."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx

from kg.viz import EDGE_STYLES, NODE_STYLES, STATUS_STYLES, column_layout, node_color

ASSETS = Path(__file__).resolve().parent / "viz_assets"

# What the side panel lists for a node or an edge, in order: attribute name -> caption.
_NODE_FIELDS = [
    ("posts", "posts"),
    ("iso_code", "ISO 3166-2"),
    ("region", "region"),
    ("province_kind", "kind"),
    ("status_label", "epidemic status"),
    ("status_date", "status as of"),
    ("status_sources", "status stated in"),
    ("org_kind", "kind"),
    ("path", "file"),
    ("title", "title"),
    ("date", "date"),
    ("publisher", "publisher"),
    ("types", "type"),
    ("issued", "issued"),
    ("cited_by", "cited by"),
    ("iri", "IRI"),
]
_EDGE_FIELDS = [
    ("posts", "posts"),
    ("organizations", "heads"),
    ("tasks", "tasks"),
    ("sources", "documents"),
    ("dates", "dates"),
    ("confidence", "confidence"),
]
# Statement fields shown beside the document and date.
_STATEMENT_FIELDS = [
    ("post", "post"),
    ("heads", "heads"),
    ("statusLabel", "status"),
    ("task", "task"),
    ("type", "type"),
    ("issued", "issued"),
    ("issuer", "issuer"),
    ("signer", "signer"),
]


def _pairs(attrs: dict[str, Any], fields: list[tuple[str, str]]) -> list[list[str]]:
    out = []
    for key, caption in fields:
        value = attrs.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, (list, tuple)):
            value = "; ".join(str(v) for v in value)
        out.append([caption, str(value)])
    return out


def _statements(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "source": s.get("source", ""),
            "date": s.get("date", ""),
            "confidence": s.get("confidence", ""),
            "facts": _pairs(s, _STATEMENT_FIELDS),
            "evidence": list(s.get("evidence", [])),
        }
        for s in items
    ]


def _search_text(attrs: dict[str, Any]) -> str:
    parts = [attrs.get("label", ""), attrs.get("iso_code", ""), attrs.get("path", "")]
    parts += list(attrs.get("posts", [])) + [attrs.get("title", "")]
    return " ".join(p for p in parts if p)


def page_data(g: nx.MultiDiGraph) -> dict[str, Any]:
    """What the page script draws: nodes and edges by index, with their panel contents."""
    layout = column_layout(g)
    index = {node: i for i, node in enumerate(g.nodes)}
    columns = max((c for c, _, _ in layout.values()), default=0) + 1
    nodes = []
    for node, attrs in g.nodes(data=True):
        column, row, rows = layout[node]
        kind = attrs.get("kind", "entity")
        nodes.append(
            {
                "id": node,
                "label": attrs.get("label", node),
                "kind": kind,
                "status": attrs.get("status", ""),
                "color": node_color(attrs),
                "shape": NODE_STYLES.get(kind, NODE_STYLES["entity"])["shape"],
                "column": column,
                "columns": columns,
                "row": row,
                "rows": rows,
                "subtitle": (attrs.get("posts") or [""])[0] if kind == "person" else "",
                "search": _search_text(attrs),
                "fields": _pairs(attrs, _NODE_FIELDS),
                "evidence": list(attrs.get("status_evidence", [])),
                "statements": _statements(attrs.get("statements", [])),
            }
        )
    edges = []
    for u, v, key, attrs in g.edges(keys=True, data=True):
        kind = attrs.get("kind", key)
        edges.append(
            {
                "id": f"{index[u]}-{index[v]}-{key}",
                "source": index[u],
                "target": index[v],
                "kind": kind,
                "label": attrs.get("label", kind),
                "fields": _pairs(attrs, _EDGE_FIELDS),
                "evidence": list(attrs.get("evidence", [])),
                "statements": _statements(attrs.get("statements", [])),
            }
        )
    kinds = {n["kind"] for n in nodes}
    statuses = {  # only where provinces carry a status (the oversight view)
        str(attrs["status"]).split("|")[0]
        for _, attrs in g.nodes(data=True)
        if attrs.get("kind") == "province" and "status" in attrs
    }
    edge_kinds = {e["kind"] for e in edges}
    return {
        "view": g.graph.get("view", ""),
        "title": g.graph.get("title", ""),
        "on": g.graph.get("on", ""),
        "source": g.graph.get("source", ""),
        "nodes": nodes,
        "edges": edges,
        "style": {
            "nodes": {k: v for k, v in NODE_STYLES.items() if k in kinds},
            "statuses": {k: v for k, v in STATUS_STYLES.items() if k in statuses},
            "edges": {k: v for k, v in EDGE_STYLES.items() if k in edge_kinds},
        },
    }


def script_json(value: Any) -> str:
    """JSON that can sit inside a <script> element: no `</script>`, `<!--` or `&` can appear,
    and the line separators JavaScript once disallowed in strings are escaped too."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _asset(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    if "</" in text.lower().replace("<\\/", ""):
        raise ValueError(f"{name} must not contain '</' (it is inlined into the page)")
    return text


def render_html(g: nx.MultiDiGraph) -> str:
    data = page_data(g)
    subtitle = []
    if data["on"]:
        subtitle.append(f"posts and status as of {data['on']}")
    if data["source"]:
        subtitle.append(f"source: {data['source']}")
    subtitle.append(f"{len(data['nodes'])} nodes, {len(data['edges'])} edges")
    title = f"kg · {data['title']}"
    replacements = {
        "{{TITLE}}": html.escape(title),
        "{{HEADING}}": html.escape(data["title"]),
        "{{SUBTITLE}}": html.escape(" · ".join(subtitle)),
        "{{VIEW}}": html.escape(data["view"], quote=True),
        "{{NODES}}": str(g.number_of_nodes()),
        "{{EDGES}}": str(g.number_of_edges()),
        "{{CSS}}": _asset("viz.css"),
        "{{JS}}": _asset("viz.js"),
        "{{DATA}}": script_json(data),
    }
    # one pass over the template: text put in is never scanned for markers again
    return re.sub(r"\{\{[A-Z]+\}\}", lambda m: replacements[m.group(0)], _TEMPLATE)


_TEMPLATE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none';
      script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="kg viz">
<title>{{TITLE}}</title>
<style>
{{CSS}}
</style>
</head>
<body>
<header>
  <div class="heading">
    <h1>{{HEADING}}</h1>
    <p class="subtitle">{{SUBTITLE}}</p>
  </div>
  <div class="tools">
    <input id="search" type="search" placeholder="Search names, provinces, posts…"
           aria-label="Search the graph" autocomplete="off">
    <span id="search-count" aria-live="polite"></span>
    <button type="button" id="zoom-in" title="Zoom in" aria-label="Zoom in">+</button>
    <button type="button" id="zoom-out" title="Zoom out" aria-label="Zoom out">−</button>
    <button type="button" id="zoom-fit" title="Fit to window">Fit</button>
  </div>
</header>
<main>
  <div id="stage">
    <svg id="graph" role="img" aria-label="{{HEADING}}" data-view="{{VIEW}}"
         data-node-count="{{NODES}}" data-edge-count="{{EDGES}}">
      <defs id="defs"></defs>
      <rect id="background" width="100%" height="100%"></rect>
      <g id="viewport"><g id="edges"></g><g id="nodes"></g><g id="handles"></g></g>
    </svg>
    <div id="legend" role="note" aria-label="Legend"></div>
    <p id="empty" hidden>Nothing to show: the graph states no such facts
      (for this date or source).</p>
  </div>
  <aside id="panel" aria-live="polite">
    <div id="panel-body">
      <p class="hint">Click a node or a line to see the sentences and documents that state it.
      Drag nodes to move them, drag the background to pan, scroll to zoom.</p>
    </div>
  </aside>
</main>
<script type="application/json" id="kg-data">{{DATA}}</script>
<script>
{{JS}}
</script>
</body>
</html>
"""
