"""Settings → "Provisioning (SCIM)" (super admins): the base URL and the identity provider's
keys (the token shown once), the seats of provisioned users, and seat rules by group.

Each form posts to its own URL; a refusal draws the whole page again with the error at its
field, a success redirects back to the page with a banner."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import SUPER_ADMIN, member_required
from accounts.errors import DomainError, form_error_add
from api.services import api_key_create, api_key_revoke
from scim.forms import ScimKeyForm, ScimSeatRuleForm, ScimSettingsForm
from scim.selectors import (
    scim_key_get,
    scim_key_list,
    scim_seat_rule_get,
    scim_seat_rules,
    scim_settings_get,
)
from scim.services import scim_seat_rule_add, scim_seat_rule_remove, scim_settings_save


def _base_url(request) -> str:
    return request.build_absolute_uri(reverse("scim:root"))


def _settings_initial(account) -> dict:
    settings = scim_settings_get(account=account)
    return {
        "default_seat": settings.default_seat,
        "fallback_seat": settings.fallback_seat,
        "release_seat_on_deactivate": settings.release_seat_on_deactivate,
        "send_invitations": settings.send_invitations,
    }


def _page(request, *, key_form=None, settings_form=None, rule_form=None):
    """The page, with the forms given (a refused one, bound) and fresh ones for the rest."""
    account = request.membership.account
    now = timezone.now()
    keys = scim_key_list(account=account)
    for key in keys:
        key.expired = key.is_expired_at(now)
    return render(
        request,
        "scim/settings.html",
        {
            "base_url": _base_url(request),
            "keys": keys,
            "key_form": key_form or ScimKeyForm(),
            "settings_form": settings_form or ScimSettingsForm(initial=_settings_initial(account)),
            "rules": scim_seat_rules(account=account),
            "rule_form": rule_form or ScimSeatRuleForm(account=account),
            "teams_url": reverse("accounts:teams"),
        },
    )


@member_required(SUPER_ADMIN)
@require_safe
def scim_settings(request):
    return _page(request)


@member_required(SUPER_ADMIN)
@require_POST
def scim_key_create_view(request):
    form = ScimKeyForm(request.POST)
    if form.is_valid():
        try:
            created = api_key_create(
                actor_membership=request.membership,
                name=form.cleaned_data["name"],
                scopes=["scim"],
                expires_on=None,
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="name")
        else:
            # Shown in this answer only (not after a redirect): the token is kept nowhere.
            return render(
                request,
                "scim/key_created.html",
                {"created": created, "base_url": _base_url(request)},
            )
    return _page(request, key_form=form)


@member_required(SUPER_ADMIN)
def scim_key_revoke_view(request, key_id: int):
    key = scim_key_get(account=request.membership.account, key_id=key_id)
    if key is None:
        raise Http404
    if request.method == "POST":
        api_key_revoke(key=key, actor_membership=request.membership)
        messages.success(request, _("SCIM key “%(name)s” revoked.") % {"name": key.name})
        return redirect("scim:settings")
    return render(request, "scim/key_revoke.html", {"key": key})


@member_required(SUPER_ADMIN)
@require_POST
def scim_settings_save_view(request):
    form = ScimSettingsForm(request.POST)
    if form.is_valid():
        try:
            scim_settings_save(
                account=request.membership.account, actor=request.membership, **form.cleaned_data
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="default_seat")
        else:
            messages.success(request, _("The seats for provisioned users were saved."))
            return redirect("scim:settings")
    return _page(request, settings_form=form)


@member_required(SUPER_ADMIN)
@require_POST
def scim_seat_rule_add_view(request):
    form = ScimSeatRuleForm(request.POST, account=request.membership.account)
    if form.is_valid():
        try:
            rule = scim_seat_rule_add(
                team=form.cleaned_data["team"],
                seat_type=form.cleaned_data["seat_type"],
                actor=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="team")
        else:
            messages.success(
                request,
                _("Members of %(team)s now get a %(seat)s.")
                % {"team": rule.team.name, "seat": rule.get_seat_type_display()},
            )
            return redirect("scim:settings")
    return _page(request, rule_form=form)


@member_required(SUPER_ADMIN)
def scim_seat_rule_remove_view(request, rule_id: int):
    rule = scim_seat_rule_get(account=request.membership.account, rule_id=rule_id)
    if rule is None:
        raise Http404
    if request.method == "POST":
        scim_seat_rule_remove(rule=rule, actor=request.membership)
        messages.success(
            request, _("The seat rule for %(team)s was removed.") % {"team": rule.team.name}
        )
        return redirect("scim:settings")
    return render(request, "scim/seat_rule_remove.html", {"rule": rule})
