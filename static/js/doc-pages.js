// A PDF preview shown one page image at a time (phones show no PDF inside a page): the img's
// data-page-url holds the URL with "{page}" where the number goes, data-page-alt its text.
(function () {
  "use strict";
  document.querySelectorAll("[data-doc-pages]").forEach(function (box) {
    var img = box.querySelector("img[data-page-url]");
    var count = parseInt(box.dataset.docPages, 10) || 1;
    var numberEl = box.querySelector("[data-doc-page]");
    var prev = box.querySelector("[data-doc-prev]");
    var next = box.querySelector("[data-doc-next]");
    var page = 1;
    function url(n) { return img.dataset.pageUrl.replace("{page}", String(n)); }
    function show(n) {
      page = Math.max(1, Math.min(count, n));
      img.src = url(page);
      img.alt = (img.dataset.pageAlt || "").replace("{page}", String(page));
      if (numberEl) numberEl.textContent = page;
      if (prev) prev.disabled = page <= 1;
      if (next) next.disabled = page >= count;
      if (page < count) new Image().src = url(page + 1);
      if (img.getBoundingClientRect().top < 0) img.scrollIntoView({ block: "start" });
    }
    if (prev) prev.addEventListener("click", function () { show(page - 1); });
    if (next) next.addEventListener("click", function () { show(page + 1); });
    show(1);
  });
})();
