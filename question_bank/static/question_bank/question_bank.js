// Question bank pages. Every form works without this script: the server checks what arrives.
(function () {
  "use strict";

  // Ask before a form that changes many things or takes something away.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
