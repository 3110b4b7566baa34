"""The reclaim policy and what it did to whom."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Access, Account, Membership, PermissionSet, SeatType, Team
from seats.catalogue import PAID_SEAT_TYPES


class ReclaimPolicy(models.Model):
    """An account's "move people to a View-only seat after N days without activity".

    Off until a super admin turns it on. Super admins are always exempt; so are the chosen
    people and the members of the chosen teams (main or extra team, not their child teams).
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="reclaim_policy")
    enabled = models.BooleanField(_("on"), default=False)
    inactive_days = models.PositiveIntegerField(_("days without activity"), default=90)
    warning_days = models.PositiveIntegerField(_("days of warning"), default=7)
    exempt_members = models.ManyToManyField(Membership, blank=True, related_name="+")
    exempt_teams = models.ManyToManyField(Team, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reclaim policy")
        verbose_name_plural = _("reclaim policies")
        constraints = [
            # The warning comes before the reclaim, and never on the day someone goes quiet.
            models.CheckConstraint(
                condition=Q(warning_days__gte=1, inactive_days__gt=models.F("warning_days")),
                name="reclaim_policy_warning_before_reclaim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.inactive_days} days"


class ReclaimNotice(models.Model):
    """One stretch of inactivity of one member that the policy acted on: warned, then (unless
    they came back, were exempted or their seat changed meanwhile) reclaimed.

    A stretch is named by when it began (`inactive_since`: last active, or added for someone
    never active), so the job finds the row it made before and never warns or reclaims twice;
    a member active again starts a new stretch. The access they held before the reclaim is kept
    here, to give it back when they are given the same seat again within RESTORE_WINDOW.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="reclaim_notices"
    )
    inactive_since = models.DateTimeField()
    seat_type = models.CharField(max_length=20, choices=SeatType.choices)
    warned_at = models.DateTimeField()
    # Not before the stretch reaches the policy's days, and never less than the warning's days
    # after the warning (a warning sent late moves the date, so everyone gets the full notice).
    reclaim_on = models.DateTimeField()
    reclaimed_at = models.DateTimeField(null=True, blank=True)
    # What the member held before the reclaim (set when reclaimed).
    previous_permissions = models.JSONField(default=dict, blank=True)
    previous_access = models.CharField(
        max_length=20, choices=Access.choices, default=Access.SEAT_DEFAULTS
    )
    previous_permission_set = models.ForeignKey(
        PermissionSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    previous_permission_template = models.CharField(max_length=40, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reclaim notice")
        verbose_name_plural = _("reclaim notices")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "inactive_since"], name="reclaim_notice_one_per_stretch"
            ),
            models.CheckConstraint(
                condition=Q(seat_type__in=PAID_SEAT_TYPES), name="reclaim_notice_paid_seat"
            ),
        ]
        indexes = [
            models.Index(fields=["membership", "reclaimed_at"], name="reclaim_notice_member"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} since {self.inactive_since:%Y-%m-%d}"
