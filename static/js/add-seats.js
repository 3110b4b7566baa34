// "Add seats": up/down arrows, and the price for the quantity as the server writes it
// (billing:seats_quote sends the amounts formatted; this script never formats money).
(function () {
  "use strict";
  var form = document.querySelector("[data-add-seats]");
  if (!form) return;
  var input = form.querySelector("input[name=quantity]");
  var amount = form.querySelector("[data-amount]");
  var period = form.querySelector("[data-period]");
  var timer = null;

  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.getAttribute("data-quote-url") + "?quantity=" + encodeURIComponent(input.value), {
        headers: { "Accept": "application/json" }, credentials: "same-origin",
      })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (result) {
          if (!amount) return;
          if (!result.ok) { amount.textContent = result.body.error; period.textContent = ""; return; }
          amount.textContent = result.body.amount;
          period.textContent = result.body.period;
        });
    }, 150);
  }
  form.addEventListener("click", function (event) {
    var step = event.target.closest("[data-step]");
    if (!step) return;
    var next = (parseInt(input.value, 10) || 0) + parseInt(step.getAttribute("data-step"), 10);
    input.value = Math.max(1, Math.min(1000, next));
    refresh();
  });
  input.addEventListener("input", refresh);
})();
