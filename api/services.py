"""Every write of the API floor: keys made and revoked, answers kept for replays."""

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditVerb, Membership
from accounts.services import audit_record
from api.errors import (
    ApiKeyExpiryPast,
    ApiKeyNameRequired,
    ApiKeyScopesRequired,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
)
from api.models import ApiKey, ApiScope, IdempotencyRecord

KEY_PREFIX = "smk_"  # how every key starts, so a leaked one is recognisable


def secret_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str  # shown once, never stored


def _snapshot(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "scopes": list(key.scopes),
        "expires_on": key.expires_on.isoformat() if key.expires_on else None,
    }


@transaction.atomic
def api_key_create(
    *,
    actor_membership: Membership,
    name: str,
    scopes: Sequence[str],
    expires_on: date | None,
    now: datetime | None = None,
) -> CreatedKey:
    """A new key of the actor's account; its token (`smk_<key id>_<256-bit secret>`) is in the
    answer and nowhere else."""
    now = now or timezone.now()
    name = name.strip()
    if not name:
        raise ApiKeyNameRequired
    chosen = [s.value for s in ApiScope if s.value in set(scopes)]
    if not chosen:
        raise ApiKeyScopesRequired
    if expires_on is not None and expires_on < timezone.localdate(now):
        raise ApiKeyExpiryPast
    key_id = secrets.token_hex(6)
    token = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        account=actor_membership.account,
        name=name,
        key_id=key_id,
        secret_hash=secret_hash(token),
        scopes=chosen,
        expires_on=expires_on,
        created_by=actor_membership,
        created_at=now,
    )
    audit_record(
        account=key.account,
        actor=actor_membership.user,
        verb=AuditVerb.API_KEY_CREATED,
        after=_snapshot(key),
        now=now,
    )
    return CreatedKey(key=key, token=token)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor_membership: Membership) -> ApiKey:
    """The key stops working at once; it stays listed as revoked. Revoking twice is a no-op."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(
        account=key.account,
        actor=actor_membership.user,
        verb=AuditVerb.API_KEY_REVOKED,
        before=_snapshot(key),
        after={"name": key.name},
    )
    return key


# "Last used" moves at most once a minute, so a script's burst of calls writes once.
LAST_USED_STEP_SECONDS = 60


def api_key_used(*, key: ApiKey, now: datetime) -> None:
    last = key.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_STEP_SECONDS:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


# A claim (an IdempotencyRecord without its answer yet) older than this is of a request that
# died: its change rolled back with it (the answer is written in the change's own transaction),
# so the claim may be taken over.
CLAIM_ABANDONED_AFTER = timedelta(minutes=5)
CLAIMED = 0  # IdempotencyRecord.status while the first request is still at work


def _kept_answer(record: IdempotencyRecord, fingerprint: str) -> Answer:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused
    if record.status == CLAIMED:
        raise IdempotencyKeyInFlight
    return Answer(record.status, record.body)


def idempotent(
    *,
    caller: Any,
    idempotency_key: str,
    operation: str,
    request_body: bytes,
    act: Callable[[Callable[[Answer], None]], Answer],
    now: datetime | None = None,
) -> Answer:
    """Act once per `Idempotency-Key` of this API key; a replay gets the first answer again.

    The same Idempotency-Key with another request is IdempotencyKeyReused (422); while the first
    request is still at work, IdempotencyKeyInFlight (409). `act(keep)` makes the change and
    must call `keep(answer)` inside the change's own transaction (members_invite's commit_with),
    so an answer is kept exactly when the change committed. A refusal (a DomainError out of
    `act`) keeps nothing, and a retry with the same key acts anew.
    """
    now = now or timezone.now()
    fingerprint = hashlib.sha256(f"{operation}\n".encode() + request_body).hexdigest()
    owner = {"api_key": caller.key} if caller.key else {"membership": caller.membership}
    record = IdempotencyRecord(
        **owner,
        key=idempotency_key,
        operation=operation,
        request_hash=fingerprint,
        status=CLAIMED,
        body={},
        created_at=now,
    )
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.filter(
                **owner,
                key=idempotency_key,
                status=CLAIMED,
                created_at__lt=now - CLAIM_ABANDONED_AFTER,
            ).delete()
            record.save(force_insert=True)
    except IntegrityError:
        kept = IdempotencyRecord.objects.filter(**owner, key=idempotency_key).first()
        if kept is None:  # taken over and released meanwhile
            raise IdempotencyKeyInFlight from None
        return _kept_answer(kept, fingerprint)

    def keep(answer: Answer) -> None:
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status=answer.status, body=answer.body
        )

    try:
        return act(keep)
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk, status=CLAIMED).delete()
        raise
