"""The Stripe fake, for tests that drive billing.stripe_gateway.StripeGateway."""

import pytest

from billing.gateway import gateway_get
from tests.billing.stripe_fake import StripeFake, stripe_fake_start, stripe_fake_stop

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_fake(settings) -> StripeFake:
    """A running fake of Stripe's API, with PAYMENT_GATEWAY=stripe pointed at it."""
    fake = stripe_fake_start()
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE_FOR_TESTS = fake.base
    gateway_get.cache_clear()
    yield fake
    gateway_get.cache_clear()
    stripe_fake_stop(fake)
