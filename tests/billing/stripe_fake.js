// placeholder: the Stripe.js stand-in (filled in with the Elements page)
