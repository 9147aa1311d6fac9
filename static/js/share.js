// "Share" on my certificates: the phone's share sheet (Web Share API) where there is one,
// otherwise the verification link is copied (Clipboard API, then a selected input as the
// last resort). A plain deferred script: the CSP allows only our own files, no inline JS.
(function () {
  "use strict";

  function say(button, text) {
    var card = button.closest("[data-certificate]") || document;
    var status = card.querySelector("[data-share-status]");
    if (status) { status.textContent = text; }
  }

  function copyFromInput(button, url) {
    var card = button.closest("[data-certificate]") || document;
    var input = card.querySelector("[data-share-link]");
    var details = input && input.closest("details");
    if (details) { details.open = true; }
    if (!input) { return false; }
    input.value = url;
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function copy(button, url) {
    var done = function () { say(button, button.dataset.copied); };
    var fallback = function () {
      say(button, copyFromInput(button, url) ? button.dataset.copied : button.dataset.copyFailed);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-share]");
    if (!button) { return; }
    var url = button.dataset.shareUrl;
    var data = { title: button.dataset.shareTitle, url: url };
    if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
      navigator.share(data).catch(function (error) {
        // AbortError: the user closed the share sheet, nothing to do. Anything else: copy instead.
        if (!error || error.name !== "AbortError") { copy(button, url); }
      });
    } else {
      copy(button, url);
    }
  });
})();
