"""Permission sets: the account's own and the built-in ones, their users, copy and delete.

Thin views, as seats.pages describes them.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.forms import SearchForm, posted
from accounts.models import PermissionSet
from accounts.pagination import page_of
from accounts.policy import AccountPermission
from seats.permission_sets.builtin import builtin_permission_set_get
from seats.permission_sets.forms import MembersChooseForm, PermissionSetForm
from seats.permission_sets.selectors import (
    builtin_set_rows,
    permission_set_candidates,
    permission_set_change_preview,
    permission_set_member_list,
    permission_set_rows,
    seat_need_label,
)
from seats.permission_sets.services import (
    copy_name,
    permission_set_apply,
    permission_set_create,
    permission_set_delete,
    permission_set_update,
    permission_set_update_check,
    seat_needed,
)
from seats.permissions.forms import permission_grid

# --- Permission sets ---------------------------------------------------------------------------


# Which field a service's refusal is about; the others are shown above the form.
def _set_get(request, set_id: int) -> PermissionSet:
    return get_object_or_404(PermissionSet, pk=set_id, account=request.membership.account)


@member_required(AccountPermission.USERS)
@require_safe
def permission_sets(request):
    """Built-in sets (read-only, each with "Copy") and the account's own."""
    account = request.membership.account
    return render(
        request,
        "seats/permission_sets/permission_sets.html",
        {
            "builtins": builtin_set_rows(account=account),
            "own": permission_set_rows(account=account),
        },
    )


def _set_formpage_of(request, form, *, permission_set=None, source=None, status=200):
    needs = seat_need_label(seat_needed(permission_set.permissions)) if permission_set else ""
    return render(
        request,
        "seats/permission_sets/permission_set_form.html",
        {
            "form": form,
            "grid": permission_grid(form),
            "set": permission_set,
            "source": source,
            "needs": needs,
        },
        status=status,
    )


def _set_create_from(request, form, *, source=None):
    """ "Create permission set", blank or prefilled from a built-in set ("Copy"): nothing is
    saved until the form is submitted."""
    if request.method == "POST" and form.is_valid():
        try:
            permission_set = permission_set_create(
                account=request.membership.account,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                permissions=form.permissions(),
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(
                request,
                _("Permission set “%(name)s” created. %(needs)s.")
                % {
                    "name": permission_set.name,
                    "needs": seat_need_label(seat_needed(permission_set.permissions)),
                },
            )
            return redirect("seats:permission_set_users", set_id=permission_set.pk)
    return _set_formpage_of(request, form, source=source)


@member_required(AccountPermission.USERS)
def permission_set_create_view(request):
    return _set_create_from(request, PermissionSetForm(posted(request)))


@member_required(AccountPermission.USERS)
@require_safe
def permission_set_builtin(request, code: str):
    """A built-in set, read-only."""
    try:
        builtin = builtin_permission_set_get(code)
    except DomainError:
        raise Http404 from None
    form = PermissionSetForm(
        initial={"name": builtin.name, "description": builtin.description},
        permissions=builtin.permissions,
        disabled=True,
    )
    return render(
        request,
        "seats/permission_sets/permission_set_builtin.html",
        {
            "builtin": builtin,
            "grid": permission_grid(form),
            "needs": seat_need_label(builtin.seat_type),
        },
    )


@member_required(AccountPermission.USERS)
def permission_set_copy_view(request, code: str):
    """ "Copy" a built-in set: the create form, prefilled with "Copy of <name>" and the set's
    permissions, ready to adjust; the copy is saved only when the form is submitted."""
    try:
        builtin = builtin_permission_set_get(code)
    except DomainError:
        raise Http404 from None
    form = PermissionSetForm(
        posted(request),
        initial={
            "name": copy_name(account=request.membership.account, name=str(builtin.name)),
            "description": str(builtin.description),
        },
        permissions=builtin.permissions,
    )
    return _set_create_from(request, form, source=builtin)


@member_required(AccountPermission.USERS)
def permission_set_edit(request, set_id: int):
    """Edit a set. When users have it, first say how many change and what, then save."""
    permission_set = _set_get(request, set_id)
    form = PermissionSetForm(
        posted(request),
        initial={"name": permission_set.name, "description": permission_set.description},
        permissions=permission_set.permissions,
    )
    if request.method == "POST" and form.is_valid():
        data, permissions = form.cleaned_data, form.permissions()
        preview = permission_set_change_preview(
            permission_set=permission_set, permissions=permissions
        )
        try:
            if preview.users and not data["confirmed"]:
                permission_set_update_check(
                    permission_set=permission_set,
                    name=data["name"],
                    permissions=permissions,
                    actor_membership=request.membership,
                )
                return render(
                    request,
                    "seats/permission_sets/permission_set_confirm.html",
                    {"set": permission_set, "form": form, "preview": preview},
                )
            update = permission_set_update(
                permission_set=permission_set,
                name=data["name"],
                description=data["description"],
                permissions=permissions,
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            updated = update.users_updated
            messages.success(
                request,
                ngettext(
                    "Permission set saved. The permissions of %(count)s user were updated.",
                    "Permission set saved. The permissions of %(count)s users were updated.",
                    updated,
                )
                % {"count": updated}
                if updated
                else _("Permission set saved. Nobody's permissions changed."),
            )
            return redirect("seats:permission_set", set_id=permission_set.pk)
    return _set_formpage_of(request, form, permission_set=permission_set)


@member_required(AccountPermission.USERS)
def permission_set_users(request, set_id: int):
    """A set's "Users" tab: who has it, and applying it to more users."""
    permission_set = _set_get(request, set_id)
    account = request.membership.account
    search = SearchForm(request.GET)
    candidates = permission_set_candidates(permission_set=permission_set, q=search.query())
    shown = [c.membership for c in candidates]
    form = MembersChooseForm(posted(request), account=account, shown=shown)
    if request.method == "POST" and form.is_valid():
        try:
            applied = permission_set_apply(
                permission_set=permission_set,
                membership_ids=form.membership_ids(),
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem, default_field="members")
        else:
            messages.success(
                request,
                ngettext(
                    "“%(name)s” applied to %(count)s user.",
                    "“%(name)s” applied to %(count)s users.",
                    len(applied),
                )
                % {"name": permission_set.name, "count": len(applied)},
            )
            return redirect("seats:permission_set_users", set_id=permission_set.pk)
    return render(
        request,
        "seats/permission_sets/permission_set_users.html",
        {
            "set": permission_set,
            "page": page_of(request, permission_set_member_list(permission_set=permission_set)),
            "needs": seat_need_label(seat_needed(permission_set.permissions)),
            "search": search,
            "candidates": candidates,
            "form": form,
            "chosen": {str(v) for v in form["members"].value() or []},
        },
    )


@member_required(AccountPermission.USERS)
def permission_set_delete_view(request, set_id: int):
    """Asks first; its users keep their permissions as "Custom" access."""
    permission_set = _set_get(request, set_id)
    if request.method == "POST":
        name = permission_set.name
        count = permission_set_delete(permission_set=permission_set, actor=request.user)
        messages.success(
            request,
            ngettext(
                "Permission set “%(name)s” deleted. %(count)s user keeps its permissions as "
                "Custom access.",
                "Permission set “%(name)s” deleted. %(count)s users keep its permissions as "
                "Custom access.",
                count,
            )
            % {"name": name, "count": count},
        )
        return redirect("seats:permission_sets")
    return render(
        request,
        "seats/permission_sets/permission_set_delete.html",
        {
            "set": permission_set,
            "users": permission_set_member_list(permission_set=permission_set).count(),
            "presets": list(permission_set.presets.order_by("name")),
        },
    )
