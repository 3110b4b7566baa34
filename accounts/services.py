"""Every write of the accounts floor. Keyword-only, one transaction per top-level service."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from accounts.background import task_after_commit
from accounts.errors import DomainError, PasswordResetTooOften, PasswordResetUnavailable
from accounts.languages import written_for
from accounts.locks import account_lock
from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    Notification,
    User,
    email_normalise,
)
from accounts.notifications import notification_preferences
from accounts.policy import super_admin_target_check
from accounts.ratelimit import rate_limit_exceeded
from accounts.selectors import SESSION_ACCOUNT_KEY, password_reset_allowed
from accounts.tasks import (
    notification_email_task,
    notification_emails_task,
    password_reset_email_task,
)
from accounts.text import sentence


def audit_record(
    *,
    account: Account,
    actor: User | None,
    verb: AuditVerb,
    target: Membership | None = None,
    before: Any = None,
    after: Any = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one audit event. Runs inside the caller's transaction."""
    event = AuditEvent(
        account=account,
        actor=actor,
        target=target,
        target_email=target.user.email if target is not None else "",
        verb=verb,
        before=before,
        after=after,
    )
    if now is not None:
        event.created_at = now
    event.save(force_insert=True)
    return event


def audit_events_record(*, events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Append many audit events (built by the caller, unsaved) in one INSERT. Runs inside the
    caller's transaction; for work that changes many members or accounts at once (a batch of
    new users, the renewal batches)."""
    rows_insert(events)
    return list(events)


def member_audit_events_record(
    *,
    account: Account,
    actor: User | None,
    verb: AuditVerb,
    targets: Iterable[Membership],
    after: Any = None,
    now: datetime | None = None,
) -> list[AuditEvent]:
    """Append one audit event per member, all alike but for the member, with one insert.

    Runs inside the caller's transaction.
    """
    created_at = now or timezone.now()
    events = [
        AuditEvent(
            account=account,
            actor=actor,
            target=target,
            target_email=target.user.email,
            verb=verb,
            after=after,
            created_at=created_at,
        )
        for target in targets
    ]
    return audit_events_record(events=events)


def rows_insert(rows: Sequence[models.Model]) -> None:
    """INSERT new rows of one model with one statement, their primary keys set afterwards.

    Where the database can't return the keys of a multi-row insert (SQLite before 3.35), each
    row is saved on its own: callers rely on the keys to link rows to one another.
    """
    if not rows:
        return
    if connection.features.can_return_rows_from_bulk_insert:
        type(rows[0]).objects.bulk_create(rows)
    else:
        for row in rows:
            row.save(force_insert=True)


def rows_update(
    rows: Sequence[models.Model], fields: Sequence[str], *, where: Mapping[str, Any] | None = None
) -> set:
    """Save these fields of existing rows of one model with one UPDATE; the keys written.

    `where` ({field: value}): only rows that still hold these values in the database are
    written (the others are left as they are, and their keys are not returned).

    On PostgreSQL the new values travel as one array per column, joined to the rows by primary
    key (UPDATE ... FROM unnest ... RETURNING). Django's bulk_update sends a CASE with a branch
    per row for every column: at a few hundred rows, building it took the ORM as long as
    inserting them, and PostgreSQL tries the branches one by one for every row. Elsewhere
    (SQLite: the tests and the embedded default, one writer at a time) it is a SELECT of the
    rows `where` holds for, then bulk_update.
    """
    if not rows:
        return set()
    model = type(rows[0])
    where = where or {}
    if connection.vendor != "postgresql":
        if where:
            still = set(
                model.objects.filter(pk__in=[row.pk for row in rows], **where).values_list(
                    "pk", flat=True
                )
            )
            rows = [row for row in rows if row.pk in still]
        model.objects.bulk_update(rows, fields)
        return {row.pk for row in rows}
    meta, quote = model._meta, connection.ops.quote_name
    key, columns = meta.pk, [meta.get_field(name) for name in fields]
    every = [key, *columns]
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in every)
    names = ", ".join(quote(f.column) for f in every)
    conditions = [meta.get_field(name) for name in where]
    # Only names from the model, quoted, go into the text; the values are parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} FROM unnest({arrays}) "  # noqa: S608
        f"AS v({names}) WHERE t.{quote(key.column)} = v.{quote(key.column)}"
        + "".join(f" AND t.{quote(f.column)} = %s" for f in conditions)
        + f" RETURNING t.{quote(key.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *(
                    [f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows]
                    for f in every
                ),
                *(f.get_db_prep_save(where[f.name], connection) for f in conditions),
            ],
        )
        return {written for (written,) in cursor.fetchall()}


@transaction.atomic(durable=True)
def account_create(*, name: str, actor: User | None = None) -> Account:
    account = Account(name=name.strip())
    account.full_clean()
    account.save()
    audit_record(account=account, actor=actor, verb=AuditVerb.ACCOUNT_CREATED, after={"name": name})
    return account


def user_get_or_create(
    *, email: str, first_name: str = "", last_name: str = ""
) -> tuple[User, bool]:
    """The person with this address, created without a usable password if new.

    Runs inside the caller's transaction. An existing person's name is left as they set it.
    """
    email = email_normalise(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    user.set_unusable_password()
    # Field validation only: the unique index and the constraints are the database's (and a
    # race on the same address is settled by it just below).
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    try:
        # Two accounts may add the same new person at once: the unique index decides, and
        # the loser reads the winner's row once it is committed.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return User.objects.get(email=email), False
    return user, True


def users_get_or_create(*, people: Sequence[tuple[str, str, str]]) -> list[tuple[User, bool]]:
    """user_get_or_create for (email, first name, last name) of many people, in their order.

    One query finds those who exist and one insert creates the others. Runs inside the
    caller's transaction. If another transaction creates one of the new people meanwhile, the
    unique index refuses the insert (after waiting for that transaction to commit); the batch
    then goes person by person, the race-safe way, and finds that person's row.
    """
    people = [(email_normalise(e), first.strip(), last.strip()) for e, first, last in people]
    found = {u.email: u for u in User.objects.filter(email__in=[p[0] for p in people])}
    new: dict[str, User] = {}
    for email, first_name, last_name in people:
        if email in found or email in new:
            continue
        user = User(email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        # Field validation only, without queries: uniqueness is the database's, just below.
        user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
        new[email] = user
    if new:
        try:
            with transaction.atomic():
                rows_insert(list(new.values()))
        except IntegrityError:
            return [
                user_get_or_create(email=email, first_name=first_name, last_name=last_name)
                for email, first_name, last_name in people
            ]
    users, created = {**found, **new}, set(new)
    result = []
    for email, _first_name, _last_name in people:
        result.append((users[email], email in created))
        created.discard(email)  # an address listed twice was created once
    return result


def membership_touch(*, membership: Membership, now: datetime, interval: timedelta) -> bool:
    """Record that a member was active, writing to the database at most once per interval.

    `membership` is the one the request just read, so a member active within the interval costs
    nothing. Otherwise one UPDATE, which finds nothing to do when a concurrent request of the
    same member wrote first (it waits for that row and checks again). Returns whether it wrote.
    """
    since = now - interval
    if membership.last_active_at is not None and membership.last_active_at > since:
        return False
    written = (
        Membership.objects.filter(pk=membership.pk)
        .filter(models.Q(last_active_at__isnull=True) | models.Q(last_active_at__lte=since))
        .update(last_active_at=now)
    )
    if written:
        membership.last_active_at = now
    return bool(written)


def current_account_set(*, session, membership: Membership) -> None:
    """Make `membership`'s account the current one for this browser session."""
    session[SESSION_ACCOUNT_KEY] = membership.account_id


@transaction.atomic(durable=True)
def user_profile_update(
    *, user: User, first_name: str, last_name: str, language: str, time_zone: str = ""
) -> User:
    """Save a person's profile. `language` "" means not chosen (accounts.languages decides);
    `time_zone` "" means the site's."""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "language", "time_zone"])
    return user


def user_language_choose(*, user: User, language: str) -> None:
    """Remember the language a person picked before they had a profile (the invitation page's
    switcher)."""
    User.objects.filter(pk=user.pk, language="").update(language=language)
    user.language = language


@transaction.atomic(durable=True)
def account_defaults_update(*, account: Account, actor: User, default_language: str) -> Account:
    """Settings → Account defaults (the view checks who may): the language of people who have
    not chosen one, and of the emails they get. Recorded when it changes."""
    before = {"default_language": account.default_language}
    account.default_language = default_language
    account.full_clean()
    account.save(update_fields=["default_language"])
    after = {"default_language": account.default_language}
    if after != before:
        audit_record(
            account=account,
            actor=actor,
            verb=AuditVerb.ACCOUNT_DEFAULTS_CHANGED,
            before=before,
            after=after,
        )
    return account


@transaction.atomic(durable=True)
def notification_settings_update(
    *, membership: Membership, choices: dict[str, dict[str, bool]]
) -> Membership:
    """Store the member's choice for every kind and channel (unknown keys are dropped)."""
    known = notification_preferences({})
    membership.notification_settings = {
        kind: {channel: bool(choices.get(kind, {}).get(channel, False)) for channel in channels}
        for kind, channels in known.items()
    }
    membership.save(update_fields=["notification_settings", "updated_at"])
    return membership


def _channels(membership: Membership, kind: str) -> dict[str, bool]:
    """How this member wants to hear of this kind of thing: {"email": …, "in_app": …}."""
    return notification_preferences(membership.notification_settings).get(
        kind, {"email": True, "in_app": True}
    )


NoticeText = Callable[[], str]
"""A notification's words, written when called. `notify` calls it once for each recipient,
inside their language and time zone (accounts.languages.written_for), so that every word, label,
date (accounts.text.day) and amount (billing.money.money_format) in it is theirs, whoever acted.
In a loop or a comprehension, bind the loop variables it reads (`lambda m=m: ...`, or
functools.partial): a closure reads a variable when it is called, by then the last one's."""


def notice_written(*, membership: Membership, text: NoticeText) -> str:
    """A notification's words as this member reads them: in their language and time zone, a
    name's own full stop not doubled."""
    with written_for(user=membership.user, account=membership.account):
        return sentence(text())


def notify(
    *,
    membership: Membership,
    kind: str,
    text: NoticeText,
    url: str = "",
    now: datetime | None = None,
) -> Notification | None:
    """Tell a member something, in the app and/or by email, as their preferences say, in their
    language (`text`: NoticeText).

    Runs inside the caller's transaction; the email leaves after commit.
    """
    choice = _channels(membership, kind)
    if not (choice["in_app"] or choice["email"]):
        return None
    written = notice_written(membership=membership, text=text)
    notification = None
    if choice["in_app"]:
        notification = Notification.objects.create(
            membership=membership,
            kind=kind,
            text=written,
            url=url,
            created_at=now or timezone.now(),
        )
    if choice["email"]:
        task_after_commit(notification_email_task, membership.pk, written, url)
    return notification


@dataclass(frozen=True)
class Notice:
    """One message for one member, as `notify` takes it (`text`: NoticeText)."""

    membership: Membership
    kind: str
    text: NoticeText
    url: str = ""


def members_notify(*, notices: Sequence[Notice], now: datetime) -> list[Notification]:
    """`notify` for many members at once, each as their preferences say and in their language:
    the in-app notifications in one INSERT, and every email in one background task after commit
    (one message on the broker instead of one per email). Runs inside the caller's transaction.
    """
    in_app, emails = [], []
    for notice in notices:
        choice = _channels(notice.membership, notice.kind)
        if not (choice["in_app"] or choice["email"]):
            continue
        text = notice_written(membership=notice.membership, text=notice.text)
        if choice["in_app"]:
            in_app.append(
                Notification(
                    membership=notice.membership,
                    kind=notice.kind,
                    text=text,
                    url=notice.url,
                    created_at=now,
                )
            )
        if choice["email"]:
            emails.append([notice.membership.pk, text, notice.url])
    if emails:
        task_after_commit(notification_emails_task, emails)
    return Notification.objects.bulk_create(in_app)


def notifications_mark_read(*, membership: Membership, now: datetime) -> int:
    return Notification.objects.filter(membership=membership, read_at__isnull=True).update(
        read_at=now
    )


def password_reset_request(*, email: str) -> None:
    """ "Forgot password": email a reset link to the person with this address, if they may reset
    (password_reset_allowed); otherwise do nothing. The caller answers the same either way, so
    the page never tells whether an address has an account. The link leaves after commit."""
    for user in User.objects.filter(email=email_normalise(email)):
        if password_reset_allowed(user):
            task_after_commit(password_reset_email_task, user.pk)


# "Reset password" and "Resend invite" email a member on an admin's click: a few a member an
# hour, so that repeating the click can't flood a mailbox (or spend the sender's reputation).
ADMIN_EMAILS_PER_MEMBER = 3
ADMIN_EMAILS_WINDOW_SECONDS = 60 * 60


def admin_email_limit_exceeded(*, scope: str, membership: Membership) -> bool:
    """Count one admin-triggered email of `scope` to this member; True once over the limit."""
    return rate_limit_exceeded(
        scope=scope,
        key=str(membership.pk),
        limit=ADMIN_EMAILS_PER_MEMBER,
        window_seconds=ADMIN_EMAILS_WINDOW_SECONDS,
    )


def member_password_reset(
    *, membership: Membership, actor_membership: Membership | None = None
) -> None:
    """ "Reset password" on a member's page: email them a reset link after commit (nobody sets
    another person's password). Only a super admin resets a super admin's password
    (`actor_membership` None is system work). Refused with PasswordResetUnavailable unless the
    member is active in the account and may reset (password_reset_allowed), and with
    PasswordResetTooOften past ADMIN_EMAILS_PER_MEMBER an hour."""
    super_admin_target_check(membership, actor_membership)
    if membership.status != MembershipStatus.ACTIVE or not password_reset_allowed(membership.user):
        raise PasswordResetUnavailable(email=membership.user.email)
    if admin_email_limit_exceeded(scope="member_password_reset", membership=membership):
        raise PasswordResetTooOften(email=membership.user.email)
    task_after_commit(password_reset_email_task, membership.user_id)


@transaction.atomic(durable=True)
def account_seat_warning_set(*, account: Account, threshold: int, actor: User) -> Account:
    """When a paid seat type has this many seats available or fewer, billing admins are told."""
    account = account_lock(account)
    before = account.seat_warning_threshold
    account.seat_warning_threshold = threshold
    account.full_clean()
    account.save(update_fields=["seat_warning_threshold"])
    audit_record(
        account=account,
        actor=actor,
        verb=AuditVerb.BILLING_CHANGED,
        before={"seat_warning_threshold": before},
        after={"seat_warning_threshold": threshold},
    )
    return account


def named_row_save(row: models.Model, *, taken: type[DomainError], **save_kwargs: Any) -> None:
    """Save a team, permission set or preset whose name is unique in its account: when two
    admins choose one name at the same moment, the unique index decides and the later one is
    told `taken`. Inside the caller's transaction (a savepoint keeps it usable)."""
    try:
        with transaction.atomic():
            row.save(**save_kwargs)
    except IntegrityError:
        raise taken(name=row.name) from None
