"""Every write of the SCIM floor: provisioning settings and seat rules, and users and groups
created, changed and removed by the identity provider, through the pages' own services (the same
locks, seat checks and audit events; a SCIM key acts as the super admin who made it)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import member_lock
from accounts.models import (
    Account,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
    Team,
)
from accounts.services import audit_record
from accounts.teams.services import team_create, team_delete, team_members_set_many, team_rename
from invitations.errors import BatchRefused
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from scim.errors import (
    FallbackSeatNotFree,
    SeatRuleTeamTaken,
    UnknownSeatType,
    UserExists,
    UserNameImmutable,
)
from scim.models import ScimGroup, ScimSeatRule, ScimSettings, ScimUser
from scim.selectors import scim_seat_rules, scim_settings_get
from seats.catalogue import SEAT_RULES, seat_is_paid
from seats.errors import NotEnoughSeats
from seats.permissions.choice import AccessChoice, AccessMode
from seats.pools.selectors import seat_pool_summaries
from seats.pools.services import billing_admins_notify
from seats.users.services.lifecycle import (
    member_deactivate,
    member_reactivate,
    member_remove,
    member_super_admin_set,
)
from seats.users.services.seat import member_seat_change

FREE_SEATS = (SeatType.VIEW_ONLY, SeatType.PARTNER)


# --- Settings and seat rules ----------------------------------------------------------------


@transaction.atomic
def scim_settings_save(
    *,
    account: Account,
    default_seat: str,
    fallback_seat: str,
    release_seat_on_deactivate: bool,
    send_invitations: bool,
    actor: Membership,
) -> ScimSettings:
    if fallback_seat and fallback_seat not in FREE_SEATS:
        raise FallbackSeatNotFree
    settings = ScimSettings.objects.select_for_update().filter(account=account).first()
    settings = settings or ScimSettings(account=account)
    before = _settings_snapshot(settings)
    settings.default_seat = SeatType(default_seat)
    settings.fallback_seat = fallback_seat
    settings.release_seat_on_deactivate = release_seat_on_deactivate
    settings.send_invitations = send_invitations
    settings.save()
    after = _settings_snapshot(settings)
    if after != before:
        audit_record(
            account=account,
            actor=actor.user,
            verb=AuditVerb.SCIM_SETTINGS_CHANGED,
            before=before,
            after=after,
        )
    return settings


def _settings_snapshot(settings: ScimSettings) -> dict:
    return {
        "default_seat": settings.default_seat,
        "fallback_seat": settings.fallback_seat,
        "release_seat_on_deactivate": settings.release_seat_on_deactivate,
        "send_invitations": settings.send_invitations,
    }


@transaction.atomic
def scim_seat_rule_add(*, team: Team, seat_type: str, actor: Membership) -> ScimSeatRule:
    """ "Members of group X get a <seat>": checked after the rules already there."""
    account = team.account
    if ScimSeatRule.objects.filter(account=account, team=team).exists():
        raise SeatRuleTeamTaken
    last = ScimSeatRule.objects.filter(account=account).order_by("-position").first()
    rule = ScimSeatRule.objects.create(
        account=account,
        team=team,
        seat_type=SeatType(seat_type),
        position=(last.position + 1) if last else 0,
    )
    audit_record(
        account=account,
        actor=actor.user,
        verb=AuditVerb.SCIM_SETTINGS_CHANGED,
        after={"seat_rule": f"{team.name} → {rule.seat_type}"},
    )
    return rule


@transaction.atomic
def scim_seat_rule_remove(*, rule: ScimSeatRule, actor: Membership) -> None:
    audit_record(
        account=rule.account,
        actor=actor.user,
        verb=AuditVerb.SCIM_SETTINGS_CHANGED,
        before={"seat_rule": f"{rule.team.name} → {rule.seat_type}"},
    )
    rule.delete()


# --- Users ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFields:
    """What provisioning sets on a user, as read from a SCIM User (scim.views)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    external_id: str = ""
    active: bool = True
    # seatmgr's extension; None: not sent, so the account's settings and rules decide.
    seat_type: str | None = None
    super_admin: bool | None = None


def _seat_check(seat_type: str | None) -> None:
    if seat_type is not None and seat_type not in SeatType.values:
        raise UnknownSeatType


def _refusal_notice(account: Account, error: NotEnoughSeats, email: str) -> None:
    """Tell the billing admins why the identity provider's request was refused."""
    billing_admins_notify(
        account=account,
        text=lambda: (
            _(
                "Provisioning could not give %(email)s a %(seat)s: none is left. Buy seats, or "
                "change the provisioning settings."
            )
            % {"email": email, "seat": error.context.get("seat", "")}
        ),
    )


def scim_user_create(
    *, account: Account, actor: Membership, fields: UserFields, now: datetime | None = None
) -> Membership:
    """Create user, for the identity provider: on the seat its seatType names, else the
    account's default seat for provisioning; with no invitation email unless the settings ask.
    No seat of the type left: the fallback seat when the settings name one, else NotEnoughSeats
    (nothing written; the billing admins are told)."""
    now = now or timezone.now()
    _seat_check(fields.seat_type)
    settings = scim_settings_get(account=account)
    if Membership.objects.filter(account=account, user__email__iexact=fields.email).exists():
        raise UserExists(email=fields.email)
    seat = fields.seat_type or settings.default_seat
    try:
        member = _invite(account, actor, fields, seat, settings, now)
    except NotEnoughSeats as error:
        if not settings.fallback_seat:
            _refusal_notice(account, error, fields.email)
            raise
        member = _invite(account, actor, fields, settings.fallback_seat, settings, now)
    if not fields.active:
        member_deactivate(
            membership=member,
            release_seat=settings.release_seat_on_deactivate,
            actor=actor.user,
            actor_membership=actor,
            now=now,
        )
    return member


def _invite(account, actor, fields: UserFields, seat: str, settings, now) -> Membership:
    access = AccessChoice(
        mode=AccessMode.SUPER_ADMIN if fields.super_admin else AccessMode.DEFAULTS
    )
    created: list[Membership] = []

    def keep(result) -> None:
        (member,) = result.memberships
        ScimUser.objects.create(
            membership=member,
            account=account,
            external_id=fields.external_id or None,
            seat_type_sent=fields.seat_type or "",
        )
        created.append(member)

    try:
        members_invite(
            account=account,
            actor_membership=actor,
            people=[ParsedPerson(fields.email, fields.first_name, fields.last_name)],
            seat_type=seat,
            access=access,
            send_email=settings.send_invitations,
            now=now,
            commit_with=keep,
        )
    except BatchRefused as refused:
        # One address: its reason is the refusal (already a user, not an address, a partner
        # seat off the partner's domains).
        if any("Already a user" in str(why) for _email, why in refused.problems):
            raise UserExists(email=fields.email) from None
        raise
    return Membership.objects.select_related("user").get(pk=created[0].pk)


def scim_user_update(
    *,
    member: Membership,
    actor: Membership,
    fields: UserFields,
    now: datetime | None = None,
) -> Membership:
    """A User replaced (PUT, or a PATCH applied): only what differs changes, each through its
    page's service. The refusals that need no lock come first, so they change nothing."""
    now = now or timezone.now()
    account = member.account
    if fields.email.casefold() != member.user.email.casefold():
        raise UserNameImmutable
    _seat_check(fields.seat_type)
    settings = scim_settings_get(account=account)
    deactivated = member.status == MembershipStatus.DEACTIVATED
    if fields.active:
        _seat_change_check(member, fields)
    _names_and_external_id_set(member, fields, actor, now)
    if not fields.active and not deactivated:
        member_deactivate(
            membership=member,
            release_seat=settings.release_seat_on_deactivate,
            actor=actor.user,
            actor_membership=actor,
            now=now,
        )
    if fields.active and deactivated:
        member_reactivate(membership=_fresh(member), actor_membership=actor, now=now)
    # A deactivated user takes no seat: the one sent is kept (ScimUser.seat_type_sent) for
    # their reactivation, else a deactivation would take back the paid seat it released.
    if (
        fields.active
        and fields.seat_type is not None
        and fields.seat_type != _fresh(member).seat_type
    ):
        member_seat_change(
            membership=_fresh(member), seat_type=fields.seat_type, actor_membership=actor, now=now
        )
    elif fields.active and deactivated:
        _seat_follow_rules([_fresh(member)], actor=actor, settings=settings, now=now)
    if fields.super_admin is not None and fields.super_admin != _fresh(member).is_super_admin:
        member_super_admin_set(
            membership=_fresh(member),
            is_super_admin=fields.super_admin,
            actor_membership=actor,
            now=now,
        )
    return _fresh(member)


def _fresh(member: Membership) -> Membership:
    return Membership.objects.select_related("user", "account").get(pk=member.pk)


def _seat_change_check(member: Membership, fields: UserFields) -> None:
    """Moving or reactivating someone onto another paid seat needs that seat free: refuse
    before anything is written (else the seat sent would be kept, and every later change of
    the user refused for it)."""
    seat = fields.seat_type or member.seat_type
    if not seat_is_paid(seat) or seat == member.seat_type:
        return
    _capacity_check(member.account, {seat: 1})


@transaction.atomic
def _names_and_external_id_set(member: Membership, fields: UserFields, actor, now) -> None:
    member = member_lock(member)
    names = (fields.first_name, fields.last_name)
    if names != (member.first_name, member.last_name):
        before = {"first_name": member.first_name, "last_name": member.last_name}
        member.first_name, member.last_name = names
        member.save(update_fields=["first_name", "last_name", "updated_at"])
        audit_record(
            account=member.account,
            actor=actor.user,
            verb=AuditVerb.MEMBER_RENAMED,
            target=member,
            before=before,
            after={"first_name": member.first_name, "last_name": member.last_name},
            now=now,
        )
    scim, _created = ScimUser.objects.get_or_create(
        membership=member, defaults={"account": member.account}
    )
    sent, external_id = fields.seat_type or "", fields.external_id or None
    if (scim.external_id, scim.seat_type_sent) != (external_id, sent):
        scim.external_id, scim.seat_type_sent = external_id, sent
        scim.save(update_fields=["external_id", "seat_type_sent"])


def scim_user_delete(*, member: Membership, actor: Membership, now: datetime | None = None) -> None:
    """DELETE: deactivated first (their paid seat released), then removed; the Audit log keeps
    their history."""
    now = now or timezone.now()
    if member.status != MembershipStatus.DEACTIVATED:
        member_deactivate(
            membership=member,
            release_seat=True,
            actor=actor.user,
            actor_membership=actor,
            now=now,
        )
    member_remove(membership=_fresh(member), actor_membership=actor, now=now)


# --- Groups and the seats they give ---------------------------------------------------------


def _capacity_check(account: Account, needed: dict[str, int]) -> None:
    """NotEnoughSeats unless `needed` seats of each paid type are free (a check before any
    change; each seat change checks again under its lock)."""
    free = {pool.seat_type: pool.available for pool in seat_pool_summaries(account=account)}
    for seat, count in needed.items():
        if seat_is_paid(seat) and count > free.get(seat, 0):
            raise NotEnoughSeats(
                missing=count - max(free.get(seat, 0), 0),
                seat=SEAT_RULES[SeatType(seat)].label,
                seat_type=seat,
            )


def _rule_seat(team_ids: set[int], rules: list[ScimSeatRule], settings: ScimSettings) -> str:
    for rule in rules:
        if rule.team_id in team_ids:
            return rule.seat_type
    return settings.default_seat


def _team_ids(member: Membership) -> set[int]:
    ids = set(member.extra_teams.values_list("pk", flat=True))
    return ids | {member.main_team_id} if member.main_team_id else ids


def _seats_wanted(
    members: list[Membership], teams_after: dict[int, set[int]], settings, rules
) -> dict[int, str]:
    """The seat each provisioned, non-deactivated member should hold once their teams are
    `teams_after`: the seat the identity provider sent, else the first rule's, else the
    default. Members SCIM did not provision keep theirs."""
    wanted = {}
    provisioned = {
        s.membership_id: s for s in ScimUser.objects.filter(membership__in=[m.pk for m in members])
    }
    for member in members:
        scim = provisioned.get(member.pk)
        if scim is None or member.status == MembershipStatus.DEACTIVATED:
            continue
        seat = scim.seat_type_sent or _rule_seat(teams_after[member.pk], rules, settings)
        if seat != member.seat_type:
            wanted[member.pk] = seat
    return wanted


def _seat_follow_rules(members, *, actor, settings, now, teams_after=None) -> None:
    rules = scim_seat_rules(account=actor.account)
    teams_after = teams_after or {m.pk: _team_ids(m) for m in members}
    wanted = _seats_wanted(members, teams_after, settings, rules)
    by_id = {m.pk: m for m in members}
    # Seats freed first (moves to a free seat or down), then seats taken.
    for member_id, seat in sorted(wanted.items(), key=lambda kv: seat_is_paid(kv[1])):
        try:
            member_seat_change(
                membership=_fresh(by_id[member_id]),
                seat_type=seat,
                actor_membership=actor,
                now=now,
            )
        except NotEnoughSeats:
            if not settings.fallback_seat:
                raise
            # With a fallback, one the rule can't seat stays on the seat they have.


def _group_members_change(
    *, team: Team, add: list[Membership], remove: list[Membership], actor, now
) -> None:
    """Who is in the team, then the seats the rules give them: refused whole (NotEnoughSeats,
    nothing changed) when the rules need more paid seats than are free and no fallback seat is
    set."""
    if not add and not remove:
        return
    settings = scim_settings_get(account=team.account)
    rules = scim_seat_rules(account=team.account)
    members = add + remove
    teams_after = {}
    for member in members:
        ids = _team_ids(member)
        teams_after[member.pk] = ids | {team.pk} if member in add else ids - {team.pk}
    wanted = _seats_wanted(members, teams_after, settings, rules)
    needed: dict[str, int] = {}
    for seat in wanted.values():
        needed[seat] = needed.get(seat, 0) + 1
    freed: dict[str, int] = {}
    for member in members:
        if member.pk in wanted and seat_is_paid(member.seat_type):
            freed[member.seat_type] = freed.get(member.seat_type, 0) + 1
    needed = {s: n - freed.get(s, 0) for s, n in needed.items()}
    if not settings.fallback_seat:
        try:
            _capacity_check(team.account, needed)
        except NotEnoughSeats as error:
            _refusal_notice(team.account, error, ", ".join(m.user.email for m in add[:3]))
            raise
    team_members_set_many(team=team, add=add, remove=remove, actor=actor.user)
    _seat_follow_rules(
        [_fresh(m) for m in members],
        actor=actor,
        settings=settings,
        now=now,
        teams_after=teams_after,
    )


def scim_group_create(
    *,
    account: Account,
    actor: Membership,
    name: str,
    external_id: str,
    members: list[Membership],
    now: datetime | None = None,
) -> Team:
    now = now or timezone.now()
    team = team_create(account=account, name=name, actor=actor.user)
    ScimGroup.objects.create(team=team, external_id=external_id or None)
    _group_members_change(team=team, add=members, remove=[], actor=actor, now=now)
    return team


def scim_group_update(
    *,
    team: Team,
    actor: Membership,
    name: str | None = None,
    external_id: str | None = None,
    add: list[Membership] = (),
    remove: list[Membership] = (),
    now: datetime | None = None,
) -> Team:
    """A group renamed, its externalId and members changed (PUT, or a PATCH applied)."""
    now = now or timezone.now()
    if name is not None and name != team.name:
        team = team_rename(team=team, name=name, actor=actor.user)
    if external_id is not None:
        ScimGroup.objects.update_or_create(team=team, defaults={"external_id": external_id or None})
    _group_members_change(team=team, add=list(add), remove=list(remove), actor=actor, now=now)
    return team


def scim_group_delete(*, team: Team, actor: Membership, now: datetime | None = None) -> None:
    """DELETE: the team goes; its members just lose it (their seats stay as they are)."""
    team_delete(team=team, actor=actor.user, now=now)
