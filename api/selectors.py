"""Reads of the API floor: an account's keys, and the key a request's token names."""

import hmac
from datetime import datetime

from django.db import router
from django.db.models import QuerySet

from accounts.joined_rows import JoinedRows
from accounts.models import Account, Membership, MembershipStatus, User
from accounts.policy import membership_is_super_admin
from api.models import ApiKey
from api.services import KEY_PREFIX, secret_hash


def api_key_list(*, account: Account) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(account=account).select_related("created_by__user")


def api_key_get(*, account: Account, key_id: int) -> ApiKey | None:
    return api_key_list(account=account).filter(pk=key_id).first()


# The key with its account and maker: read by every API request before its own work, so written
# once per database connection as SQL (accounts.joined_rows), not built by the ORM each time.
_KEY = JoinedRows(
    ((ApiKey, "k"), (Account, "a"), (Membership, "m"), (User, "u")),
    joins=("{a.id} = {k.account_id}", "{m.id} = {k.created_by_id}", "{u.id} = {m.user_id}"),
    where="{k.key_id} = %s",
)


def api_key_for_token(token: str, *, now: datetime) -> ApiKey | None:
    """The live key `token` belongs to, or None: unknown, wrong secret, revoked, expired, or
    made by someone no longer an active super admin of its account. One query."""
    if not token.startswith(KEY_PREFIX):
        return None
    key_id, _sep, secret = token[len(KEY_PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    rows = _KEY.fetch([key_id], using=router.db_for_read(ApiKey))
    if not rows:
        return None
    # key_id is unique: one row at most.
    key, account, owner, person = rows[0]
    if not hmac.compare_digest(key.secret_hash, secret_hash(token)):
        return None
    if key.revoked_at is not None or key.is_expired_at(now):
        return None
    # A key is made by a member of its own account: that account, already read, is theirs (one
    # join fewer on every call).
    if owner.account_id != key.account_id:
        return None
    key.account = owner.account = account
    owner.user = person
    key.created_by = owner
    if owner.status != MembershipStatus.ACTIVE or not membership_is_super_admin(owner):
        return None
    return key
