"""The payment provider's webhook: /billing/stripe/webhook/."""

import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import public
from billing.gateway import WebhookInvalid, gateway_get
from billing.services.payments import webhook_event_handle

logger = logging.getLogger(__name__)


@public  # Stripe signs what it sends (STRIPE_WEBHOOK_SECRET); nobody signs in
@csrf_exempt  # a server's POST, no browser: the signature is the check
@require_POST
def stripe_webhook(request):
    """Verify the event's signature and age with the gateway, handle it once; 200 for an event
    handled (now or before), 400 for one refused (the reason goes to the log only)."""
    try:
        event = gateway_get().webhook_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except WebhookInvalid as refused:
        logger.warning("webhook refused: %s", refused)
        return HttpResponse(status=400)
    webhook_event_handle(event=event)
    return HttpResponse(status=200)
