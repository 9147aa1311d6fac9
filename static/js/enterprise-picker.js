// 安排考试's enterprise list (exams/session_form.html): hundreds of enterprises as checkboxes grouped
// by jurisdiction. This finds them by name and keeps the "chosen" count; without it the groups still
// open and tick. The form is validated on the server as always. No inline JS: the CSP allows our files only.
(function () {
  "use strict";

  function setUp(picker) {
    var filter = picker.querySelector("[data-picker-filter]");
    var none = picker.querySelector("[data-picker-none]");
    var count = picker.querySelector("[data-picker-chosen]");
    var groups = Array.prototype.slice.call(picker.querySelectorAll("[data-picker-group]"));

    function chosen() {
      return picker.querySelectorAll("input[type=checkbox]:checked").length;
    }

    function apply() {
      var query = filter.value.trim().toLowerCase();
      var shown = 0;
      groups.forEach(function (group) {
        var inGroup = 0;
        group.querySelectorAll("li").forEach(function (li) {
          var match = !query || li.textContent.toLowerCase().indexOf(query) !== -1;
          li.hidden = !match;
          if (match) { inGroup += 1; }
        });
        group.hidden = inGroup === 0;
        // The group's count follows the search: "(3/12)", 3 of its 12 enterprises match.
        var counter = group.querySelector("[data-group-count]");
        if (counter) {
          counter.textContent = "(" + (query ? inGroup + "/" : "") + counter.dataset.total + ")";
        }
        // While searching, the groups with a match are open; after, only those with a ticked enterprise.
        group.open = query ? inGroup > 0 : group.querySelector("input:checked") !== null;
        shown += inGroup;
      });
      if (none) { none.hidden = shown > 0; }
    }

    if (filter) {
      filter.hidden = false;
      filter.addEventListener("input", apply);
      // Enter in the search box must not send the form.
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
    }
    picker.addEventListener("change", function () {
      if (count) { count.textContent = String(chosen()); }
    });
  }

  document.querySelectorAll("[data-enterprise-picker]").forEach(setUp);
})();
