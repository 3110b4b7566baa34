// The permission editor (templates/seats/permissions/_permission_grid.html): progressive
// enhancement only; the sections open and close and the form submits without it.
// - Counts the changes: a control is changed when it left its starting value (the saved one,
//   data-baseline, or the template the page's script just loaded: the "permissions:baseline"
//   event, whose detail is {code: level}). The count shows in each section's summary and in
//   the form's sticky bar ([data-perm-changes]).
// - Keeps each section's "N of M granted" (above the lowest level, data-lowest) up to date.
// - "Expand all" / "Collapse all".
(function () {
  "use strict";
  var PREFIX = "perm__";

  function valueOf(control) {
    if (control.type === "checkbox") return control.checked ? "on" : "off";
    return control.value;
  }

  document.querySelectorAll("[data-permission-grid]").forEach(function (grid) {
    var form = grid.closest("form");
    var controls = Array.prototype.slice.call(grid.querySelectorAll("select, input[type=checkbox]"));
    var start = {};
    controls.forEach(function (control) {
      start[control.name] = control.getAttribute("data-baseline") || valueOf(control);
    });

    function changesText(n) {
      if (n === 0) return grid.getAttribute("data-changes-none");
      if (n === 1) return grid.getAttribute("data-changes-one");
      return grid.getAttribute("data-changes-many").replace("__N__", n);
    }

    function update() {
      var total = 0;
      grid.querySelectorAll("[data-perm-section]").forEach(function (section) {
        var changed = 0;
        var granted = 0;
        section.querySelectorAll("select, input[type=checkbox]").forEach(function (control) {
          var value = valueOf(control);
          var isChanged = value !== start[control.name];
          control.classList.toggle("is-changed", isChanged);
          if (isChanged) changed += 1;
          if (value !== control.getAttribute("data-lowest")) granted += 1;
        });
        var status = section.querySelector("[data-perm-granted]");
        status.textContent = status.getAttribute("data-template").replace("__N__", granted);
        var badge = section.querySelector("[data-perm-section-changes]");
        badge.hidden = changed === 0;
        badge.textContent = changesText(changed);
        total += changed;
      });
      if (!form) return;
      // The grid is hidden while the mode doesn't use it ("Don't restrict access"): no count.
      var shown = grid.offsetParent !== null;
      form.querySelectorAll("[data-perm-changes]").forEach(function (count) {
        count.textContent = shown ? changesText(total) : "";
        count.classList.toggle("has-changes", shown && total > 0);
      });
    }

    // After the page's own script has shown or hidden the grid for the chosen mode.
    function updateSoon() { window.setTimeout(update, 0); }
    (form || grid).addEventListener("change", updateSoon);
    window.addEventListener("load", update);
    grid.addEventListener("permissions:baseline", function (event) {
      var levels = event.detail || {};
      controls.forEach(function (control) {
        var code = control.name.slice(PREFIX.length);
        start[control.name] = levels[code] || control.getAttribute("data-lowest");
      });
      update();
    });

    var expand = grid.querySelector("[data-perm-expand]");
    var sections = grid.querySelectorAll("[data-perm-section]");
    function allOpen() {
      return Array.prototype.every.call(sections, function (section) { return section.open; });
    }
    function expandLabel() {
      expand.textContent = expand.getAttribute(allOpen() ? "data-collapse-label" : "data-expand-label");
    }
    if (expand) {
      expand.hidden = false;
      expand.addEventListener("click", function () {
        var open = !allOpen();
        sections.forEach(function (section) { section.open = open; });
        expandLabel();
      });
      sections.forEach(function (section) { section.addEventListener("toggle", expandLabel); });
      expandLabel();
    }
    update();
  });
})();
