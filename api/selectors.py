"""Reads of the API floor: an account's keys, and the key a request's token names."""

import hmac
from datetime import datetime

from django.db.models import QuerySet

from accounts.models import Account, MembershipStatus
from accounts.policy import membership_is_super_admin
from api.models import ApiKey
from api.services import KEY_PREFIX, secret_hash


def api_key_list(*, account: Account) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(account=account).select_related("created_by__user")


def api_key_get(*, account: Account, key_id: int) -> ApiKey | None:
    return api_key_list(account=account).filter(pk=key_id).first()


def api_key_for_token(token: str, *, now: datetime) -> ApiKey | None:
    """The live key `token` belongs to, or None: unknown, wrong secret, revoked, expired, or
    made by someone no longer an active super admin of its account. One query."""
    if not token.startswith(KEY_PREFIX):
        return None
    key_id, _sep, secret = token[len(KEY_PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    key = ApiKey.objects.select_related("account", "created_by__user").filter(key_id=key_id).first()
    if key is None or not hmac.compare_digest(key.secret_hash, secret_hash(token)):
        return None
    if key.revoked_at is not None or key.is_expired_at(now):
        return None
    owner = key.created_by
    # A key is made by a member of its own account: that account, already read, is theirs (one
    # join fewer on every call).
    if owner.account_id != key.account_id:
        return None
    owner.account = key.account
    if owner.status != MembershipStatus.ACTIVE or not membership_is_super_admin(owner):
        return None
    return key
