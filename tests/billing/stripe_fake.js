// A stand-in for Stripe.js, served by the tests' fake of Stripe (tests/billing/stripe_fake.py) at
// /v3/. The card field is a plain input; confirming calls the fake's API as Stripe.js calls
// Stripe's, and the bank's 3-D Secure challenge always passes.
(function () {
  "use strict";

  var base = new URL(document.currentScript.src).origin;

  function post(path, params) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, body: body };
      });
    });
  }

  window.Stripe = function () {
    return {
      elements: function () {
        return {
          create: function () {
            var input = document.createElement("input");
            input.setAttribute("data-fake-stripe-card", "");
            input.setAttribute("aria-label", "Card number");
            input.placeholder = "Card number";
            return {
              mount: function (element) {
                element.appendChild(input);
              },
              number: function () {
                return input.value;
              },
            };
          },
        };
      },
      confirmCardSetup: function (secret, data) {
        var setupId = secret.split("_secret_")[0];
        var number = data.payment_method.card.number();
        return post("/v1/payment_methods", { type: "card", "card[number]": number }).then(
          function (method) {
            if (!method.ok) return { error: method.body.error };
            return post("/v1/setup_intents/" + setupId + "/confirm", {
              payment_method: method.body.id,
            }).then(function (setup) {
              return setup.ok ? { setupIntent: setup.body } : { error: setup.body.error };
            });
          }
        );
      },
      confirmCardPayment: function (secret, data) {
        var intentId = secret.split("_secret_")[0];
        var params = data && data.payment_method ? { payment_method: data.payment_method } : {};
        params.off_session = "false"; // the card holder is here: the bank's challenge passes
        return post("/v1/payment_intents/" + intentId + "/confirm", params).then(function (intent) {
          return intent.ok ? { paymentIntent: intent.body } : { error: intent.body.error };
        });
      },
    };
  };
})();
