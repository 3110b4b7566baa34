"""A member's permissions: "Edit permissions" (the three modes of "Choose how to restrict
access", or "Make super admin") and setting them directly."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import member_lock
from accounts.models import (
    Access,
    AuditVerb,
    Membership,
    PermissionSet,
    User,
)
from accounts.notifications import NotificationKind
from accounts.services import audit_record, notify
from seats.catalogue import (
    permissions_validate,
)
from seats.permissions.choice import AccessChoice, access_resolve, permissions_grant_check
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
    permissions = permissions_validate(dict(permissions))
    membership = (
        Membership.objects.select_related("account", "user")
        .select_for_update(of=("self",))
        .get(pk=membership.pk)
    )
    permissions_grant_check(
        permissions=permissions,
        seat_type=membership.seat_type,
        actor_membership=actor_membership,
    )
    before = {
        "access": membership.access,
        "permission_template": membership.permission_template,
        "permissions": membership.permissions,
    }
    membership.permissions = permissions
    membership.access = access
    membership.permission_template = permission_template if access == Access.TEMPLATE else ""
    membership.permission_set = permission_set if access == Access.PERMISSION_SET else None
    membership.full_clean(exclude=["user", "account"])
    membership.save(
        update_fields=[
            "permissions",
            "access",
            "permission_template",
            "permission_set",
            "updated_at",
        ]
    )
    audit_record(
        account=membership.account,
        actor=actor,
        verb=AuditVerb.PERMISSIONS_CHANGED,
        target=membership,
        before=before,
        after={
            "access": access,
            "permission_template": membership.permission_template,
            "permissions": permissions,
        },
        now=now,
    )
    return membership


def _changed(before: dict, after: dict) -> dict[str, list]:
    """{code: [before, after]} for the permissions that differ (what an auditor reads)."""
    return {
        code: [before.get(code), level]
        for code, level in sorted(after.items())
        if before.get(code) != level
    }


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
    before_permissions = dict(membership.permissions)
    before = {
        "access": membership.access,
        "permission_set": membership.permission_set.name if membership.permission_set else None,
        "permission_template": membership.permission_template,
        "is_super_admin": membership.is_super_admin,
    }
    membership.permissions = resolved.permissions
    membership.access = resolved.access
    membership.permission_set = resolved.permission_set
    membership.permission_template = resolved.permission_template
    membership.is_super_admin = membership.is_super_admin or resolved.is_super_admin
    membership.full_clean(exclude=["user", "account"])
    membership.save()
    audit_record(
        account=membership.account,
        actor=actor_membership.user,
        verb=AuditVerb.PERMISSIONS_CHANGED,
        target=membership,
        before=before,
        after={
            "access": membership.access,
            "permission_set": resolved.permission_set.name if resolved.permission_set else None,
            "permission_template": membership.permission_template,
            "is_super_admin": membership.is_super_admin,
            "changed": _changed(before_permissions, membership.permissions),
        },
        now=now,
    )
    notify(
        membership=membership,
        kind=NotificationKind.ACCESS_CHANGED,
        text=_("Your permissions in %(account)s were changed.")
        % {"account": membership.account.name},
        now=now,
    )
    return membership
