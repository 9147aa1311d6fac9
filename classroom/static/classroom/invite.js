// The invite chooser: filter the by-name list as you type, and count the people the chosen posts,
// departments and names add (a person chosen twice counts once).
(function () {
  "use strict";
  var box = document.querySelector("[data-invite]");
  if (!box) { return; }
  var search = box.querySelector("[data-invite-search]");
  var count = box.querySelector("[data-invite-count]");
  var options = Array.prototype.slice.call(box.querySelectorAll("[data-person-option]"));
  if (search) {
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      options.forEach(function (label) {
        label.hidden = q !== "" && label.textContent.toLowerCase().indexOf(q) === -1;
      });
    });
  }
  // The post and department options carry their size in their label: "(12 人)" / "(12 people)".
  function sizeOf(input) {
    var match = /\((\d+)/.exec(input.parentNode.textContent);
    return match ? Number(match[1]) : 0;
  }
  function update() {
    var total = 0;
    box.querySelectorAll("input[name=posts]:checked, input[name=departments]:checked").forEach(function (input) {
      total += sizeOf(input);
    });
    total += box.querySelectorAll("input[name=people]:checked").length;
    count.textContent = (total > 0 && box.querySelectorAll("input[name=posts]:checked, input[name=departments]:checked").length ? "≤ " : "") + total;
  }
  box.addEventListener("change", update);
  update();
})();
