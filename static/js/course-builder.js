// Course builder enhancements; every form works without them (the article
// is then plain HTML in a textarea). The server sanitises whatever arrives.
(function () {
  "use strict";

  // Confirm destructive forms.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // Video duration from the chosen file, read by the browser.
  var form = document.querySelector("[data-lesson-form]");
  if (form && form.dataset.kind === "video") {
    var file = form.querySelector("input[type=file][name=media]");
    var duration = form.querySelector("input[name=duration_seconds]");
    if (file && duration) {
      file.addEventListener("change", function () {
        if (!file.files || !file.files[0] || !window.URL) return;
        var url = URL.createObjectURL(file.files[0]);
        var probe = document.createElement("video");
        probe.preload = "metadata";
        probe.addEventListener("loadedmetadata", function () {
          if (isFinite(probe.duration) && probe.duration > 0) duration.value = Math.round(probe.duration);
          URL.revokeObjectURL(url);
        }, { once: true });
        probe.addEventListener("error", function () { URL.revokeObjectURL(url); }, { once: true });
        probe.src = url;
      });
    }
  }

  // A small rich-text editor over the article textarea.
  document.querySelectorAll("textarea[data-rich-text]").forEach(function (textarea) {
    var labels = {
      bold: "B", italic: "I", h2: "H2", h3: "H3", ul: "•", ol: "1.", link: "URL", clear: "⌫"
    };
    var names = {};
    try { names = JSON.parse(textarea.dataset.richLabels || "{}"); } catch (e) { names = {}; }
    var toolbar = document.createElement("div");
    toolbar.className = "rich-toolbar";
    toolbar.setAttribute("role", "toolbar");
    var editor = document.createElement("div");
    editor.className = "rich-editor";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.dataset.richEditor = "";
    var label = document.querySelector("label[for='" + textarea.id + "']");
    if (label) {
      label.id = label.id || textarea.id + "-label";
      editor.setAttribute("aria-labelledby", label.id);
    }
    editor.innerHTML = textarea.value;
    var commands = {
      bold: ["bold"], italic: ["italic"], h2: ["formatBlock", "<h2>"], h3: ["formatBlock", "<h3>"],
      ul: ["insertUnorderedList"], ol: ["insertOrderedList"], clear: ["removeFormat"]
    };
    Object.keys(labels).forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = labels[name];
      button.title = names[name] || name;
      button.dataset.command = name;
      button.setAttribute("aria-label", names[name] || name);
      button.addEventListener("click", function () {
        editor.focus();
        if (name === "link") {
          var href = window.prompt("https://");
          if (href) document.execCommand("createLink", false, href);
        } else {
          document.execCommand(commands[name][0], false, commands[name][1] || null);
        }
        sync();
      });
      toolbar.appendChild(button);
    });
    function sync() { textarea.value = editor.innerHTML; }
    editor.addEventListener("input", sync);
    textarea.hidden = true;
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(editor, textarea);
    if (textarea.form) textarea.form.addEventListener("submit", sync);
  });
})();
