"""Account & Billing and Pricing & Features pages. Billing admins and super admins only."""

from django.http import Http404
from django.shortcuts import render

from accounts.access import member_required
from accounts.policy import AccountPermission
from billing.catalogue import HubCode, catalogue_get
from billing.selectors import subscription_hub_tiers, subscription_live_get, subscription_owned_hubs
from seats.selectors import seat_pool_summaries


@member_required(AccountPermission.BILLING)
def account(request):
    account = request.membership.account
    subscription = subscription_live_get(account=account)
    return render(
        request,
        "billing/account.html",
        {
            "subscription": subscription,
            "owned_hubs": subscription_owned_hubs(subscription),
            "pools": seat_pool_summaries(account=account),
        },
    )


@member_required(AccountPermission.BILLING)
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
