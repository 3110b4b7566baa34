""" "Choose how to restrict access": turning an admin's choice into a member's permissions.

Shared by "Create user" and editing a user. Pure rules plus one read (the account's permission
sets); no writes, so pages can run it to review a choice before anything is saved.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Access,
    Account,
    Membership,
    PermissionSet,
    Preset,
    SeatType,
)
from accounts.selectors import id_from
from seats.catalogue import (
    PERMISSIONS_BY_CODE,
    SEAT_RULES,
    PermissionChange,
    permissions_clamp,
    permissions_complete,
    permissions_exceeding,
    permissions_validate,
    seat_allows_super_admin,
    seat_ceiling,
    seat_default_permissions,
)
from seats.errors import (
    PermissionsAboveSeat,
    PermissionsNotHeld,
    SuperAdminNeedsPaidSeat,
    SuperAdminOnly,
    TemplateRequired,
    UnknownPermissionSet,
)
from seats.permission_sets.builtin import BUILTIN_PERMISSION_SETS, builtin_permission_set_get

BUILTIN_PREFIX = "builtin:"
ACCOUNT_SET_PREFIX = "set:"


class AccessMode(models.TextChoices):
    DEFAULTS = "defaults", _("Don't restrict access")
    TEMPLATE = "template", _("Start with a template")
    SCRATCH = "scratch", _("Start from scratch")
    SUPER_ADMIN = "super_admin", _("Make super admin")


@dataclass(frozen=True)
class AccessChoice:
    """What the admin chose. `template` is "builtin:<code>" or "set:<id>"; `permissions` is
    the full list as adjusted on the page (template and scratch modes)."""

    mode: AccessMode
    template: str = ""
    permissions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedAccess:
    """What a membership will hold: the fields to save on it."""

    is_super_admin: bool
    permissions: dict[str, str]
    access: Access
    permission_set: PermissionSet | None = None
    permission_template: str = ""
    # A template holding more than the seat allows is limited to the seat: what it lowered.
    left_out: tuple[PermissionChange, ...] = ()


@dataclass(frozen=True)
class TemplateOption:
    value: str
    name: str
    permissions: Mapping[str, str]


def template_options(*, account: Account) -> list[TemplateOption]:
    """Built-in permission sets by job function, then the account's own. One query."""
    options = [
        TemplateOption(
            value=BUILTIN_PREFIX + s.code,
            name=str(s.name),
            permissions=s.permissions,
        )
        for s in BUILTIN_PERMISSION_SETS
    ]
    options += [
        TemplateOption(
            value=f"{ACCOUNT_SET_PREFIX}{s.pk}",
            name=s.name,
            permissions=permissions_complete(s.permissions),
        )
        for s in PermissionSet.objects.filter(account=account).order_by("name")
    ]
    return options


def _template_get(
    *, account: Account, value: str
) -> tuple[dict[str, str], Access, PermissionSet | None, str]:
    if value.startswith(BUILTIN_PREFIX):
        builtin = builtin_permission_set_get(value.removeprefix(BUILTIN_PREFIX))
        return dict(builtin.permissions), Access.TEMPLATE, None, builtin.code
    if value.startswith(ACCOUNT_SET_PREFIX):
        pk = value.removeprefix(ACCOUNT_SET_PREFIX)
        found = (
            PermissionSet.objects.filter(account=account, pk=id_from(pk)).first()
            if id_from(pk)
            else None
        )
        if found is not None:
            return permissions_complete(found.permissions), Access.PERMISSION_SET, found, ""
    raise UnknownPermissionSet(permission_set=value)


def preset_access(preset: Preset) -> ResolvedAccess | None:
    """The access a preset gives the users it is applied to: its built-in set's or its
    account set's permissions, or None when it keeps each user's permissions."""
    if preset.permission_template:
        builtin = builtin_permission_set_get(preset.permission_template)
        return ResolvedAccess(
            is_super_admin=False,
            permissions=dict(builtin.permissions),
            access=Access.TEMPLATE,
            permission_template=builtin.code,
        )
    if preset.permission_set is not None:
        return ResolvedAccess(
            is_super_admin=False,
            permissions=permissions_complete(preset.permission_set.permissions),
            access=Access.PERMISSION_SET,
            permission_set=preset.permission_set,
        )
    return None


def preset_set_name(preset: Preset) -> str:
    """The name of the set a preset bundles (built-in or the account's), "" for none."""
    if preset.permission_template:
        return str(builtin_permission_set_get(preset.permission_template).name)
    return preset.permission_set.name if preset.permission_set is not None else ""


def _labels(codes: list[str]) -> str:
    return ", ".join(str(PERMISSIONS_BY_CODE[c].full_label) for c in codes)


def permissions_grant_check(
    *,
    permissions: Mapping[str, str],
    seat_type: SeatType | str,
    actor_membership: Membership | None,
) -> None:
    """Raise unless these permissions fit the seat and the actor may grant them.

    `actor_membership` None means system work (the demo, a migration), bound by the seat only.
    """
    seat_type = SeatType(seat_type)
    above_seat = permissions_exceeding(permissions, seat_ceiling(seat_type))
    if above_seat:
        raise PermissionsAboveSeat(
            seat=SEAT_RULES[seat_type].label, permissions=_labels(above_seat)
        )
    if actor_membership is not None and not actor_membership.is_super_admin:
        not_held = permissions_exceeding(
            permissions, permissions_complete(actor_membership.permissions)
        )
        if not_held:
            raise PermissionsNotHeld(permissions=_labels(not_held))


def access_resolve(
    *,
    account: Account,
    seat_type: SeatType | str,
    choice: AccessChoice,
    actor_membership: Membership | None,
) -> ResolvedAccess:
    """The permissions `choice` gives on `seat_type`, or the domain error that refuses it.

    A seat's ceiling is never exceeded; an actor who is not a super admin cannot make anyone a
    super admin nor grant a permission above their own level. `actor_membership` None means
    system work (the demo's first super admin), bound by the seat only, as in
    permissions_grant_check.
    """
    seat_type = SeatType(seat_type)
    if choice.mode == AccessMode.SUPER_ADMIN:
        if actor_membership is not None and not actor_membership.is_super_admin:
            raise SuperAdminOnly()
        if not seat_allows_super_admin(seat_type):
            raise SuperAdminNeedsPaidSeat()
        return ResolvedAccess(
            is_super_admin=True,
            permissions=seat_ceiling(seat_type),
            access=Access.SEAT_DEFAULTS,
        )
    left_out: list[PermissionChange] = []
    if choice.mode == AccessMode.DEFAULTS:
        permissions, access, permission_set, template = (
            seat_default_permissions(seat_type),
            Access.SEAT_DEFAULTS,
            None,
            "",
        )
    else:
        permissions = permissions_validate(dict(choice.permissions))
        access, permission_set, template = Access.CUSTOM, None, ""
        if choice.mode == AccessMode.TEMPLATE:
            if not choice.template:
                raise TemplateRequired()
            base, base_access, base_set, base_code = _template_get(
                account=account, value=choice.template
            )
            if not choice.permissions:
                permissions = base
            # Adjusted after starting from the template: the member's access is custom.
            if permissions == base:
                access, permission_set, template = base_access, base_set, base_code
            # A template is limited to what the seat allows (a View-only seat with "Marketer"
            # keeps the views), and says what it left out; then the access is custom, as after
            # a seat change (seats.permissions.services). Permissions set from scratch above the
            # seat are still refused: nobody chose them by accident.
            permissions, left_out = permissions_clamp(permissions, seat_type)
            if left_out:
                access, permission_set, template = Access.CUSTOM, None, ""
    permissions_grant_check(
        permissions=permissions, seat_type=seat_type, actor_membership=actor_membership
    )
    return ResolvedAccess(
        is_super_admin=False,
        permissions=permissions,
        access=access,
        permission_set=permission_set,
        permission_template=template,
        left_out=tuple(left_out),
    )
