// A PDF preview shown one page image at a time (lib.showPage), with its own pager.
(function () {
  "use strict";
  var lib = window.SafetrainLib;
  document.querySelectorAll("[data-doc-pages]").forEach(function (box) {
    var img = box.querySelector("img[data-page-url]");
    var count = parseInt(box.dataset.docPages, 10) || 1;
    var numberEl = box.querySelector("[data-doc-page]");
    var prev = box.querySelector("[data-doc-prev]");
    var next = box.querySelector("[data-doc-next]");
    var page = 1;
    function show(n) {
      page = Math.max(1, Math.min(count, n));
      lib.showPage(img, page, count);
      if (numberEl) numberEl.textContent = page;
      if (prev) prev.disabled = page <= 1;
      if (next) next.disabled = page >= count;
    }
    if (prev) prev.addEventListener("click", function () { show(page - 1); });
    if (next) next.addEventListener("click", function () { show(page + 1); });
    show(1);
  });
})();
