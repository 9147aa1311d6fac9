// Export job page: polls the job's status, moves the progress bar and shows the download link.
(function () {
  "use strict";
  var box = document.querySelector("[data-export-job]");
  if (!box || box.getAttribute("data-finished") === "1") { return; }
  var bar = box.querySelector("[data-progress]");
  var label = box.querySelector("[data-status]");
  var done = box.querySelector("[data-done]");
  var total = box.querySelector("[data-total]");
  var waiting = box.querySelector("[data-waiting]");
  var error = box.querySelector("[data-error]");
  var download = box.querySelector("[data-download]");
  var link = box.querySelector("[data-download-link]");
  function show(s) {
    bar.value = s.percent;
    bar.textContent = s.percent + "%";
    label.textContent = s.status_display;
    done.textContent = s.done;
    total.textContent = s.total;
    if (s.error) { error.textContent = s.error; error.hidden = false; }
    if (s.download_url) { link.setAttribute("href", s.download_url); download.hidden = false; }
    if (s.finished && waiting) { waiting.hidden = true; }
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        show(s);
        if (!s.finished) { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 300);
})();
