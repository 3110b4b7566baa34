"""Seat pools learn the next period's included and enabled seats of the pending hub downgrades
and removals that were scheduled before they kept them (#13 point 1). Uses the catalogue's pure
functions on the stored tiers; the historical models only."""

from django.db import migrations

from billing.catalogue import enabled_seat_types, included_core_seats

LIVE = ("active", "past_due")
CORE = "core"


def _pools_at_renewal(apps, schema_editor):
    SubscriptionItem = apps.get_model("billing", "SubscriptionItem")
    SeatPool = apps.get_model("seats", "SeatPool")
    pending = (
        SubscriptionItem.objects.filter(kind="hub", subscription__status__in=LIVE)
        .exclude(tier_at_renewal="", remove_at_renewal=False)
        .values_list("subscription_id", flat=True)
        .distinct()
    )
    for subscription_id in pending:
        items = SubscriptionItem.objects.filter(subscription_id=subscription_id, kind="hub")
        hubs_next = [
            (item.product, item.tier_at_renewal or item.tier)
            for item in items
            if not item.remove_at_renewal
        ]
        account_id = items[0].subscription.account_id
        enabled = enabled_seat_types(hubs_next)
        for pool in SeatPool.objects.filter(account_id=account_id):
            pool.included_at_renewal = (
                included_core_seats(hubs_next) if pool.seat_type == CORE else 0
            )
            pool.enabled_at_renewal = pool.seat_type == CORE or pool.seat_type in enabled
            pool.save(update_fields=["included_at_renewal", "enabled_at_renewal"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_plan_changes_sales_requests"),
        ("seats", "0004_seat_pool_at_renewal"),
    ]

    operations = [
        migrations.RunPython(_pools_at_renewal, migrations.RunPython.noop, elidable=True),
    ]
