// Filter the page's items (elements with data-filter-item) by category, verdict and text.
// Chips toggle; within one facet (category, verdict) pressed chips are alternatives, and
// a facet with none pressed lets everything through. The text box searches an item's
// data-filter-text when it has one, else its text. Elements that point at items
// (data-filter-row="<item id> ...") are hidden when every item they name is hidden.
(function () {
  "use strict";
  var FACETS = ["category", "verdict"];
  function all(selector) { return Array.prototype.slice.call(document.querySelectorAll(selector)); }
  var items = all("[data-filter-item]");
  var rows = all("[data-filter-row]");
  var chips = all("[data-filter-category], [data-filter-verdict]");
  var search = document.getElementById("filter-text");
  var clear = document.getElementById("filter-clear");
  var counter = document.getElementById("filter-count");
  if (!items.length || !counter) { return; }
  var chosen = {};

  function facetOf(chip) {
    return chip.hasAttribute("data-filter-verdict") ? "verdict" : "category";
  }

  function reset() {
    chosen = {};
    FACETS.forEach(function (facet) { chosen[facet] = {}; });
  }

  function passes(item, facet) {
    var picked = chosen[facet];
    var any = Object.keys(picked).some(function (key) { return picked[key]; });
    return !any || picked[item.getAttribute("data-" + facet)] === true;
  }

  function searchable(item) {
    var text = item.getAttribute("data-filter-text");
    return (text === null ? item.textContent : text).toLowerCase();
  }

  function apply() {
    var query = search ? search.value.trim().toLowerCase() : "";
    var shown = 0;
    var visible = {};
    items.forEach(function (item) {
      var show = FACETS.every(function (facet) { return passes(item, facet); }) &&
        (!query || searchable(item).indexOf(query) !== -1);
      item.hidden = !show;
      visible[item.id] = show;
      if (show) { shown += 1; }
    });
    rows.forEach(function (row) {
      var ids = row.getAttribute("data-filter-row").split(" ").filter(Boolean);
      row.hidden = ids.length > 0 && ids.every(function (id) { return visible[id] === false; });
    });
    counter.textContent = "showing " + shown + " of " + items.length + " " +
      counter.getAttribute("data-noun");
  }

  reset();
  chips.forEach(function (chip) {
    chip.addEventListener("click", function () {
      var facet = facetOf(chip);
      var value = chip.getAttribute("data-filter-" + facet);
      chosen[facet][value] = !chosen[facet][value];
      chip.setAttribute("aria-pressed", chosen[facet][value] ? "true" : "false");
      apply();
    });
  });
  if (search) { search.addEventListener("input", apply); }
  if (clear) {
    clear.addEventListener("click", function () {
      reset();
      chips.forEach(function (chip) { chip.setAttribute("aria-pressed", "false"); });
      if (search) { search.value = ""; }
      apply();
    });
  }
  apply();
}());
