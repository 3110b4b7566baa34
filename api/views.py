"""Settings → "API keys" (super admins): list, create (the token shown once), revoke."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.access import SUPER_ADMIN, member_required
from accounts.errors import DomainError, form_error_add
from accounts.forms import posted
from api.forms import ApiKeyForm
from api.models import ApiKey
from api.selectors import api_key_get, api_key_list
from api.services import api_key_create, api_key_revoke


def _key_get(request, key_id: int) -> ApiKey:
    key = api_key_get(account=request.membership.account, key_id=key_id)
    if key is None:
        raise Http404
    return key


@member_required(SUPER_ADMIN)
@require_safe
def api_keys(request):
    now = timezone.now()
    keys = list(api_key_list(account=request.membership.account))
    for key in keys:
        key.expired = key.is_expired_at(now)
    return render(request, "api/api_keys.html", {"keys": keys})


@member_required(SUPER_ADMIN)
def api_key_create_view(request):
    form = ApiKeyForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            created = api_key_create(
                actor_membership=request.membership,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="name")
        else:
            # Shown in this answer only (not after a redirect): the token is kept nowhere.
            return render(request, "api/api_key_created.html", {"created": created})
    return render(request, "api/api_key_form.html", {"form": form})


@member_required(SUPER_ADMIN)
def api_key_revoke_view(request, key_id: int):
    key = _key_get(request, key_id)
    if request.method == "POST":
        api_key_revoke(key=key, actor_membership=request.membership)
        messages.success(request, _("API key “%(name)s” revoked.") % {"name": key.name})
        return redirect("api:api_keys")
    return render(request, "api/api_key_revoke.html", {"key": key})
