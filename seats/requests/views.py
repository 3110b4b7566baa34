"""A member's "Your seat" page with "Request a seat", and the "Seat requests" tab of Users & Teams
(super admins and holders of "Add and edit users"). Each view checks permission, looks the
request up inside the current account (another account's id is a 404), calls one service and
redirects."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.models import SeatType
from accounts.policy import AccountPermission, membership_can
from seats.catalogue import SEAT_RULES
from seats.models import SeatRequest, SeatRequestStatus
from seats.pools.selectors import seat_pool_summaries
from seats.requests import services
from seats.requests.forms import SeatRequestDenyForm, SeatRequestForm
from seats.requests.selectors import (
    member_seat_requests,
    requestable_seat_types,
    seat_features,
    seat_request_get,
    seat_requests_decided,
    seat_requests_open,
)

USERS = AccountPermission.USERS


def _request_or_404(request, request_id: int) -> SeatRequest:
    found = seat_request_get(account=request.membership.account, request_id=request_id)
    if found is None:
        raise Http404
    return found


@member_required()
def my_seat(request):
    """ "Your seat": the seat the member holds, what the paid seats add, and "Request a seat"
    for a member on a View-only seat."""
    membership = request.membership
    offered = requestable_seat_types(account=membership.account)
    can_request = membership.seat_type == SeatType.VIEW_ONLY and bool(offered)
    form = SeatRequestForm(
        request.POST if request.method == "POST" else None,
        seat_choices=offered,
        initial={"seat_type": request.GET.get("seat", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.seat_request_create(membership=membership, **form.cleaned_data)
        except DomainError as problem:
            form_error_add(form, problem, default_field="seat_type")
        else:
            messages.success(
                request, _("Your request was sent. You'll be told when an admin decides.")
            )
            return redirect("seats:my_seat")
    return render(
        request,
        "seats/requests/my_seat.html",
        {
            "form": form,
            "can_request": can_request,
            "seat_label": SEAT_RULES[SeatType(membership.seat_type)].label,
            "seat_description": SEAT_RULES[SeatType(membership.seat_type)].description,
            "features": seat_features(seat_type=membership.seat_type, offered=offered),
            "my_requests": member_seat_requests(membership=membership),
        },
    )


@member_required()
@require_POST
def seat_request_cancel(request, request_id: int):
    """ "Cancel request": only the requester's own, open request (anyone else's id is a 404)."""
    found = _request_or_404(request, request_id)
    if found.membership_id != request.membership.pk:
        raise Http404
    try:
        services.seat_request_cancel(seat_request=found, membership=request.membership)
    except DomainError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, _("Your request was cancelled."))
    return redirect("seats:my_seat")


@member_required(USERS)
@require_safe
def seat_requests(request):
    """Users & Teams → "Seat requests": the open requests, each with Approve and Deny, and the
    latest decisions. A fixed number of queries however many requests there are."""
    account = request.membership.account
    available = {p.seat_type: p.available for p in seat_pool_summaries(account=account)}
    rows = [
        {"request": r, "available": available.get(r.seat_type, 0)}
        for r in seat_requests_open(account=account)
    ]
    return render(
        request,
        "seats/requests/seat_requests.html",
        {
            "rows": rows,
            "decided": seat_requests_decided(account=account),
            "can_buy": membership_can(request.membership, AccountPermission.BILLING),
        },
    )


@member_required(USERS)
@require_POST
def seat_request_approve(request, request_id: int):
    """ "Approve": the seat is assigned now, or the page says why not (no seat left...)."""
    found = _request_or_404(request, request_id)
    try:
        services.seat_request_approve(seat_request=found, actor_membership=request.membership)
    except DomainError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            _("Approved: %(name)s now has a %(seat)s.")
            % {"name": found.membership.display_name, "seat": found.get_seat_type_display()},
        )
    return redirect("seats:seat_requests")


@member_required(USERS)
def seat_request_deny(request, request_id: int):
    """ "Deny", with an optional note the requester reads."""
    found = _request_or_404(request, request_id)
    if found.status != SeatRequestStatus.OPEN:
        messages.info(request, _("This request was already decided."))
        return redirect("seats:seat_requests")
    form = SeatRequestDenyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.seat_request_deny(
                seat_request=found,
                actor_membership=request.membership,
                note=form.cleaned_data["note"],
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(
                request,
                _("Denied. %(name)s was told.") % {"name": found.membership.display_name},
            )
            return redirect("seats:seat_requests")
    return render(
        request, "seats/requests/seat_request_deny.html", {"form": form, "seat_request": found}
    )
