"""Reads for the "Create user" pages."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Account, Membership
from billing.catalogue import TierCode, tier_rank
from billing.selectors import subscription_hub_tiers, subscription_live_get
from invitations.models import SalesforceConnection


@dataclass(frozen=True)
class SalesforceAvailability:
    offered: bool
    why_not: str
    connection: SalesforceConnection | None


def salesforce_import_available(*, account: Account) -> SalesforceAvailability:
    """Import from Salesforce is offered on a Professional or Enterprise tier only."""
    tiers = subscription_hub_tiers(subscription_live_get(account=account)).values()
    if not any(tier_rank(t) >= tier_rank(TierCode.PROFESSIONAL) for t in tiers):
        return SalesforceAvailability(
            offered=False,
            why_not=_(
                "Import from Salesforce comes with Professional and Enterprise tiers. "
                "Upgrade a hub in Pricing & Features to use it."
            ),
            connection=None,
        )
    connection = SalesforceConnection.objects.filter(account=account).first()
    return SalesforceAvailability(offered=True, why_not="", connection=connection)


def created_members(*, account: Account, ids: list[int]) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(account=account, pk__in=ids)
        .select_related("user", "main_team")
        .order_by("user__email")
    )
