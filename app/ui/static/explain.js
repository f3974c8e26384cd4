/* Explanation page: why two identifiers are (or are not) one customer, drawn on the
 * customers' evidence graph: strongest path highlighted, weakest link and counterfactual
 * marked, look-alike links with their weight chart. The identifiers stay in the URL
 * fragment, which the browser never sends to the server. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var el = idgraph.el;

  function pairId(a, b) { return [a, b].sort().join("~"); }

  function readHash() {
    // decodeURIComponent, not URLSearchParams: a hand-typed "+1415..." keeps its plus
    var found = { a: "", b: "" };
    location.hash.slice(1).split("&").forEach(function (part) {
      var at = part.indexOf("=");
      var name = part.slice(0, at);
      if (at > 0 && (name === "a" || name === "b")) { found[name] = decodeURIComponent(part.slice(at + 1)); }
    });
    return found;
  }

  function hashOf(a, b) { return "a=" + encodeURIComponent(a) + "&b=" + encodeURIComponent(b); }

  async function context(explanation) {
    // The customers of a and b: their identifiers and links, drawn around the path.
    var ids = [explanation.a.customer_id, explanation.b.customer_id].filter(function (c, i, all) {
      return c && all.indexOf(c) === i;
    });
    var loaded = await Promise.all(ids.map(function (id) {
      return Promise.all([
        idgraph.api("/v1/customers/" + encodeURIComponent(id)),
        idgraph.api("/v1/customers/" + encodeURIComponent(id) + "/lineage?limit=1000")
      ]);
    }));
    return loaded;
  }

  function render(explanation, customers) {
    $("explanation").hidden = false;
    $("verdict").textContent = explanation.verdict.replace("_", " ");
    $("verdict").className = "badge " + explanation.verdict;
    $("summary-text").textContent = explanation.summary;

    var nodes = {}, edges = {}, kinds = {};
    function addNode(keyName, classes) {
      if (!nodes[keyName]) {
        nodes[keyName] = idgraph.identifierNode(keyName);
        nodes[keyName].classes = "";
        kinds[idgraph.kindOf(keyName)] = true;
      }
      if (classes) { nodes[keyName].classes += " " + classes; }
    }
    function addLink(link, classes) {
      var edge = idgraph.linkEdge(link);
      var held = edges[edge.data.id];
      if (held) { edge.classes = held.classes; }
      else { edge.classes = link.match_probability < explanation.threshold ? "below" : ""; }
      if (classes) { edge.classes += " " + classes; }
      edges[edge.data.id] = edge;
      return edge;
    }
    customers.forEach(function (loaded) {
      var profile = loaded[0], lineage = loaded[1];
      profile.identifiers.forEach(function (m) { addNode(m.kind + ":" + m.value, m.shared ? "shared" : ""); });
      lineage.links.forEach(function (link) { if (nodes[link.a] && nodes[link.b]) { addLink(link); } });
    });
    explanation.path.forEach(function (keyName) { addNode(keyName); });
    addNode(explanation.a.key, "endpoint");
    addNode(explanation.b.key, "endpoint");
    (explanation.shared_identifiers || []).forEach(function (s) { addNode(s.key, "shared"); });

    var weakest = explanation.weakest_link;
    var list = $("path-links");
    list.textContent = "";
    explanation.links.forEach(function (link) {
      var isWeakest = weakest && pairId(weakest.a, weakest.b) === pairId(link.a, link.b);
      addLink(link, "path" + (isWeakest ? " weakest" : ""));
      list.appendChild(el("li", { class: isWeakest ? "weak" : "" }, [
        link.a + " — " + link.b + ": " + link.rule + ", " + idgraph.pct(link.match_probability) +
        (isWeakest ? " (weakest link)" : "") + (link.below_threshold ? " (below the join threshold)" : "")
      ]));
    });

    var box = $("counterfactual");
    box.textContent = "";
    var cf = explanation.counterfactual;
    if (cf) {
      box.appendChild(el("p", { text: cf.summary }));
      cf.critical_links.forEach(function (link) { addLink(link, "critical"); });
      cf.critical_identifiers.forEach(function (keyName) { addNode(keyName, "critical"); });
      cf.minimum_cut.forEach(function (link) { addNode(link.a); addNode(link.b); addLink(link, "cut"); });
    }
    var split = explanation.split;
    if (split) {
      box.appendChild(el("p", { text: "Separated by " + split.rule + (split.field ? " (records " +
        split.records.join(" and ") + " disagree on " + split.field + ")" : "") + "; cut links:" }));
      split.cut_links.forEach(function (link) {
        addNode(link.a); addNode(link.b); addLink(link, "cut");
        box.appendChild(el("div", { text: link.a + " — " + link.b + " (" + idgraph.pct(link.match_probability) + ")" }));
      });
    }
    if (!cf && !split) { box.appendChild(el("p", { class: "hint", text: "Not one customer: nothing to take away." })); }

    var elements = Object.keys(nodes).map(function (k) { return nodes[k]; })
      .concat(Object.keys(edges).map(function (k) { return edges[k]; }));
    idgraph.legend($("legend"), Object.keys(kinds).sort(), ["LINKED", "SIMILAR"]);
    var graph = $("graph");
    if (window.idgraphCy) { window.idgraphCy.destroy(); }
    graph.dataset.identifiers = String(Object.keys(nodes).length);
    var cy = idgraph.drawGraph(graph, elements);
    cy.on("tap", "edge", function (event) {
      var details = $("details");
      details.textContent = "";
      details.appendChild(el("h2", { text: "Evidence" }));
      details.appendChild(idgraph.linkDetails(event.target.data()));
    });
    // Open the weakest look-alike link's chart at once, else the weakest link.
    var first = explanation.links.filter(function (l) { return (l.record_pairs || []).length; })[0] || weakest;
    if (first) {
      $("details").textContent = "";
      $("details").appendChild(el("h2", { text: "Evidence" }));
      $("details").appendChild(idgraph.linkDetails(first));
    }
  }

  async function load() {
    var ref = readHash();
    $("explain-a").value = ref.a;
    $("explain-b").value = ref.b;
    if (!ref.a || !ref.b) { return; }
    idgraph.showError("");
    try {
      var explanation = await idgraph.api("/v1/explain?" + new URLSearchParams({ a: ref.a, b: ref.b }).toString());
      render(explanation, await context(explanation));
    } catch (e) { idgraph.showError(e.message); }
  }

  $("explain-form").addEventListener("submit", function (event) {
    event.preventDefault();
    location.hash = hashOf($("explain-a").value.trim(), $("explain-b").value.trim());
  });
  window.addEventListener("hashchange", load);
  document.addEventListener("DOMContentLoaded", load);
})();
