// seatmgr's small script: progressive enhancement only; every form works without it.
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
          function () { status.textContent = "Copied"; },
          function () { status.textContent = "Press Ctrl+C to copy"; }
        );
      })
      .catch(function (error) { status.textContent = error.message === "error" ? "Could not make a link" : error.message; })
      .finally(function () { button.disabled = false; });
  });

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
  function loadTemplate(value) {
    var permissions = templates[value];
    if (!permissions) return;
    loading = true;
    Object.keys(permissions).forEach(function (code) {
      var level = permissions[code];
      form.querySelectorAll('[name="perm__' + code + '"]').forEach(function (input) {
        if (input.type === "checkbox") input.checked = level === "on";
        else input.checked = input.value === level;
      });
    });
    loading = false;
    adjusted.value = "";
  }
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "mode") showParts();
    else if (target.name === "template") loadTemplate(target.value);
    else if (target.name.indexOf("perm__") === 0 && !loading) adjusted.value = "True";
  });
  showParts();
  var template = form.querySelector("[name=template]");
  if (template && template.value && adjusted.value !== "True") loadTemplate(template.value);
})();
