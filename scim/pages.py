"""Settings → "Provisioning (SCIM)" (super admins): the base URL, the key, the seat settings."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.access import SUPER_ADMIN, member_required
from scim.selectors import scim_seat_rules, scim_settings_get


@member_required(SUPER_ADMIN)
@require_safe
def scim_settings(request):
    account = request.membership.account
    return render(
        request,
        "scim/settings.html",
        {
            "settings": scim_settings_get(account=account),
            "rules": scim_seat_rules(account=account),
            "base_url": request.build_absolute_uri("/scim/v2/"),
        },
    )
