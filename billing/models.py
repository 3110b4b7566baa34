"""Subscriptions: which hubs at which tiers an account pays for, and the current period."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    CANCELED = "canceled", _("Canceled")


LIVE_SUBSCRIPTION_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


class Subscription(models.Model):
    """An account's subscription: its billing interval and the period currently paid for.

    An account has at most one live (active or past-due) subscription. `anchor` is the instant
    periods are counted from, so month-end dates stay put across renewals (billing.periods).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subscriptions")
    interval = models.CharField(
        _("billing"),
        max_length=10,
        choices=BillingInterval.choices,
        default=BillingInterval.MONTHLY,
    )
    status = models.CharField(
        max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    anchor = models.DateTimeField()
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    # Changes that wait for the renewal date (billing.services.checkout and .changes; applied by
    # the renewal job): "" keeps the interval; True ends the subscription instead of renewing it.
    interval_at_renewal = models.CharField(
        max_length=10, choices=BillingInterval.choices, blank=True, default=""
    )
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status__in=LIVE_SUBSCRIPTION_STATUSES),
                name="subscription_one_live_per_account",
            ),
            models.CheckConstraint(
                condition=Q(current_period_end__gt=F("current_period_start")),
                name="subscription_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(current_period_start__gte=F("anchor")),
                name="subscription_period_not_before_anchor",
            ),
            models.CheckConstraint(
                condition=Q(interval__in=BillingInterval.values), name="subscription_interval_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SubscriptionStatus.values), name="subscription_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(interval_at_renewal__in=["", *BillingInterval.values]),
                name="subscription_interval_at_renewal_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "current_period_end"], name="subscription_due"),
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.get_interval_display()})"


class ItemKind(models.TextChoices):
    HUB = "hub", _("Hub")
    ADDON = "addon", _("Add-on")


class SubscriptionItem(models.Model):
    """One line of a subscription: a hub at a tier, or an add-on in some quantity.

    A downgrade or removal waits for the renewal date: `tier_at_renewal` (a lower tier; "" for
    none), `quantity_at_renewal` (fewer add-on units; NULL for none) and `remove_at_renewal` say
    what the next period will have, and the renewal job applies them before invoicing it.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    # A HubCode for hubs, an add-on code from the catalogue for add-ons.
    product = models.CharField(max_length=40)
    tier = models.CharField(max_length=20, choices=TierCode.choices, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    tier_at_renewal = models.CharField(
        max_length=20, choices=TierCode.choices, blank=True, default=""
    )
    quantity_at_renewal = models.PositiveIntegerField(null=True, blank=True)
    remove_at_renewal = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("subscription item")
        verbose_name_plural = _("subscription items")
        ordering = ["subscription_id", "kind", "product"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "product"], name="subscription_item_one_per_product"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=ItemKind.HUB, product__in=HubCode.values, tier__in=TierCode.values)
                    | Q(kind=ItemKind.ADDON, tier="")
                ),
                name="subscription_item_hub_has_tier",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="subscription_item_quantity"),
            models.CheckConstraint(
                condition=Q(tier_at_renewal="")
                | Q(kind=ItemKind.HUB, tier_at_renewal__in=TierCode.values),
                name="subscription_item_tier_at_renewal_hub",
            ),
            models.CheckConstraint(
                condition=Q(quantity_at_renewal__isnull=True)
                | Q(kind=ItemKind.ADDON, quantity_at_renewal__gte=1),
                name="subscription_item_quantity_at_renewal_addon",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.tier}".strip()

    @property
    def has_pending_change(self) -> bool:
        return bool(
            self.tier_at_renewal or self.quantity_at_renewal is not None or self.remove_at_renewal
        )


class CardOnFile(models.Model):
    """The card an account is charged on, as the payment gateway described it.

    Never the card number: the gateway keeps the card and gives back a token.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="card")
    gateway_token = models.CharField(max_length=200)
    brand = models.CharField(max_length=30)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("card on file")
        verbose_name_plural = _("cards on file")
        constraints = [
            models.CheckConstraint(
                condition=Q(exp_month__gte=1, exp_month__lte=12), name="card_exp_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(last4__regex=r"^[0-9]{4}$"), name="card_last4_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"


class PaymentCustomer(models.Model):
    """The account as the payment provider knows it (a Stripe Customer): created once, before
    the first card is saved; cards and payments are made for it."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="payment_customer"
    )
    customer_id = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Deleted at the provider (its dashboard): the next card saved makes a new customer.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment customer")
        verbose_name_plural = _("payment customers")

    def __str__(self) -> str:
        return self.customer_id


class WebhookEvent(models.Model):
    """A provider's webhook event that was handled: one row per event id (the database refuses a
    second), so a redelivered event is handled once."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class BillingContact(models.Model):
    """Who receives invoices and billing questions for an account."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="billing_contact"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("billing contact")
        verbose_name_plural = _("billing contacts")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class InvoiceKind(models.TextChoices):
    PURCHASE = "purchase", _("Seats bought")
    RENEWAL = "renewal", _("Renewal")
    CHECKOUT = "checkout", _("Plan bought or upgraded")


class InvoiceStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    OPEN = "open", _("Unpaid")
    # A purchase or checkout whose bank asks the card holder to authenticate: nothing granted
    # until the provider confirms the money (billing.services.payments).
    NEEDS_AUTHENTICATION = "needs_authentication", _("Needs authentication")
    # A payment that waited for authentication and was refused or abandoned: nothing was taken,
    # nothing granted.
    VOID = "void", _("Not paid")


class Invoice(models.Model):
    """One charge to an account: a purchase now, or the renewal of a period.

    A renewal invoice exists once per subscription and period (the database refuses a
    second), which is what makes the renewal job safe to run twice. A purchase carries the
    idempotency key of the form that asked for it, so a double submit buys once.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    kind = models.CharField(max_length=20, choices=InvoiceKind.choices)
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices)
    currency = models.CharField(max_length=3, default="usd")
    total_cents = models.PositiveIntegerField()
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    # NULL, not "", for invoices without a key: the unique constraint ignores NULLs.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The provider's charge id (shown), its payment (a Stripe PaymentIntent, which webhooks and
    # the authentication page name) and its receipt, when it has one.
    charge_id = models.CharField(max_length=100, blank=True)
    payment_id = models.CharField(max_length=100, blank=True, db_index=True)
    receipt_url = models.URLField(max_length=500, blank=True)
    refunded_cents = models.PositiveIntegerField(default=0)
    # Payments of this invoice taken after another had paid it (a renewal's retry and the
    # billing admins' link, at the same time), each given back at once: {payment id: cents}.
    extra_refunds = models.JSONField(default=dict, blank=True)
    # What a purchase or checkout waiting for authentication grants once paid (seats:
    # {"seat_type", "quantity"} and maybe {"seat_request", "approver"}; a checkout: its bundle,
    # when it was quoted and the quote's lines), kept once paid with "outcome", what became of
    # it (billing.services.payments); {} for everything else.
    grant = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="invoice_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=Q(kind="renewal"),
                name="invoice_one_renewal_per_period",
            ),
            models.CheckConstraint(
                condition=Q(status="paid", paid_at__isnull=False)
                | (~Q(status="paid") & Q(paid_at__isnull=True)),
                name="invoice_paid_at_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="invoice_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(total_cents__gte=0), name="invoice_total_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="invoice_account_time"),
            models.Index(fields=["status", "next_attempt_at"], name="invoice_retry_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"INV-{self.pk:06d}"

    @property
    def extra_refunded_cents(self) -> int:
        """What was taken twice for this invoice and given back (`extra_refunds`)."""
        return sum(self.extra_refunds.values())


class InvoiceLine(models.Model):
    """One line of an invoice: what, how many, at what price (integer cents)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1)
    unit_cents = models.PositiveIntegerField()
    amount_cents = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice_id", "id"]

    def __str__(self) -> str:
        return self.description


class SalesRequest(models.Model):
    """A "Talk to sales" request: what the account wants and how to reach the person asking.

    `emailed_at` is set once the sales team's email left, so a retried task sends it once.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sales_requests")
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.TextField(_("what you want"), max_length=2000)
    phone = models.CharField(_("phone"), max_length=40)
    preferred_time = models.CharField(_("preferred time"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sales request")
        verbose_name_plural = _("sales requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account} {self.created_at:%Y-%m-%d}"


class UnassignedSeatsNotice(models.Model):
    """The billing admins were emailed, once for this period, that `quantity` seats of a paid
    type are unassigned and that removing them at the renewal on `period_end` saves
    `saving_cents` a period. The unique row is what makes it once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    seat_type = models.CharField(max_length=20)
    period_end = models.DateTimeField()
    quantity = models.PositiveIntegerField()
    saving_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("unassigned seats notice")
        verbose_name_plural = _("unassigned seats notices")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "seat_type", "period_end"],
                name="unassigned_seats_notice_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.seat_type} {self.period_end:%Y-%m-%d}"
