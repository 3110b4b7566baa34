"""Reads of the Presets tab."""

from django.db.models import OuterRef, Prefetch

from accounts.models import (
    Account,
    Membership,
    Preset,
    Team,
)
from accounts.selectors import _count


def preset_list(*, account: Account) -> list[Preset]:
    """The account's presets with their set, teams and users counted. Two queries."""
    return list(
        Preset.objects.filter(account=account)
        .select_related("permission_set", "main_team")
        .prefetch_related(Prefetch("extra_teams", queryset=Team.objects.order_by("name")))
        .annotate(users=_count(Membership.objects.filter(preset=OuterRef("pk")), "preset"))
        .order_by("name", "pk")
    )
