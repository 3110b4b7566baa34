// Checkout: the card fields belong to "A new card" only. Progressive enhancement: without this
// script every field shows, and the server ignores the card fields unless "A new card" is chosen.
(function () {
  "use strict";

  var fields = document.querySelector("[data-new-card]");
  if (!fields) return;
  var form = fields.closest("form");

  function show() {
    var chosen = form.querySelector("input[name=payment]:checked");
    fields.hidden = !chosen || chosen.value !== "new_card";
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "payment") show();
  });
  show();
})();
