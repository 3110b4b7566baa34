"""Plan pages: "Create a bundle", checkout, "Your plan" with its pending changes, auto-renewal,
and "Talk to sales". Billing admins and super admins only.

Each view checks permission, validates a form, calls one service and renders or redirects.
"""

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.policy import AccountPermission
from billing.catalogue import catalogue_get
from billing.errors import CardInvalid
from billing.forms import BundleForm, CheckoutForm, IntervalForm, TalkToSalesForm, card_invalid_add
from billing.gateway import TEST_CARDS
from billing.models import InvoiceStatus
from billing.money import money_format
from billing.selectors import (
    card_on_file_get,
    paid_seat_holders,
    subscription_item_live_get,
    subscription_live_get,
    subscription_plan_rows,
)
from billing.services.bundles import (
    BundleQuote,
    bundle_quote,
    bundle_renewal_state,
    bundle_seat_rows,
    quote_build,
)
from billing.services.changes import (
    auto_renewal_cancel,
    auto_renewal_resume,
    subscription_change_cancel,
    subscription_interval_switch,
)
from billing.services.checkout import bundle_checkout
from billing.services.sales import sales_request_create

BILLING = AccountPermission.BILLING


def _bundle_form(request, data=None) -> BundleForm:
    subscription = subscription_live_get(account=request.membership.account)
    state = bundle_renewal_state(subscription)
    initial = BundleForm.initial_from(state) if state else {}
    # "Buy" on a Pricing & Features tier preselects it: ?hub=service&tier=professional.
    hub, tier = request.GET.get("hub", ""), request.GET.get("tier", "")
    if hub and tier:
        initial |= {f"hub_{hub}": True, f"tier_{hub}": tier}
    return BundleForm(data, catalogue=catalogue_get(), initial=initial)


def _quote_or_error(request, form: BundleForm):
    """The quote of a valid form, or None with the refusal added to the form."""
    try:
        return bundle_quote(
            account=request.membership.account, bundle=form.bundle(), now=timezone.now()
        )
    except DomainError as problem:
        form_error_add(form, problem)
        return None


def _seat_rows(request, form: BundleForm):
    """The seats bought, priced at the tiers the form's ticked hubs show."""
    return bundle_seat_rows(account=request.membership.account, hubs=form.ticked_hubs())


def _row_prices_json(request, form: BundleForm) -> dict:
    """The bundle page's "Price per month" column as the page shows it (BundleForm.row_prices
    and the seats bought): a row not in the bundle has no price, "—"."""
    currency = form.catalogue.currency
    prices = form.row_prices() | {
        "seats": {seat: price for seat, _description, price in _seat_rows(request, form)}
    }
    return {
        kind: {
            code: "—" if amount is None else money_format(amount, currency)
            for code, amount in rows.items()
        }
        for kind, rows in prices.items()
    }


@member_required(BILLING)
@require_safe
def bundle(request):
    """ "Create a bundle": hubs, tiers, add-ons and billing, with a running total."""
    account = request.membership.account
    form = _bundle_form(request, request.GET if "interval" in request.GET else None)
    quote = _quote_or_error(request, form) if form.is_bound and form.is_valid() else None
    return render(
        request,
        "billing/bundle.html",
        {
            "form": form,
            "quote": quote,
            "seat_rows": _seat_rows(request, form),
            "subscription": subscription_live_get(account=account),
            "catalogue": catalogue_get(),
        },
    )


@member_required(BILLING)
@require_safe
def bundle_total(request):
    """The bundle page's script asks this on every change: the running total (per period and
    due today) and each row's price, all formatted as the page shows them. A refused bundle
    still gets its row prices, with the reason instead of a total."""
    form = BundleForm(request.GET, catalogue=catalogue_get())
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return JsonResponse(
            {"error": " ".join(errors), "rows": _row_prices_json(request, form)}, status=400
        )
    try:
        quote = bundle_quote(
            account=request.membership.account, bundle=form.bundle(), now=timezone.now()
        )
    except DomainError as problem:
        return JsonResponse(
            {"error": str(problem), "rows": _row_prices_json(request, form)}, status=400
        )
    return JsonResponse(
        {
            "period_cents": quote.period_cents,
            "today_cents": quote.today_cents,
            "period": money_format(quote.period_cents, quote.currency),
            "today": money_format(quote.today_cents, quote.currency),
            "interval": quote.interval,
            "rows": _row_prices_json(request, form),
        }
    )


@member_required(BILLING)
def checkout(request):
    """Checkout: the summary, the card, "Confirm and pay"; then the invoice."""
    account = request.membership.account
    data = request.POST if request.method == "POST" else request.GET
    form = BundleForm(data, catalogue=catalogue_get())
    if not form.is_valid():
        return _bundle_page_with_errors(request, form)
    quote = _quote_or_error(request, form)
    if quote is None:
        return _bundle_page_with_errors(request, form)
    # The bundle travels with the checkout form as hidden fields, as it was asked for.
    bundle_fields = [(name, value) for name in form.fields for value in data.getlist(name)]
    card = card_on_file_get(account=account)
    pay = CheckoutForm(
        request.POST if request.method == "POST" else None,
        initial={
            "idempotency_key": uuid.uuid4().hex,
            "payment": "card_on_file" if card else "new_card",
        },
    )
    if request.method == "POST" and pay.is_valid():
        result = _checkout_submit(request, form, pay, card)
        if result is not None:
            return result
    return render(
        request,
        "billing/checkout.html",
        {
            "form": form,
            "pay": pay,
            "quote": quote,
            "card": card,
            "subscription": subscription_live_get(account=account),
            "test_cards": TEST_CARDS,
            "bundle_fields": bundle_fields,
            "bundle_query": urlencode(bundle_fields),
        },
    )


def _checkout_submit(request, form: BundleForm, pay: CheckoutForm, card):
    new_card = pay.new_card() if pay.cleaned_data["payment"] == "new_card" else None
    if new_card is None and card is None:
        pay.add_error("payment", _("There is no card on file: add a new card."))
        return None
    try:
        result = bundle_checkout(
            account=request.membership.account,
            bundle=form.bundle(),
            idempotency_key=pay.cleaned_data["idempotency_key"],
            actor=request.user,
            new_card=new_card,
        )
    except DomainError as problem:
        if isinstance(problem, CardInvalid):
            card_invalid_add(pay, problem)
        else:
            form_error_add(pay, problem)
        # Another attempt (another card) is another payment: a fresh key for the provider.
        pay.data = pay.data.copy()
        pay.data["idempotency_key"] = uuid.uuid4().hex
        return None
    if result.invoice is not None and result.invoice.status == InvoiceStatus.NEEDS_AUTHENTICATION:
        # Nothing changes yet: the bank asks the card holder first.
        return redirect("billing:invoice_authenticate", invoice_id=result.invoice.pk)
    if result.invoice is not None:
        messages.success(
            request,
            _("Thank you! Your plan is updated. Invoice %(number)s was paid.")
            % {"number": result.invoice.number},
        )
        return redirect("billing:invoice", invoice_id=result.invoice.pk)
    messages.success(request, _("Your changes are scheduled for the renewal date."))
    return redirect("billing:plan")


def _bundle_page_with_errors(request, form: BundleForm):
    return render(
        request,
        "billing/bundle.html",
        {
            "form": form,
            "quote": None,
            "seat_rows": _seat_rows(request, form),
            "subscription": subscription_live_get(account=request.membership.account),
            "catalogue": catalogue_get(),
        },
        status=200,
    )


@member_required(BILLING)
@require_safe
def plan(request):
    """ "Your plan": what the account owns, what changes at renewal, auto-renewal and billing."""
    subscription = subscription_live_get(account=request.membership.account)
    interval = IntervalForm(
        initial={
            "interval": subscription.interval_at_renewal or subscription.interval
            if subscription
            else "monthly"
        }
    )
    return render(
        request,
        "billing/plan.html",
        {
            "subscription": subscription,
            "rows": subscription_plan_rows(subscription),
            "interval_form": interval,
        },
    )


@member_required(BILLING)
@require_POST
def change_cancel(request, item_id: int):
    """ "Cancel this change": a pending downgrade or removal is dropped."""
    if subscription_item_live_get(account=request.membership.account, item_id=item_id) is None:
        raise Http404
    try:
        subscription_change_cancel(
            account=request.membership.account, item_id=item_id, actor=request.user
        )
    except DomainError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, _("The change was cancelled."))
    return redirect("billing:plan")


@member_required(BILLING)
@require_POST
def interval(request):
    """Monthly ↔ annual, from the renewal date."""
    form = IntervalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose monthly or annual billing."))
        return redirect("billing:plan")
    try:
        subscription_interval_switch(
            account=request.membership.account,
            interval=form.cleaned_data["interval"],
            actor=request.user,
        )
    except DomainError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, _("Billing from the renewal date is saved."))
    return redirect("billing:plan")


@member_required(BILLING)
def auto_renewal(request):
    """ "Cancel auto-renewal" (only with no paid seats assigned) and "Resume auto-renewal"."""
    account = request.membership.account
    subscription = subscription_live_get(account=account)
    error = None
    if request.method == "POST" and subscription is not None:
        action = request.POST.get("action")
        try:
            if action == "cancel":
                auto_renewal_cancel(account=account, actor=request.user)
                messages.success(request, _("Auto-renewal is cancelled."))
                return redirect("billing:plan")
            if action == "resume":
                auto_renewal_resume(account=account, actor=request.user)
                messages.success(request, _("Auto-renewal is back on."))
                return redirect("billing:plan")
            error = _("Choose to cancel or resume auto-renewal.")
        except DomainError as problem:
            error = problem
    return render(
        request,
        "billing/auto_renewal.html",
        {
            "subscription": subscription,
            "error": error,
            "holders": paid_seat_holders(account=account) if subscription else [],
        },
        status=400 if error else 200,
    )


def _sales_bundle(request, data) -> tuple[BundleQuote | None, list[tuple[str, str]]]:
    """The bundle "Talk to sales" was asked from ("Create a bundle" sends its fields along), priced
    as checkout would, and its fields to carry through the form; (None, []) without one. The
    people on seats a downgrade would drop are for the sales team to talk about, not a refusal."""
    if "interval" not in data:
        return None, []
    form = BundleForm(data, catalogue=catalogue_get())
    if not form.is_valid():
        return None, []
    account = request.membership.account
    try:
        quote = quote_build(
            account=account,
            subscription=subscription_live_get(account=account),
            bundle=form.bundle(),
            now=timezone.now(),
        )
    except DomainError:
        return None, []
    return quote, [(name, value) for name in form.fields for value in data.getlist(name)]


@member_required(BILLING)
def talk_to_sales(request):
    """ "Talk to sales": what they want, a phone number and a time; emailed to the sales team.
    From "Create a bundle" the bundle comes along: shown, and written into the request."""
    data = request.POST if request.method == "POST" else request.GET
    quote, bundle_fields = _sales_bundle(request, data)
    initial = {}
    if quote is not None:
        initial["message"] = render_to_string(
            "billing/talk_to_sales_bundle.txt", {"quote": quote}, request=request
        ).strip()
    form = TalkToSalesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        sales_request_create(
            account=request.membership.account, actor=request.user, **form.cleaned_data
        )
        return redirect("billing:talk_to_sales_done")
    return render(
        request,
        "billing/talk_to_sales.html",
        {
            "form": form,
            "quote": quote,
            "bundle_fields": bundle_fields,
            "bundle_query": urlencode(bundle_fields),
        },
    )


@member_required(BILLING)
@require_safe
def talk_to_sales_done(request):
    return render(request, "billing/talk_to_sales_done.html", {"next": reverse("billing:pricing")})
