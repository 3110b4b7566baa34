"""The Users tab: the directory (search, filters, sort, pages), "Export CSV" and "Bulk edit".

Thin: check permission, read through a selector, validate a form, call one service, render.
"""

from functools import lru_cache, partial
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from accounts.access import member_required
from accounts.errors import DomainError
from accounts.exports import csv_lines
from accounts.models import Membership
from accounts.policy import AccountPermission
from accounts.selectors import id_from
from seats.errors import BulkRefused
from seats.permission_sets.services import permission_set_apply
from seats.pools.selectors import seat_choices_for
from seats.templatetags.seats_tags import membership_access_label
from seats.users.forms import (
    BulkEditForm,
    DirectoryForm,
)
from seats.users.selectors import (
    DirectoryFilters,
    access_filter_choices,
    directory_page,
    member_directory,
    team_choices,
)
from seats.users.services.lifecycle import (
    members_bulk_deactivate,
)
from seats.users.services.seat import (
    members_bulk_seat_change,
)
from seats.users.services.teams import members_teams_add

USERS_PER_PAGE = 50
# What the export does not show, left out of its query: above all the permission documents (the
# heaviest columns, each decoded from JSON), and the dates and the password hash that a row
# would otherwise parse and hold for nothing. (The Users tab reads only DIRECTORY_ROW_COLUMNS.)
DIRECTORY_UNSHOWN_FIELDS = (
    "permissions",
    "notification_settings",
    "deactivated_at",
    "deactivation_note",
    "created_at",
    "updated_at",
    "sort_name",
    "user__password",
    "user__last_login",
    "user__date_joined",
    "permission_set__permissions",
    "permission_set__description",
    "permission_set__created_at",
    "permission_set__updated_at",
    "main_team__created_at",
)


def _directory_filters(request) -> tuple[DirectoryFilters, DirectoryForm, str]:
    """The Users tab's filters, as DirectoryForm validates the query; the form itself, made
    only if the page draws it; and the key its drawing is kept under (users.html's fragment
    cache). With shell_key, the key names everything the filters, the bulk-edit bar and the
    table's head are drawn from: the query (the filters' values, the sort) and the account's
    teams and permission sets among the choices, read on this request. A renamed or new team
    shows at once, and only a list of the same teams (ids are the account's own) draws the
    same."""
    account = request.membership.account
    teams = tuple(team_choices(account=account))
    access = tuple(access_filter_choices(account=account))
    query = request.GET.copy()
    query.pop("page", None)  # the same filters on every page
    query = query.urlencode()
    form = SimpleLazyObject(
        lambda: DirectoryForm(request.GET or None, teams=list(teams), access_choices=list(access))
    )
    return _filters_of(query, teams, access), form, f"{query}|{teams!r}|{access!r}"


@lru_cache(maxsize=256)
def _filters_of(query: str, teams: tuple, access: tuple) -> DirectoryFilters:
    """DirectoryForm's filters for a query (its page left out) and the filters' choices. They
    are the form's alone, so a list asked for again (its next page, a reload, the way back from
    a user's page) is not validated again: building and validating the form was a tenth of the
    page's time."""
    form = DirectoryForm(
        QueryDict(query) if query else None, teams=list(teams), access_choices=list(access)
    )
    return form.filters()


@member_required(AccountPermission.USERS)
@require_safe
def users(request):
    """The Users tab: search, filters, sortable columns, pages of 50, a CSV export."""
    account = request.membership.account
    filters, form, filters_key = _directory_filters(request)
    # The page reads its rows' columns as plain values (DirectoryRow), their extra teams with
    # them.
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    read = partial(
        directory_page,
        account=account,
        filters=filters,
        now=timezone.now(),
        per_page=USERS_PER_PAGE,
    )
    page = read(number=number)
    if not page.members and page.number > 1:
        # Past the end (an old link, a list that shrank): show the first page instead.
        page = read(number=1)
    query = request.GET.copy()
    for key in ("page", "sort", "desc"):
        query.pop(key, None)
    return render(
        request,
        "seats/users/users.html",
        {
            "page": page,
            "form": form,
            "filters_key": filters_key,
            "filters": filters,
            "query": query.urlencode(),
            # The row menu's actions come back to this very page (filters, sort and page kept).
            "next_query": "?" + urlencode({"next": request.get_full_path()}),
        },
    )


@member_required(AccountPermission.USERS)
@require_safe
def users_export(request):
    """The filtered Users list as CSV, streamed."""
    account = request.membership.account
    filters = _directory_filters(request)[0]
    # Left out (DIRECTORY_UNSHOWN_FIELDS), a chunk of 2,000 rows holds about a third of the memory.
    members = member_directory(account=account, filters=filters, now=timezone.now()).defer(
        *DIRECTORY_UNSHOWN_FIELDS
    )
    now = timezone.now()
    header = [
        _("Name"),
        _("Email"),
        _("Seat"),
        _("Access"),
        _("Main team"),
        _("Extra teams"),
        _("Status"),
        _("Invitation"),
        _("Last active (UTC)"),
    ]

    def rows():
        for m in members.iterator(chunk_size=2000):
            state = m.invitation_state_at(now)
            yield [
                m.full_name,
                m.user.email,
                m.get_seat_type_display(),
                membership_access_label(m),
                m.main_team.name if m.main_team else "",
                "; ".join(t.name for t in m.extra_teams.all()),
                m.get_status_display(),
                state.label if state else "",
                m.last_active_at.strftime("%Y-%m-%d %H:%M") if m.last_active_at else "",
            ]

    response = StreamingHttpResponse(csv_lines(header, rows()), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="users-{now:%Y%m%d}.csv"'
    return response


@member_required(AccountPermission.USERS)
def users_bulk(request):
    """Bulk edit: review the selected users and the change, then apply it to all or none."""
    account = request.membership.account
    data = request.POST if request.method == "POST" else request.GET
    ids = [pk for pk in map(id_from, data.getlist("members")) if pk]
    members = list(
        Membership.objects.filter(account=account, pk__in=ids)
        .select_related("user")
        .order_by("user__email")
    )
    if len(members) != len(set(ids)):
        raise Http404
    if not members:
        # "Continue" with nobody ticked: back to the list, which says what to do.
        messages.error(request, _("Select at least one user on the list, then choose Continue."))
        return redirect("seats:users")
    # Arriving from the list (GET) is not a submit: the chosen action is a starting value, not
    # an answer to check ("Choose one." waits until "Apply" is pressed).
    form = BulkEditForm(
        request.POST or None,
        initial={"action": request.GET.get("action")},
        account=account,
        member_ids=[m.pk for m in members],
        seat_choices=seat_choices_for(account=account),
    )
    problems = []
    if form.is_valid() and request.method == "POST":
        try:
            count = _bulk_apply(request, form.cleaned_data)
        except BulkRefused as refused:
            problems = refused.problems
            form.add_error(None, str(refused))
        except DomainError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                ngettext("%(count)s user was changed.", "%(count)s users were changed.", count)
                % {"count": count},
            )
            return redirect("seats:users")
    return render(
        request,
        "seats/users/users_bulk.html",
        {"form": form, "members": members, "problems": problems},
    )


def _bulk_apply(request, data) -> int:
    account, actor = request.membership.account, request.membership
    ids = data["members"]
    action = data["action"]
    if action == "seat":
        members_bulk_seat_change(
            account=account, membership_ids=ids, seat_type=data["seat_type"], actor_membership=actor
        )
    elif action == "team":
        members_teams_add(
            account=account, membership_ids=ids, extra_teams=[data["team"]], actor_membership=actor
        )
    elif action == "permission_set":
        permission_set_apply(
            permission_set=data["permission_set"], membership_ids=ids, actor_membership=actor
        )
    else:
        members_bulk_deactivate(
            account=account,
            membership_ids=ids,
            release_seats=data["release_seats"],
            actor_membership=actor,
        )
    return len(ids)
