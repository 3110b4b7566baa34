"""The pages where the payment provider's own script takes the card: "Payment method" with Stripe
Elements, and the bank's authentication of an invoice that needs it.

Only with a gateway that `collects_cards` (Stripe): the page loads the provider's script, and
its answer allows exactly the provider's origins in the Content-Security-Policy. The test mode
keeps seatmgr's own card form and the site-wide policy.
"""

from urllib.parse import quote as url_quote

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import member_required
from accounts.errors import DomainError
from accounts.policy import AccountPermission
from accounts.redirects import safe_next
from billing.errors import BillingError, CardInvalid, NoCardOnFile
from billing.gateway import gateway_get
from billing.models import InvoiceStatus
from billing.selectors import card_on_file_get, invoice_get
from billing.services.cards import card_save_from_setup, card_setup_start
from billing.services.payments import invoice_pay, payment_settle
from seats.models import SeatRequest

BILLING = AccountPermission.BILLING
# Invoices whose payment the card holder may complete: a purchase waiting for the bank, or a
# renewal refused off session (open, retried meanwhile).
WAITING = (InvoiceStatus.NEEDS_AUTHENTICATION, InvoiceStatus.OPEN)


def _with_provider_csp(response):
    # django-csp adds these sources to the site-wide policy for this answer only.
    response._csp_update = gateway_get().page_csp()
    return response


def card_with_provider(request):
    """ "Payment method" with the provider's card field: the card goes from the browser to the
    provider (a SetupIntent), seatmgr then reads what it may keep. Called by billing.views.card
    (which declares the access) when the gateway collects cards itself."""
    account = request.membership.account
    if request.method == "POST":
        try:
            card_save_from_setup(
                account=account, setup_id=request.POST.get("setup_intent", ""), actor=request.user
            )
        except CardInvalid:
            messages.error(request, _("The card could not be saved. Try again."))
            return redirect(reverse("billing:card"))
        messages.success(request, _("The card was saved."))
        return redirect(safe_next(request, reverse("billing:card")))
    context = {"card": card_on_file_get(account=account), "next": safe_next(request, "")}
    try:
        context["setup"] = card_setup_start(account=account)
    except BillingError as problem:
        context["problem"] = problem
    context.update(gateway_get().page_context())
    return _with_provider_csp(render(request, "billing/card_provider.html", context))


def _seat_request_of(invoice) -> SeatRequest | None:
    """The seat request a purchase was made for ("Buy 1 seat and approve"), if any."""
    request_id = (invoice.grant or {}).get("seat_request")
    if not request_id:
        return None
    return (
        SeatRequest.objects.filter(pk=request_id, account=invoice.account_id)
        .select_related("membership__user")
        .first()
    )


def _paid_message(request, invoice) -> None:
    """What the person who completed a payment is told: paid, and what followed it."""
    number = invoice.number
    outcome = (invoice.grant or {}).get("outcome")
    if outcome == "refunded":
        messages.error(
            request,
            _(
                "Invoice %(number)s was paid after the subscription had changed, so the plan it "
                "was for no longer applies: nothing was changed and the payment was refunded. "
                "Create the bundle again to buy it at today's prices."
            )
            % {"number": number},
        )
    elif outcome == "applied":
        messages.success(
            request,
            _("Thank you! Your plan is updated. Invoice %(number)s was paid.") % {"number": number},
        )
    elif outcome in ("approved", "not_approved"):
        seat_request = _seat_request_of(invoice)
        name = seat_request.membership.display_name if seat_request else ""
        seat = seat_request.get_seat_type_display() if seat_request else ""
        if outcome == "approved":
            messages.success(
                request,
                _(
                    "Seat bought and request approved: %(name)s now has a %(seat)s. Invoice "
                    "%(number)s was paid."
                )
                % {"name": name, "seat": seat, "number": number},
            )
        else:
            messages.warning(
                request,
                _(
                    "Seat bought (invoice %(number)s was paid), but %(name)s's request could not "
                    "be approved: it was decided or cancelled meanwhile, or the seat can't be "
                    "given. Assign the seat from the Users tab."
                )
                % {"name": name, "number": number},
            )
    else:
        messages.success(request, _("Invoice %(number)s was paid.") % {"number": number})


def _pay_now(request, invoice):
    """ "Pay now": the card on file is charged with the billing admin here (invoice_pay); paid,
    or on to the bank's authentication when it asks."""
    here = reverse("billing:invoice_authenticate", args=[invoice.pk])
    try:
        invoice = invoice_pay(invoice=invoice)
    except NoCardOnFile:
        return redirect(f"{reverse('billing:card')}?next={url_quote(here, safe='/')}")
    except DomainError as problem:
        messages.error(request, str(problem))
        return redirect(here)
    if invoice.status == InvoiceStatus.PAID:
        _paid_message(request, invoice)
        return redirect(reverse("billing:invoice", args=[invoice.pk]))
    return redirect(here)  # the bank asks first: this page asks the card holder


@member_required(BILLING)
def invoice_authenticate(request, invoice_id: int):
    """The link to an unpaid invoice: "Pay now" with the card on file, or, for a payment that
    needs the bank's authentication, the provider's script asks for it, then the page posts back
    and the payment is settled (the webhook may have been first)."""
    invoice = invoice_get(account=request.membership.account, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    if request.method == "POST" and "pay" in request.POST:
        return _pay_now(request, invoice)
    if not invoice.payment_id:  # nothing was asked of the provider yet
        if invoice.status != InvoiceStatus.OPEN:  # nothing to pay
            return redirect(reverse("billing:invoice", args=[invoice.pk]))
        card = card_on_file_get(account=invoice.account)
        return render(request, "billing/invoice_pay.html", {"invoice": invoice, "card": card})
    if request.method == "POST" or invoice.status not in WAITING:
        # The payment this page asked the bank about (a renewal's retry may have replaced it).
        asked = request.POST.get("payment", "") if request.method == "POST" else ""
        invoice = payment_settle(invoice=invoice, payment_id=asked)
        if asked in invoice.extra_refunds:
            messages.warning(
                request,
                _(
                    "Invoice %(number)s was already paid by our retry when your payment went "
                    "through: your payment was refunded."
                )
                % {"number": invoice.number},
            )
        elif invoice.status == InvoiceStatus.PAID:
            _paid_message(request, invoice)
        elif invoice.status == InvoiceStatus.VOID:
            messages.error(
                request,
                _("Invoice %(number)s was not paid: the bank refused it. Nothing was charged.")
                % {"number": invoice.number},
            )
        if invoice.status not in WAITING:
            return redirect(reverse("billing:invoice", args=[invoice.pk]))
    payment = gateway_get().payment_get(payment_id=invoice.payment_id)
    card = card_on_file_get(account=invoice.account)
    context = {
        "invoice": invoice,
        "seat_request": _seat_request_of(invoice),
        "client_secret": payment.client_secret,
        # A renewal refused off session is paid again with the card on file, this time with
        # the card holder there to authenticate.
        "payment_method": card.gateway_token if card is not None else "",
    }
    context.update(gateway_get().page_context())
    return _with_provider_csp(render(request, "billing/invoice_authenticate.html", context))
