"""The one place a member's access is written: their permissions, where those came from (seat
defaults, a built-in template, one of the account's permission sets, or custom) and super admin.

Every path that changes what a member may do goes through here: "Create user" (`access_apply`
on the new rows before their one INSERT), "Edit permissions", "Assign a seat" for one user or a
bulk edit, a released seat on deactivation, a preset, a permission set's edit, apply and
deletion, and the JSON API and SCIM to come (`members_access_write`). So the rules of what moves
together and the audit shape are written once. "Edit permissions" on a user's page
(`member_access_set`) is its one-member service.

The audit shape (PERMISSIONS_CHANGED, and the access part of SEAT_CHANGED): `before` and `after`
each hold "access", "permission_set" (its name, or None), "permission_template",
"is_super_admin" and "permissions" with only the codes whose level moved (a complete list would
repeat some sixty unchanged levels per member and per event); a seat change adds "seat_type".
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import member_lock
from accounts.models import (
    Access,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    Notification,
    SeatType,
    User,
)
from accounts.notifications import NotificationKind
from accounts.policy import super_admin_target_check
from accounts.services import audit_events_record, notify
from seats.catalogue import (
    PermissionChange,
    permissions_clamp,
    seat_default_permissions,
)
from seats.changes import changes_notice, event_changes
from seats.errors import SuperAdminNotWhileDeactivated
from seats.permissions.choice import (
    AccessChoice,
    AccessMode,
    ResolvedAccess,
    access_resolve,
    permissions_grant_check,
)

# What a member's access is made of, as saved by `members_access_write`.
ACCESS_FIELDS = ("permissions", "access", "permission_set", "permission_template", "is_super_admin")


def access_apply(membership: Membership, access: ResolvedAccess) -> None:
    """Give a member (in memory, not saved) the access `access` describes.

    The fields move together: a permission set only with "permission set" access, a template
    code only with "template" access. Super admin is granted here, never taken away (removing it
    is "Remove super admin", seats.users.services.lifecycle).
    """
    membership.permissions = dict(access.permissions)
    membership.access = access.access
    membership.permission_set = (
        access.permission_set if access.access == Access.PERMISSION_SET else None
    )
    membership.permission_template = (
        access.permission_template if access.access == Access.TEMPLATE else ""
    )
    membership.is_super_admin = membership.is_super_admin or access.is_super_admin


def access_on_seat(
    membership: Membership, seat_type: SeatType | str
) -> tuple[ResolvedAccess, list[PermissionChange]]:
    """The access a member keeps on another seat, and the permissions that seat takes away.

    Seat defaults follow the seat; permissions above the new seat's ceiling are lowered to it,
    which makes a template's or a set's access custom. A super admin keeps theirs (their seat is
    always a paid one that holds them).
    """
    seat_type = SeatType(seat_type)
    current = ResolvedAccess(
        is_super_admin=False,
        permissions=dict(membership.permissions),
        access=Access(membership.access),
        permission_set=membership.permission_set,
        permission_template=membership.permission_template,
    )
    if membership.is_super_admin:
        return current, []
    if membership.access == Access.SEAT_DEFAULTS:
        _clamped, changes = permissions_clamp(membership.permissions, seat_type)
        defaults = ResolvedAccess(
            is_super_admin=False,
            permissions=seat_default_permissions(seat_type),
            access=Access.SEAT_DEFAULTS,
        )
        return defaults, changes
    clamped, changes = permissions_clamp(membership.permissions, seat_type)
    if not changes:
        return current, []
    return ResolvedAccess(is_super_admin=False, permissions=clamped, access=Access.CUSTOM), changes


def _snapshot(membership: Membership) -> dict:
    return {
        "access": membership.access,
        "permission_set": membership.permission_set.name if membership.permission_set else None,
        "permission_template": membership.permission_template,
        "is_super_admin": membership.is_super_admin,
    }


def _identity(membership: Membership) -> tuple:
    # What decides whether a member's access changed: a set renamed is the same set.
    return (
        membership.access,
        membership.permission_set_id,
        membership.permission_template,
        membership.is_super_admin,
        membership.permissions,
    )


def _moved(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[dict, dict]:
    codes = sorted(code for code in set(before) | set(after) if before.get(code) != after.get(code))
    return (
        {code: before[code] for code in codes if code in before},
        {code: after[code] for code in codes if code in after},
    )


def members_access_write(
    *,
    memberships: Sequence[Membership],
    access: ResolvedAccess | Callable[[Membership], ResolvedAccess],
    actor: User | None,
    now: datetime,
    seats_before: Mapping[int, str] | None = None,
) -> list[Membership]:
    """Give each member `access` (one for all, or one per member), save what changed in one
    UPDATE and write one audit event per changed member, in one INSERT. Returns those members.

    In the caller's transaction, which holds the account's lock and the members' rows
    (accounts.locks) and has already checked the change against its rules (the actor's own
    permissions, a set fitting every seat...). The seat's ceiling is checked once more here, as
    the last word: no path can save permissions a seat can't hold.

    With `seats_before` (member id -> the seat they held), this is "Assign a seat": the members'
    new `seat_type`, already set by the caller, is saved too, and each member gets a SEAT_CHANGED
    event saying the seat, written even when their permissions stay the same.
    """
    changed, events = [], []
    for membership in memberships:
        given = access(membership) if callable(access) else access
        permissions_grant_check(
            permissions=given.permissions, seat_type=membership.seat_type, actor_membership=None
        )
        identity, before = _identity(membership), _snapshot(membership)
        before_permissions = dict(membership.permissions)
        access_apply(membership, given)
        seat_moved = seats_before is not None and seats_before[membership.pk] != (
            membership.seat_type
        )
        if _identity(membership) == identity and not seat_moved:
            continue
        after = _snapshot(membership)
        before["permissions"], after["permissions"] = _moved(
            before_permissions, membership.permissions
        )
        if seats_before is not None:
            before["seat_type"], after["seat_type"] = (
                seats_before[membership.pk],
                membership.seat_type,
            )
        membership.updated_at = now
        membership.full_clean(exclude=["user", "account"], validate_constraints=False)
        changed.append(membership)
        events.append(
            AuditEvent(
                account_id=membership.account_id,
                actor=actor,
                target=membership,
                target_email=membership.user.email,
                verb=AuditVerb.SEAT_CHANGED
                if seats_before is not None
                else AuditVerb.PERMISSIONS_CHANGED,
                before=before,
                after=after,
                created_at=now,
            )
        )
    if changed:
        fields = [*ACCESS_FIELDS, "updated_at"]
        if seats_before is not None:
            fields.append("seat_type")
        Membership.objects.bulk_update(changed, fields)
        audit_events_record(events=events)
    return changed


NOTICE_LENGTH = Notification._meta.get_field("text").max_length


@transaction.atomic(durable=True)
def member_access_set(
    *,
    membership: Membership,
    choice: AccessChoice,
    actor_membership: Membership | None,
    now: datetime | None = None,
) -> Membership:
    """Edit a member's permissions with the same three modes as "Create user" (or "Make super
    admin"). The seat's ceiling and the actor's own permissions bound what can be given;
    `actor_membership` None is system work (the demo), bound by the seat only."""
    now = now or timezone.now()
    membership = member_lock(membership)
    super_admin_target_check(membership, actor_membership)
    if choice.mode == AccessMode.SUPER_ADMIN and membership.status == MembershipStatus.DEACTIVATED:
        raise SuperAdminNotWhileDeactivated()
    resolved = access_resolve(
        account=membership.account,
        seat_type=membership.seat_type,
        choice=choice,
        actor_membership=actor_membership,
    )
    changed = members_access_write(
        memberships=[membership],
        access=resolved,
        actor=actor_membership.user if actor_membership is not None else None,
        now=now,
    )
    event = (
        AuditEvent.objects.filter(target=membership).latest("created_at", "id") if changed else None
    )

    def text() -> str:
        short = _("Your permissions in %(account)s were changed.") % {
            "account": membership.account.name
        }
        if event is None:
            return short
        told = _("Your permissions in %(account)s were changed: %(changes)s.") % {
            "account": membership.account.name,
            "changes": changes_notice(event_changes(event)),
        }
        # Whole or not at all: a notice longer than a notification holds says it in short. Measured
        # in the member's language: French runs longer than English.
        return told if len(told) <= NOTICE_LENGTH else short

    notify(membership=membership, kind=NotificationKind.ACCESS_CHANGED, text=text, now=now)
    return membership
