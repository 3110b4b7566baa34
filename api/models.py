"""API keys and the answers kept for `Idempotency-Key` replays."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership


class ApiScope(models.TextChoices):
    """What a key may do. Each operation of /api/v1/ needs one (api.v1)."""

    USERS_READ = "users:read", _("Read users")
    USERS_WRITE = "users:write", _("Add and change users")
    TEAMS_WRITE = "teams:write", _("Add and change teams")
    BILLING_READ = "billing:read", _("Read seats and billing")
    BILLING_WRITE = "billing:write", _("Buy and remove seats")
    AUDIT_READ = "audit:read", _("Read the audit log")
    # SCIM provisioning (/scim/v2/): the identity provider's key, made on "Provisioning (SCIM)".
    SCIM = "scim", _("Provision users and groups by SCIM")


class ApiKey(models.Model):
    """A secret a script sends as `Authorization: Bearer smk_<key_id>_<secret>`.

    Only the SHA-256 of the whole token is kept: the token is shown once, when the key is made.
    `key_id` is the token's public part, by which a request finds its key before the hashes are
    compared in constant time. A key acts for its account with the rights of the super admin
    who made it, while they are one (api.auth).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    # The last day the key works (in the site's time zone); none: until revoked.
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="api_keys_created"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="apikey_account_time")]

    def __str__(self) -> str:
        return self.name

    def is_expired_at(self, now) -> bool:
        return self.expires_on is not None and timezone.localdate(now) > self.expires_on


class IdempotencyRecord(models.Model):
    """The first answer to a POST made with an `Idempotency-Key`: a replay gets it again.

    Unique per caller and `Idempotency-Key`, so two requests racing with the same one can't both
    act: the second's insert fails and it is told to retry (409), then gets the first answer.
    """

    # Whose request it was: a key's, or else a signed-in member's.
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", null=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="+", null=True
    )
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"],
                condition=models.Q(api_key__isnull=False),
                name="idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["membership", "key"],
                condition=models.Q(membership__isnull=False),
                name="idempotency_member_key_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(api_key__isnull=True) ^ models.Q(membership__isnull=True),
                name="idempotency_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"
