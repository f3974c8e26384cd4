(function () {
  "use strict";
  document.getElementById("lookup-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var kind = document.getElementById("lookup-kind").value;
    var value = document.getElementById("lookup-value").value.trim();
    try {
      // POST keeps the email or phone out of the URL.
      var found = await idgraph.api("/v1/lookup", { method: "POST", body: { kind: kind, value: value } });
      if (!found.customer_id) {
        idgraph.showError("Quarantined as shared, in no customer: " + found.shared_reason);
        return;
      }
      location.assign("/ui/customers/" + encodeURIComponent(found.customer_id));
    } catch (e) { idgraph.showError(e.message); }
  });
  document.getElementById("customer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    location.assign("/ui/customers/" + encodeURIComponent(document.getElementById("customer-id").value.trim()));
  });
})();
