"""Reads of the Permission sets pages: the built-in and the account's own sets with their user
and preset counts, a set's users, and what an edit would change, in a constant number of
queries whatever the number of sets or users."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts.models import (
    Access,
    Account,
    Membership,
    PermissionSet,
    Preset,
    SeatType,
)
from accounts.selectors import _count, members_matching
from seats.catalogue import (
    PERMISSIONS,
    SEAT_RULES,
    level_label,
    permissions_complete,
    permissions_fit_seat,
)
from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS, BuiltinPermissionSet
from seats.permission_sets.services import seat_needed


def seat_need_label(seat_type: SeatType) -> str:
    """ "Needs a Sales seat", or for a set any seat holds, "Fits a View-only seat"."""
    label = SEAT_RULES[seat_type].label
    if seat_type == SeatType.VIEW_ONLY:
        return _("Fits a %(seat)s") % {"seat": label}
    return _("Needs a %(seat)s") % {"seat": label}


@dataclass(frozen=True)
class SetRow:
    name: str
    description: str
    seat: SeatType
    needs: str
    users: int
    presets: int = 0
    permission_set: PermissionSet | None = None
    builtin: BuiltinPermissionSet | None = None


def builtin_set_rows(*, account: Account) -> list[SetRow]:
    """The built-in sets, with how many of the account's members use each. One query."""
    users = dict(
        Membership.objects.filter(account=account, access=Access.TEMPLATE)
        .values("permission_template")
        .annotate(n=Count("pk"))
        .values_list("permission_template", "n")
    )
    return [
        SetRow(
            name=str(s.name),
            description=str(s.description),
            seat=s.seat_type,
            needs=seat_need_label(s.seat_type),
            users=users.get(s.code, 0),
            builtin=s,
        )
        for s in BUILTIN_PERMISSION_SETS
    ]


def permission_set_rows(*, account: Account) -> list[SetRow]:
    """The account's own sets with their users and presets counted. One query."""
    sets = (
        PermissionSet.objects.filter(account=account)
        .annotate(
            users=_count(
                Membership.objects.filter(
                    permission_set=OuterRef("pk"), access=Access.PERMISSION_SET
                ),
                "permission_set",
            ),
            preset_count=_count(
                Preset.objects.filter(permission_set=OuterRef("pk")), "permission_set"
            ),
        )
        .order_by("name", "pk")
    )
    rows = []
    for s in sets:
        seat = seat_needed(s.permissions)
        rows.append(
            SetRow(
                name=s.name,
                description=s.description,
                seat=seat,
                needs=seat_need_label(seat),
                users=s.users,
                presets=s.preset_count,
                permission_set=s,
            )
        )
    return rows


def permission_set_member_list(*, permission_set: PermissionSet) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            account_id=permission_set.account_id,
            permission_set=permission_set,
            access=Access.PERMISSION_SET,
        )
        .select_related("user", "main_team")
        .order_by("user__email", "pk")
    )


def permission_set_users_count(*, permission_set: PermissionSet) -> int:
    return permission_set_member_list(permission_set=permission_set).count()


@dataclass(frozen=True)
class LevelChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class SetChangePreview:
    """What saving a set would do: how many users change, and which permissions."""

    users: int
    changes: list[LevelChange] = field(default_factory=list)


def permission_set_change_preview(
    *, permission_set: PermissionSet, permissions: Mapping[str, str]
) -> SetChangePreview:
    old = permissions_complete(permission_set.permissions)
    new = permissions_complete(permissions)
    changes = [
        LevelChange(str(p.full_label), str(level_label(old[p.code])), str(level_label(new[p.code])))
        for p in PERMISSIONS
        if old[p.code] != new[p.code]
    ]
    return SetChangePreview(
        users=permission_set_users_count(permission_set=permission_set), changes=changes
    )


@dataclass(frozen=True)
class Candidate:
    membership: Membership
    fits: bool


def permission_set_candidates(
    *, permission_set: PermissionSet, q: str = "", limit: int = 100
) -> list[Candidate]:
    """Members not on the set, matching `q`, each saying whether their seat can hold it."""
    permissions = permissions_complete(permission_set.permissions)
    members = members_matching(account_id=permission_set.account_id, q=q).exclude(
        permission_set=permission_set
    )[:limit]
    return [Candidate(m, permissions_fit_seat(permissions, m.seat_type)) for m in members]
