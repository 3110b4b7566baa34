"""Presets: a bundle of a permission set (built-in or the account's own), a main team, extra
teams, a language and a landing page, applied to users in one step (DOMAIN.md, "Presets").

A user a preset was applied to keeps what they were given when the preset changes or goes.
Locks as in seats.permission_sets: Account first, then the preset, then memberships.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import SuperAdminsOnlyBySuperAdmins
from accounts.locks import account_lock
from accounts.models import Account, AuditVerb, Membership, PermissionSet, Preset, Team, User
from accounts.selectors import name_unique_check
from accounts.services import audit_record, named_row_save
from seats.catalogue import LANDING_PAGES
from seats.errors import LandingPageUnknown, NameRequired, NoUsersChosen, PresetNameTaken
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.services import actor_of, set_fit_check, set_grant_check
from seats.permissions.choice import preset_access, preset_set_name
from seats.users.services.teams import members_teams_add


@dataclass(frozen=True)
class PresetFields:
    """What a preset bundles, as the form chose it."""

    name: str
    permission_set: PermissionSet | None
    main_team: Team | None
    extra_teams: Sequence[Team]
    default_language: str
    default_landing_page: str
    # A built-in set's code, instead of one of the account's sets.
    permission_template: str = ""


def _preset_check(*, account: Account, fields: PresetFields, exclude: Preset | None) -> str:
    for related in (fields.permission_set, fields.main_team, *fields.extra_teams):
        if related is not None and related.account_id != account.pk:
            raise ValueError("a preset bundles only its account's sets and teams")
    if fields.permission_template:
        if fields.permission_set is not None:
            raise ValueError("a preset bundles one permission set, built-in or the account's")
        builtin_permission_set_get(fields.permission_template)
    if fields.default_landing_page not in dict(LANDING_PAGES):
        raise LandingPageUnknown()
    if fields.default_language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language {fields.default_language!r}")
    return name_unique_check(
        rows=Preset.objects.filter(account=account),
        name=fields.name,
        exclude=exclude,
        required=NameRequired,
        taken=PresetNameTaken,
    )


def _preset_snapshot(preset: Preset) -> dict:
    return {
        "preset": preset.name,
        "permission_set": preset_set_name(preset) or None,
        "main_team": preset.main_team.name if preset.main_team else None,
        "extra_teams": sorted(t.name for t in preset.extra_teams.all()),
        "default_language": preset.default_language,
        "default_landing_page": preset.default_landing_page,
    }


def _preset_save(
    preset: Preset, fields: PresetFields, actor_membership: Membership | None, name: str
) -> None:
    preset.name = name
    preset.permission_set = fields.permission_set
    preset.permission_template = fields.permission_template
    access = preset_access(preset)
    if access is not None:
        set_grant_check(permissions=access.permissions, actor_membership=actor_membership)
    preset.main_team = fields.main_team
    preset.default_language = fields.default_language
    preset.default_landing_page = fields.default_landing_page
    preset.full_clean(exclude=["account"], validate_constraints=False)
    named_row_save(preset, taken=PresetNameTaken)
    preset.extra_teams.set([t for t in fields.extra_teams if t != fields.main_team])


@transaction.atomic(durable=True)
def preset_create(
    *,
    account: Account,
    fields: PresetFields,
    actor_membership: Membership | None,
    now: datetime | None = None,
) -> Preset:
    now = now or timezone.now()
    name = _preset_check(account=account, fields=fields, exclude=None)
    preset = Preset(account=account, created_at=now)
    _preset_save(preset, fields, actor_membership, name)
    audit_record(
        account=account,
        actor=actor_of(actor_membership),
        verb=AuditVerb.PRESET_CREATED,
        after=_preset_snapshot(preset),
        now=now,
    )
    return preset


@transaction.atomic(durable=True)
def preset_update(
    *,
    preset: Preset,
    fields: PresetFields,
    actor_membership: Membership | None,
    now: datetime | None = None,
) -> Preset:
    """Change what a preset bundles. Users it was applied to keep what they were given."""
    account_lock(preset.account_id)
    preset = Preset.objects.select_for_update().select_related("account").get(pk=preset.pk)
    name = _preset_check(account=preset.account, fields=fields, exclude=preset)
    before = _preset_snapshot(preset)
    _preset_save(preset, fields, actor_membership, name)
    after = _preset_snapshot(preset)
    if after != before:
        audit_record(
            account=preset.account,
            actor=actor_of(actor_membership),
            verb=AuditVerb.PRESET_CHANGED,
            before=before,
            after=after,
            now=now,
        )
    return preset


@transaction.atomic(durable=True)
def preset_delete(*, preset: Preset, actor: User | None, now: datetime | None = None) -> None:
    """Delete a preset. Users it was applied to keep their teams and permissions."""
    account_lock(preset.account_id)
    preset = Preset.objects.select_for_update().select_related("account").get(pk=preset.pk)
    audit_record(
        account=preset.account,
        actor=actor,
        verb=AuditVerb.PRESET_DELETED,
        before=_preset_snapshot(preset),
        now=now,
    )
    preset.delete()


def preset_apply(
    *,
    preset: Preset,
    membership_ids: Iterable[int],
    actor_membership: Membership,
    now: datetime | None = None,
) -> list[Membership]:
    """Apply a preset to existing users: its teams and, when it has one, its permission set.

    First names every chosen member whose seat can't hold the preset's set, so the admin can act
    on the whole list at once; then seats.services.members_teams_add applies it in one
    transaction, checking again under its locks.
    """
    ids = list(membership_ids)
    members = list(
        Membership.objects.select_related("user").filter(account=preset.account_id, pk__in=ids)
    )
    if not members:
        raise NoUsersChosen()
    access = preset_access(preset)
    if access is not None:
        if not actor_membership.is_super_admin and any(m.is_super_admin for m in members):
            raise SuperAdminsOnlyBySuperAdmins()
        set_fit_check(permissions=access.permissions, memberships=members)
    return members_teams_add(
        account=preset.account,
        membership_ids=[m.pk for m in members],
        actor_membership=actor_membership,
        preset=preset,
        now=now,
    )
