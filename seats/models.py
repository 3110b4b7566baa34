"""Seat pools: how many paid seats of each type an account has now and at the next renewal."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AppendOnlyModel, SeatType
from seats.catalogue import PAID_SEAT_TYPES


class SeatPool(models.Model):
    """The paid seats of one type in one account.

    total now = included (by the subscription's tiers) + purchased. The `*_at_renewal` fields
    are what the next period will have: a scheduled removal is `purchased_at_renewal <
    purchased`; a scheduled downgrade of a hub sets `included_at_renewal` (fewer Core seats
    included) or clears `enabled_at_renewal` (the tier that enabled Sales or Service seats goes).
    Billing keeps them in step with the subscription's pending changes, and the renewal makes
    them the counts. Assigned seats are counted from memberships, never stored, so they cannot
    drift. Every change of a count appends a SeatLedgerEntry.

    The invariant every assignment keeps: assigned <= `assignable`, what the account has now
    *and* will have at the renewal date (assigning can only cancel a scheduled removal, never
    outgrow a scheduled downgrade).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="seat_pools")
    seat_type = models.CharField(max_length=20, choices=SeatType.choices)
    included = models.PositiveIntegerField(default=0)
    purchased = models.PositiveIntegerField(default=0)
    purchased_at_renewal = models.PositiveIntegerField(default=0)
    # Whether the subscription lets members be given this seat type now (Sales and Service
    # seats follow the hubs' tiers; billing keeps this in step). Core is always enabled.
    enabled = models.BooleanField(default=True)
    # What the subscription will include and enable from the renewal date, its pending hub
    # downgrades and removals applied (equal to `included` and `enabled` when none is pending).
    included_at_renewal = models.PositiveIntegerField(default=0)
    enabled_at_renewal = models.BooleanField(default=True)
    # The subscription ends at the period end (auto-renewal cancelled): until it is resumed, no
    # paid seat of this type may be assigned, so nobody holds one the next period won't have.
    ending = models.BooleanField(default=False)
    # When the billing admins were last warned that few seats are left; cleared once more
    # seats than the account's threshold are free again, so each crossing warns once.
    low_seats_warned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("seat pool")
        verbose_name_plural = _("seat pools")
        ordering = ["account_id", "seat_type"]
        constraints = [
            models.UniqueConstraint(fields=["account", "seat_type"], name="seat_pool_one_per_type"),
            models.CheckConstraint(
                condition=Q(seat_type__in=PAID_SEAT_TYPES), name="seat_pool_paid_type_only"
            ),
            # PositiveIntegerField is only checked on PostgreSQL-like backends; say it for all.
            models.CheckConstraint(
                condition=Q(
                    included__gte=0,
                    purchased__gte=0,
                    purchased_at_renewal__gte=0,
                    included_at_renewal__gte=0,
                ),
                name="seat_pool_counts_not_negative",
            ),
            # A removal can only take away purchased seats; reassigning can only undo a removal.
            models.CheckConstraint(
                condition=Q(purchased_at_renewal__lte=F("purchased")),
                name="seat_pool_renewal_not_above_purchased",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_seat_type_display()} in {self.account}"

    @property
    def total(self) -> int:
        return self.included + self.purchased

    @property
    def total_at_renewal(self) -> int:
        """Seats of the next period: a type the next plan no longer enables keeps none bought."""
        bought = self.purchased_at_renewal if self.enabled_at_renewal else 0
        return self.included_at_renewal + bought

    @property
    def assignable(self) -> int:
        """How many members may hold this seat type: what the account has now and still has at
        the renewal date. Assigning may cancel a scheduled removal (up to every seat bought), but
        not outgrow what a scheduled downgrade leaves, nor use a type the next plan drops."""
        if not self.enabled_at_renewal:
            return 0
        return min(self.total, self.included_at_renewal + self.purchased)

    @property
    def pending_removal(self) -> int:
        return self.purchased - self.purchased_at_renewal


class LedgerReason(models.TextChoices):
    CREATED = "created", _("Pool created")
    INCLUDED_CHANGED = "included_changed", _("Included seats changed")
    PLAN_CHANGE_SCHEDULED = "plan_change_scheduled", _("Plan change scheduled for renewal")
    PURCHASE = "purchase", _("Seats bought")
    REMOVAL_SCHEDULED = "removal_scheduled", _("Removal scheduled")
    REMOVAL_CANCELLED = "removal_cancelled", _("Removal cancelled")
    REMOVAL_REDUCED_BY_ASSIGNMENT = "removal_reduced", _("Removal reduced by assigning seats")
    RENEWAL = "renewal", _("Renewal applied")


class SeatLedgerEntry(AppendOnlyModel):
    """One change of a pool's counts: the counts after it, why, by whom and when. Appended only.

    Replaying a pool's entries in order gives its current counts (as Zulip's LicenseLedger).
    """

    pool = models.ForeignKey(SeatPool, on_delete=models.CASCADE, related_name="ledger")
    reason = models.CharField(max_length=30, choices=LedgerReason.choices)
    included = models.PositiveIntegerField()
    purchased = models.PositiveIntegerField()
    purchased_at_renewal = models.PositiveIntegerField()
    # NULL on entries written before the next period's counts were kept.
    included_at_renewal = models.PositiveIntegerField(null=True, blank=True)
    enabled_at_renewal = models.BooleanField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("seat ledger entry")
        verbose_name_plural = _("seat ledger entries")
        ordering = ["pool_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purchased_at_renewal__lte=F("purchased")),
                name="seat_ledger_renewal_not_above_purchased",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool}: {self.reason} at {self.created_at:%Y-%m-%d %H:%M}"


class SeatRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")
    CANCELLED = "cancelled", _("Cancelled")


class SeatRequest(models.Model):
    """One person on a View-only seat asking for a paid seat, and what became of it.

    Open until an admin approves it (the seat is assigned in the same transaction), denies it
    (with an optional note) or the person cancels it. One open request per member and seat type
    (a partial unique index), so a double submit or two tabs can't ask twice.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="seat_requests")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="seat_requests"
    )
    seat_type = models.CharField(max_length=20, choices=SeatType.choices)
    reason = models.TextField(max_length=500)
    status = models.CharField(
        max_length=20, choices=SeatRequestStatus.choices, default=SeatRequestStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The approver's or denier's note to the requester ("" without one).
    note = models.TextField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("seat request")
        verbose_name_plural = _("seat requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "seat_type"],
                condition=Q(status="open"),
                name="seat_request_one_open_per_member_and_type",
            ),
            models.CheckConstraint(
                condition=Q(seat_type__in=PAID_SEAT_TYPES), name="seat_request_paid_type_only"
            ),
            # Decided means who and when are known; open means neither is.
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True)
                | ~Q(status="open") & Q(decided_at__isnull=False),
                name="seat_request_decided_when_closed",
            ),
        ]
        indexes = [models.Index(fields=["account", "status"], name="seat_request_by_status")]

    def __str__(self) -> str:
        return f"{self.get_seat_type_display()} for {self.membership_id} ({self.status})"
