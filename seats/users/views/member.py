"""A user's page: "Assign a seat", "Edit permissions", teams, the "Actions" menu and
"View permissions history".

Thin: check permission, look the member up inside the current account, validate a form, call
one service, render or redirect.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.models import Access, Membership, MembershipStatus, SeatType
from accounts.policy import AccountPermission
from accounts.redirects import safe_next
from accounts.services import member_password_reset
from accounts.teams.services import member_teams_set
from accounts.text import person
from seats.catalogue import SEAT_RULES
from seats.changes import audit_csv_lines, audit_rows
from seats.permissions.choice import AccessMode, access_resolve, template_options
from seats.permissions.forms import AccessChoiceForm, permission_grid, review_rows
from seats.permissions.services import member_access_set
from seats.pools.selectors import seat_choices_for
from seats.users.forms import (
    DeactivateForm,
    MemberTeamsForm,
    SeatChangeForm,
)
from seats.users.selectors import (
    member_history,
)
from seats.users.services.lifecycle import (
    member_deactivate,
    member_reactivate,
    member_remove,
    member_seat_release,
    member_super_admin_set,
    seat_releasable,
)
from seats.users.services.seat import (
    member_seat_change,
    seat_change_preview,
)


@member_required(AccountPermission.USERS)
def user_detail(request, membership_id: int):
    """A user's page: their seat ("Assign a seat"); more of the user's settings come here."""
    account = request.membership.account
    member = get_object_or_404(
        Membership.objects.select_related("user", "main_team", "permission_set"),
        pk=membership_id,
        account=account,
    )
    choices = seat_choices_for(account=account)
    if member.seat_type not in dict(choices):
        choices.append((member.seat_type, str(SEAT_RULES[SeatType(member.seat_type)].label)))
    form = SeatChangeForm(
        request.POST or None, initial={"seat_type": member.seat_type}, seat_choices=choices
    )
    removed = []
    if request.method == "POST" and form.is_valid():
        seat_type = form.cleaned_data["seat_type"]
        removed = seat_change_preview(membership=member, seat_type=seat_type)
        if not removed or form.cleaned_data["confirmed"]:
            try:
                member_seat_change(
                    membership=member, seat_type=seat_type, actor_membership=request.membership
                )
            except DomainError as problem:
                form_error_add(form, problem, default_field="seat_type")
                removed = []
            else:
                messages.success(
                    request,
                    _("%(name)s is now on a %(seat)s.")
                    % {"name": person(member), "seat": SEAT_RULES[SeatType(seat_type)].label},
                )
                return redirect("seats:user", membership_id=member.pk)
    return render(
        request,
        "seats/users/user.html",
        {
            "member": member,
            "form": form,
            "removed": removed,
            "seat_releasable": seat_releasable(member),
        },
    )


ACTIONS = {
    "deactivate": _lazy("Deactivate user"),
    "reactivate": _lazy("Reactivate user"),
    "remove": _lazy("Remove from account"),
    "make_super_admin": _lazy("Make super admin"),
    "remove_super_admin": _lazy("Remove super admin"),
    "reset_password": _lazy("Reset password"),
    "release_seat": _lazy("Release seat"),
}


@member_required(AccountPermission.USERS)
def user_action(request, membership_id: int, action: str):
    """The "Actions" menu: each action asks for confirmation (GET), then acts (POST)."""
    if action not in ACTIONS:
        raise Http404
    account = request.membership.account
    member = get_object_or_404(
        Membership.objects.select_related("user", "account"), pk=membership_id, account=account
    )
    form = DeactivateForm(request.POST or None) if action == "deactivate" else None
    # Opened from the Users list's row menu, the action returns there (a same-site `next` only).
    back = safe_next(request)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            message = _user_action_run(request, member, action, form)
        except DomainError as problem:
            messages.error(request, str(problem))
            return redirect(back or reverse("seats:user", args=[member.pk]))
        messages.success(request, message)
        if action == "remove":
            return redirect(back or reverse("seats:users"))
        return redirect(back or reverse("seats:user", args=[member.pk]))
    return render(
        request,
        "seats/users/user_action.html",
        {
            "member": member,
            "action": action,
            "title": ACTIONS[action],
            "form": form,
            "back": back or reverse("seats:user", args=[member.pk]),
            "next": back,
        },
    )


def _user_action_run(request, member, action: str, form) -> str:
    actor = request.membership
    name = person(member)
    if action == "deactivate":
        member_deactivate(
            membership=member,
            release_seat=form.cleaned_data["seat"] == "release",
            note=form.cleaned_data["note"],
            actor=actor.user,
            actor_membership=actor,
        )
        return _("%(name)s was deactivated.") % {"name": name}
    if action == "reactivate":
        member_reactivate(membership=member, actor_membership=actor)
        return _("%(name)s was reactivated.") % {"name": name}
    if action == "remove":
        member_remove(membership=member, actor_membership=actor)
        return _("%(name)s was removed from the account.") % {"name": name}
    if action == "release_seat":
        released = member_seat_release(membership=member, actor_membership=actor)
        return _("%(name)s's %(seat)s was released. They are now on a View-only seat.") % {
            "name": name,
            "seat": SEAT_RULES[SeatType(released)].label,
        }
    if action in ("make_super_admin", "remove_super_admin"):
        made = action == "make_super_admin"
        member_super_admin_set(membership=member, is_super_admin=made, actor_membership=actor)
        if made:
            return _("%(name)s is now a super admin.") % {"name": name}
        return _("%(name)s is no longer a super admin.") % {"name": name}
    member_password_reset(membership=member, actor_membership=actor)
    return _("A password reset link is on its way to %(person)s.") % {
        "person": person(member, with_email=True)
    }


@member_required(AccountPermission.USERS)
@require_safe
def user_history(request, membership_id: int):
    """ "View permissions history": what changed for this user, before and after, by whom."""
    account = request.membership.account
    member = get_object_or_404(
        Membership.objects.select_related("user"), pk=membership_id, account=account
    )
    events = member_history(membership=member)
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(
            audit_csv_lines(events), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="permissions-history-{member.pk}.csv"'
        )
        return response
    page = Paginator(events, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "seats/users/user_history.html",
        {"member": member, "page": page, "rows": audit_rows(page.object_list)},
    )


def _access_initial(member: Membership) -> dict:
    if member.access == Access.TEMPLATE:
        return {"mode": AccessMode.TEMPLATE, "template": f"builtin:{member.permission_template}"}
    if member.access == Access.PERMISSION_SET and member.permission_set_id:
        return {"mode": AccessMode.TEMPLATE, "template": f"set:{member.permission_set_id}"}
    if member.access == Access.CUSTOM:
        return {"mode": AccessMode.SCRATCH, "permissions": member.permissions, "adjusted": True}
    return {"mode": AccessMode.DEFAULTS}


@member_required(AccountPermission.USERS)
def user_access(request, membership_id: int):
    """Edit a user's permissions: the three modes, "Review access", then "Save permissions"."""
    account = request.membership.account
    member = get_object_or_404(
        Membership.objects.select_related("user", "permission_set"),
        pk=membership_id,
        account=account,
    )
    options = template_options(account=account)
    form = AccessChoiceForm(
        request.POST or None,
        initial={"permissions": member.permissions, **_access_initial(member)},
        template_options=options,
        allow_super_admin=request.membership.is_super_admin
        and member.status != MembershipStatus.DEACTIVATED,
    )
    review, left_out = None, ()
    if request.method == "POST" and form.is_valid():
        choice = form.access_choice()
        try:
            resolved = access_resolve(
                account=account,
                seat_type=member.seat_type,
                choice=choice,
                actor_membership=request.membership,
            )
            if request.POST.get("confirmed"):
                member_access_set(
                    membership=member, choice=choice, actor_membership=request.membership
                )
                messages.success(request, _("The permissions were saved."))
                return redirect("seats:user", membership_id=member.pk)
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            review, left_out = review_rows(resolved.permissions), resolved.left_out
    return render(
        request,
        "seats/users/user_access.html",
        {
            "member": member,
            "form": form,
            "grid": permission_grid(form),
            "templates_json": {o.value: dict(o.permissions) for o in options},
            "review": review,
            "left_out": left_out,
        },
    )


@member_required(AccountPermission.USERS)
def user_teams(request, membership_id: int):
    account = request.membership.account
    member = get_object_or_404(Membership, pk=membership_id, account=account)
    form = MemberTeamsForm(
        request.POST or None,
        account=account,
        initial={"main_team": member.main_team, "extra_teams": list(member.extra_teams.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            member_teams_set(
                membership=member,
                main_team=form.cleaned_data["main_team"],
                extra_teams=list(form.cleaned_data["extra_teams"]),
                actor=request.user,
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("The teams were saved."))
            return redirect("seats:user", membership_id=member.pk)
    return render(request, "seats/users/user_teams.html", {"member": member, "form": form})
