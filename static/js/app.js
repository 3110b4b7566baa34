// seatmgr's shared script, for the pages that load it: progressive enhancement only; every form
// works without it. What one page alone needs is that page's script (add-seats.js, create-bundle.js).
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // "Copy invite link": ask the server for a fresh link, copy it, and show it too.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-invite]");
    if (!button) return;
    var holder = button.closest(".copy-link");
    var status = holder.querySelector(".copy-status");
    var field = holder.querySelector(".copy-link-url");
    button.disabled = true;
    fetch(button.getAttribute("data-copy-invite"), {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.body.error || "error");
        field.value = result.body.url;
        field.hidden = false;
        field.select();
        var copied = navigator.clipboard ? navigator.clipboard.writeText(result.body.url) : Promise.reject();
        return copied.then(
          function () { status.textContent = holder.getAttribute("data-copied"); },
          function () { status.textContent = holder.getAttribute("data-copy-manually"); }
        );
      })
      .catch(function (error) {
        status.textContent = error.message === "error" ? holder.getAttribute("data-copy-failed") : error.message;
      })
      .finally(function () { button.disabled = false; });
  });

  // A row's menu (the Users list's "Actions"): without this script it opens in place; with it,
  // it floats under its button (above, near the window's bottom), out of reach of the table's
  // scroll box, follows its button as the page scrolls, and closes on Escape, on a click
  // elsewhere, when its button scrolls out of sight, or when another opens.
  // Enter or Space on its button opens it (a <summary>); the arrow keys move through its items.
  function rowMenusClose(except) {
    document.querySelectorAll("details.row-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.classList || !menu.classList.contains("row-menu")) return;
    menu.querySelector("summary").setAttribute("aria-expanded", menu.open ? "true" : "false");
    if (!menu.open) { menu.classList.remove("floating"); return; }
    rowMenuPlace(menu);
  }, true);
  function rowMenuPlace(menu) {
    var items = menu.querySelector(".row-menu-items");
    rowMenusClose(menu);
    menu.classList.add("floating");
    var anchor = menu.querySelector("summary").getBoundingClientRect();
    var top = anchor.bottom + 4;
    if (top + items.offsetHeight > window.innerHeight && anchor.top - 4 - items.offsetHeight > 0) {
      top = anchor.top - 4 - items.offsetHeight;
    }
    items.style.top = top + "px";
    items.style.left = Math.max(8, anchor.right - items.offsetWidth) + "px";
  }
  function rowMenuItems(menu) {
    return Array.prototype.filter.call(
      menu.querySelectorAll(".row-menu-items a, .row-menu-items button, .row-menu-items input"),
      function (item) { return !item.hidden && !item.disabled; }
    );
  }
  document.addEventListener("keydown", function (event) {
    var keys = ["ArrowDown", "ArrowUp", "Home", "End"];
    if (keys.indexOf(event.key) === -1) return;
    var menu = event.target.closest && event.target.closest("details.row-menu");
    if (!menu) return;
    var onSummary = event.target.tagName === "SUMMARY";
    if (onSummary && event.key !== "ArrowDown") return;
    event.preventDefault();
    if (!menu.open) {
      menu.open = true;
      rowMenuPlace(menu);  // now, not at the toggle event: the focus below must not scroll
    }
    var items = rowMenuItems(menu);
    var at = items.indexOf(event.target);
    var next = event.key === "Home" || onSummary ? 0
      : event.key === "End" ? items.length - 1
      : event.key === "ArrowDown" ? (at + 1) % items.length
      : (at - 1 + items.length) % items.length;
    if (items[next]) items[next].focus({ preventScroll: true });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.row-menu[open]");
    if (!open) return;
    open.open = false;
    open.querySelector("summary").focus();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("details.row-menu")) rowMenusClose(null);
  });
  function rowMenuFollow(event) {
    // Scrolling inside an open menu (the invite link's field) leaves it be; scrolling the page
    // moves it with its button, and closes it once the button is out of sight.
    if (event && event.target.closest && event.target.closest("details.row-menu")) return;
    var open = document.querySelector("details.row-menu[open]");
    if (!open) return;
    var anchor = open.querySelector("summary").getBoundingClientRect();
    if (anchor.bottom < 0 || anchor.top > window.innerHeight) open.open = false;
    else rowMenuPlace(open);
  }
  window.addEventListener("scroll", rowMenuFollow, true);
  window.addEventListener("resize", rowMenuFollow);

  // "Choose how to restrict access": show the parts each mode needs; load a template into the grid.
  var form = document.querySelector("[data-access-form]");
  if (!form) return;
  var templates = JSON.parse(document.getElementById("permission-templates").textContent);
  var adjusted = form.querySelector("input[name=adjusted]");
  var loading = false;

  function mode() {
    var checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "defaults";
  }
  function showParts() {
    form.querySelectorAll("[data-show-for]").forEach(function (part) {
      part.hidden = part.getAttribute("data-show-for").split(" ").indexOf(mode()) === -1;
    });
  }
  // Set the grid to the template's levels (unless `keepValues`: the admin already adjusted them)
  // and tell the permission editor it is the starting point its changes count from.
  function loadTemplate(value, keepValues) {
    var permissions = templates[value];
    if (!permissions) return;
    if (!keepValues) {
      loading = true;
      Object.keys(permissions).forEach(function (code) {
        var level = permissions[code];
        form.querySelectorAll('[name="perm__' + code + '"]').forEach(function (input) {
          if (input.type === "checkbox") input.checked = level === "on";
          else input.value = level;
        });
      });
      loading = false;
      adjusted.value = "";
    }
    var grid = form.querySelector("[data-permission-grid]");
    if (grid) grid.dispatchEvent(new CustomEvent("permissions:baseline", { detail: permissions }));
  }
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "mode") showParts();
    else if (target.name === "template") loadTemplate(target.value, false);
    else if (target.name.indexOf("perm__") === 0 && !loading) adjusted.value = "True";
  });
  showParts();
  var template = form.querySelector("[name=template]");
  if (template && template.value) {
    if (adjusted.value !== "True") loadTemplate(template.value, false);
    else if (mode() === "template") loadTemplate(template.value, true);
  }
})();

// "Remove unassigned seats": open as a dialog; the counts and the button follow the quantity.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) {
        event.preventDefault();
        dialog.showModal();
        var field = dialog.querySelector("input[name=quantity]");
        if (field) field.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });
  document.querySelectorAll("[data-remove-form]").forEach(function (form) {
    var input = form.querySelector("input[name=quantity]");
    var current = form.querySelector("[data-current-count]");
    var renewal = form.querySelector("[data-renewal-count]");
    var button = form.querySelector("button[type=submit]");
    var renewalNow = parseInt(form.getAttribute("data-renewal"), 10);
    function update() {
      var n = parseInt(input.value, 10);
      var valid = n >= 1 && n <= parseInt(form.getAttribute("data-max"), 10);
      current.textContent = form.getAttribute("data-current");
      renewal.textContent = valid ? renewalNow - n : renewalNow;
      button.textContent = n === 1 ? button.getAttribute("data-label-one")
        : button.getAttribute("data-label-many").replace("__N__", valid ? n : "…");
      button.disabled = !valid;
    }
    input.addEventListener("input", update);
    update();
  });
})();

// The Users list's "select every user on this page" box.
document.addEventListener("change", function (event) {
  "use strict";
  var all = event.target.closest("[data-select-all]");
  if (!all) return;
  var name = all.getAttribute("data-select-all");
  document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
    box.checked = all.checked;
  });
});
