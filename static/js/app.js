// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-menu-toggle]");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // A native file input speaks the browser's language ("Choose File / No file chosen" on a
  // Chinese page); each gets a button and a line naming the chosen file in the page's words.
  // The input itself stays in the form (keyboard focus, validation, drag and drop onto it).
  var strings = window.SafetrainLib ? window.SafetrainLib.readJson("ui-strings") : null;
  if (!strings) { return; }
  document.querySelectorAll("input[type=file]").forEach(function (input, i) {
    if (!input.id) { input.id = "file-input-" + i; }
    var box = document.createElement("div");
    box.className = "file-pick";
    var button = document.createElement("label");
    button.className = "button secondary file-pick-button";
    button.htmlFor = input.id;
    button.textContent = strings.file_choose;
    var name = document.createElement("span");
    name.className = "file-pick-name";
    name.setAttribute("aria-live", "polite");
    name.setAttribute("data-file-name", "");
    input.parentNode.insertBefore(box, input);
    box.appendChild(input);
    box.appendChild(button);
    box.appendChild(name);
    input.classList.add("file-pick-input");
    function show() {
      var files = input.files || [];
      name.textContent = files.length === 0 ? strings.file_none
        : files.length === 1 ? files[0].name
        : window.SafetrainLib.format(strings.file_many, { n: files.length });
    }
    input.addEventListener("change", show);
    show();
  });
})();
