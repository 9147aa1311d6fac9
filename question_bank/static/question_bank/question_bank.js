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

// The question form: only what the chosen type needs. Without this script the form shows every
// field and takes the answer as typed (letters, 正确/错误, blanks joined by |); the script writes
// the same text into the answer field from radio buttons, ticks and blank inputs.
(function () {
  "use strict";

  var form = document.querySelector("[data-question-form]");
  var ui = window.SafetrainLib.readJson("question-form-ui");
  if (!form || !ui) return;
  var type = form.querySelector("[name=type]");
  var answer = form.querySelector("[name=answer]");
  var answerBox = answer.closest("div");
  var help = document.getElementById(answer.id + "_helptext");
  var letters = "ABCDEFGH".split("");
  var options = letters.map(function (letter) { return form.querySelector("[name=option_" + letter.toLowerCase() + "]"); });
  var picks = [];
  var tick = function () { return type.value === "single" || type.value === "multiple"; };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  // 正确 / 错误 for a true/false question.
  var truth = el("div", { class: "answer-truth", "data-answer-truth": "" });
  [["正确", ui.yes], ["错误", ui.no]].forEach(function (pair) {
    var label = el("label", { class: "answer-choice" });
    var input = el("input", { type: "radio", name: "answer_truth", value: pair[0] });
    input.addEventListener("change", function () { answer.value = pair[0]; });
    label.append(input, " " + pair[1]);
    truth.append(label);
  });
  var truthy = ["正确", "对", "是", "√", "T", "TRUE", "Y", "YES"];
  var falsy = ["错误", "错", "否", "×", "F", "FALSE", "N", "NO"];

  // A tick beside each option: the correct option(s) of a choice question.
  var chosen = el("p", { class: "muted", "data-answer-chosen": "" });
  options.forEach(function (option, index) {
    var label = el("label", { class: "answer-pick" });
    var input = el("input", { type: "radio", name: "answer_pick", value: letters[index] });
    input.addEventListener("change", syncPicks);
    label.append(input, " " + ui.correct);
    option.insertAdjacentElement("afterend", label);
    option.addEventListener("input", showOptions);
    picks.push(input);
  });
  function syncPicks() {
    answer.value = picks.filter(function (p) { return p.checked; }).map(function (p) { return p.value; }).join("");
    chosen.textContent = answer.value ? window.SafetrainLib.format(ui.chosen, { letters: answer.value.split("").join(" ") }) : ui.pickHint;
  }
  function showOptions() {
    var last = -1;
    options.forEach(function (option, index) { if (option.value.trim()) last = index; });
    var shown = Math.max(4, Math.min(letters.length, last + 2));
    options.forEach(function (option, index) {
      var on = tick() && (index < shown || picks[index].checked);
      option.closest("div").hidden = !on;
      option.disabled = !tick();
      picks[index].type = type.value === "multiple" ? "checkbox" : "radio";
    });
  }

  // One input per blank; alternatives of a blank joined by /.
  var blanks = el("div", { class: "answer-blanks", "data-answer-blanks": "" });
  var blankList = el("ol", { class: "answer-blank-list" });
  var addBlank = el("button", { type: "button", class: "secondary" }, ui.addBlank);
  blanks.append(blankList, addBlank);
  function blankInput(value) {
    var item = el("li");
    var input = el("input", { type: "text", placeholder: ui.blankHint, "aria-label": window.SafetrainLib.format(ui.blank, { n: blankList.children.length + 1 }) });
    input.value = value;
    input.addEventListener("input", syncBlanks);
    item.append(input);
    blankList.append(item);
    return input;
  }
  function syncBlanks() {
    var values = Array.prototype.map.call(blankList.querySelectorAll("input"), function (i) { return i.value.trim(); });
    while (values.length && !values[values.length - 1]) values.pop();
    answer.value = values.join("|");
  }
  addBlank.addEventListener("click", function () { blankInput("").focus(); });

  var widgets = { true_false: truth, single: chosen, multiple: chosen, fill_blank: blanks };
  Object.keys(widgets).forEach(function (key) { answer.insertAdjacentElement("beforebegin", widgets[key]); });

  // The present answer into the widgets (the page's first paint and an error page keep it).
  function load() {
    var text = answer.value.trim();
    var upper = text.toUpperCase();
    truth.querySelectorAll("input").forEach(function (input) {
      input.checked = (input.value === "正确" && truthy.indexOf(upper) >= 0) || (input.value === "错误" && falsy.indexOf(upper) >= 0);
    });
    picks.forEach(function (p) { p.checked = tick() && upper.indexOf(p.value) >= 0 && /^[A-H\s,，、]+$/.test(upper); });
    blankList.textContent = "";
    (type.value === "fill_blank" && text ? text.split("|") : [""]).forEach(function (v) { blankInput(v.trim()); });
    chosen.textContent = ui.pickHint;
    if (tick() && upper) syncPicks();
  }

  function show() {
    Object.keys(widgets).forEach(function (key) { widgets[key].hidden = widgets[key] !== widgets[type.value]; });
    answer.hidden = Boolean(widgets[type.value]);
    if (help) help.textContent = ui.help[type.value] || help.textContent;
    showOptions();
  }

  var before = type.value;
  type.addEventListener("change", function () {
    var choices = ["single", "multiple"];
    if (choices.indexOf(before) < 0 || choices.indexOf(type.value) < 0) answer.value = "";
    else if (type.value === "single") answer.value = answer.value.slice(0, 1);
    before = type.value;
    load();
    show();
  });
  load();
  show();
})();
