"""Invitations: an emailed, single-use link that lets one address join one account."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class Delivery(models.TextChoices):
    EMAIL = "email", _("Email")
    LINK = "link", _("Copied link")


class Invitation(models.Model):
    """One link for one address to join one account through one membership.

    Only a SHA-256 hash of the token is stored; the token itself exists in the email (or the
    copied link) and nowhere else. An emailed invitation gets its token from the worker that
    sends it, so no secret travels through the broker and a lost task can be dispatched again;
    until then `token_hash` is empty. A resend creates a new row with its own token and expiry,
    so a link sent earlier keeps working until its own expiry; revoking ends every row of the
    membership.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="invitation_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
            ),
            # A copied link has its token from the start; an email gets it when it is sent.
            models.CheckConstraint(
                condition=Q(delivery="email") | Q(token_hash__isnull=False),
                name="invitation_link_has_token",
            ),
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(token_hash__isnull=False),
                name="invitation_sent_has_token",
            ),
        ]
        indexes = [
            models.Index(fields=["membership", "-created_at"], name="invitation_membership_latest"),
            models.Index(
                fields=["created_at"],
                condition=Q(delivery="email", sent_at__isnull=True),
                name="invitation_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    def status_at(self, now) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_at(timezone.now())


class MailboxCode(models.Model):
    """A one-time code emailed to an invitation's address: whoever types it in reads that mailbox.

    A copied link ("Copy invite link") proves nothing about who opens it, since the admin who
    copied it has it too; before such a link lets anyone set a password or sign in, the page
    emails one of these to the invited address (invitations.services.codes). The code is made by
    the worker that emails it, so it exists only in the email; the row keeps an HMAC of it
    (keyed by SECRET_KEY, so a copy of the database alone does not give six-digit codes away).
    A code works once, until `expires_at`, and for a few wrong tries only.
    """

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("mailbox code")
        verbose_name_plural = _("mailbox codes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="mailbox_code_expires_after"
            ),
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | ~Q(code_hash=""), name="mailbox_code_used_sent"
            ),
        ]
        indexes = [
            models.Index(fields=["invitation", "-created_at"], name="mailbox_code_latest"),
            models.Index(fields=["created_at"], name="mailbox_code_created"),
        ]

    def __str__(self) -> str:
        return f"Mailbox code for invitation {self.invitation_id}"


class SalesforceConnection(models.Model):
    """An account's saved Salesforce connection, used to import its users.

    The access token is stored encrypted (invitations.crypto) and never shown again.
    """

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="salesforce_connection"
    )
    instance_url = models.URLField(_("instance URL"), max_length=300)
    access_token_encrypted = models.TextField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Salesforce connection")
        verbose_name_plural = _("Salesforce connections")

    def __str__(self) -> str:
        return f"Salesforce for {self.account_id}: {self.instance_url}"
