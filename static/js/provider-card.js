// The payment provider's card field (Stripe Elements) and the bank's authentication (3-D Secure).
// The card goes from this page to Stripe; the form then posts only the SetupIntent's id, or
// nothing (an authentication), and the server asks Stripe what happened.
(function () {
  "use strict";

  function showError(form, message) {
    var error = form.querySelector("[data-card-error]");
    error.textContent = message;
    error.hidden = false;
  }

  var save = document.querySelector("[data-provider-card]");
  if (save && window.Stripe) {
    var stripe = window.Stripe(save.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount(save.querySelector("[data-card-element]"));
    save.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = save.querySelector("button[type=submit]");
      button.disabled = true;
      stripe
        .confirmCardSetup(save.dataset.clientSecret, { payment_method: { card: card } })
        .then(function (result) {
          if (result.error) {
            showError(save, result.error.message);
            button.disabled = false;
            return;
          }
          save.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
          save.submit();
        });
    });
  }

  var confirm = document.querySelector("[data-provider-authenticate]");
  if (confirm && window.Stripe) {
    var provider = window.Stripe(confirm.dataset.publishableKey);
    confirm.addEventListener("submit", function (event) {
      event.preventDefault();
      var method = confirm.dataset.paymentMethod;
      var data = method ? { payment_method: method } : undefined;
      provider.confirmCardPayment(confirm.dataset.clientSecret, data).then(function (result) {
        if (result.error) {
          showError(confirm, result.error.message);
        }
        confirm.submit(); // the server reads the payment's state either way
      });
    });
  }
})();
