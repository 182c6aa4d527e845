/* kg viz: draws one view of a kg graph as SVG, with a small force-directed layout (nodes keep
   to their column: leaders left, provinces right; forces arrange them vertically and keep labels
   apart), zoom, pan, drag, search, a legend, and a side panel with the evidence of whatever is
   clicked. Plain ES5-ish JavaScript, no library, no network: the page must work offline.
   Every text reaches the DOM through textContent or setAttribute, never as markup. */
(function () {
  "use strict";

  var SVGNS = "http://www.w3.org/2000/svg";
  var R = 9;               // node radius
  var COLUMN_GAP = 460;    // distance between columns
  var ROW_GAP = 56;        // initial distance between rows
  var PAD = 5;             // space kept around each node with its label

  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var svg = document.getElementById("graph");
  var defs = document.getElementById("defs");
  var viewport = document.getElementById("viewport");
  var edgeLayer = document.getElementById("edges");
  var nodeLayer = document.getElementById("nodes");
  var handleLayer = document.getElementById("handles");
  var panel = document.getElementById("panel-body");
  var searchBox = document.getElementById("search");
  var searchCount = document.getElementById("search-count");
  var style = data.style;

  function svgEl(tag, attrs, parent) {
    var el = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(el);
    return el;
  }

  function htmlEl(tag, text, parent, cls) {
    var el = document.createElement(tag);
    if (text !== null && text !== undefined) el.textContent = String(text);
    if (cls) el.className = cls;
    if (parent) parent.appendChild(el);
    return el;
  }

  function fold(text) {  // case- and diacritic-insensitive search: "ha noi" finds "Hà Nội"
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/\u0111/g, "d").replace(/\u0110/g, "D").toLowerCase();
  }

  function edgeStyle(kind) {
    return style.edges[kind] || { color: "#777", dash: "solid", width: 1.5, label: kind };
  }

  function dashArray(dash) {
    return dash === "dashed" ? "8 5" : dash === "dotted" ? "2 4" : "none";
  }

  // --- the model ------------------------------------------------------------------------

  var nodes = data.nodes.map(function (n, i) {
    var node = Object.assign({}, n);
    node.index = i; node.x = 0; node.y = 0; node.vx = 0; node.vy = 0; node.edges = [];
    node.folded = fold(n.search + " " + n.label);
    return node;
  });
  var edges = data.edges.map(function (e, i) {
    var edge = Object.assign({}, e);
    edge.index = i; edge.s = nodes[e.source]; edge.t = nodes[e.target]; edge.offset = 0;
    edge.s.edges.push(edge);
    if (edge.t !== edge.s) edge.t.edges.push(edge);
    return edge;
  });
  // parallel edges (a leader who both oversees and leads a province) curve apart
  var pairs = {};
  edges.forEach(function (e) {
    var key = Math.min(e.source, e.target) + ":" + Math.max(e.source, e.target);
    (pairs[key] = pairs[key] || []).push(e);
  });
  Object.keys(pairs).forEach(function (key) {
    var group = pairs[key];
    group.forEach(function (e, i) {
      var offset = group.length > 1 ? (i - (group.length - 1) / 2) * 44 : 0;
      e.offset = e.source > e.target ? -offset : offset;
    });
  });

  // --- drawing nodes (labels first: their sizes drive the layout) ---------------------------

  function drawShape(n, g) {
    var attrs = { "class": "shape", fill: n.color };
    if (n.shape === "square") {
      return svgEl("rect", Object.assign(attrs, { x: -R, y: -R, width: 2 * R, height: 2 * R, rx: 2 }), g);
    }
    if (n.shape === "diamond") {
      var d = R * 1.25;
      return svgEl("polygon", Object.assign(attrs, { points: [0, -d, d, 0, 0, d, -d, 0].join(" ") }), g);
    }
    if (n.shape === "triangle") {
      var t = R * 1.3;
      return svgEl("polygon", Object.assign(attrs, { points: [0, -t, t, t * 0.8, -t, t * 0.8].join(" ") }), g);
    }
    return svgEl("circle", Object.assign(attrs, { r: R }), g);
  }

  nodes.forEach(function (n) {
    var g = svgEl("g", {
      "class": "node kind-" + n.kind, "data-index": n.index, "data-id": n.id,
      tabindex: 0, role: "button", "aria-label": n.label
    }, nodeLayer);
    drawShape(n, g);
    n.side = n.columns > 1 && n.column === 0 ? "left"
      : n.columns > 1 && n.column === n.columns - 1 ? "right" : "below";
    var anchor = n.side === "left" ? "end" : n.side === "right" ? "start" : "middle";
    var tx = n.side === "left" ? -(R + 7) : n.side === "right" ? R + 7 : 0;
    var ty = n.side === "below" ? R + 15 : 4;
    var label = svgEl("text", { x: tx, y: ty, "text-anchor": anchor }, g);
    label.textContent = n.label;
    var sub = null;
    if (n.subtitle) {
      sub = svgEl("text", { "class": "sub", x: tx, y: ty + 14, "text-anchor": anchor }, g);
      sub.textContent = n.subtitle;
    }
    var w = Math.max(label.getComputedTextLength(), sub ? sub.getComputedTextLength() : 0);
    var h = sub ? 32 : 18;
    if (n.side === "left") n.box = [-(R + 7 + w), R, -Math.max(R, 11), Math.max(R, h - 9)];
    else if (n.side === "right") n.box = [-R, R + 7 + w, -Math.max(R, 11), Math.max(R, h - 9)];
    else n.box = [-Math.max(R, w / 2), Math.max(R, w / 2), -R - 2, R + h + 2];
    // the node and its label are one target: clicking or dragging the name works too
    var hit = svgEl("rect", {
      "class": "node-hit", x: n.box[0], y: n.box[2], width: n.box[1] - n.box[0], height: n.box[3] - n.box[2]
    });
    g.insertBefore(hit, g.firstChild);
    n.g = g;
  });

  // --- the layout ---------------------------------------------------------------------------

  function collide(strength) {
    for (var i = 0; i < nodes.length; i++) {
      var a = nodes[i];
      for (var j = i + 1; j < nodes.length; j++) {
        var b = nodes[j];
        var ox = Math.min(a.x + a.box[1], b.x + b.box[1]) - Math.max(a.x + a.box[0], b.x + b.box[0]) + PAD;
        if (ox <= 0) continue;
        var oy = Math.min(a.y + a.box[3], b.y + b.box[3]) - Math.max(a.y + a.box[2], b.y + b.box[2]) + PAD;
        if (oy <= 0) continue;
        if (oy <= ox || a.column === b.column) {   // within a column, stack; else the cheaper way
          var sy = (a.y < b.y || (a.y === b.y && i < j)) ? -1 : 1;
          a.y += sy * oy * strength / 2; b.y -= sy * oy * strength / 2;
        } else {
          var sx = a.x < b.x ? -1 : 1;
          a.x += sx * ox * strength / 2; b.x -= sx * ox * strength / 2;
        }
      }
    }
  }

  function layout() {
    nodes.forEach(function (n) {
      n.tx = (n.column - (n.columns - 1) / 2) * (n.columns > 2 ? COLUMN_GAP * 0.75 : COLUMN_GAP);
      n.x = n.tx;
      n.y = (n.row - (n.rows - 1) / 2) * ROW_GAP;
    });
    var iterations = nodes.length > 400 ? 80 : nodes.length > 150 ? 160 : 300;
    var alpha = 1, decay = 1 - Math.pow(0.001, 1 / iterations);
    for (var it = 0; it < iterations; it++) {
      alpha *= 1 - decay;
      edges.forEach(function (e) {       // springs: linked nodes come to similar heights
        if (e.s === e.t) return;
        var dy = e.t.y - e.s.y, k = 0.08 * alpha;
        e.s.vy += dy * k; e.t.vy -= dy * k;
        if (e.s.column === e.t.column) {  // same column (rare): keep them near in x too
          var dx = e.t.x - e.s.x;
          e.s.vx += dx * k * 0.5; e.t.vx -= dx * k * 0.5;
        }
      });
      for (var i = 0; i < nodes.length; i++) {  // charge: everything repels everything
        var a = nodes[i];
        for (var j = i + 1; j < nodes.length; j++) {
          var b = nodes[j];
          var dx2 = b.x - a.x, dy2 = b.y - a.y, d2 = dx2 * dx2 + dy2 * dy2;
          if (d2 > 90000) continue;       // only near neighbours push each other
          if (d2 < 1) { dy2 = (j - i) * 0.5; d2 = dy2 * dy2 + 1; }
          var f = 300 * alpha / d2;
          a.vx -= dx2 * f; a.vy -= dy2 * f; b.vx += dx2 * f; b.vy += dy2 * f;
        }
      }
      nodes.forEach(function (n) {      // keep to the column, drift towards the middle
        n.vx += (n.tx - n.x) * 0.25 * alpha;
        n.vy += -n.y * 0.02 * alpha;
        n.vx *= 0.6; n.vy *= 0.6;
        n.x += n.vx; n.y += n.vy;
      });
      collide(0.7);
    }
    for (var pass = 0; pass < 60; pass++) collide(1);
  }

  // --- drawing edges ------------------------------------------------------------------------

  Object.keys(style.edges).forEach(function (kind) {
    var s = edgeStyle(kind);
    var marker = svgEl("marker", {
      id: "arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9,
      markerUnits: "userSpaceOnUse", orient: "auto"
    }, defs);
    svgEl("path", { d: "M0,0 L10,5 L0,10 z", fill: s.color }, marker);
  });

  function unit(dx, dy) {
    var len = Math.sqrt(dx * dx + dy * dy) || 1;
    return [dx / len, dy / len];
  }

  function geometry(e) {
    var s = e.s, t = e.t;
    if (s === t) {
      var top = s.y - R;
      return {
        d: "M" + (s.x - 5) + "," + top + " C" + (s.x - 30) + "," + (top - 40) + " " + (s.x + 30) + "," +
          (top - 40) + " " + (s.x + 5) + "," + top, mx: s.x, my: top - 30
      };
    }
    var n = unit(-(t.y - s.y), t.x - s.x);
    var cx = (s.x + t.x) / 2 + n[0] * e.offset * 2, cy = (s.y + t.y) / 2 + n[1] * e.offset * 2;
    var a = unit(cx - s.x, cy - s.y), b = unit(t.x - cx, t.y - cy);
    var sx = s.x + a[0] * (R + 2), sy = s.y + a[1] * (R + 2);
    var ex = t.x - b[0] * (R + 4), ey = t.y - b[1] * (R + 4);
    return {
      d: "M" + sx.toFixed(1) + "," + sy.toFixed(1) + " Q" + cx.toFixed(1) + "," + cy.toFixed(1) + " " +
        ex.toFixed(1) + "," + ey.toFixed(1),
      mx: 0.25 * s.x + 0.5 * cx + 0.25 * t.x, my: 0.25 * s.y + 0.5 * cy + 0.25 * t.y
    };
  }

  function drawEdges() {
    edges.forEach(function (e) {
      var s = edgeStyle(e.kind);
      var name = e.s.label + " \u2192 " + e.t.label + " (" + e.label + ")";
      e.path = svgEl("path", {
        "class": "edge kind-" + e.kind, "data-index": e.index, stroke: s.color,
        "stroke-width": s.width, "stroke-dasharray": dashArray(s.dash),
        "marker-end": "url(#arrow-" + e.kind + ")"
      }, edgeLayer);
      e.hit = svgEl("path", { "class": "edge-hit", "data-edge": e.index }, edgeLayer);
      svgEl("title", {}, e.hit).textContent = name;
      e.handle = svgEl("circle", {
        "class": "edge-handle kind-" + e.kind, "data-edge": e.index, r: 5, fill: s.color,
        tabindex: 0, role: "button", "aria-label": name
      }, handleLayer);
      svgEl("title", {}, e.handle).textContent = name;
    });
  }

  function place() {
    nodes.forEach(function (n) {
      n.g.setAttribute("transform", "translate(" + n.x.toFixed(1) + "," + n.y.toFixed(1) + ")");
    });
    edges.forEach(placeEdge);
  }

  function placeEdge(e) {
    var geo = geometry(e);
    e.path.setAttribute("d", geo.d);
    e.hit.setAttribute("d", geo.d);
    e.handle.setAttribute("cx", geo.mx.toFixed(1));
    e.handle.setAttribute("cy", geo.my.toFixed(1));
  }

  // --- zoom and pan -------------------------------------------------------------------------

  var view = { k: 1, x: 0, y: 0 };

  function applyView() {
    viewport.setAttribute("transform",
      "translate(" + view.x.toFixed(2) + "," + view.y.toFixed(2) + ") scale(" + view.k.toFixed(4) + ")");
  }

  function bounds() {
    var b = [Infinity, -Infinity, Infinity, -Infinity];
    nodes.forEach(function (n) {
      b[0] = Math.min(b[0], n.x + n.box[0]); b[1] = Math.max(b[1], n.x + n.box[1]);
      b[2] = Math.min(b[2], n.y + n.box[2]); b[3] = Math.max(b[3], n.y + n.box[3]);
    });
    edges.forEach(function (e) {
      var g = geometry(e);
      b[2] = Math.min(b[2], g.my - 8); b[3] = Math.max(b[3], g.my + 8);
    });
    return b;
  }

  function fit() {
    if (!nodes.length) return;
    var b = bounds(), w = svg.clientWidth || 800, h = svg.clientHeight || 600, m = 24;
    var k = Math.min((w - 2 * m) / Math.max(b[1] - b[0], 1), (h - 2 * m) / Math.max(b[3] - b[2], 1), 1.6);
    view.k = Math.max(k, 0.05);
    view.x = w / 2 - view.k * (b[0] + b[1]) / 2;
    view.y = h / 2 - view.k * (b[2] + b[3]) / 2;
    applyView();
  }

  function zoomAt(px, py, factor) {
    var k = Math.min(Math.max(view.k * factor, 0.05), 10);
    view.x = px - (px - view.x) * k / view.k;
    view.y = py - (py - view.y) * k / view.k;
    view.k = k;
    applyView();
  }

  function centerOn(n) {
    var w = svg.clientWidth, h = svg.clientHeight;
    view.x = w / 2 - view.k * n.x;
    view.y = h / 2 - view.k * n.y;
    applyView();
  }

  function pointer(ev) {
    var rect = svg.getBoundingClientRect();
    return { x: ev.clientX - rect.left, y: ev.clientY - rect.top };
  }

  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = pointer(ev);
    zoomAt(p.x, p.y, Math.exp(-ev.deltaY * 0.0015));
  }, { passive: false });

  document.getElementById("zoom-in").addEventListener("click", function () {
    zoomAt(svg.clientWidth / 2, svg.clientHeight / 2, 1.3);
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    zoomAt(svg.clientWidth / 2, svg.clientHeight / 2, 1 / 1.3);
  });
  document.getElementById("zoom-fit").addEventListener("click", fit);

  // one pointer gesture: drag a node, pan the background, or (without moving) click
  var gesture = null;

  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    var target = ev.target;
    var nodeG = target.closest ? target.closest(".node") : null;
    var p = pointer(ev);
    gesture = { start: p, moved: false, vx: view.x, vy: view.y };
    if (nodeG) {
      gesture.node = nodes[Number(nodeG.getAttribute("data-index"))];
      gesture.nx = gesture.node.x; gesture.ny = gesture.node.y;
    } else if (target.hasAttribute && target.hasAttribute("data-edge")) {
      gesture.edge = edges[Number(target.getAttribute("data-edge"))];
    } else {
      svg.classList.add("panning");
    }
    if (svg.setPointerCapture) svg.setPointerCapture(ev.pointerId);
  });

  svg.addEventListener("pointermove", function (ev) {
    if (!gesture) return;
    var p = pointer(ev), dx = p.x - gesture.start.x, dy = p.y - gesture.start.y;
    if (!gesture.moved && dx * dx + dy * dy < 9) return;
    gesture.moved = true;
    if (gesture.node) {
      var n = gesture.node;
      n.x = gesture.nx + dx / view.k; n.y = gesture.ny + dy / view.k;
      n.g.setAttribute("transform", "translate(" + n.x.toFixed(1) + "," + n.y.toFixed(1) + ")");
      n.edges.forEach(placeEdge);
    } else if (!gesture.edge) {
      view.x = gesture.vx + dx; view.y = gesture.vy + dy;
      applyView();
    }
  });

  function endGesture() {
    var g = gesture;
    gesture = null;
    svg.classList.remove("panning");
    if (!g || g.moved) return;
    if (g.node) selectNode(g.node);
    else if (g.edge) selectEdge(g.edge);
    else clearSelection();
  }
  svg.addEventListener("pointerup", endGesture);
  svg.addEventListener("pointercancel", function () { gesture = null; svg.classList.remove("panning"); });

  svg.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    var target = ev.target;
    if (target.classList.contains("node")) selectNode(nodes[Number(target.getAttribute("data-index"))]);
    else if (target.hasAttribute("data-edge")) selectEdge(edges[Number(target.getAttribute("data-edge"))]);
    else return;
    ev.preventDefault();
  });

  // --- selection and the side panel -----------------------------------------------------------

  function clearSelection() {
    Array.prototype.forEach.call(svg.querySelectorAll(".selected"), function (el) {
      el.classList.remove("selected");
    });
  }

  function badge(text, color, parent) {
    var b = htmlEl("span", text, parent, "kind");
    b.style.background = color;
    return b;
  }

  function fieldList(fields, parent) {
    if (!fields.length) return;
    var dl = htmlEl("dl", null, parent);
    fields.forEach(function (f) { htmlEl("dt", f[0], dl); htmlEl("dd", f[1], dl); });
  }

  function statementList(items, heading, parent) {
    if (!items.length) return;
    htmlEl("h3", heading, parent);
    items.forEach(function (s) {
      var div = htmlEl("div", null, parent, "statement");
      htmlEl("div", s.source, div, "doc");
      var meta = [s.date ? "source dated " + s.date : "undated source"];
      if (s.confidence !== "" && s.confidence !== null) meta.push("confidence " + s.confidence);
      htmlEl("div", meta.join(" \u00b7 "), div, "meta");
      s.facts.forEach(function (f) { htmlEl("div", f[0] + ": " + f[1], div, "meta"); });
      s.evidence.forEach(function (q) { htmlEl("blockquote", q, div); });
    });
  }

  function nodeKindLabel(n) {
    return (style.nodes[n.kind] || { label: n.kind }).label;
  }

  function linkButton(text, parent, onClick) {
    var b = htmlEl("button", text, parent);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function showNode(n) {
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    panel.setAttribute("data-selected", "node");
    htmlEl("h2", n.label, panel);
    badge(nodeKindLabel(n), n.color, panel);
    fieldList(n.fields, panel);
    if (n.edges.length) {
      htmlEl("h3", "Connections", panel);
      var links = htmlEl("div", null, panel, "links");
      n.edges.forEach(function (e) {
        var text = e.s === n ? e.label + " \u2192 " + e.t.label : e.s.label + " " + e.label + " \u2192 this";
        linkButton(text, links, function () { selectEdge(e); });
      });
    }
    var heading = n.kind === "person" ? "Posts, as the sources state them"
      : n.kind === "province" ? "Epidemic status, as the sources state it" : "Statements";
    statementList(n.statements, heading, panel);
  }

  function showEdge(e) {
    var s = edgeStyle(e.kind);
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    panel.setAttribute("data-selected", "edge");
    htmlEl("h2", e.s.label + " \u2192 " + e.t.label, panel);
    badge(s.label, s.color, panel);
    fieldList(e.fields, panel);
    statementList(e.statements, "Evidence", panel);
    htmlEl("h3", "Ends", panel);
    var links = htmlEl("div", null, panel, "links");
    [e.s, e.t].forEach(function (n) {
      linkButton(n.label + " (" + nodeKindLabel(n) + ")", links, function () { selectNode(n); });
    });
  }

  function selectNode(n) {
    clearSelection();
    n.g.classList.add("selected");
    showNode(n);
  }

  function selectEdge(e) {
    clearSelection();
    e.path.classList.add("selected");
    e.handle.classList.add("selected");
    showEdge(e);
  }

  // --- search -----------------------------------------------------------------------------

  function runSearch() {
    var q = fold(searchBox.value.trim());
    var matches = [];
    nodes.forEach(function (n) {
      var hit = q !== "" && n.folded.indexOf(q) >= 0;
      if (hit) matches.push(n);
      n.g.classList.toggle("match", hit);
      n.g.classList.toggle("dim", q !== "" && !hit);
    });
    edges.forEach(function (e) {
      var near = q === "" || matches.indexOf(e.s) >= 0 || matches.indexOf(e.t) >= 0;
      e.path.classList.toggle("dim", !near);
      e.handle.classList.toggle("dim", !near);
    });
    searchCount.textContent = q === "" ? "" : matches.length + (matches.length === 1 ? " match" : " matches");
    return matches;
  }

  searchBox.addEventListener("input", runSearch);
  searchBox.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var matches = runSearch();
      if (matches.length) { centerOn(matches[0]); selectNode(matches[0]); }
    } else if (ev.key === "Escape") {
      searchBox.value = "";
      runSearch();
    }
  });

  // --- legend -------------------------------------------------------------------------------

  function swatch(draw) {
    var s = svgEl("svg", { width: 30, height: 16, viewBox: "0 0 30 16", "aria-hidden": "true" });
    draw(s);
    return s;
  }

  function legendGroup(title, rows) {
    if (!rows.length) return;
    var legend = document.getElementById("legend");
    var group = htmlEl("div", null, legend, "group");
    htmlEl("span", title, group, "title");
    rows.forEach(function (row) {
      var item = htmlEl("span", null, group, "row");
      item.appendChild(row[0]);
      htmlEl("span", row[1], item);
    });
  }

  function drawLegend() {
    var hasStatus = Object.keys(style.statuses).length > 0;
    legendGroup("Nodes", Object.keys(style.nodes).map(function (kind) {
      var ns = style.nodes[kind];
      var fake = { shape: ns.shape, color: ns.color };
      var label = kind === "province" && hasStatus ? ns.label + " (colour: status)" : ns.label;
      return [swatch(function (s) {
        var g = svgEl("g", { transform: "translate(15,8) scale(0.7)" }, s);
        drawShape(fake, g);
      }), label];
    }));
    legendGroup("Status", Object.keys(style.statuses).map(function (code) {
      var st = style.statuses[code];
      return [swatch(function (s) {
        svgEl("rect", { x: 9, y: 2, width: 12, height: 12, rx: 2, fill: st.color }, s);
      }), st.label];
    }));
    legendGroup("Lines", Object.keys(style.edges).map(function (kind) {
      var es = edgeStyle(kind);
      return [swatch(function (s) {
        svgEl("line", {
          x1: 1, y1: 8, x2: 29, y2: 8, stroke: es.color, "stroke-width": es.width,
          "stroke-dasharray": dashArray(es.dash)
        }, s);
      }), es.label];
    }));
    legendGroup("", [[swatch(function (s) {
      svgEl("circle", { cx: 15, cy: 8, r: 5, fill: "#777", stroke: "#fff" }, s);
    }), "dot on a line: click for its evidence"]]);
  }

  // --- go -----------------------------------------------------------------------------------

  layout();
  drawEdges();
  place();
  drawLegend();  // before fitting: the legend takes room from the drawing
  fit();
  if (!nodes.length) document.getElementById("empty").hidden = false;
  window.addEventListener("resize", function () { if (!gesture) fit(); });
  svg.setAttribute("data-rendered-nodes", String(nodeLayer.querySelectorAll(".node").length));
  svg.setAttribute("data-rendered-edges", String(edgeLayer.querySelectorAll(".edge").length));
  svg.setAttribute("data-ready", "true");
}());
