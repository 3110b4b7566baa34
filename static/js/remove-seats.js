// "Remove unassigned seats": the next renewal's price before → after, for the quantity typed, as
// the server writes it (billing:seats_remove_quote sends it formatted; this script never formats
// money). The counts and the button follow the quantity in app.js. Without this script the page
// shows the price for the quantity it was rendered with.
(function () {
  "use strict";
  document.querySelectorAll("[data-remove-form][data-quote-url]").forEach(function (form) {
    var input = form.querySelector("input[name=quantity]");
    var before = form.querySelector("[data-price-before]");
    var after = form.querySelector("[data-price-after]");
    if (!input || !before || !after) return;
    var timer = null;
    var asked = 0;

    function refresh() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++asked;
        var url = form.getAttribute("data-quote-url") + "?quantity=" + encodeURIComponent(input.value);
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
          .then(function (result) {
            if (mine !== asked) return;
            if (!result.ok) { after.textContent = "—"; return; }
            before.textContent = result.body.before;
            after.textContent = result.body.after;
          });
      }, 150);
    }

    input.addEventListener("input", refresh);
  });
})();
