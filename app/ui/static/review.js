/* Review queue page: doubtful pairs and close policy splits; preview a decision with
 * what-if, then accept or reject it (an override signed with this key). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var el = idgraph.el;
  var state = { offset: 0, limit: 10, kind: "all" };

  function customerLink(id) {
    return id ? el("a", { href: "/ui/customers/" + encodeURIComponent(id), text: id }) : el("span", { text: "no customer" });
  }

  function describePrediction(prediction) {
    var parts = [];
    prediction.merges.forEach(function (m) { parts.push("merge " + m.join(" + ")); });
    Object.keys(prediction.splits).forEach(function (c) { parts.push("split " + c + " into " + prediction.splits[c].join(", ")); });
    parts.push(prediction.moved.length + " identifier(s) would change customer");
    return "What if: " + parts.join("; ") + (prediction.exact ? "" : " (approximate: " + prediction.notes.join(" ") + ")");
  }

  function itemView(item) {
    var reason = el("input", { placeholder: "why (required)", "aria-label": "reason", class: "reason" });
    var preview = el("div", { class: "whatif", hidden: "hidden" });
    var li = el("li", { "data-item": item.item_id }, [
      el("div", { class: "head" }, [
        el("span", { class: "badge", text: item.kind === "pair" ? "doubtful pair" : "policy split" }),
        el("strong", { text: item.a + "  ↔  " + item.b }),
        el("span", { class: "hint", text: "p=" + idgraph.pct(item.match_probability) + " · score " + item.score.toFixed(2) + " · " + item.records + " record(s)" })
      ]),
      el("p", {}, [item.question, " Customers: ", customerLink(item.customer_a), " / ", customerLink(item.customer_b), " · ",
        el("a", { href: "/ui/explain#a=" + encodeURIComponent(item.a) + "&b=" + encodeURIComponent(item.b), text: "explain" })]),
      item.policy ? el("p", { class: "weak", text: item.policy + (item.field ? " — records " + item.conflicting_records.join(" and ") + " disagree on " + item.field : "") }) : el("span")
    ]);
    var evidence = el("div", {});
    item.evidence.forEach(function (link) { evidence.appendChild(idgraph.linkDetails(link)); });
    li.appendChild(el("details", {}, [el("summary", { text: "evidence (" + item.evidence.length + " link(s))" }), evidence]));

    async function decide(decision) {
      if (!reason.value.trim()) { reason.focus(); idgraph.showError("Say why: the reason is kept with the decision."); return; }
      try {
        var override = await idgraph.api("/v1/review/decisions", { method: "POST",
          body: { a: item.a, b: item.b, decision: decision, reason: reason.value.trim() } });
        var notice = $("review-notice");
        notice.hidden = false;
        notice.textContent = "Recorded " + override.override_id + " (" + override.decision + ", by " + override.actor +
          "): " + item.a + " → " + (override.customer_a || "–") + ", " + item.b + " → " + (override.customer_b || "–") + ".";
        idgraph.showError("");
        await load();
      } catch (e) { idgraph.showError(e.message); }
    }
    async function whatIf(decision) {
      try {
        var prediction = await idgraph.api("/v1/what-if", { method: "POST",
          body: { override: { a: item.a, b: item.b, decision: decision } } });
        preview.hidden = false;
        preview.textContent = describePrediction(prediction);
      } catch (e) { idgraph.showError(e.message); }
    }
    li.appendChild(el("div", { class: "decide" }, [
      reason,
      el("button", { type: "button", class: "primary", "data-decision": "same", text: "Same person", onclick: function () { decide("same"); } }),
      el("button", { type: "button", class: "danger", "data-decision": "different", text: "Different people", onclick: function () { decide("different"); } }),
      el("button", { type: "button", text: "What if same?", onclick: function () { whatIf("same"); } }),
      el("button", { type: "button", text: "What if different?", onclick: function () { whatIf("different"); } })
    ]));
    li.appendChild(preview);
    return li;
  }

  async function load() {
    var params = new URLSearchParams({ offset: state.offset, limit: state.limit });
    if (state.kind !== "all") { params.set("kind", state.kind); }
    try {
      var page = await idgraph.api("/v1/review?" + params.toString());
      var list = $("review-items");
      list.textContent = "";
      page.items.forEach(function (item) { list.appendChild(itemView(item)); });
      if (!page.items.length) { list.appendChild(el("li", { text: "Nothing to review." })); }
      list.dataset.total = String(page.total);
      list.dataset.ready = "true";
      $("review-info").textContent = "Pairs with " + page.grey_zone[0] + " ≤ p < " + page.grey_zone[1] +
        " (join threshold " + page.threshold + ") and policy splits that cut strong evidence; most useful first.";
      $("page-info").textContent = page.total ? (page.offset + 1) + "–" + (page.offset + page.items.length) + " of " + page.total : "";
      $("prev").disabled = page.offset === 0;
      $("next").disabled = page.offset + page.items.length >= page.total;
    } catch (e) { idgraph.showError(e.message); }
  }

  $("review-kind").addEventListener("change", function (event) { state.kind = event.target.value; state.offset = 0; load(); });
  $("prev").addEventListener("click", function () { state.offset = Math.max(0, state.offset - state.limit); load(); });
  $("next").addEventListener("click", function () { state.offset += state.limit; load(); });
  document.addEventListener("DOMContentLoaded", load);
})();
