"""Teams, Presets, Permission sets and the account-wide audit log.

Thin: check permission (member_required), look every object up inside the current account (an
id from another account is a 404), validate a form, call one service, render or redirect. A
domain error becomes a message at the field it concerns, never a 500.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.access import SUPER_ADMIN, member_required
from accounts.models import PermissionSet, Preset, Team
from accounts.policy import AccountPermission, membership_can
from accounts.services import team_create
from accounts.teams import (
    TeamNameRequired,
    TeamNameTaken,
    TeamRole,
    TeamsError,
    team_delete,
    team_member_add,
    team_member_remove,
    team_name_check,
    team_parent_set,
    team_rename,
)
from seats.builtin_sets import builtin_permission_set_get
from seats.errors import SeatsError
from seats.forms import permission_grid
from seats.organisation_forms import (
    AuditFilterForm,
    MembersChooseForm,
    PermissionSetForm,
    PresetForm,
    SearchForm,
    TeamCreateForm,
    TeamDeleteForm,
    TeamMemberAddForm,
    TeamParentForm,
    TeamRenameForm,
)
from seats.organisation_selectors import (
    audit_actor_choices,
    audit_csv_lines,
    audit_event_list,
    audit_rows,
    builtin_set_rows,
    members_matching,
    permission_set_candidates,
    permission_set_change_preview,
    permission_set_member_list,
    permission_set_rows,
    preset_list,
    seat_need_label,
    team_member_candidates,
    team_member_list,
    team_rows,
    team_subtree_ids,
)
from seats.permission_sets import (
    LandingPageUnknown,
    NameRequired,
    PermissionSetNameTaken,
    PresetNameTaken,
    permission_set_apply,
    permission_set_copy,
    permission_set_create,
    permission_set_delete,
    permission_set_update,
    permission_set_update_check,
    preset_apply,
    preset_create,
    preset_delete,
    preset_update,
    seat_needed,
)

PER_PAGE = 50
AUDIT_PER_PAGE = 50


def _posted(request):
    """The submitted data of a POST, even an empty one (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


def _page(request, items, per_page: int = PER_PAGE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Teams -------------------------------------------------------------------------------------


def _team_get(request, team_id: int) -> Team:
    return get_object_or_404(
        Team.objects.select_related("parent", "account"),
        pk=team_id,
        account=request.membership.account,
    )


@member_required(AccountPermission.TEAMS)
def teams(request):
    """The Teams tab: every team under its parent, and "Create team"."""
    account = request.membership.account
    form = TeamCreateForm(_posted(request), account=account)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        try:
            name = team_name_check(account=account, name=name)
            team = team_create(
                account=account, name=name, parent=form.cleaned_data["parent"], actor=request.user
            )
        except TeamsError as problem:
            form.add_error("name", str(problem))
        except ValidationError:
            # Someone else took the name between the check and the insert.
            form.add_error("name", str(TeamNameTaken(name=name)))
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("seats:teams")
    return render(request, "seats/teams.html", {"rows": team_rows(account=account), "form": form})


def _team_page(request, team: Team, *, rename=None, parent=None, add=None, status=200):
    account = request.membership.account
    search = SearchForm(request.GET)
    candidates = team_member_candidates(team=team, q=search.query())
    subtree = team_subtree_ids(account=account, team=team)
    context = {
        "team": team,
        "page": _page(request, team_member_list(team=team)),
        "search": search,
        "rename_form": rename or TeamRenameForm(initial={"name": team.name}),
        "parent_form": parent
        or TeamParentForm(account=account, subtree=subtree, initial={"parent": team.parent_id}),
        "add_form": add or TeamMemberAddForm(team=team, candidates=candidates),
        "candidates": candidates,
    }
    return render(request, "seats/team.html", context, status=status)


@member_required(AccountPermission.TEAMS)
def team_detail(request, team_id: int):
    """A team's page: its members with their role, adding and removing them, renaming, nesting."""
    return _team_page(request, _team_get(request, team_id))


@member_required(AccountPermission.TEAMS)
@require_POST
def team_rename_view(request, team_id: int):
    team = _team_get(request, team_id)
    form = TeamRenameForm(request.POST)
    if form.is_valid():
        try:
            team = team_rename(team=team, name=form.cleaned_data["name"], actor=request.user)
        except TeamsError as problem:
            form.add_error("name", str(problem))
        else:
            messages.success(request, _("Team renamed to “%(name)s”.") % {"name": team.name})
            return redirect("seats:team", team_id=team.pk)
    return _team_page(request, team, rename=form)


@member_required(AccountPermission.TEAMS)
@require_POST
def team_parent_view(request, team_id: int):
    team = _team_get(request, team_id)
    subtree = team_subtree_ids(account=team.account, team=team)
    form = TeamParentForm(request.POST, account=team.account, subtree=subtree)
    if form.is_valid():
        try:
            team = team_parent_set(
                team=team, parent=form.cleaned_data["parent"], actor=request.user
            )
        except TeamsError as problem:
            form.add_error("parent", str(problem))
        else:
            messages.success(request, _("Parent team saved."))
            return redirect("seats:team", team_id=team.pk)
    return _team_page(request, team, parent=form)


@member_required(AccountPermission.TEAMS)
@require_POST
def team_member_add_view(request, team_id: int):
    team = _team_get(request, team_id)
    form = TeamMemberAddForm(request.POST, team=team, candidates=team_member_candidates(team=team))
    if form.is_valid():
        member = form.cleaned_data["member"]
        team_member_add(
            team=team,
            membership=member,
            role=TeamRole(form.cleaned_data["role"]),
            actor=request.user,
        )
        messages.success(
            request,
            _("%(email)s added to %(team)s.") % {"email": member.user.email, "team": team.name},
        )
        return redirect("seats:team", team_id=team.pk)
    return _team_page(request, team, add=form)


@member_required(AccountPermission.TEAMS)
@require_POST
def team_member_remove_view(request, team_id: int, membership_id: int):
    team = _team_get(request, team_id)
    member = get_object_or_404(team_member_list(team=team).select_related("user"), pk=membership_id)
    team_member_remove(team=team, membership=member, actor=request.user)
    messages.success(
        request,
        _("%(email)s removed from %(team)s.") % {"email": member.user.email, "team": team.name},
    )
    return redirect("seats:team", team_id=team.pk)


@member_required(AccountPermission.TEAMS)
def team_delete_view(request, team_id: int):
    """Asks first: what happens to the members; child teams move up to the team's parent."""
    team = _team_get(request, team_id)
    members = team_member_list(team=team).count()
    children = list(team.children.order_by("name"))
    form = TeamDeleteForm(_posted(request), team=team, has_members=bool(members))
    if request.method == "POST" and form.is_valid():
        try:
            team_delete(team=team, actor=request.user, move_members_to=form.cleaned_data["move_to"])
        except TeamsError as problem:
            form.add_error("move_to", str(problem))
        else:
            messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
            return redirect("seats:teams")
    return render(
        request,
        "seats/team_delete.html",
        {"team": team, "members": members, "children": children, "form": form},
    )


# --- Permission sets ---------------------------------------------------------------------------

# Which field a service's refusal is about; the others are shown above the form.
_NAME_ERRORS = (NameRequired, PermissionSetNameTaken, PresetNameTaken, TeamNameRequired)


def _set_get(request, set_id: int) -> PermissionSet:
    return get_object_or_404(PermissionSet, pk=set_id, account=request.membership.account)


@member_required(AccountPermission.USERS)
def permission_sets(request):
    """Built-in sets (read-only, each with "Copy") and the account's own."""
    account = request.membership.account
    return render(
        request,
        "seats/permission_sets.html",
        {
            "builtins": builtin_set_rows(account=account),
            "own": permission_set_rows(account=account),
        },
    )


def _set_form_page(request, form, *, permission_set=None, status=200):
    needs = seat_need_label(seat_needed(permission_set.permissions)) if permission_set else ""
    return render(
        request,
        "seats/permission_set_form.html",
        {"form": form, "grid": permission_grid(form), "set": permission_set, "needs": needs},
        status=status,
    )


@member_required(AccountPermission.USERS)
def permission_set_create_view(request):
    account = request.membership.account
    form = PermissionSetForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            permission_set = permission_set_create(
                account=account,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                permissions=form.permissions(),
                actor_membership=request.membership,
            )
        except SeatsError as problem:
            form.add_error("name" if isinstance(problem, _NAME_ERRORS) else None, str(problem))
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
    return _set_form_page(request, form)


@member_required(AccountPermission.USERS)
def permission_set_builtin(request, code: str):
    """A built-in set, read-only."""
    try:
        builtin = builtin_permission_set_get(code)
    except SeatsError:
        raise Http404 from None
    form = PermissionSetForm(
        initial={"name": builtin.name, "description": builtin.description},
        permissions=builtin.permissions,
        disabled=True,
    )
    return render(
        request,
        "seats/permission_set_builtin.html",
        {
            "builtin": builtin,
            "grid": permission_grid(form),
            "needs": seat_need_label(builtin.seat_type),
        },
    )


@member_required(AccountPermission.USERS)
@require_POST
def permission_set_copy_view(request, code: str):
    """ "Copy" a built-in set into a set of the account's own, ready to adjust."""
    try:
        builtin = builtin_permission_set_get(code)
    except SeatsError:
        raise Http404 from None
    try:
        permission_set = permission_set_copy(
            account=request.membership.account, source=builtin, actor_membership=request.membership
        )
    except SeatsError as problem:
        messages.error(request, str(problem))
        return redirect("seats:permission_sets")
    messages.success(
        request, _("Copied as “%(name)s”. Adjust it and save.") % {"name": permission_set.name}
    )
    return redirect("seats:permission_set", set_id=permission_set.pk)


@member_required(AccountPermission.USERS)
def permission_set_edit(request, set_id: int):
    """Edit a set. When users have it, first say how many change and what, then save."""
    permission_set = _set_get(request, set_id)
    form = PermissionSetForm(
        _posted(request),
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
                    "seats/permission_set_confirm.html",
                    {"set": permission_set, "form": form, "preview": preview},
                )
            update = permission_set_update(
                permission_set=permission_set,
                name=data["name"],
                description=data["description"],
                permissions=permissions,
                actor_membership=request.membership,
            )
        except SeatsError as problem:
            form.add_error("name" if isinstance(problem, _NAME_ERRORS) else None, str(problem))
        else:
            messages.success(
                request,
                ngettext(
                    "Permission set saved. %(count)s user's permissions were updated.",
                    "Permission set saved. %(count)s users' permissions were updated.",
                    update.users_updated,
                )
                % {"count": update.users_updated},
            )
            return redirect("seats:permission_set", set_id=permission_set.pk)
    return _set_form_page(request, form, permission_set=permission_set)


@member_required(AccountPermission.USERS)
def permission_set_users(request, set_id: int):
    """A set's "Users" tab: who has it, and applying it to more users."""
    permission_set = _set_get(request, set_id)
    account = request.membership.account
    search = SearchForm(request.GET)
    candidates = permission_set_candidates(permission_set=permission_set, q=search.query())
    shown = [c.membership for c in candidates]
    form = MembersChooseForm(_posted(request), account=account, shown=shown)
    if request.method == "POST" and form.is_valid():
        try:
            applied = permission_set_apply(
                permission_set=permission_set,
                membership_ids=form.membership_ids(),
                actor_membership=request.membership,
            )
        except SeatsError as problem:
            form.add_error("members", str(problem))
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
        "seats/permission_set_users.html",
        {
            "set": permission_set,
            "page": _page(request, permission_set_member_list(permission_set=permission_set)),
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
        "seats/permission_set_delete.html",
        {
            "set": permission_set,
            "users": permission_set_member_list(permission_set=permission_set).count(),
            "presets": list(permission_set.presets.order_by("name")),
        },
    )


# --- Presets -----------------------------------------------------------------------------------


def _preset_get(request, preset_id: int) -> Preset:
    return get_object_or_404(
        Preset.objects.select_related("permission_set", "main_team", "account"),
        pk=preset_id,
        account=request.membership.account,
    )


def _preset_error_field(problem: SeatsError) -> str | None:
    if isinstance(problem, _NAME_ERRORS):
        return "name"
    if isinstance(problem, LandingPageUnknown):
        return "default_landing_page"
    return "permission_set"


@member_required(AccountPermission.PRESETS)
def presets(request):
    return render(
        request,
        "seats/presets.html",
        {
            "presets": preset_list(account=request.membership.account),
            "can_apply": membership_can(request.membership, AccountPermission.USERS),
        },
    )


@member_required(AccountPermission.PRESETS)
def preset_create_view(request):
    account = request.membership.account
    form = PresetForm(_posted(request), account=account, initial={"default_language": "en"})
    if request.method == "POST" and form.is_valid():
        try:
            preset = preset_create(
                account=account, fields=form.preset_fields(), actor_membership=request.membership
            )
        except SeatsError as problem:
            form.add_error(_preset_error_field(problem), str(problem))
        else:
            messages.success(request, _("Preset “%(name)s” created.") % {"name": preset.name})
            return redirect("seats:presets")
    return render(request, "seats/preset_form.html", {"form": form, "preset": None})


@member_required(AccountPermission.PRESETS)
def preset_edit(request, preset_id: int):
    preset = _preset_get(request, preset_id)
    initial = {
        "name": preset.name,
        "permission_set": preset.permission_set_id,
        "main_team": preset.main_team_id,
        "extra_teams": [t.pk for t in preset.extra_teams.all()],
        "default_language": preset.default_language,
        "default_landing_page": preset.default_landing_page,
    }
    form = PresetForm(_posted(request), account=preset.account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            preset = preset_update(
                preset=preset, fields=form.preset_fields(), actor_membership=request.membership
            )
        except SeatsError as problem:
            form.add_error(_preset_error_field(problem), str(problem))
        else:
            messages.success(request, _("Preset “%(name)s” saved.") % {"name": preset.name})
            return redirect("seats:presets")
    return render(request, "seats/preset_form.html", {"form": form, "preset": preset})


@member_required(AccountPermission.PRESETS)
def preset_delete_view(request, preset_id: int):
    preset = _preset_get(request, preset_id)
    if request.method == "POST":
        preset_delete(preset=preset, actor=request.user)
        messages.success(request, _("Preset “%(name)s” deleted.") % {"name": preset.name})
        return redirect("seats:presets")
    return render(request, "seats/preset_delete.html", {"preset": preset})


@member_required(AccountPermission.PRESETS)
def preset_apply_view(request, preset_id: int):
    """ "Apply to users": search, tick users, apply. Changing users' teams and permissions also
    needs "Add and edit users"."""
    if not membership_can(request.membership, AccountPermission.USERS):
        raise PermissionDenied
    preset = _preset_get(request, preset_id)
    account = request.membership.account
    search = SearchForm(request.GET)
    page = _page(request, members_matching(account_id=account.pk, q=search.query()))
    form = MembersChooseForm(_posted(request), account=account, shown=list(page.object_list))
    if request.method == "POST" and form.is_valid():
        try:
            applied = preset_apply(
                preset=preset,
                membership_ids=form.membership_ids(),
                actor_membership=request.membership,
            )
        except SeatsError as problem:
            form.add_error("members", str(problem))
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
        "seats/preset_apply.html",
        {
            "preset": preset,
            "page": page,
            "search": search,
            "form": form,
            "query": _query_without_page(request),
            "chosen": {str(v) for v in form["members"].value() or []},
        },
    )


# --- Audit log ---------------------------------------------------------------------------------


def _audit_events(request):
    account = request.membership.account
    form = AuditFilterForm(request.GET, actors=audit_actor_choices(account=account))
    return form, audit_event_list(account=account, filters=form.filters())


@member_required(SUPER_ADMIN)
def audit_log(request):
    """Every change in the account, newest first, filtered by actor, target, kind and dates."""
    form, events = _audit_events(request)
    page = _page(request, events, AUDIT_PER_PAGE)
    return render(
        request,
        "seats/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(page.object_list),
            "query": _query_without_page(request),
        },
    )


@member_required(SUPER_ADMIN)
def audit_log_export(request):
    """ "Export CSV": the filtered list, streamed, formula-looking cells neutralised."""
    _form, events = _audit_events(request)
    response = StreamingHttpResponse(
        audit_csv_lines(events), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
