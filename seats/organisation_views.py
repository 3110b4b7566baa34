"""Teams and the account-wide audit log.

Thin views, as seats.pages describes them.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import SUPER_ADMIN, member_required
from accounts.models import Team
from accounts.policy import AccountPermission
from accounts.services import team_create
from accounts.teams import (
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
from seats.organisation_forms import (
    AuditFilterForm,
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
    team_member_candidates,
    team_member_list,
    team_rows,
    team_subtree_ids,
)
from seats.pages import page_of, posted, query_without_page

AUDIT_PER_PAGE = 50


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
    form = TeamCreateForm(posted(request), account=account)
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


def _teampage_of(request, team: Team, *, rename=None, parent=None, add=None, status=200):
    account = request.membership.account
    search = SearchForm(request.GET)
    candidates = team_member_candidates(team=team, q=search.query())
    subtree = team_subtree_ids(account=account, team=team)
    context = {
        "team": team,
        "page": page_of(request, team_member_list(team=team)),
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
    return _teampage_of(request, _team_get(request, team_id))


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
    return _teampage_of(request, team, rename=form)


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
    return _teampage_of(request, team, parent=form)


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
    return _teampage_of(request, team, add=form)


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
    form = TeamDeleteForm(posted(request), team=team, has_members=bool(members))
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


# --- Audit log ---------------------------------------------------------------------------------


def _audit_events(request):
    account = request.membership.account
    form = AuditFilterForm(request.GET, actors=audit_actor_choices(account=account))
    return form, audit_event_list(account=account, filters=form.filters())


@member_required(SUPER_ADMIN)
def audit_log(request):
    """Every change in the account, newest first, filtered by actor, target, kind and dates."""
    form, events = _audit_events(request)
    page = page_of(request, events, AUDIT_PER_PAGE)
    return render(
        request,
        "seats/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(page.object_list),
            "query": query_without_page(request),
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
