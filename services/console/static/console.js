// irm console: live refresh of the board and the incident room through /ui/stream.
// The page's session cookie is HttpOnly; this script never sees a token. It only swaps in
// server-rendered fragments when the server says something happened.
(function () {
  "use strict";
  var live = document.querySelector("[data-live-src]");
  if (!live || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var only = live.getAttribute("data-incident");
  var loading = false;
  var again = false;

  function refresh() {
    if (loading) { again = true; return; }
    loading = true;
    fetch(live.getAttribute("data-live-src"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) { live.innerHTML = html; })
      .catch(function () { if (status) { status.textContent = "Live updates paused; reload the page."; } })
      .finally(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource("/ui/stream");
  source.addEventListener("open", function () {
    if (status) { status.textContent = "Live"; }
  });
  source.addEventListener("error", function () {
    if (status) { status.textContent = "Reconnecting…"; }
  });
  source.addEventListener("incident-event", function (message) {
    if (only) {
      var event = JSON.parse(message.data);
      if (event.reference !== only) { return; }
    }
    refresh();
  });
  // Ages and overdue marks move with the clock too.
  window.setInterval(refresh, 30000);
}());
