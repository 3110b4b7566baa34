"""The database constraints of subscriptions and their items (DOMAIN.md section 8, STYLE.md 5)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from billing.models import ItemKind, Subscription, SubscriptionItem, SubscriptionStatus
from tests.factories import AccountFactory, SubscriptionFactory, SubscriptionItemFactory

pytestmark = pytest.mark.django_db

ANCHOR = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


# --- One live subscription per account -----------------------------------------------------------


@pytest.mark.parametrize("status", [SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE])
def test_a_second_live_subscription_for_an_account_is_refused(status):
    live = SubscriptionFactory(status=SubscriptionStatus.ACTIVE)

    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(account=live.account, status=status)


def test_a_canceled_subscription_may_sit_beside_a_live_one():
    live = SubscriptionFactory(status=SubscriptionStatus.ACTIVE)

    SubscriptionFactory(account=live.account, status=SubscriptionStatus.CANCELED)
    SubscriptionFactory(account=live.account, status=SubscriptionStatus.CANCELED)

    assert Subscription.objects.filter(account=live.account).count() == 3


def test_two_accounts_each_have_a_live_subscription():
    SubscriptionFactory(account=AccountFactory())
    SubscriptionFactory(account=AccountFactory())

    assert Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count() == 2


def test_a_subscription_with_an_unknown_status_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(status="paused")


def test_a_subscription_with_an_unknown_billing_interval_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(
            interval="weekly",
            anchor=ANCHOR,
            current_period_start=ANCHOR,
            current_period_end=ANCHOR + timedelta(days=7),
        )


# --- The current period --------------------------------------------------------------------------


def test_a_period_that_ends_when_it_starts_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(anchor=ANCHOR, current_period_start=ANCHOR, current_period_end=ANCHOR)


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(
            anchor=ANCHOR,
            current_period_start=ANCHOR,
            current_period_end=ANCHOR - timedelta(seconds=1),
        )


def test_a_period_that_ends_a_second_after_it_starts_is_accepted():
    subscription = SubscriptionFactory(
        anchor=ANCHOR,
        current_period_start=ANCHOR,
        current_period_end=ANCHOR + timedelta(seconds=1),
    )

    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_a_period_starting_before_the_anchor_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(
            anchor=ANCHOR,
            current_period_start=ANCHOR - timedelta(days=1),
            current_period_end=ANCHOR + timedelta(days=30),
        )


# --- Subscription items --------------------------------------------------------------------------


def test_a_hub_item_without_a_tier_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(kind=ItemKind.HUB, product="marketing", tier="")


def test_a_hub_item_with_an_unknown_tier_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(kind=ItemKind.HUB, product="marketing", tier="platinum")


def test_a_hub_item_for_an_unknown_hub_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(kind=ItemKind.HUB, product="custom_objects", tier="professional")


def test_a_hub_item_for_a_known_hub_at_a_known_tier_is_accepted():
    item = SubscriptionItemFactory(kind=ItemKind.HUB, product="sales", tier="enterprise")

    assert SubscriptionItem.objects.get(pk=item.pk).tier == "enterprise"


def test_an_add_on_item_with_a_tier_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(kind=ItemKind.ADDON, product="custom_objects", tier="professional")


def test_an_add_on_item_without_a_tier_is_accepted():
    item = SubscriptionItemFactory(
        kind=ItemKind.ADDON, product="marketing_contacts", tier="", quantity=5
    )

    assert SubscriptionItem.objects.get(pk=item.pk).quantity == 5


def test_an_item_of_an_unknown_kind_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(kind="bundle", product="marketing", tier="professional")


def test_an_item_with_quantity_zero_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(kind=ItemKind.ADDON, product="custom_objects", tier="", quantity=0)


def test_a_subscription_has_one_item_per_product():
    item = SubscriptionItemFactory(product="marketing", tier="professional")

    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionItemFactory(
            subscription=item.subscription, product="marketing", tier="enterprise"
        )


def test_a_subscription_has_an_item_for_each_of_its_products():
    subscription = SubscriptionFactory()

    SubscriptionItemFactory(subscription=subscription, product="marketing", tier="professional")
    SubscriptionItemFactory(subscription=subscription, product="sales", tier="professional")

    assert subscription.items.count() == 2
