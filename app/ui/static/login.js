(function () {
  "use strict";
  document.getElementById("login-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var input = document.getElementById("api-key");
    sessionStorage.setItem(idgraph.KEY, input.value.trim());
    input.value = "";
    try {
      await idgraph.api("/v1/session");
    } catch (e) {
      idgraph.showError("That key was refused: " + e.message);
      return;
    }
    var next = sessionStorage.getItem("idgraph.next") || "/ui/";
    sessionStorage.removeItem("idgraph.next");
    location.assign(next.indexOf("/ui/") === 0 ? next : "/ui/");
  });
})();
