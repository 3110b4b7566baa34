"""Identity and tenancy: who a person is, which accounts they belong to, and on what terms.

accounts is the ground floor: it imports no other app. The vocabulary a membership row is made
of (seat type codes, statuses) lives here with the data; the rules about seats (which are paid,
what each allows, who may hold one) live in seats.catalogue, one floor up.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy


class AppendOnlyModel(models.Model):
    """A row of history: written once, never updated (history that can be rewritten is not
    history). Deleting goes only with what it belongs to."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)


def email_normalise(email: str) -> str:
    """The one form an address is stored and compared in: trimmed and lower-cased whole.

    Mail providers treat the local part case-insensitively in practice, and people type their
    address in every case; one person must never end up as two users.
    """
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email=email_normalise(email))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=email_normalise(email), **fields)
        # No password given: the user has none usable until they set one from an invitation.
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One person, identified by their email address, with one password for every account.

    `is_staff` / `is_superuser` are for the operators running seatmgr (Django admin), not for
    customers: a customer's powers come from their Membership in an account.
    """

    email = models.EmailField(_("email"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    # Blank until the person chooses: then pages follow their browser (Accept-Language) or the
    # account's default language, and emails the account's (accounts.languages).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # An IANA zone ("Europe/Paris"); blank: the site's (TIME_ZONE, UTC).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="user_email_stored_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = email_normalise(self.email)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Session(AbstractBaseSession):
    """A browser's session (SESSION_ENGINE accounts.sessions), with the person signed in to it
    as a column of its own: a signed-in request reads its session and that person, with their
    memberships, in one query (accounts.signed_in). Deleting a person ends their sessions."""

    # Written from the session's own data each time it is saved (accounts.sessions); None
    # for a session nobody is signed in to.
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE)

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        return import_module(settings.SESSION_ENGINE).SessionStore  # accounts.sessions


class Account(models.Model):
    """One customer company: a tenant. Everything a customer sees is scoped to one account."""

    name = models.CharField(_("name"), max_length=200)
    # Available seats of a type at or below this number warn the billing admins.
    seat_warning_threshold = models.PositiveIntegerField(_("seat-limit warning at"), default=1)
    # The language of people who have not chosen one (and whose browser asks for none seatmgr
    # speaks), and of the emails they are sent, invitations included.
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SolutionsPartner(models.Model):
    """A solutions partner company; its employees may hold Partner seats in linked accounts."""

    name = models.CharField(_("name"), max_length=200)
    accounts = models.ManyToManyField(Account, related_name="partners", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("solutions partner")
        verbose_name_plural = _("solutions partners")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PartnerDomain(models.Model):
    """An email domain that identifies a partner's employees (stored lower-case, no "@")."""

    partner = models.ForeignKey(SolutionsPartner, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("domain"), max_length=253)

    class Meta:
        verbose_name = _("partner domain")
        verbose_name_plural = _("partner domains")
        constraints = [
            models.UniqueConstraint(fields=["domain"], name="partner_domain_unique"),
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")), name="partner_domain_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class Team(models.Model):
    """A named group of members in one account, optionally nested under a parent team."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    # Cycles (a team under its own descendant) are refused by the team services; a team that
    # is its own parent is refused by the database too.
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="team_name_unique_in_account"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="team_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class PermissionSet(models.Model):
    """An account's own named bundle of permissions ("Start with a template").

    The row lives on the ground floor because memberships and presets point at it; what a valid
    set is (the catalogue, the seat ceilings) and the built-in sets by job function are rules,
    kept in seats.catalogue, and every write goes through the seats services.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="permission_sets")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    permissions = models.JSONField(_("permissions"), default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("permission set")
        verbose_name_plural = _("permission sets")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                "account", Lower("name"), name="permission_set_name_unique_in_account"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Preset(models.Model):
    """A named bundle applied to new or existing users: permission set, teams, language, landing.

    Its permissions come from one of the account's sets (`permission_set`) or from a built-in set
    (`permission_template`, its code, as on Membership), or from neither.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="presets")
    name = models.CharField(_("name"), max_length=100)
    permission_set = models.ForeignKey(
        PermissionSet, on_delete=models.PROTECT, null=True, blank=True, related_name="presets"
    )
    permission_template = models.CharField(max_length=40, blank=True)
    main_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extra_teams = models.ManyToManyField(Team, blank=True, related_name="+")
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    default_landing_page = models.CharField(_("default landing page"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("preset")
        verbose_name_plural = _("presets")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint("account", Lower("name"), name="preset_name_unique_in_account"),
            models.CheckConstraint(
                condition=Q(permission_set__isnull=True) | Q(permission_template=""),
                name="preset_one_permission_source",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SeatType(models.TextChoices):
    """The seat a member holds. What each allows and who may hold it: seats.catalogue."""

    CORE = "core", _("Core seat")
    SALES = "sales", _("Sales seat")
    SERVICE = "service", _("Service seat")
    VIEW_ONLY = "view_only", _("View-only seat")
    PARTNER = "partner", _("Partner seat")


# A seat type in the plural ("Core seats") and counted ("3 Core seats"), for sentences. Not every
# language makes them by adding "s" to the label ("Siège principal", "3 sièges principaux"), so
# each is a string of its own; accounts.text.seats_label and accounts.text.seat_count give them.
SEAT_TYPE_PLURALS = {
    SeatType.CORE: _("Core seats"),
    SeatType.SALES: _("Sales seats"),
    SeatType.SERVICE: _("Service seats"),
    SeatType.VIEW_ONLY: _("View-only seats"),
    SeatType.PARTNER: _("Partner seats"),
}
SEAT_TYPE_COUNTS = {
    SeatType.CORE: ngettext_lazy("%(count)s Core seat", "%(count)s Core seats", "count"),
    SeatType.SALES: ngettext_lazy("%(count)s Sales seat", "%(count)s Sales seats", "count"),
    SeatType.SERVICE: ngettext_lazy("%(count)s Service seat", "%(count)s Service seats", "count"),
    SeatType.VIEW_ONLY: ngettext_lazy(
        "%(count)s View-only seat", "%(count)s View-only seats", "count"
    ),
    SeatType.PARTNER: ngettext_lazy("%(count)s Partner seat", "%(count)s Partner seats", "count"),
}


class MembershipStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")


class InvitationState(models.TextChoices):
    """What the Users list says about a member's invitation."""

    NOT_SENT = "not_sent", _("No invite sent")
    PENDING = "pending", _("Pending")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    ACCEPTED = "accepted", _("Accepted")


class Access(models.TextChoices):
    """Where a member's permissions came from; the Users list's "Access" column and filter.

    Super admins hold everything whatever this says: `is_super_admin` is checked first.
    """

    SEAT_DEFAULTS = "seat_defaults", _("Seat defaults")
    TEMPLATE = "template", _("Built-in permission set")
    PERMISSION_SET = "permission_set", _("Permission set")
    CUSTOM = "custom", _("Custom")


class Membership(models.Model):
    """One person's belonging to one account, and everything that is account-specific about it.

    A member on a paid seat type takes one seat of that type from the account's pool, whatever
    their status: a deactivated member keeps their seat unless it was released when they were
    deactivated (released means moved to the View-only seat).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    seat_type = models.CharField(
        _("seat"), max_length=20, choices=SeatType.choices, default=SeatType.VIEW_ONLY
    )
    is_super_admin = models.BooleanField(_("super admin"), default=False)
    # {permission code: level}; validated against the catalogue and the seat's ceiling by the
    # seats services before it is saved.
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)
    access = models.CharField(
        _("access"), max_length=20, choices=Access.choices, default=Access.SEAT_DEFAULTS
    )
    permission_set = models.ForeignKey(
        PermissionSet, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    # Code of the built-in permission set (seats.catalogue) the permissions came from.
    permission_template = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MembershipStatus.choices,
        default=MembershipStatus.INVITED,
    )
    main_team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="main_members"
    )
    extra_teams = models.ManyToManyField(Team, blank=True, related_name="extra_members")
    preset = models.ForeignKey(
        Preset, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )
    last_active_at = models.DateTimeField(_("last active"), null=True, blank=True)
    # The name this account gave the person when inviting them ("Create user"). People are
    # global, but until they join this account, its pages show this name, never the one the
    # person or another account set (`full_name`); once they join, their own name.
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    # The invitation's state as the Users list shows and filters it, kept in step by the
    # invitation services (the only writers): the latest expiry of this member's links, and
    # when they were revoked. Kept here, not computed from the invitation rows, so that
    # filtering 100,000 members by invitation status is an indexed lookup.
    invite_expires_at = models.DateTimeField(null=True, blank=True)
    invite_revoked_at = models.DateTimeField(null=True, blank=True)
    # When the member first became active in the account (accepted their invitation).
    joined_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_note = models.CharField(max_length=500, blank=True)
    notification_settings = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The Users tab's name order: the person's "first last" name, or their email when they have
    # none, lower-cased. A copy of the user's columns, kept by database triggers (migration
    # accounts 0009) on every write of a membership and every change of a user's name or email,
    # whoever writes (services, bulk_create, the admin, raw SQL), so that a page of an account's
    # members in name order is read from an index instead of sorting every member across the
    # join with accounts_user. The application never sets it.
    sort_name = models.CharField(max_length=320, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_one_per_account"),
            models.CheckConstraint(
                condition=Q(seat_type__in=SeatType.values), name="membership_seat_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values), name="membership_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(is_super_admin=True, seat_type=SeatType.VIEW_ONLY),
                name="membership_super_admin_not_view_only",
            ),
            models.CheckConstraint(
                condition=Q(access__in=Access.values), name="membership_access_valid"
            ),
            # The access source names exactly one origin, and only that origin.
            models.CheckConstraint(
                condition=(
                    Q(access=Access.PERMISSION_SET, permission_set__isnull=False)
                    | (~Q(access=Access.PERMISSION_SET) & Q(permission_set__isnull=True))
                ),
                name="membership_permission_set_matches_access",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(access=Access.TEMPLATE) & ~Q(permission_template=""))
                    | (~Q(access=Access.TEMPLATE) & Q(permission_template=""))
                ),
                name="membership_template_matches_access",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=MembershipStatus.DEACTIVATED, deactivated_at__isnull=False)
                    | (~Q(status=MembershipStatus.DEACTIVATED) & Q(deactivated_at__isnull=True))
                ),
                name="membership_deactivated_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "seat_type"], name="membership_account_seat"),
            models.Index(fields=["account", "status"], name="membership_account_status"),
            models.Index(fields=["account", "last_active_at"], name="membership_account_active"),
            models.Index(
                fields=["account", "status", "invite_expires_at"], name="membership_invite_state"
            ),
            # The Users tab's "Access" filter and its super-admin rows.
            models.Index(
                fields=["account", "is_super_admin", "access"], name="membership_account_access"
            ),
            # The Users tab in name order (its default), all members or one status: a page is
            # an index range read forwards or backwards, whatever the size of the account.
            models.Index(fields=["account", "sort_name", "id"], name="membership_account_name"),
            models.Index(
                fields=["account", "status", "sort_name", "id"], name="membership_status_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account}"

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def has_joined(self) -> bool:
        """Whether the person has joined this account (accepted an invitation, or created it):
        from then on the account sees the name they gave themselves."""
        return self.status == MembershipStatus.ACTIVE or self.joined_at is not None

    @property
    def full_name(self) -> str:
        """The person's name as this account may see it: their own once they have joined it,
        else the name this account typed when inviting them (people are global: a name set by
        another account, or by the person for another account, stays there)."""
        if self.has_joined:
            return self.user.full_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        return self.full_name or self.user.email

    def invitation_state_at(self, now) -> InvitationState | None:
        """None for a member who joined without an invitation (the account's creator)."""
        if self.status != MembershipStatus.INVITED:
            invited_then_joined = self.invite_expires_at and self.joined_at
            return InvitationState.ACCEPTED if invited_then_joined else None
        if self.invite_revoked_at is not None:
            return InvitationState.REVOKED
        if self.invite_expires_at is None:
            return InvitationState.NOT_SENT
        if self.invite_expires_at <= now:
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    @property
    def invitation_state(self) -> InvitationState | None:
        return self.invitation_state_at(timezone.now())


class AuditVerb(models.TextChoices):
    """What an audit event records. Later features add their verbs here."""

    ACCOUNT_CREATED = "account.created", _("Account created")
    MEMBER_ADDED = "member.added", _("User added")
    MEMBER_ACTIVATED = "member.activated", _("User joined")
    MEMBER_DEACTIVATED = "member.deactivated", _("User deactivated")
    MEMBER_REACTIVATED = "member.reactivated", _("User reactivated")
    MEMBER_REMOVED = "member.removed", _("User removed from account")
    SEAT_CHANGED = "seat.changed", _("Seat changed")
    PERMISSIONS_CHANGED = "permissions.changed", _("Permissions changed")
    SUPER_ADMIN_CHANGED = "super_admin.changed", _("Super admin changed")
    TEAMS_CHANGED = "teams.changed", _("Teams changed")
    TEAM_CREATED = "team.created", _("Team created")
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_LINK_COPIED = "invitation.link_copied", _("Invite link copied")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    SEATS_CHANGED = "seats.pool_changed", _("Seat counts changed")
    SUBSCRIPTION_CHANGED = "subscription.changed", _("Subscription changed")
    SUBSCRIPTION_RENEWED = "subscription.renewed", _("Subscription renewed")
    SEATS_BOUGHT = "seats.bought", _("Seats bought")
    SEAT_REMOVAL_SCHEDULED = "seats.removal_scheduled", _("Seat removal scheduled")
    SEAT_REMOVAL_CANCELLED = "seats.removal_cancelled", _("Seat removal cancelled")
    BILLING_CHANGED = "billing.changed", _("Billing details changed")
    TEAM_RENAMED = "team.renamed", _("Team renamed")
    TEAM_MOVED = "team.moved", _("Team moved")
    TEAM_DELETED = "team.deleted", _("Team deleted")
    PERMISSION_SET_CREATED = "permission_set.created", _("Permission set created")
    PERMISSION_SET_CHANGED = "permission_set.changed", _("Permission set changed")
    PERMISSION_SET_DELETED = "permission_set.deleted", _("Permission set deleted")
    PRESET_CREATED = "preset.created", _("Preset created")
    PRESET_CHANGED = "preset.changed", _("Preset changed")
    PRESET_DELETED = "preset.deleted", _("Preset deleted")
    API_KEY_CREATED = "api_key.created", _("API key created")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    MEMBER_RENAMED = "member.renamed", _("User's name changed")
    SCIM_SETTINGS_CHANGED = "scim.settings_changed", _("Provisioning settings changed")
    RECLAIM_POLICY_CHANGED = "reclaim.policy_changed", _("Reclaim policy changed")
    ACCOUNT_DEFAULTS_CHANGED = "account.defaults_changed", _("Account defaults changed")
    RECLAIM_WARNED = "reclaim.warned", _("Warned of seat reclaim")
    SEAT_RECLAIMED = "reclaim.seat_reclaimed", _("Seat reclaimed for inactivity")
    SEATS_UNASSIGNED_NOTICE = "seats.unassigned_notice", _("Unassigned seats reminder sent")
    SEAT_REQUESTED = "seat_request.created", _("Seat requested")
    SEAT_REQUEST_APPROVED = "seat_request.approved", _("Seat request approved")
    SEAT_REQUEST_DENIED = "seat_request.denied", _("Seat request denied")
    SEAT_REQUEST_CANCELLED = "seat_request.cancelled", _("Seat request cancelled")


# The API key a change is being made through (api.auth sets it for the length of one JSON API
# request): every audit event created meanwhile names it, whichever service writes the event.
_ACTING_API_KEY: ContextVar[str] = ContextVar("seatmgr_acting_api_key", default="")


def acting_api_key_name() -> str:
    """The name of the API key the current change is made through, "" for a page."""
    return _ACTING_API_KEY.get()


@contextmanager
def acting_through_api_key(name: str) -> Iterator[None]:
    """Attribute every audit event appended inside the block to the API key `name`."""
    token = _ACTING_API_KEY.set(name)
    try:
        yield
    finally:
        _ACTING_API_KEY.reset(token)


class AuditEvent(AppendOnlyModel):
    """One change a customer may ask about later: who did what to whom, before and after.

    Appended, never updated. The target's email is copied so the history stays readable after
    the membership is removed from the account.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    target_email = models.EmailField(blank=True)
    verb = models.CharField(max_length=40, choices=AuditVerb.choices)
    # The API key the change was made through ("": a page or the system), its name copied so
    # the history reads the same after the key is revoked. Set from acting_through_api_key by
    # default, so every writer of events attributes them without being told.
    api_key_name = models.CharField(
        max_length=100, blank=True, default=acting_api_key_name, db_default=""
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="audit_account_time"),
            models.Index(fields=["target", "-created_at"], name="audit_target_time"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """One message for one member, shown in the app until read ("Ada accepted your invitation")."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["membership", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.text
