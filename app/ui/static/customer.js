/* Customer page: identifiers and records as a graph, profile, confidence, history. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var el = idgraph.el;
  var root = $("customer");
  var customerId = root.dataset.customerId;
  var EVENT_COLOURS = { created: "#16a34a", merged: "#2563eb", split: "#ea580c", retired: "#64748b",
                        override: "#0f766e", override_removed: "#0f766e", erased: "#b91c1c" };

  function identifierKey(m) { return m.kind + ":" + m.value; }

  function showIdentifier(member, others) {
    var box = $("details");
    box.textContent = "";
    var keyName = identifierKey(member);
    box.appendChild(el("h2", { text: "Identifier" }));
    box.appendChild(el("dl", { class: "summary" }, [
      el("dt", { text: "kind" }), el("dd", { text: member.kind }),
      el("dt", { text: "value" }), el("dd", { text: member.value }),
      el("dt", { text: "membership" }), el("dd", { text: member.shared ? "shared (quarantined)" : idgraph.pct(member.membership_confidence) }),
      el("dt", { text: "seen" }), el("dd", { text: idgraph.when(member.first_seen) + " … " + idgraph.when(member.last_seen) }),
      el("dt", { text: "sources" }), el("dd", { text: (member.sources || []).join(", ") })
    ]));
    if (member.shared_reason) { box.appendChild(el("p", { class: "weak", text: member.shared_reason })); }
    var select = el("select", { id: "explain-with" }, others.filter(function (k) { return k !== keyName; })
      .map(function (k) { return el("option", { value: k, text: k }); }));
    box.appendChild(el("p", {}, ["Why is this one customer with ", select, " ",
      el("button", { type: "button", text: "Explain", onclick: function () {
        location.assign("/ui/explain#a=" + encodeURIComponent(keyName) + "&b=" + encodeURIComponent(select.value));
      } })]));
  }

  function showRecord(record) {
    var box = $("details");
    box.textContent = "";
    box.appendChild(el("h2", { text: "Record" }));
    box.appendChild(el("dl", { class: "summary" }, [
      el("dt", { text: "source" }), el("dd", { text: record.source }),
      el("dt", { text: "record id" }), el("dd", { text: record.record_id }),
      el("dt", { text: "observed" }), el("dd", { text: idgraph.when(record.observed_at) }),
      el("dt", { text: "ingested" }), el("dd", { text: idgraph.when(record.ingested_at) }),
      el("dt", { text: "observed" }), el("dd", { text: (record.identifiers || []).join(", ") })
    ]));
  }

  function showLink(link) {
    var box = $("details");
    box.textContent = "";
    box.appendChild(el("h2", { text: link.linkType === "SIMILAR" ? "Look-alike evidence" : "Evidence" }));
    box.appendChild(idgraph.linkDetails(link));
  }

  function fillProfile(profile) {
    $("status").textContent = profile.status + (profile.merged_into ? " into " + profile.merged_into : "");
    $("status").className = "badge " + profile.status;
    var summary = $("summary");
    summary.textContent = "";
    var joinable = profile.identifiers.filter(function (m) { return !m.shared; });
    [["confidence", idgraph.pct(profile.confidence)],
     ["identifiers", String(joinable.length) + (joinable.length < profile.identifiers.length ? " (+ shared)" : "")],
     ["records", String(profile.record_count)], ["sources", profile.sources.join(", ")],
     ["created", idgraph.when(profile.created_at)], ["updated", idgraph.when(profile.updated_at)]]
      .forEach(function (pair) { summary.appendChild(el("dt", { text: pair[0] })); summary.appendChild(el("dd", { text: pair[1] })); });
    var table = $("attributes");
    table.textContent = "";
    table.appendChild(el("tr", {}, [el("th", { text: "attribute" }), el("th", { text: "golden value" }), el("th", { text: "from record" })]));
    Object.keys(profile.attributes).forEach(function (name) {
      table.appendChild(el("tr", {}, [el("td", { text: name }), el("td", { text: profile.attributes[name] }),
                                      el("td", { text: profile.attribute_sources[name] || "" })]));
    });
    // the strongest identifier stands for the customer in Browser, as a record's anchor does
    var rank = ["account", "email", "phone", "device", "cookie"];
    var order = function (m) { var i = rank.indexOf(m.kind); return i < 0 ? rank.length : i; };
    var first = joinable.slice().sort(function (x, y) { return order(x) - order(y); })[0];
    if (first) {
      var quote = function (s) { return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'"; };
      $("browser-query").textContent = ":param kind => " + quote(first.kind) + "\n:param value => " +
        quote(first.value) + "\n\n" + $("browser-query").dataset.query;
    }
  }

  function fillHistory(history) {
    var list = $("history");
    list.textContent = "";
    history.events.slice().reverse().forEach(function (event) {
      var item = el("li", {}, [
        el("div", {}, [el("strong", { text: event.type }), " ", el("span", { class: "when", text: idgraph.when(event.at) })]),
        el("div", { text: event.reason }),
        el("div", { class: "hint", text: event.before.join(", ") + " → " + event.after.join(", ") +
          (event.trigger_record ? " · record " + event.trigger_record : "") })
      ]);
      item.style.setProperty("--dot", EVENT_COLOURS[event.type] || "#64748b");
      list.appendChild(item);
    });
    if (!history.events.length) { list.appendChild(el("li", { text: "No events." })); }
  }

  function elements(profile, lineage) {
    var out = [], members = {}, kinds = {};
    profile.identifiers.forEach(function (m) {
      var keyName = identifierKey(m);
      members[keyName] = m;
      kinds[m.kind] = true;
      var node = idgraph.identifierNode(keyName, { member: m });
      node.classes = m.shared ? "shared" : "";
      out.push(node);
    });
    var records = {};
    lineage.sources.forEach(function (source) {
      source.records.forEach(function (record) {
        var id = "rec/" + record.source + "|" + record.record_id;
        records[id] = record;
        out.push({ group: "nodes", classes: "record", data: { id: id, label: record.source + "|" + record.record_id,
          colour: idgraph.colour("Record"), type: "record", record: record } });
        record.identifiers.forEach(function (keyName) {
          if (members[keyName]) {
            out.push({ group: "edges", classes: "observed", data: { id: id + ">" + keyName, source: id, target: keyName,
              colour: idgraph.EDGE_COLOURS.OBSERVED, width: 1, type: "observed" } });
          }
        });
      });
    });
    var seen = {};
    lineage.links.forEach(function (link) {
      if (!members[link.a] || !members[link.b]) { return; }
      var edge = idgraph.linkEdge(link);
      if (seen[edge.data.id]) { return; }
      seen[edge.data.id] = true;
      if (link.match_probability < 0.5) { edge.classes = "below"; }
      out.push(edge);
    });
    return { elements: out, kinds: Object.keys(kinds).sort(), members: members,
             records: Object.keys(records).length };
  }

  async function load() {
    try {
      var results = await Promise.all([
        idgraph.api("/v1/customers/" + encodeURIComponent(customerId)),
        idgraph.api("/v1/customers/" + encodeURIComponent(customerId) + "/lineage?limit=1000"),
        idgraph.api("/v1/customers/" + encodeURIComponent(customerId) + "/history?limit=1000")
      ]);
      var profile = results[0], lineage = results[1], history = results[2];
      fillProfile(profile);
      fillHistory(history);
      var built = elements(profile, lineage);
      idgraph.legend($("legend"), built.kinds.concat(["Record"]), ["LINKED", "SIMILAR", "OBSERVED"]);
      var graph = $("graph");
      graph.dataset.identifiers = String(Object.keys(built.members).length);
      graph.dataset.records = String(built.records);
      if (lineage.total_records > built.records) {
        $("graph-note").textContent = "Showing " + built.records + " of " + lineage.total_records +
          " records. Click an identifier, a record or a link for its evidence.";
      }
      var cy = idgraph.drawGraph(graph, built.elements);
      var keys = Object.keys(built.members).sort();
      cy.on("tap", "node", function (event) {
        var data = event.target.data();
        if (data.type === "record") { showRecord(data.record); } else { showIdentifier(data.member, keys); }
      });
      cy.on("tap", "edge", function (event) {
        var data = event.target.data();
        if (data.type === "link") { showLink(data); }
      });
      cy.on("mouseover", "edge", function (event) {
        var d = event.target.data();
        if (d.type === "link") {
          $("graph-note").textContent = d.a + " — " + d.b + ": " + d.rule + ", p=" + idgraph.pct(d.match_probability) +
            ", " + (d.records || []).length + " record(s)";
        }
      });
    } catch (e) { idgraph.showError(e.message); }
  }

  $("copy-query").addEventListener("click", function () {
    navigator.clipboard.writeText($("browser-query").textContent);
  });
  document.addEventListener("DOMContentLoaded", load);
})();
