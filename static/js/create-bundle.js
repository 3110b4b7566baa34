// "Create a bundle": row prices and the running total (per period and due today, prorated), as
// the server writes them: on every change the page asks billing:bundle_total and shows its
// strings. Progressive enhancement: without it, "Update total" asks the server for the same page.
(function () {
  "use strict";

  var form = document.querySelector("[data-bundle]");
  if (!form) return;
  var period = form.querySelector("[data-total-period]");
  var today = form.querySelector("[data-total-today]");
  var problem = form.querySelector("[data-total-error]");
  var update = form.querySelector("[data-update-total]");
  if (update) update.hidden = true;
  var pending = null;
  var asked = 0;

  function rowPrices(rows) {
    if (!rows) return;
    Object.keys(rows.hubs).forEach(function (code) {
      var row = form.querySelector('tr[data-hub="' + code + '"] [data-row-price]');
      if (row) row.textContent = rows.hubs[code];
    });
    Object.keys(rows.addons).forEach(function (code) {
      var row = form.querySelector('tr[data-addon="' + code + '"] [data-row-price]');
      if (row) row.textContent = rows.addons[code];
    });
    Object.keys(rows.seats || {}).forEach(function (code) {
      var row = form.querySelector('tr[data-seat="' + code + '"] [data-row-price]');
      if (row) row.textContent = rows.seats[code];
    });
  }

  function total() {
    var query = new URLSearchParams(new FormData(form)).toString();
    var mine = ++asked;
    fetch(form.getAttribute("data-total-url") + "?" + query, {
      headers: { "Accept": "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (mine !== asked) return;
        rowPrices(body.rows);
        if (body.error) {
          period.textContent = "—";
          today.textContent = "—";
          problem.textContent = body.error;
          problem.hidden = false;
          return;
        }
        period.textContent = body.period;
        today.textContent = body.today;
        problem.hidden = true;
      });
  }

  function changed() {
    clearTimeout(pending);
    pending = setTimeout(total, 150);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  total();
})();
