"""A member's permissions: "Edit permissions" (the three modes of "Choose how to restrict
access", or "Make super admin") and setting them directly. Both write through
seats.permissions.services, the one permission write."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import member_lock
from accounts.models import Access, Membership, PermissionSet, User
from accounts.notifications import NotificationKind
from accounts.services import notify
from seats.catalogue import permissions_validate
from seats.permissions.choice import (
    AccessChoice,
    ResolvedAccess,
    access_resolve,
    permissions_grant_check,
)
from seats.permissions.services import members_access_write
from seats.users.services.lifecycle import super_admin_target_check


@transaction.atomic(durable=True)
def member_permissions_set(
    *,
    membership: Membership,
    permissions: Mapping[str, str],
    access: Access,
    actor: User | None,
    actor_membership: Membership | None = None,
    permission_template: str = "",
    permission_set: PermissionSet | None = None,
    now: datetime | None = None,
) -> Membership:
    """Give a member these permissions, as they came from `access` (seat defaults, a template...).

    Refused when a permission is above the seat's ceiling, or above what the acting member
    holds themselves unless they are a super admin (`actor_membership`; None for system work).
    """
    now = now or timezone.now()
    permissions = permissions_validate(dict(permissions))
    membership = member_lock(membership)
    permissions_grant_check(
        permissions=permissions,
        seat_type=membership.seat_type,
        actor_membership=actor_membership,
    )
    members_access_write(
        memberships=[membership],
        access=ResolvedAccess(
            is_super_admin=False,
            permissions=permissions,
            access=Access(access),
            permission_set=permission_set,
            permission_template=permission_template,
        ),
        actor=actor,
        now=now,
    )
    return membership


@transaction.atomic(durable=True)
def member_access_set(
    *,
    membership: Membership,
    choice: AccessChoice,
    actor_membership: Membership,
    now: datetime | None = None,
) -> Membership:
    """Edit a member's permissions with the same three modes as "Create user" (or "Make super
    admin"). The seat's ceiling and the actor's own permissions bound what can be given."""
    now = now or timezone.now()
    membership = member_lock(membership)
    super_admin_target_check(membership, actor_membership)
    resolved = access_resolve(
        account=membership.account,
        seat_type=membership.seat_type,
        choice=choice,
        actor_membership=actor_membership,
    )
    members_access_write(
        memberships=[membership], access=resolved, actor=actor_membership.user, now=now
    )
    notify(
        membership=membership,
        kind=NotificationKind.ACCESS_CHANGED,
        text=_("Your permissions in %(account)s were changed.")
        % {"account": membership.account.name},
        now=now,
    )
    return membership
