"""The Teams tab: list and create, a team's page (rename, move, members) and delete.

Thin: check permission, look the team up inside the current account, validate a form, call one
service (accounts.teams.services), render or redirect. A refused change shows at its field."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import member_required
from accounts.errors import DomainError, form_error_add
from accounts.forms import SearchForm, posted
from accounts.models import Team
from accounts.pagination import page_of
from accounts.policy import AccountPermission
from accounts.teams.forms import (
    TeamCreateForm,
    TeamDeleteForm,
    TeamMemberAddForm,
    TeamParentForm,
    TeamRenameForm,
)
from accounts.teams.selectors import (
    team_member_candidates,
    team_member_list,
    team_rows,
    team_subtree_ids,
)
from accounts.teams.services import (
    TeamRole,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_parent_set,
    team_rename,
)
from accounts.text import person, sentence


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
        try:
            team = team_create(
                account=account,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
                actor=request.user,
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("accounts:teams")
    return render(
        request, "accounts/teams/teams.html", {"rows": team_rows(account=account), "form": form}
    )


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
    return render(request, "accounts/teams/team.html", context, status=status)


@member_required(AccountPermission.TEAMS)
@require_safe
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
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("Team renamed to “%(name)s”.") % {"name": team.name})
            return redirect("accounts:team", team_id=team.pk)
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
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("Parent team saved."))
            return redirect("accounts:team", team_id=team.pk)
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
            sentence(
                _("%(name)s added to %(team)s.") % {"name": person(member), "team": team.name}
            ),
        )
        return redirect("accounts:team", team_id=team.pk)
    return _teampage_of(request, team, add=form)


@member_required(AccountPermission.TEAMS)
@require_POST
def team_member_remove_view(request, team_id: int, membership_id: int):
    team = _team_get(request, team_id)
    member = get_object_or_404(team_member_list(team=team).select_related("user"), pk=membership_id)
    team_member_remove(team=team, membership=member, actor=request.user)
    messages.success(
        request,
        sentence(
            _("%(name)s removed from %(team)s.") % {"name": person(member), "team": team.name}
        ),
    )
    return redirect("accounts:team", team_id=team.pk)


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
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
            return redirect("accounts:teams")
    return render(
        request,
        "accounts/teams/team_delete.html",
        {"team": team, "members": members, "children": children, "form": form},
    )
