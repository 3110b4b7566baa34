"""Seats, Account & Billing and Pricing & Features pages. Billing admins and super admins only.

Each view checks permission, validates a form, calls one service and renders or redirects.
"""

import uuid
from urllib.parse import quote as url_quote

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.models import SeatType
from accounts.pagination import page_of, query_without_page
from accounts.policy import AccountPermission
from accounts.redirects import safe_next
from accounts.selectors import id_from, member_search
from accounts.services import account_seat_warning_set
from billing.catalogue import HubCode, catalogue_get
from billing.errors import CardInvalid, InvalidQuantity, NoCardOnFile, RemovalTooLarge
from billing.forms import (
    AddSeatsForm,
    BillingContactForm,
    CardForm,
    RemoveSeatsForm,
    SeatsFilterForm,
    SeatWarningForm,
    card_invalid_add,
)
from billing.gateway import TEST_CARDS, gateway_get
from billing.models import InvoiceStatus
from billing.money import money_format
from billing.payment_views import card_with_provider
from billing.selectors import (
    billing_contact_get,
    card_on_file_get,
    invoice_get,
    invoices_list,
    seat_pool_removable_get,
    seat_pool_summary_get,
    seat_pools_removable_list,
    subscription_hub_tiers,
    subscription_live_get,
    subscription_owned_hubs,
)
from billing.services.cards import billing_contact_save, card_save
from billing.services.purchases import PurchaseQuote, seats_purchase, seats_purchase_quote
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewal_previews import RenewalPreview, seat_removal_preview
from billing.services.savings import UnassignedSaving, unassigned_savings
from billing.services.seat_requests import seat_request_buy_and_approve
from seats.catalogue import PAID_SEAT_TYPES
from seats.models import SeatRequest
from seats.pools.selectors import PoolSummary, seat_pool_summaries
from seats.reclaim.selectors import inactive_paid_seat_counts
from seats.requests.selectors import seat_request_get

BILLING = AccountPermission.BILLING


def _paid_seat_type(value: str) -> SeatType:
    try:
        seat_type = SeatType(value)
    except ValueError:
        raise Http404 from None
    if seat_type not in PAID_SEAT_TYPES:
        raise Http404
    return seat_type


def _removal_dialogs(
    subscription, pools: list[tuple[PoolSummary, int]], savings: list[UnassignedSaving] = ()
) -> list[tuple[PoolSummary, int, RenewalPreview, int]]:
    """ "Remove unassigned seats" dialogs: each pool with seats to remove, how many at most, the
    next renewal's price before and after, and the quantity the dialog starts on: every
    unassigned seat when the savings notice offers them (one click away, prefilled), else one."""
    if subscription is None:
        return []
    summaries = [pool for pool, _removable in pools]
    prefilled = {saving.pool.seat_type: saving.quantity for saving in savings}
    dialogs = []
    for pool, removable in pools:
        if not removable:
            continue
        quantity = prefilled.get(pool.seat_type, 1)
        preview = seat_removal_preview(
            subscription=subscription, pools=summaries, seat_type=pool.seat_type, quantity=quantity
        )
        dialogs.append((pool, removable, preview, quantity))
    return dialogs


@member_required(BILLING)
@require_safe
def seats(request):
    """Users & Teams → "Seats": each paid seat type's counts, and who holds which seat."""
    account = request.membership.account
    now = timezone.now()
    filters = SeatsFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    members = member_search(
        account=account,
        now=now,
        q=criteria.get("q", ""),
        seat_type=criteria.get("seat", ""),
        invitation_state=criteria.get("invitation", ""),
        inactive_days=criteria.get("inactive_days"),
    )
    subscription = subscription_live_get(account=account)
    pools = seat_pools_removable_list(account=account)
    inactive = inactive_paid_seat_counts(account=account, now=now)
    savings = unassigned_savings(subscription=subscription, pools=pools, now=now)
    return render(
        request,
        "billing/seats.html",
        {
            "pools": pools,
            "savings": savings,
            # Each card: the pool, how many may be removed, who has not been active lately.
            "cards": [(p, r, inactive.get(p.seat_type, [])) for p, r in pools],
            "removals": _removal_dialogs(subscription, pools, savings),
            "subscription": subscription,
            "filters": filters,
            # The pager's links keep the filters (partials/pager.html); "Clear" shows with them.
            "page": page_of(request, members),
            "filtered": bool(query_without_page(request)),
        },
    )


@member_required(BILLING)
def seats_add(request, seat_type: str):
    """ "Add seats": a quantity, the prorated price, "Buy now"."""
    seat_type = _paid_seat_type(seat_type)
    account = request.membership.account
    # Opened from another page ("Buy more seats" in Create user, with ?quantity=N&next=...):
    # back there once the seats are bought. Same-site only.
    back = safe_next(request)
    card_first = f"{reverse('billing:card')}?next={url_quote(request.get_full_path(), safe='/')}"
    card = card_on_file_get(account=account)
    if card is None:
        messages.info(request, _("Add a card first; you'll come back here to buy the seats."))
        return redirect(card_first)
    # "Buy 1 <type> seat and approve" (Seat requests): one seat, bought for an open request of
    # this account and type, which the purchase approves (billing.services.seat_requests).
    seat_request = _seat_request_for(request, seat_type)
    form = AddSeatsForm(
        request.POST or None,
        initial={"quantity": request.GET.get("quantity", 1), "idempotency_key": uuid.uuid4().hex},
    )
    if seat_request is not None and form.is_bound:
        form.data = form.data.copy()
        form.data["quantity"] = "1"
    quote, priced, error = None, False, None
    quantity = form.data.get("quantity") if form.is_bound else form.initial["quantity"]
    try:
        quote, priced = _add_seats_quote(account=account, seat_type=seat_type, quantity=quantity)
    except DomainError as problem:  # nothing to buy seats on: no plan, or not for sale
        error = problem
    if request.method == "POST" and form.is_valid():
        try:
            if seat_request is not None:
                invoice = seat_request_buy_and_approve(
                    seat_request=seat_request,
                    actor_membership=request.membership,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            else:
                invoice = seats_purchase(
                    account=account,
                    seat_type=seat_type,
                    quantity=form.cleaned_data["quantity"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    actor=request.user,
                )
        except NoCardOnFile:
            return redirect(card_first)
        except DomainError as problem:
            form_error_add(form, problem)
            # A new attempt (another card, another quantity) is a new purchase: a fresh key, so
            # the provider never sees one key with two different requests.
            form.data = form.data.copy()
            form.data["idempotency_key"] = uuid.uuid4().hex
        else:
            if invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION:
                # Nothing granted yet: the bank asks the card holder first.
                return redirect(reverse("billing:invoice_authenticate", args=[invoice.pk]))
            if seat_request is not None:
                messages.success(
                    request,
                    _(
                        "Seat bought and request approved: %(name)s now has a %(seat)s. Invoice "
                        "%(number)s was paid."
                    )
                    % {
                        "name": seat_request.membership.display_name,
                        "seat": seat_request.get_seat_type_display(),
                        "number": invoice.number,
                    },
                )
            else:
                messages.success(
                    request,
                    _("Seats bought. Invoice %(number)s was paid.") % {"number": invoice.number},
                )
            return redirect(back or reverse("billing:seats"))
    return render(
        request,
        "billing/seats_add.html",
        {
            "form": form,
            "seat_type": seat_type,
            "quote": quote,
            "priced": priced,
            "error": error,
            "card": card,
            "pool": seat_pool_summary_get(account=account, seat_type=seat_type),
            "next": back,
            "seat_request": seat_request,
        },
    )


def _seat_request_for(request, seat_type: str) -> SeatRequest | None:
    """The open seat request "Buy 1 <type> seat and approve" names (`request`, in the query or
    the form), of this account and seat type; None without one, 404 for any other id."""
    value = request.POST.get("request") or request.GET.get("request")
    if not value:
        return None
    try:
        found = seat_request_get(account=request.membership.account, request_id=int(value))
    except ValueError:
        raise Http404 from None
    if found is None or found.seat_type != seat_type:
        raise Http404
    return found


def _add_seats_quote(*, account, seat_type: str, quantity) -> tuple[PurchaseQuote, bool]:
    """The "Add seats" price preview, and whether its totals apply. For a number of seats we
    don't sell (0, 1001, a typo) the field says why, and the preview keeps the per-seat terms
    (one seat's quote) with its totals blank, rather than vanishing."""
    now = timezone.now()
    try:
        number = int(quantity)
        return seats_purchase_quote(
            account=account, seat_type=seat_type, quantity=number, now=now
        ), True
    except (TypeError, ValueError, InvalidQuantity):
        return seats_purchase_quote(
            account=account, seat_type=seat_type, quantity=1, now=now
        ), False


@member_required(BILLING)
@require_safe
def seats_quote(request, seat_type: str):
    """The price for a quantity, for the "Add seats" page to update as the number changes."""
    seat_type = _paid_seat_type(seat_type)
    try:
        quantity = int(request.GET.get("quantity", ""))
        quote = seats_purchase_quote(
            account=request.membership.account,
            seat_type=seat_type,
            quantity=quantity,
            now=timezone.now(),
        )
    except ValueError:
        return JsonResponse({"error": _("Enter a whole number of seats.")}, status=400)
    except DomainError as problem:
        return JsonResponse({"error": str(problem)}, status=400)
    return JsonResponse(
        {
            "quantity": quote.quantity,
            "amount_cents": quote.amount_cents,
            "period_cents": quote.period_cents,
            "currency": quote.currency,
            # What the page shows: it writes these as they are (money is formatted here only).
            "amount": money_format(quote.amount_cents, quote.currency),
            "period": money_format(quote.period_cents, quote.currency),
        }
    )


@member_required(BILLING)
@require_safe
def account(request):
    """Account & Billing → "Subscriptions": the plan, its period, and each paid seat type."""
    account = request.membership.account
    subscription = subscription_live_get(account=account)
    pools = seat_pools_removable_list(account=account)
    savings = unassigned_savings(subscription=subscription, pools=pools, now=timezone.now())
    return render(
        request,
        "billing/account.html",
        {
            "subscription": subscription,
            "owned_hubs": subscription_owned_hubs(subscription),
            "pools": pools,
            "savings": savings,
            "removals": _removal_dialogs(subscription, pools, savings),
            "card": card_on_file_get(account=account),
        },
    )


@member_required(BILLING)
def seats_remove(request, seat_type: str):
    """ "Remove unassigned seats": takes effect at the renewal date; nothing changes now."""
    seat_type = _paid_seat_type(seat_type)
    account = request.membership.account
    removable = seat_pool_removable_get(account=account, seat_type=seat_type)
    if removable is None:
        raise Http404
    # Opened from the savings notice without scripts: ?quantity= starts on every unassigned seat.
    start = id_from(request.GET.get("quantity", "")) or 1
    form = RemoveSeatsForm(request.POST or None, initial={"quantity": start})
    # Back to the page the dialog was opened on: Account & Billing, or the Seats tab.
    back = safe_next(request, reverse("billing:account"))
    if request.method == "POST" and form.is_valid():
        try:
            seat_removal_schedule(
                account=account,
                seat_type=seat_type,
                quantity=form.cleaned_data["quantity"],
                actor=request.user,
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="quantity")
        else:
            messages.success(request, _("The removal is scheduled for the renewal date."))
            return redirect(back)
    pool, maximum = removable
    try:
        quantity = max(int(form.data.get("quantity", start)), 1)
    except (TypeError, ValueError):
        quantity = 1
    subscription = subscription_live_get(account=account)
    preview = None
    if subscription is not None:
        preview = seat_removal_preview(
            subscription=subscription,
            pools=seat_pool_summaries(account=account),
            seat_type=seat_type,
            quantity=min(quantity, maximum),
        )
    return render(
        request,
        "billing/seats_remove.html",
        {
            "form": form,
            "quantity": quantity,
            "pool": pool,
            "maximum": maximum,
            "subscription": subscription,
            "preview": preview,
            "next": back,
        },
    )


@require_safe
@member_required(BILLING)
def seats_remove_quote(request, seat_type: str):
    """The next renewal's price before and after removing a quantity, for the "Remove unassigned
    seats" dialog to update as the number changes (formatted here: the script never does)."""
    seat_type = _paid_seat_type(seat_type)
    account = request.membership.account
    removable = seat_pool_removable_get(account=account, seat_type=seat_type)
    subscription = subscription_live_get(account=account)
    if removable is None or subscription is None:
        raise Http404
    pool, maximum = removable
    try:
        quantity = int(request.GET.get("quantity", ""))
    except ValueError:
        return JsonResponse({"error": _("Enter a whole number of seats.")}, status=400)
    if quantity < 1:
        return JsonResponse({"error": str(InvalidQuantity(maximum=max(maximum, 1)))}, status=400)
    if quantity > maximum:
        # The words the removal itself would refuse with (billing.services.removals).
        too_many = RemovalTooLarge(
            maximum=maximum,
            seat_type=seat_type,
            assigned=pool.assigned,
            included=pool.included_at_renewal,
        )
        return JsonResponse({"error": str(too_many)}, status=400)
    preview = seat_removal_preview(
        subscription=subscription,
        pools=seat_pool_summaries(account=account),
        seat_type=seat_type,
        quantity=quantity,
    )
    return JsonResponse(
        {
            "quantity": quantity,
            "before_cents": preview.before_cents,
            "after_cents": preview.after_cents,
            "before": money_format(preview.before_cents, preview.currency),
            "after": money_format(preview.after_cents, preview.currency),
        }
    )


@member_required(BILLING)
def seats_remove_cancel(request, seat_type: str):
    """ "Cancel this removal", after a confirmation."""
    seat_type = _paid_seat_type(seat_type)
    account = request.membership.account
    pool = seat_pool_summary_get(account=account, seat_type=seat_type)
    if pool is None:
        raise Http404
    if request.method == "POST":
        try:
            seat_removal_cancel(account=account, seat_type=seat_type, actor=request.user)
        except DomainError as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, _("The removal was cancelled."))
        return redirect("billing:account")
    return render(
        request,
        "billing/seats_remove_cancel.html",
        {"pool": pool, "subscription": subscription_live_get(account=account)},
    )


@member_required(BILLING)
def card(request):
    """Account & Billing → "Payment method": add or replace the card on file."""
    if gateway_get().collects_cards:
        return card_with_provider(request)
    account = request.membership.account
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card_save(account=account, actor=request.user, **form.cleaned_data)
        except CardInvalid as invalid:
            card_invalid_add(form, invalid)
        else:
            messages.success(request, _("The card was saved."))
            return redirect(safe_next(request, reverse("billing:card")))
    return render(
        request,
        "billing/card.html",
        {
            "form": form,
            "card": card_on_file_get(account=account),
            "next": safe_next(request, ""),
            "test_cards": TEST_CARDS,
        },
    )


@member_required(BILLING)
@require_safe
def invoices(request):
    page = page_of(request, invoices_list(account=request.membership.account), per_page=25)
    return render(request, "billing/invoices.html", {"page": page})


@member_required(BILLING)
@require_safe
def invoice(request, invoice_id: int):
    found = invoice_get(account=request.membership.account, invoice_id=invoice_id)
    if found is None:
        raise Http404
    return render(request, "billing/invoice.html", {"invoice": found})


@member_required(BILLING)
def contact(request):
    """Account & Billing → "Billing contact", and the seat-limit warning threshold."""
    account = request.membership.account
    current = billing_contact_get(account=account)
    which = request.POST.get("form") if request.method == "POST" else None
    form = BillingContactForm(
        request.POST if which == "contact" else None,
        initial={"name": current.name, "email": current.email} if current else None,
    )
    warning = SeatWarningForm(
        request.POST if which == "warning" else None,
        initial={"threshold": account.seat_warning_threshold},
    )
    if which == "contact" and form.is_valid():
        billing_contact_save(account=account, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The billing contact was saved."))
        return redirect("billing:contact")
    if which == "warning" and warning.is_valid():
        account_seat_warning_set(
            account=account, threshold=warning.cleaned_data["threshold"], actor=request.user
        )
        messages.success(request, _("The seat-limit warning was saved."))
        return redirect("billing:contact")
    return render(request, "billing/contact.html", {"form": form, "warning": warning})


@member_required(BILLING)
@require_safe
def pricing(request):
    catalogue = catalogue_get()
    try:
        hub_code = HubCode(request.GET.get("hub", HubCode.MARKETING))
    except ValueError:
        raise Http404 from None
    owned = subscription_hub_tiers(subscription_live_get(account=request.membership.account))
    return render(
        request,
        "billing/pricing.html",
        {
            "catalogue": catalogue,
            "hubs": list(catalogue.hubs.values()),
            "hub": catalogue.hubs[hub_code],
            "owned_tier": owned.get(hub_code),
            "annual_months": catalogue.annual_months,
        },
    )
