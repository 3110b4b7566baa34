from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        # The change formatter (floor 2) learns billing's keys; importing models is safe here.
        from billing.audit import audit_keys_register

        audit_keys_register()
        # The Stripe keys' check (registered on import).
        import billing.checks  # noqa: F401
