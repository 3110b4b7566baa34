"""An account's provisioning settings, its seat rules by group, and the identity provider's own
ids of the users and teams it provisioned (externalId)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Membership, SeatType, Team


class ScimSettings(models.Model):
    """How SCIM provisions people into the account (Settings → "Provisioning (SCIM)")."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="scim_settings")
    # The seat a provisioned user gets when no group rule gives one and the identity provider
    # sends no seatType.
    default_seat = models.CharField(
        _("default seat"), max_length=20, choices=SeatType.choices, default=SeatType.VIEW_ONLY
    )
    # When the chosen paid seat has none left: "" refuses the user; a free seat type takes them
    # in on that seat instead.
    fallback_seat = models.CharField(
        _("when no seat of the type is left"), max_length=20, blank=True, default=""
    )
    release_seat_on_deactivate = models.BooleanField(
        _("release the paid seat of a deactivated user"), default=True
    )
    send_invitations = models.BooleanField(
        _("email provisioned users an invitation to set a password"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SCIM settings")
        verbose_name_plural = _("SCIM settings")

    def __str__(self) -> str:
        return f"SCIM settings of {self.account}"


class ScimSeatRule(models.Model):
    """ "Members of group X get a Sales seat": the first rule (by position) whose team holds a
    provisioned user chooses their seat."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="scim_seat_rules")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    seat_type = models.CharField(_("seat"), max_length=20, choices=SeatType.choices)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "team"], name="scim_rule_team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.seat_type}"


class ScimUser(models.Model):
    """A member the identity provider provisioned, with its id there (externalId)."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="scim")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # None when the identity provider sent none (so that the filter "externalId pr" is right).
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    # The seat the identity provider last sent (the extension's seatType); "": none, so the
    # account's seat rules and default seat decide.
    seat_type_sent = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["account", "external_id"], name="scim_user_external")]

    def __str__(self) -> str:
        return self.external_id


class ScimGroup(models.Model):
    """A team the identity provider pushed as a group, with its id there (externalId)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="scim")
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001

    def __str__(self) -> str:
        return self.external_id
