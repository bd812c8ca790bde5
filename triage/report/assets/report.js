// Filter the page's items (elements with data-filter-item) by category and text.
// Category chips toggle; none pressed means every category. Summary rows that
// point at an item (data-filter-row="<item id>") follow that item.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter-item]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-filter-row]"));
  var chips = Array.prototype.slice.call(document.querySelectorAll("[data-filter-category]"));
  var search = document.getElementById("filter-text");
  var clear = document.getElementById("filter-clear");
  var counter = document.getElementById("filter-count");
  if (!items.length || !counter) { return; }
  var chosen = {};

  function anyChosen() {
    return Object.keys(chosen).some(function (key) { return chosen[key]; });
  }

  function apply() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var filtering = anyChosen();
    var shown = 0;
    var visible = {};
    items.forEach(function (item) {
      var category = item.getAttribute("data-category");
      var show = (!filtering || chosen[category] === true) &&
        (!query || item.textContent.toLowerCase().indexOf(query) !== -1);
      item.hidden = !show;
      visible[item.id] = show;
      if (show) { shown += 1; }
    });
    rows.forEach(function (row) {
      row.hidden = visible[row.getAttribute("data-filter-row")] === false;
    });
    counter.textContent = "showing " + shown + " of " + items.length + " " +
      counter.getAttribute("data-noun");
  }

  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      var category = chip.getAttribute("data-filter-category");
      chosen[category] = !chosen[category];
      chip.setAttribute("aria-pressed", chosen[category] ? "true" : "false");
      apply();
    });
  });
  if (search) { search.addEventListener("input", apply); }
  if (clear) {
    clear.addEventListener("click", function () {
      chosen = {};
      chips.forEach(function (chip) { chip.setAttribute("aria-pressed", "false"); });
      if (search) { search.value = ""; }
      apply();
    });
  }
  apply();
}());
