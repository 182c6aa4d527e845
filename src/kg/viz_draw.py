"""A static drawing of a view (SVG or PNG) with matplotlib, for reports and slides.

The layout is in columns (leaders | provinces; sources | agencies; sources | documents |
issuers), each ordered to cross few edges, with labels on the outer side of the outer columns
and under the nodes of middle ones, so that no two labels pile up however many nodes there are:
the figure grows with the longest column instead. Text is set in DejaVu Sans, which matplotlib
ships and which has every Vietnamese letter; in SVG it is drawn as paths, so the file looks the
same on machines without that font."""

from __future__ import annotations

import io
from typing import Any

import networkx as nx

from kg.viz import EDGE_STYLES, NODE_STYLES, STATUS_STYLES, column_layout, node_color

FONT = "DejaVu Sans"
ROW_GAP = 0.52  # inches between rows
COLUMN_GAP = 4.2  # inches between columns
LABEL_SIZE = 9.5  # points
SUB_SIZE = 7.5
_MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^"}
_DASHES = {"solid": "-", "dashed": "--", "dotted": ":"}


def _text_width(text: str, size: float) -> float:
    """Rough width in inches of `text` at `size` points in DejaVu Sans (wide-ish: ~0.6 em)."""
    return len(text) * size * 0.6 / 72


def _short(text: str, limit: int = 56) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def draw(g: nx.MultiDiGraph, fmt: str) -> bytes:
    """The view as `svg` or `png` bytes."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    layout = column_layout(g) if g.number_of_nodes() else {}
    columns = max((c for c, _, _ in layout.values()), default=0) + 1
    rows = max((n for _, _, n in layout.values()), default=1)
    labels = {n: _short(str(a.get("label", n))) for n, a in g.nodes(data=True)}
    subs = {
        n: _short(a["posts"][0], 60)
        for n, a in g.nodes(data=True)
        if a.get("kind") == "person" and a.get("posts")
    }

    def width_of(column: int) -> float:
        members = [n for n, (c, _, _) in layout.items() if c == column]
        widths = [_text_width(labels[n], LABEL_SIZE) for n in members]
        widths += [_text_width(subs[n], SUB_SIZE) for n in members if n in subs]
        return max(widths, default=1.0)

    left = width_of(0) + 0.5 if columns > 1 else 1.0
    right = width_of(columns - 1) + 0.5 if columns > 1 else 1.0
    gap = max([COLUMN_GAP] + [width_of(c) + 1.0 for c in range(1, columns - 1)])
    fig_w = max(left + gap * (columns - 1) + right, 7.0)
    top, bottom = 0.9, 1.0 + 0.25 * _legend_rows(g)
    fig_h = max(rows * ROW_GAP + top + bottom, 3.5)

    with matplotlib.rc_context({"font.family": FONT, "svg.hashsalt": "kg", "svg.fonttype": "path"}):
        fig = Figure(figsize=(fig_w, fig_h))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, fig_w)
        ax.set_ylim(0, fig_h)
        ax.set_axis_off()
        free = fig_h - top - bottom
        x_of = {c: (fig_w - gap * (columns - 1)) / 2 + c * gap for c in range(columns)}
        if columns > 1:
            x_of = {c: left + c * gap for c in range(columns)}
        pos = {}
        for node, (c, r, n) in layout.items():
            pos[node] = (x_of[c], bottom + free / 2 + ((n - 1) / 2 - r) * ROW_GAP)

        _draw_edges(ax, g, pos, FancyArrowPatch)
        for node, attrs in g.nodes(data=True):
            x, y = pos[node]
            kind = attrs.get("kind", "entity")
            shape = NODE_STYLES.get(kind, NODE_STYLES["entity"])["shape"]
            ax.scatter(
                [x],
                [y],
                s=110,
                marker=_MARKERS[shape],
                c=node_color(attrs),
                edgecolors="white",
                linewidths=1.2,
                zorder=3,
            )
            c = layout[node][0]
            side = "left" if columns > 1 and c == 0 else "right" if c == columns - 1 else "below"
            dx = {"left": -0.14, "right": 0.14, "below": 0.0}[side]
            ha = {"left": "right", "right": "left", "below": "center"}[side]
            ly = y - 0.19 if side == "below" else (y + 0.06 if node in subs else y)
            ax.text(x + dx, ly, labels[node], ha=ha, va="center", fontsize=LABEL_SIZE, zorder=4)
            if node in subs:
                sub_y = ly - 0.17
                ax.text(
                    x + dx,
                    sub_y,
                    subs[node],
                    ha=ha,
                    va="center",
                    fontsize=SUB_SIZE,
                    color="#555555",
                    zorder=4,
                )

        title = str(g.graph.get("title", ""))
        details = []
        if g.graph.get("on"):
            details.append(f"posts and status as of {g.graph['on']}")
        if g.graph.get("source"):
            details.append(f"source: {g.graph['source']}")
        details.append(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges")
        ax.text(0.3, fig_h - 0.35, title, fontsize=13, fontweight="bold", va="center")
        ax.text(0.3, fig_h - 0.62, " · ".join(details), fontsize=9, color="#555555", va="center")
        if not g.number_of_nodes():
            ax.text(
                fig_w / 2,
                fig_h / 2,
                "Nothing to show: the graph states no such facts",
                ha="center",
                va="center",
                fontsize=11,
                color="#666666",
            )

        handles = _legend_handles(g, Line2D)
        if handles:
            fig.legend(
                handles=handles,
                loc="lower center",
                ncol=min(3, len(handles)),
                frameon=False,
                fontsize=8.5,
                bbox_to_anchor=(0.5, 0.01),
            )
        buffer = io.BytesIO()
        if fmt == "svg":
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        else:
            fig.savefig(buffer, format="png", dpi=150 if fig_h < 30 else 90)
    return buffer.getvalue()


def _draw_edges(ax: Any, g: nx.MultiDiGraph, pos: dict, arrow_class: Any) -> None:
    """Edges as arrows; parallel edges between one pair (oversees and leads) bend apart."""
    by_pair: dict[frozenset, list] = {}
    for u, v, key, attrs in g.edges(keys=True, data=True):
        by_pair.setdefault(frozenset((u, v)), []).append((u, v, key, attrs))
    for group in by_pair.values():
        for i, (u, v, _key, attrs) in enumerate(group):
            style = EDGE_STYLES.get(attrs.get("kind", ""), EDGE_STYLES["cites"])
            rad = (i - (len(group) - 1) / 2) * 0.22 if len(group) > 1 else 0.0
            ax.add_patch(
                arrow_class(
                    pos[u],
                    pos[v],
                    connectionstyle=f"arc3,rad={rad}",
                    arrowstyle="-|>",
                    mutation_scale=11,
                    color=style["color"],
                    linewidth=style["width"] * 0.8,
                    linestyle=_DASHES[style["dash"]],
                    shrinkA=7,
                    shrinkB=8,
                    zorder=2,
                )
            )


def _present(g: nx.MultiDiGraph) -> tuple[list[str], list[str], list[str]]:
    kinds = [k for k in NODE_STYLES if any(a.get("kind") == k for _, a in g.nodes(data=True))]
    statuses = {
        str(a["status"]).split("|")[0]
        for _, a in g.nodes(data=True)
        if a.get("kind") == "province" and "status" in a
    }
    edge_kinds = {a.get("kind") for _, _, a in g.edges(data=True)}
    return (
        kinds,
        [s for s in STATUS_STYLES if s in statuses],
        [k for k in EDGE_STYLES if k in edge_kinds],
    )


def _legend_rows(g: nx.MultiDiGraph) -> int:
    kinds, statuses, edges = _present(g)
    return -(-(len(kinds) + len(statuses) + len(edges)) // 3)


def _legend_handles(g: nx.MultiDiGraph, line_class: Any) -> list:
    kinds, statuses, edge_kinds = _present(g)
    handles = []
    for kind in kinds:
        style = NODE_STYLES[kind]
        label = style["label"] + (" (colour: status)" if kind == "province" and statuses else "")
        color = STATUS_STYLES[""]["color"] if kind == "province" else style["color"]
        handles.append(
            line_class(
                [],
                [],
                marker=_MARKERS[style["shape"]],
                color="white",
                markersize=8,
                markerfacecolor=color,
                label=label,
            )
        )
    for status in statuses:
        style = STATUS_STYLES[status]
        handles.append(
            line_class(
                [],
                [],
                marker="s",
                color="white",
                markersize=8,
                markerfacecolor=style["color"],
                label="status: " + style["label"],
            )
        )
    for kind in edge_kinds:
        style = EDGE_STYLES[kind]
        handles.append(
            line_class(
                [],
                [],
                color=style["color"],
                linewidth=style["width"] * 0.8,
                linestyle=_DASHES[style["dash"]],
                label=style["label"],
            )
        )
    return handles
