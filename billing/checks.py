"""Start-up checks of billing's settings."""

from django.conf import settings
from django.core.checks import Error, register

from billing.gateway import GATEWAY_NAMES

STRIPE_SETTINGS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


@register()
def stripe_keys_check(app_configs, **kwargs) -> list[Error]:
    """PAYMENT_GATEWAY=stripe needs its three keys: without one, no card can be saved, charged
    or a webhook verified, and it is better to refuse to start than to fail each customer."""
    gateway = getattr(settings, "PAYMENT_GATEWAY", "")
    if GATEWAY_NAMES.get(gateway, gateway) != GATEWAY_NAMES["stripe"]:
        return []
    return [
        Error(
            f"{name} is not set, and PAYMENT_GATEWAY is Stripe.",
            hint="Set it in the environment (the Stripe Dashboard's API keys and webhook "
            "endpoint); see .env.example.",
            id="billing.E001",
        )
        for name in STRIPE_SETTINGS
        if not getattr(settings, name, "")
    ]
