// Polls the import's status and moves the progress bar; reloads for the result.
(function () {
  "use strict";
  var box = document.querySelector("[data-import-job]");
  if (!box || box.getAttribute("data-finished") === "1") { return; }
  var bar = box.querySelector("[data-progress]");
  var label = box.querySelector("[data-status]");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.value = s.progress;
        bar.textContent = s.progress + "%";
        label.textContent = s.status_display;
        if (s.finished) { window.location.reload(); } else { window.setTimeout(poll, 700); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
})();
