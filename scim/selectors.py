"""Reads of the SCIM floor: an account's provisioning settings and rules, and its users and
groups as SCIM lists them (filtered by scim.filters)."""

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from accounts.models import Account, Membership, MembershipStatus, Team
from api.models import ApiKey, ApiScope
from api.selectors import api_key_get, api_key_list
from scim.models import ScimSeatRule, ScimSettings


def scim_settings_get(*, account: Account) -> ScimSettings:
    """The account's settings, or the defaults (unsaved) while it has none."""
    return ScimSettings.objects.filter(account=account).first() or ScimSettings(account=account)


def scim_seat_rules(*, account: Account) -> list[ScimSeatRule]:
    return list(ScimSeatRule.objects.filter(account=account).select_related("team"))


def scim_seat_rule_get(*, account: Account, rule_id: int) -> ScimSeatRule | None:
    return ScimSeatRule.objects.filter(account=account, pk=rule_id).select_related("team").first()


def scim_key_list(*, account: Account) -> list[ApiKey]:
    """The account's keys of scope "scim" (its identity providers'), newest first. Filtered
    here rather than by the database: JSON containment has no SQLite lookup, and an account
    holds a handful of keys."""
    return [key for key in api_key_list(account=account) if ApiScope.SCIM in key.scopes]


def scim_key_get(*, account: Account, key_id: int) -> ApiKey | None:
    key = api_key_get(account=account, key_id=key_id)
    return key if key is not None and ApiScope.SCIM in key.scopes else None


def scim_users(*, account: Account) -> QuerySet[Membership]:
    """The account's users, in id order, with what a User resource reads; `scim_active` is
    SCIM's `active` (anyone not deactivated), for filters."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user", "scim", "main_team")
        .prefetch_related("extra_teams")
        .annotate(
            scim_active=Case(
                When(status=MembershipStatus.DEACTIVATED, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("pk")
    )


def scim_user_get(*, account: Account, member_id: str) -> Membership | None:
    if not member_id.isdigit() or len(member_id) > 18:
        return None
    return scim_users(account=account).filter(pk=int(member_id)).first()


def scim_groups(*, account: Account) -> QuerySet[Team]:
    return Team.objects.filter(account=account).select_related("scim").order_by("pk")


def scim_group_get(*, account: Account, team_id: str) -> Team | None:
    if not team_id.isdigit() or len(team_id) > 18:
        return None
    return scim_groups(account=account).filter(pk=int(team_id)).first()


def scim_group_members(*, team: Team) -> list[Membership]:
    in_team = Q(main_team=team) | Q(
        Exists(Membership.extra_teams.through.objects.filter(membership=OuterRef("pk"), team=team))
    )
    return list(
        Membership.objects.filter(in_team, account_id=team.account_id)
        .select_related("user")
        .order_by("pk")
    )


def member_teams(member: Membership) -> list[Team]:
    teams = [member.main_team] if member.main_team else []
    return teams + sorted(member.extra_teams.all(), key=lambda t: t.pk)
