"""The account's own permission sets: creating (blank or from a copy), editing, deleting and
applying them.

A member "on" a set (access = permission set) holds exactly the set's permissions: editing the
set edits theirs, in the same transaction, and refuses when one of their seats can't hold the new
permissions. Deleting a set leaves its members their permissions, as "Custom" access.

Locks, as in seats.services: Account first (it serialises every change of who holds which seat
and which permissions), then the set, then memberships. Presets, which bundle a set with
teams, are in seats.presets.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.locks import account_lock
from accounts.models import (
    Access,
    Account,
    AuditVerb,
    Membership,
    PermissionSet,
    Preset,
    SeatType,
    User,
)
from accounts.selectors import name_unique_check
from accounts.services import audit_record, named_row_save
from seats.catalogue import (
    SEAT_RULES,
    permissions_complete,
    permissions_fit_seat,
    permissions_validate,
    seat_required_for,
)
from seats.errors import NameRequired, NoUsersChosen, PermissionSetNameTaken, SeatsCantHoldSet
from seats.permissions.choice import ResolvedAccess, permissions_grant_check
from seats.permissions.services import members_access_write

# At most this many addresses are named in a refusal; the rest are counted.
NAMED_IN_ERRORS = 10


def actor_of(actor_membership: Membership | None) -> User | None:
    return actor_membership.user if actor_membership is not None else None


def _emails(memberships: Sequence[Membership]) -> str:
    named = ", ".join(m.user.email for m in memberships[:NAMED_IN_ERRORS])
    more = len(memberships) - NAMED_IN_ERRORS
    return f"{named} (+{more})" if more > 0 else named


def members_not_fitting(
    *, permissions: Mapping[str, str], memberships: Iterable[Membership]
) -> list[Membership]:
    """The members whose seat can't hold these permissions."""
    return [m for m in memberships if not permissions_fit_seat(permissions, m.seat_type)]


def set_fit_check(*, permissions: Mapping[str, str], memberships: Iterable[Membership]) -> None:
    """Raise SeatsCantHoldSet naming every member whose seat can't hold these permissions."""
    misfits = members_not_fitting(permissions=permissions, memberships=memberships)
    if misfits:
        seat = SEAT_RULES[seat_required_for(permissions)].label
        raise SeatsCantHoldSet(seat=seat, emails=_emails(misfits))


def set_grant_check(*, permissions: Mapping[str, str], actor_membership: Membership | None) -> None:
    """Nobody but a super admin puts a permission they don't hold themselves into a set."""
    permissions_grant_check(
        permissions=permissions,
        seat_type=seat_required_for(permissions),
        actor_membership=actor_membership,
    )


def _set_name_check(*, account: Account, name: str, exclude: PermissionSet | None = None) -> str:
    return name_unique_check(
        rows=PermissionSet.objects.filter(account=account),
        name=name,
        exclude=exclude,
        required=NameRequired,
        taken=PermissionSetNameTaken,
    )


def _set_save(permission_set: PermissionSet) -> None:
    permission_set.full_clean(exclude=["account"], validate_constraints=False)
    named_row_save(permission_set, taken=PermissionSetNameTaken)


def _set_snapshot(permission_set: PermissionSet) -> dict:
    return {
        "permission_set": permission_set.name,
        "description": permission_set.description,
        "permissions": permission_set.permissions,
    }


def _set_create(
    *,
    account: Account,
    name: str,
    description: str,
    permissions: Mapping[str, str],
    actor_membership: Membership | None,
    now: datetime,
) -> PermissionSet:
    permissions = permissions_validate(dict(permissions))
    set_grant_check(permissions=permissions, actor_membership=actor_membership)
    permission_set = PermissionSet(
        account=account,
        name=_set_name_check(account=account, name=name),
        description=(description or "").strip(),
        permissions=permissions,
        created_at=now,
    )
    _set_save(permission_set)
    audit_record(
        account=account,
        actor=actor_of(actor_membership),
        verb=AuditVerb.PERMISSION_SET_CREATED,
        after=_set_snapshot(permission_set),
        now=now,
    )
    return permission_set


@transaction.atomic(durable=True)
def permission_set_create(
    *,
    account: Account,
    name: str,
    description: str,
    permissions: Mapping[str, str],
    actor_membership: Membership | None,
    now: datetime | None = None,
) -> PermissionSet:
    """A new set of the account. Refused above the actor's own permissions (not super admin)."""
    return _set_create(
        account=account,
        name=name,
        description=description,
        permissions=permissions,
        actor_membership=actor_membership,
        now=now or timezone.now(),
    )


def copy_name(*, account: Account, name: str) -> str:
    """ "Copy of Marketer", then "Copy of Marketer (2)", ... whichever is free in the account:
    the name "Copy" proposes for a built-in set (the admin may change it before saving)."""
    base = str(_("Copy of %(name)s") % {"name": name})[:90]
    taken = {
        n.lower()
        for n in PermissionSet.objects.filter(account=account, name__istartswith=base).values_list(
            "name", flat=True
        )
    }
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base} ({number})"
    return candidate


def _members_on(permission_set: PermissionSet) -> list[Membership]:
    return list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "permission_set")
        .filter(permission_set=permission_set, access=Access.PERMISSION_SET)
        .order_by("pk")
    )


@dataclass(frozen=True)
class SetUpdate:
    permission_set: PermissionSet
    users_updated: int


@transaction.atomic(durable=True)
def permission_set_update(
    *,
    permission_set: PermissionSet,
    name: str,
    description: str,
    permissions: Mapping[str, str],
    actor_membership: Membership | None,
    now: datetime | None = None,
) -> SetUpdate:
    """Change a set, and with it the permissions of every member on it.

    Refused, with nothing changed, when one of those members' seats can't hold the new
    permissions (they are named), or when they go above the actor's own.
    """
    now = now or timezone.now()
    account = account_lock(permission_set.account)
    permission_set = PermissionSet.objects.select_for_update().get(
        pk=permission_set.pk, account=account
    )
    permissions = permissions_validate(dict(permissions))
    set_grant_check(permissions=permissions, actor_membership=actor_membership)
    members = _members_on(permission_set)
    set_fit_check(permissions=permissions, memberships=members)
    before = _set_snapshot(permission_set)
    permission_set.name = _set_name_check(account=account, name=name, exclude=permission_set)
    permission_set.description = (description or "").strip()
    permission_set.permissions = permissions
    _set_save(permission_set)
    changed = members_access_write(
        memberships=members,
        access=ResolvedAccess(
            is_super_admin=False,
            permissions=permissions,
            access=Access.PERMISSION_SET,
            permission_set=permission_set,
        ),
        actor=actor_of(actor_membership),
        now=now,
    )
    after = _set_snapshot(permission_set)
    if after != before:
        audit_record(
            account=account,
            actor=actor_of(actor_membership),
            verb=AuditVerb.PERMISSION_SET_CHANGED,
            before=before,
            after={**after, "users_updated": len(changed)},
            now=now,
        )
    return SetUpdate(permission_set=permission_set, users_updated=len(changed))


@transaction.atomic(durable=True)
def permission_set_delete(
    *, permission_set: PermissionSet, actor: User | None, now: datetime | None = None
) -> int:
    """Delete a set. Its members keep their permissions, as "Custom" access; presets that
    bundled it no longer change permissions. Returns how many members it had."""
    now = now or timezone.now()
    account = account_lock(permission_set.account)
    permission_set = PermissionSet.objects.select_for_update().get(
        pk=permission_set.pk, account=account
    )
    members = _members_on(permission_set)
    # Its members keep their permissions, now as their own.
    members_access_write(
        memberships=members,
        access=lambda m: ResolvedAccess(
            is_super_admin=False, permissions=m.permissions, access=Access.CUSTOM
        ),
        actor=actor,
        now=now,
    )
    presets = list(
        Preset.objects.select_for_update().filter(permission_set=permission_set).order_by("pk")
    )
    Preset.objects.filter(pk__in=[p.pk for p in presets]).update(permission_set=None)
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.PERMISSION_SET_DELETED,
        before={
            **_set_snapshot(permission_set),
            "users": len(members),
            "presets": [p.name for p in presets],
        },
        now=now,
    )
    permission_set.delete()
    return len(members)


@transaction.atomic(durable=True)
def permission_set_apply(
    *,
    permission_set: PermissionSet,
    membership_ids: Iterable[int],
    actor_membership: Membership,
    now: datetime | None = None,
) -> list[Membership]:
    """Put several members of the account on a set, all or none.

    Refused, naming them, when some of their seats can't hold it; refused when the set is above
    the actor's own permissions or a member is a super admin and the actor is not.
    """
    now = now or timezone.now()
    account = account_lock(permission_set.account)
    permission_set = PermissionSet.objects.select_for_update().get(
        pk=permission_set.pk, account=account
    )
    members = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "permission_set")
        .filter(account=account, pk__in=list(membership_ids))
        .order_by("pk")
    )
    if not members:
        raise NoUsersChosen()
    permissions = permissions_complete(permission_set.permissions)
    if not actor_membership.is_super_admin and any(m.is_super_admin for m in members):
        raise SuperAdminsOnlyBySuperAdmins()
    set_fit_check(permissions=permissions, memberships=members)
    set_grant_check(permissions=permissions, actor_membership=actor_membership)
    members_access_write(
        memberships=members,
        access=ResolvedAccess(
            is_super_admin=False,
            permissions=permissions,
            access=Access.PERMISSION_SET,
            permission_set=permission_set,
        ),
        actor=actor_membership.user,
        now=now,
    )
    return members


def seat_needed(permissions: Mapping[str, str]) -> SeatType:
    """The narrowest seat that holds a set (seats.catalogue.seat_required_for)."""
    return seat_required_for(permissions_complete(permissions))


def permission_set_update_check(
    *,
    permission_set: PermissionSet,
    name: str,
    permissions: Mapping[str, str],
    actor_membership: Membership | None,
) -> None:
    """Raise what permission_set_update would refuse, writing nothing: a page runs it before it
    asks "This change applies to N users", so nobody confirms a change that then fails."""
    permissions = permissions_validate(dict(permissions))
    set_grant_check(permissions=permissions, actor_membership=actor_membership)
    members = Membership.objects.select_related("user").filter(
        permission_set=permission_set, access=Access.PERMISSION_SET
    )
    set_fit_check(permissions=permissions, memberships=members.order_by("pk"))
    _set_name_check(account=permission_set.account, name=name, exclude=permission_set)
