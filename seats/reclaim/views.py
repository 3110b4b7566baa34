"""Inactive paid seats ("Move to View-only seat") and Settings → "Reclaim policy".

Each view checks permission, validates a form, calls one service and renders or redirects.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import SUPER_ADMIN, member_required
from accounts.errors import DomainError, form_error_add
from accounts.models import SeatType
from accounts.policy import AccountPermission, membership_can
from accounts.selectors import id_from
from seats.catalogue import PAID_SEAT_TYPES, SEAT_RULES
from seats.errors import BulkRefused
from seats.reclaim.forms import InactiveMoveForm, ReclaimPolicyForm
from seats.reclaim.selectors import inactive_holders, reclaim_notices_recent, reclaim_policy_get
from seats.reclaim.services import reclaim_policy_set
from seats.users.services.seat import members_bulk_seat_change, seat_change_preview

# People listed (and moved) at most at once: each row computes what they lose.
MOVE_LIMIT = 200


def _paid_seat_type(value: str) -> SeatType:
    try:
        seat_type = SeatType(value)
    except ValueError:
        raise Http404 from None
    if seat_type not in PAID_SEAT_TYPES:
        raise Http404
    return seat_type


@member_required(AccountPermission.USERS)
def inactive_move(request, seat_type: str):
    """ "Move to View-only seat": the holders of a paid seat type not active for N days, what
    each loses on a View-only seat, then the move for the ones still ticked."""
    seat_type = _paid_seat_type(seat_type)
    account = request.membership.account
    data = request.POST if request.method == "POST" else request.GET
    days = id_from(data.get("days", "")) or 30
    days = min(max(days, 1), 3650)
    now = timezone.now()
    holders = list(inactive_holders(account=account, seat_type=seat_type, days=days, now=now))
    more = len(holders) > MOVE_LIMIT
    holders = holders[:MOVE_LIMIT]
    rows = [(m, seat_change_preview(membership=m, seat_type=SeatType.VIEW_ONLY)) for m in holders]
    form = InactiveMoveForm(request.POST or None, member_ids=[m.pk for m in holders])
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            members_bulk_seat_change(
                account=account,
                membership_ids=form.cleaned_data["members"],
                seat_type=SeatType.VIEW_ONLY,
                actor_membership=request.membership,
            )
        except BulkRefused as refused:
            problems = refused.problems
            form.add_error(None, str(refused))
        except DomainError as refused:
            form_error_add(form, refused)
        else:
            count = len(form.cleaned_data["members"])
            messages.success(
                request,
                ngettext(
                    "%(count)s user was moved to a View-only seat.",
                    "%(count)s users were moved to a View-only seat.",
                    count,
                )
                % {"count": count},
            )
            return redirect("seats:inactive_move", seat_type=seat_type.value)
    return render(
        request,
        "seats/reclaim/inactive_move.html",
        {
            "seat_type": seat_type,
            "seat_label": SEAT_RULES[seat_type].label,
            "days": days,
            "rows": rows,
            "more": more,
            "form": form,
            "problems": problems,
            # Back to the Seats tab, for whoever may open it.
            "back": reverse(
                "billing:seats"
                if membership_can(request.membership, AccountPermission.BILLING)
                else "seats:users"
            ),
        },
    )


@member_required(SUPER_ADMIN)
def reclaim_policy(request):
    """Settings → "Reclaim policy" (super admins): on or off, N days, K days of warning, and
    who is exempt."""
    account = request.membership.account
    policy = reclaim_policy_get(account=account)
    form = ReclaimPolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            reclaim_policy_set(
                account=account,
                enabled=form.cleaned_data["enabled"],
                inactive_days=form.cleaned_data["inactive_days"],
                warning_days=form.cleaned_data["warning_days"],
                exempt_members=form.cleaned_data["exempt_members"],
                exempt_teams=form.cleaned_data["exempt_teams"],
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("Reclaim policy saved."))
            return redirect("seats:reclaim_policy")
    return render(
        request,
        "seats/reclaim/reclaim_policy.html",
        {"form": form, "policy": policy, "notices": reclaim_notices_recent(account=account)},
    )
