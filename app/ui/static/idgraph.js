/* idgraph pages: the API key in sessionStorage, API calls with it, shared drawing helpers.
 * No data is embedded in the pages: everything comes from /v1 with the key as a header. */
(function () {
  "use strict";
  var KEY = "idgraph.apiKey";

  var KIND_COLOURS = {
    email: "#2563eb", phone: "#16a34a", account: "#9333ea", device: "#ea580c",
    cookie: "#ca8a04", record: "#0891b2", Record: "#94a3b8", other: "#64748b"
  };
  var EDGE_COLOURS = { LINKED: "#475569", SIMILAR: "#db2777", OBSERVED: "#cbd5e1", override: "#0f766e" };

  function key() { return sessionStorage.getItem(KEY); }

  function signIn() {
    // Only the path is remembered (never the key, never a fragment with identifiers).
    sessionStorage.setItem("idgraph.next", location.pathname);
    location.assign("/ui/login");
  }

  function showError(message) {
    var box = document.getElementById("error");
    if (!box) { return; }
    box.textContent = message;
    box.hidden = !message;
  }

  async function api(path, options) {
    options = options || {};
    var stored = key();
    if (!stored) { signIn(); throw new Error("not signed in"); }
    var headers = { Authorization: "Bearer " + stored, Accept: "application/json" };
    var init = { method: options.method || "GET", headers: headers };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    var response = await fetch(path, init);
    if (response.status === 401) { sessionStorage.removeItem(KEY); signIn(); throw new Error("key refused"); }
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      var detail = body && body.detail;
      if (Array.isArray(detail)) {
        detail = detail.map(function (d) { return (d.loc || []).join(".") + ": " + d.msg; }).join("; ");
      }
      var error = new Error(detail || ("HTTP " + response.status));
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; }
      else if (name.indexOf("on") === 0) { node.addEventListener(name.slice(2), attrs[name]); }
      else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function kindOf(identifierKey) { return identifierKey.split(":", 1)[0]; }
  function colour(kind) { return KIND_COLOURS[kind] || KIND_COLOURS.other; }
  function pct(p) { return p === null || p === undefined ? "–" : (100 * p).toFixed(1) + "%"; }
  function when(t) { return t ? String(t).replace("T", " ").slice(0, 19) : ""; }

  function legend(container, kinds, edges) {
    container.textContent = "";
    kinds.forEach(function (kind) {
      var item = el("span", { text: kind === "Record" ? "record (source row)" : kind });
      item.style.setProperty("--swatch", colour(kind));
      container.appendChild(item);
    });
    (edges || []).forEach(function (type) {
      var item = el("span", { class: "edge", text: type });
      item.style.setProperty("--swatch", EDGE_COLOURS[type] || "#333");
      container.appendChild(item);
    });
  }

  /* The cytoscape style every page uses; classes mark path, weakest, critical, cut. */
  function graphStyle() {
    return [
      { selector: "node", style: {
        "background-color": "data(colour)", label: "data(label)", "font-size": 9,
        "text-valign": "bottom", "text-margin-y": 3, color: "#1d2733", width: 22, height: 22,
        "text-wrap": "ellipsis", "text-max-width": 140 } },
      { selector: "node.record", style: { shape: "round-rectangle", width: 14, height: 14, "font-size": 7 } },
      { selector: "node.shared", style: { "border-width": 3, "border-style": "dashed", "border-color": "#b91c1c" } },
      { selector: "node.endpoint", style: { "border-width": 4, "border-color": "#111827", width: 30, height: 30 } },
      { selector: "node.critical", style: { "border-width": 4, "border-color": "#dc2626" } },
      { selector: "edge", style: {
        width: "data(width)", "line-color": "data(colour)", "curve-style": "bezier", opacity: 0.85,
        label: "data(label)", "font-size": 8, "text-rotation": "autorotate", color: "#334155",
        "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: "edge.observed", style: { "line-style": "dotted", width: 1, label: "" } },
      { selector: "edge.below", style: { "line-style": "dashed", opacity: 0.6 } },
      { selector: "edge.path", style: { "line-color": "#2563eb", width: 6, opacity: 1, "z-index": 10 } },
      { selector: "edge.weakest", style: { "line-color": "#f59e0b", width: 7, "line-style": "dashed" } },
      { selector: "edge.critical", style: { "target-arrow-shape": "tee", "source-arrow-shape": "tee",
                                            "target-arrow-color": "#dc2626", "source-arrow-color": "#dc2626" } },
      { selector: "edge.cut", style: { "line-color": "#dc2626", "line-style": "dashed", width: 4 } },
      { selector: ":selected", style: { "overlay-color": "#2563eb", "overlay-opacity": 0.25 } }
    ];
  }

  function identifierNode(keyName, extra) {
    var kind = kindOf(keyName);
    var data = Object.assign({ id: keyName, label: keyName.slice(kind.length + 1), kind: kind,
                               colour: colour(kind), type: "identifier" }, extra || {});
    return { group: "nodes", data: data };
  }

  function linkEdge(link, type) {
    var p = link.match_probability;
    var rule = link.rule || "";
    var kind = type || (rule === "fellegi_sunter" ? "SIMILAR" : (rule.indexOf("override") === 0 ? "override" : "LINKED"));
    return { group: "edges", data: Object.assign({}, link, {
      id: "link:" + [link.a, link.b].sort().join("~") + ":" + kind, source: link.a, target: link.b,
      label: p === undefined ? "" : p.toFixed(2), colour: EDGE_COLOURS[kind] || "#475569",
      width: 1 + 4 * (p || 0), type: "link", linkType: kind }) };
  }

  function drawGraph(container, elements) {
    var cy = cytoscape({
      container: container, elements: elements, style: graphStyle(),
      layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 80, padding: 40 },
      maxZoom: 2.5, wheelSensitivity: 0.3
    });
    container.dataset.nodes = String(cy.nodes().length);
    container.dataset.edges = String(cy.edges().length);
    container.dataset.ready = "true";
    window.idgraphCy = cy;
    return cy;
  }

  /* A Splink-like waterfall of a record pair: prior, each field's match weight, total. */
  function waterfall(pair) {
    var NS = "http://www.w3.org/2000/svg";
    var p = Math.min(Math.max(pair.match_probability, 1e-9), 1 - 1e-9);
    var total = Math.log2(p / (1 - p));
    var fields = Object.keys(pair.comparison || {}).sort();
    var sum = fields.reduce(function (s, f) { return s + (pair.comparison[f].weight || 0); }, 0);
    var rows = [{ label: "prior (λ)", weight: total - sum, cls: "prior" }];
    fields.forEach(function (f) {
      var c = pair.comparison[f];
      var tf = c.tf !== undefined ? " tf " + Number(c.tf).toFixed(1) : "";
      rows.push({ label: f + " · " + c.level + tf, weight: c.weight || 0 });
    });
    var start = 0, lo = 0, hi = 0;
    rows.forEach(function (row) {
      row.from = start; start += row.weight; row.to = start;
      lo = Math.min(lo, row.from, row.to); hi = Math.max(hi, row.from, row.to);
    });
    rows.push({ label: "total → " + (100 * pair.match_probability).toFixed(1) + "%", weight: total,
                from: 0, to: total, cls: "total" });
    lo = Math.min(lo, total); hi = Math.max(hi, total);
    var labelW = 170, barW = 190, rowH = 17, width = labelW + barW + 46;
    var scale = barW / Math.max(hi - lo, 1);
    var x = function (w) { return labelW + (w - lo) * scale; };
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "waterfall");
    svg.setAttribute("width", width);
    svg.setAttribute("height", rows.length * rowH + 6);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "match weight per field, " + (pair.records || []).join(" ~ "));
    var zero = document.createElementNS(NS, "line");
    zero.setAttribute("class", "zero");
    zero.setAttribute("x1", x(0)); zero.setAttribute("x2", x(0));
    zero.setAttribute("y1", 0); zero.setAttribute("y2", rows.length * rowH + 4);
    svg.appendChild(zero);
    rows.forEach(function (row, i) {
      var y = i * rowH + 3;
      var text = document.createElementNS(NS, "text");
      text.setAttribute("x", 0); text.setAttribute("y", y + 11);
      text.textContent = row.label.length > 30 ? row.label.slice(0, 29) + "…" : row.label;
      svg.appendChild(text);
      var rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", Math.min(x(row.from), x(row.to)));
      rect.setAttribute("y", y); rect.setAttribute("height", rowH - 5);
      rect.setAttribute("width", Math.max(Math.abs(x(row.to) - x(row.from)), 1));
      rect.setAttribute("class", row.cls || (row.weight >= 0 ? "pos" : "neg"));
      svg.appendChild(rect);
      var value = document.createElementNS(NS, "text");
      value.setAttribute("x", labelW + barW + 6); value.setAttribute("y", y + 11);
      value.textContent = (row.weight >= 0 ? "+" : "") + row.weight.toFixed(2);
      svg.appendChild(value);
    });
    return svg;
  }

  /* Evidence of one link (LinkEvidence or LineageLink) as DOM: rule, p, records, chart. */
  function linkDetails(link) {
    var box = el("div", {}, [
      el("p", {}, [el("strong", { text: link.a + " — " + link.b })]),
      el("dl", { class: "summary" }, [
        el("dt", { text: "evidence" }), el("dd", { text: link.rule || "" }),
        el("dt", { text: "match probability" }), el("dd", { text: pct(link.match_probability) }),
        el("dt", { text: "match weight" }),
        el("dd", { text: link.match_weight === null || link.match_weight === undefined ? "–" : link.match_weight.toFixed(2) }),
        el("dt", { text: "sources" }), el("dd", { text: (link.sources || []).join(", ") }),
        el("dt", { text: "records" }), el("dd", { text: (link.records || []).join(", ") }),
        el("dt", { text: "seen" }), el("dd", { text: when(link.first_seen) + " … " + when(link.last_seen) })
      ])
    ]);
    (link.record_pairs || []).slice(0, 3).forEach(function (pair) {
      box.appendChild(el("p", { class: "hint", text: "records " + pair.records.join(" ~ ") + " compared:" }));
      box.appendChild(waterfall(pair));
    });
    return box;
  }

  async function showSession() {
    var slot = document.getElementById("session");
    if (!slot || document.body.dataset.page === "login") { return; }
    if (!key()) { signIn(); return; }
    try {
      var me = await api("/v1/session");
      slot.textContent = me.role + " key " + me.key_id;
      document.body.dataset.role = me.role;
      slot.appendChild(el("button", { type: "button", text: "Sign out", onclick: function () {
        sessionStorage.removeItem(KEY); location.assign("/ui/login"); } }));
    } catch (e) { /* api() already redirects on 401 */ }
  }

  window.idgraph = {
    KEY: KEY, key: key, api: api, el: el, kindOf: kindOf, colour: colour, pct: pct, when: when,
    legend: legend, identifierNode: identifierNode, linkEdge: linkEdge, drawGraph: drawGraph,
    waterfall: waterfall, linkDetails: linkDetails, showError: showError, EDGE_COLOURS: EDGE_COLOURS
  };
  document.addEventListener("DOMContentLoaded", showSession);
})();
