// Sortable, filterable statistics tables (no library): a header button sorts by its
// column (numbers by the cell's data-value), a search box hides rows that do not match.
(function () {
  "use strict";
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var body = table.tBodies[0];
    table.querySelectorAll("thead th").forEach(function (th, index) {
      var button = th.querySelector("button.sort");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-sort") === "number";
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > index; });
        rows.sort(function (a, b) {
          var x = a.cells[index].getAttribute("data-value") || a.cells[index].textContent;
          var y = b.cells[index].getAttribute("data-value") || b.cells[index].textContent;
          var order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y, "zh-Hans-CN");
          return ascending ? order : -order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.querySelectorAll("[data-table-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table-filter"));
    if (!table) return;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
      });
    });
  });
  // Choosing a jurisdiction clears the enterprise (it belongs to the old scope) and offers
  // only the enterprises registered under it (disabled as well as hidden: iOS shows hidden options).
  var jurisdiction = document.querySelector("[data-scope-jurisdiction]");
  var enterprise = document.querySelector("[data-scope-enterprise]");
  if (jurisdiction && enterprise) {
    jurisdiction.addEventListener("change", function () {
      var chosen = jurisdiction.options[jurisdiction.selectedIndex];
      var path = chosen ? chosen.getAttribute("data-path") || "" : "";
      enterprise.value = "";
      Array.prototype.forEach.call(enterprise.options, function (option) {
        var own = option.getAttribute("data-path");
        var outside = own !== null && path !== "" && own.indexOf(path) !== 0;
        option.hidden = outside;
        option.disabled = outside;
      });
    });
  }
})();
