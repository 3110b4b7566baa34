// "Create a bundle": row prices and the running total (per period and due today, prorated).
// Progressive enhancement: without it, "Update total" asks the server for the same numbers.
(function () {
  "use strict";

  var form = document.querySelector("[data-bundle]");
  if (!form) return;
  var prices = JSON.parse(document.getElementById("bundle-prices").textContent);
  var period = form.querySelector("[data-total-period]");
  var today = form.querySelector("[data-total-today]");
  var problem = form.querySelector("[data-total-error]");
  var update = form.querySelector("[data-update-total]");
  if (update) update.hidden = true;
  var pending = null;
  var asked = 0;

  function money(value) {
    var units = Math.floor(value / 100);
    var rest = value % 100;
    var text = units.toLocaleString("en-US") + (rest ? "." + String(rest).padStart(2, "0") : "");
    return (prices.currency === "usd" ? "$" : prices.currency.toUpperCase() + " ") + text;
  }

  function rowPrices() {
    form.querySelectorAll("tr[data-hub]").forEach(function (row) {
      var hub = row.getAttribute("data-hub");
      var tier = row.querySelector("select").value;
      var cell = row.querySelector("[data-row-price]");
      cell.textContent = money(prices.hubs[hub][tier] || 0);
    });
    form.querySelectorAll("tr[data-addon]").forEach(function (row) {
      var addon = row.getAttribute("data-addon");
      var quantity = parseInt(row.querySelector("input[type=number]").value, 10) || 0;
      row.querySelector("[data-row-price]").textContent = money(prices.addons[addon] * quantity);
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
    rowPrices();
    clearTimeout(pending);
    pending = setTimeout(total, 150);
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  rowPrices();
  total();
})();
