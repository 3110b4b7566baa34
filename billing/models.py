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
    """One line of a subscription: a hub at a tier, or an add-on in some quantity."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    # A HubCode for hubs, an add-on code from the catalogue for add-ons.
    product = models.CharField(max_length=40)
    tier = models.CharField(max_length=20, choices=TierCode.choices, blank=True)
    quantity = models.PositiveIntegerField(default=1)

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
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.tier}".strip()
