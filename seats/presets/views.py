"""Presets: list, create, edit, delete and "Apply to users".

Thin views, as seats.pages describes them.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.forms import SearchForm, posted
from accounts.models import Preset
from accounts.pagination import page_of, query_without_page
from accounts.policy import AccountPermission, membership_can
from accounts.selectors import members_matching
from seats.permission_sets.forms import MembersChooseForm
from seats.permissions.choice import BUILTIN_PREFIX
from seats.presets.forms import PresetForm
from seats.presets.selectors import preset_list
from seats.presets.services import preset_apply, preset_create, preset_delete, preset_update

# Which field a service's refusal is about; the others are shown above the form.
# --- Presets -----------------------------------------------------------------------------------


def _preset_get(request, preset_id: int) -> Preset:
    return get_object_or_404(
        Preset.objects.select_related("permission_set", "main_team", "account"),
        pk=preset_id,
        account=request.membership.account,
    )


@member_required(AccountPermission.PRESETS)
@require_safe
def presets(request):
    return render(
        request,
        "seats/presets/presets.html",
        {
            "presets": preset_list(account=request.membership.account),
            "can_apply": membership_can(request.membership, AccountPermission.USERS),
        },
    )


@member_required(AccountPermission.PRESETS)
def preset_create_view(request):
    account = request.membership.account
    form = PresetForm(posted(request), account=account, initial={"default_language": "en"})
    if request.method == "POST" and form.is_valid():
        try:
            preset = preset_create(
                account=account, fields=form.preset_fields(), actor_membership=request.membership
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="permission_set")
        else:
            messages.success(request, _("Preset “%(name)s” created.") % {"name": preset.name})
            return redirect("seats:presets")
    return render(request, "seats/presets/preset_form.html", {"form": form, "preset": None})


@member_required(AccountPermission.PRESETS)
def preset_edit(request, preset_id: int):
    preset = _preset_get(request, preset_id)
    initial = {
        "name": preset.name,
        "permission_set": BUILTIN_PREFIX + preset.permission_template
        if preset.permission_template
        else preset.permission_set_id,
        "main_team": preset.main_team_id,
        "extra_teams": [t.pk for t in preset.extra_teams.all()],
        "default_language": preset.default_language,
        "default_landing_page": preset.default_landing_page,
    }
    form = PresetForm(posted(request), account=preset.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            preset = preset_update(
                preset=preset, fields=form.preset_fields(), actor_membership=request.membership
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="permission_set")
        else:
            messages.success(request, _("Preset “%(name)s” saved.") % {"name": preset.name})
            return redirect("seats:presets")
    return render(request, "seats/presets/preset_form.html", {"form": form, "preset": preset})


@member_required(AccountPermission.PRESETS)
def preset_delete_view(request, preset_id: int):
    preset = _preset_get(request, preset_id)
    if request.method == "POST":
        preset_delete(preset=preset, actor=request.user)
        messages.success(request, _("Preset “%(name)s” deleted.") % {"name": preset.name})
        return redirect("seats:presets")
    return render(request, "seats/presets/preset_delete.html", {"preset": preset})


@member_required(AccountPermission.PRESETS)
def preset_apply_view(request, preset_id: int):
    """ "Apply to users": search, tick users, apply. Changing users' teams and permissions also
    needs "Add and edit users"."""
    if not membership_can(request.membership, AccountPermission.USERS):
        raise PermissionDenied
    preset = _preset_get(request, preset_id)
    account = request.membership.account
    search = SearchForm(request.GET)
    page = page_of(request, members_matching(account_id=account.pk, q=search.query()))
    form = MembersChooseForm(posted(request), account=account, shown=list(page.object_list))
    if request.method == "POST" and form.is_valid():
        try:
            applied = preset_apply(
                preset=preset,
                membership_ids=form.membership_ids(),
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="members")
        else:
            messages.success(
                request,
                ngettext(
                    "Preset “%(name)s” applied to %(count)s user.",
                    "Preset “%(name)s” applied to %(count)s users.",
                    len(applied),
                )
                % {"name": preset.name, "count": len(applied)},
            )
            return redirect("seats:presets")
    return render(
        request,
        "seats/presets/preset_apply.html",
        {
            "preset": preset,
            "page": page,
            "search": search,
            "form": form,
            "query": query_without_page(request),
            "chosen": {str(v) for v in form["members"].value() or []},
        },
    )
