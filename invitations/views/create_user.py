""" "Create user" (Users & Teams → Create user), and the Salesforce connection it imports from.

Three steps keep their state in the session: who (typed, CSV or Salesforce), the seat and
access for the whole batch, then "Review access" and "Create user". Nothing is written before
the last step, and that step is all-or-nothing.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import SUPER_ADMIN, member_required
from accounts.errors import DomainError, form_error_add
from accounts.models import SeatType
from accounts.policy import AccountPermission, membership_can
from invitations.errors import AlreadyMembers, BatchRefused, FileRefused
from invitations.forms import (
    AccessForm,
    BatchTeamsForm,
    CsvUploadForm,
    SalesforceConnectionForm,
    SalesforcePickForm,
    TypedEmailsForm,
)
from invitations.parsing import ParsedPerson, ParseProblem, csv_parse, emails_parse
from invitations.salesforce import SalesforcePerson
from invitations.selectors import (
    created_members,
    existing_member_emails,
    salesforce_import_available,
)
from invitations.services.members import members_invite
from invitations.services.salesforce import salesforce_connection_save, salesforce_people_fetch
from seats.catalogue import SEAT_RULES
from seats.errors import NotEnoughSeats
from seats.permissions.choice import AccessChoice, AccessMode, access_resolve, template_options
from seats.permissions.forms import permission_grid, review_rows
from seats.pools.selectors import seat_choices_for, seat_preselected
from seats.pools.services import seat_capacity_check, seat_eligibility_check
from seats.users.services.teams import members_teams_add

WIZARD_KEY = "seatmgr_create_user"
CREATED_KEY = "seatmgr_created_members"


def _state(request) -> dict:
    """This account's "Create user" state in the session (empty when none or another account's)."""
    state = request.session.get(WIZARD_KEY) or {}
    if state.get("account_id") != request.membership.account_id:
        return {}
    return state


def _save_state(request, **values) -> None:
    state = _state(request) or {"account_id": request.membership.account_id}
    state.update(values)
    request.session[WIZARD_KEY] = state


def _people(state: dict) -> list[ParsedPerson]:
    return [ParsedPerson(*row) for row in state.get("people", [])]


def _people_chosen(request, people) -> object:
    _save_state(
        request,
        people=[[p.email, p.first_name, p.last_name] for p in people],
        access=None,
        draft=None,
    )
    return redirect("invitations:create_user_access")


def _already_members(request, people) -> list[str]:
    """Addresses already users of the account: refused at the step that names the people,
    not at the last click."""
    account = request.membership.account
    return existing_member_emails(account=account, emails=[p.email for p in people])


@member_required(AccountPermission.USERS)
def create_user(request):
    """Step 1, "Who": typed addresses, a CSV file, or Salesforce users."""
    account = request.membership.account
    source = request.POST.get("source") or request.GET.get("source") or "typed"
    if source not in {"typed", "csv", "salesforce"}:
        raise Http404
    # Bound only to the form that was posted: a GET (request.POST is then an empty QueryDict,
    # not None) must show an empty form, or the addresses chosen before, and no errors.
    posted = request.method == "POST"
    typed = TypedEmailsForm(request.POST if posted and source == "typed" else None)
    upload = CsvUploadForm(
        request.POST if posted and source == "csv" else None,
        request.FILES if posted and source == "csv" else None,
    )
    problems = []
    if request.method == "POST" and source == "typed" and typed.is_valid():
        result = emails_parse(typed.cleaned_data["emails"])
        if result.ok and (already := _already_members(request, result.people)):
            form_error_add(typed, AlreadyMembers(emails=", ".join(already)))
        elif result.ok:
            return _people_chosen(request, result.people)
        # A problem of the whole text (none entered, too many) belongs at the field.
        for problem in result.problems:
            if not problem.where:
                typed.add_error("emails", problem.message)
        problems = [problem for problem in result.problems if problem.where]
    elif request.method == "POST" and source == "csv" and upload.is_valid():
        try:
            result = csv_parse(upload.cleaned_data["csv_file"].read(1_000_001))
        except FileRefused as refused:
            form_error_add(upload, refused)
        else:
            if result.ok and (already := _already_members(request, result.people)):
                why = _("Already a user in this account.")
                problems = [ParseProblem(where="", value=e, message=why) for e in already]
            elif result.ok:
                return _people_chosen(request, result.people)
            else:
                problems = result.problems
    elif not typed.is_bound and _state(request).get("people"):
        typed = TypedEmailsForm(
            initial={"emails": "\n".join(p.email for p in _people(_state(request)))}
        )
    context = {
        "source": source,
        "typed": typed,
        "upload": upload,
        "problems": problems,
        "salesforce": salesforce_import_available(account=account),
    }
    return render(request, "invitations/create_user.html", context)


@member_required(AccountPermission.USERS)
def create_user_salesforce(request):
    """Step 1 from Salesforce: list the active users (all selected) and take the chosen ones."""
    account = request.membership.account
    availability = salesforce_import_available(account=account)
    if not availability.offered:
        return redirect(reverse("invitations:create_user") + "?source=salesforce")
    error, people = None, []
    if request.method == "POST":
        people = [SalesforcePerson(*row) for row in _state(request).get("salesforce", [])]
    else:
        try:
            people = salesforce_people_fetch(account=account)
        except DomainError as failure:  # the Salesforce errors: what went wrong, what to do
            error = failure
        _save_state(request, salesforce=[[p.email, p.first_name, p.last_name] for p in people])
    form = SalesforcePickForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        chosen = [ParsedPerson(p.email, p.first_name, p.last_name) for p in form.chosen()]
        already = _already_members(request, chosen)
        if not already:
            return _people_chosen(request, chosen)
        form_error_add(form, AlreadyMembers(emails=", ".join(already)))
    return render(
        request,
        "invitations/create_user_salesforce.html",
        {"form": form, "error": error, "people": people, "salesforce": availability},
    )


@member_required(SUPER_ADMIN)
def salesforce_connect(request):
    """A super admin saves the Salesforce connection (the token is never shown again)."""
    account = request.membership.account
    form = SalesforceConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        salesforce_connection_save(
            account=account,
            instance_url=form.cleaned_data["instance_url"],
            access_token=form.cleaned_data["access_token"],
            actor=request.user,
        )
        messages.success(request, _("The Salesforce connection was saved."))
        return redirect("invitations:create_user_salesforce")
    return render(
        request,
        "invitations/salesforce_connect.html",
        {"form": form, "salesforce": salesforce_import_available(account=account)},
    )


def _access_form(request, data=None):
    account = request.membership.account
    state = _state(request)
    # What was chosen last: kept when seats were short ("Buy more seats" comes back to it).
    saved = state.get("draft") or state.get("access") or {}
    seat_type = saved.get("seat_type") or seat_preselected(
        account=account, needed=len(state.get("people", []))
    )
    initial = {
        "seat_type": seat_type,
        "mode": saved.get("mode", AccessMode.DEFAULTS),
        "template": saved.get("template", ""),
        "no_invite": not saved.get("send_email", True),
        "permissions": saved.get("permissions") or {},
        "adjusted": bool(saved.get("permissions")),
    }
    options = template_options(account=account)
    form = AccessForm(
        data,
        initial=initial,
        seat_choices=seat_choices_for(account=account),
        template_options=options,
        allow_super_admin=request.membership.is_super_admin,
    )
    return form, options


@member_required(AccountPermission.USERS)
def create_user_access(request):
    """Step 2: "Assign a seat" and "Choose how to restrict access" for the whole batch."""
    people = _people(_state(request))
    if not people:
        return redirect("invitations:create_user")
    account = request.membership.account
    form, options = _access_form(request, request.POST or None)
    missing = None
    if request.method == "POST" and form.is_valid():
        seat_type = form.cleaned_data["seat_type"]
        choice = form.access_choice()
        chosen = {
            "seat_type": seat_type,
            "mode": choice.mode,
            "template": choice.template,
            "permissions": dict(choice.permissions),
            "send_email": not form.cleaned_data["no_invite"],
        }
        try:
            # Who may hold this seat (a Partner seat: the partners' domains), at this step.
            seat_eligibility_check(
                account=account, seat_type=seat_type, emails=[p.email for p in people]
            )
        except DomainError as refused:
            form_error_add(form, refused, default_field="seat_type")
        else:
            try:
                access_resolve(
                    account=account,
                    seat_type=seat_type,
                    choice=choice,
                    actor_membership=request.membership,
                )
                seat_capacity_check(account=account, seat_type=seat_type, needed=len(people))
            except NotEnoughSeats as short:
                missing = short
                # Kept as it is, for when the seats are bought ("Buy more seats" returns here).
                _save_state(request, draft=chosen, access=None)
            except DomainError as refused:
                form_error_add(form, refused)
            else:
                _save_state(request, access=chosen, draft=None)
                return redirect("invitations:create_user_review")
    return render(
        request,
        "invitations/create_user_access.html",
        {
            "form": form,
            "people": people,
            "grid": permission_grid(form),
            "templates_json": {o.value: dict(o.permissions) for o in options},
            "missing": missing,
            "can_buy": membership_can(request.membership, AccountPermission.BILLING),
        },
    )


def _choice_from(saved: dict) -> AccessChoice:
    return AccessChoice(
        mode=AccessMode(saved["mode"]),
        template=saved.get("template", ""),
        permissions=saved.get("permissions") or {},
    )


def _template_name(*, account, value: str) -> str:
    return next((o.name for o in template_options(account=account) if o.value == value), "")


@member_required(AccountPermission.USERS)
def create_user_review(request):
    """Step 3: "Review access", then "Create user"."""
    state = _state(request)
    people, saved = _people(state), state.get("access")
    if not people or not saved:
        return redirect("invitations:create_user")
    account = request.membership.account
    seat_type = SeatType(saved["seat_type"])
    choice = _choice_from(saved)
    error, missing, refused = None, None, []
    try:
        resolved = access_resolve(
            account=account, seat_type=seat_type, choice=choice, actor_membership=request.membership
        )
    except DomainError as problem:
        messages.error(request, str(problem))
        return redirect("invitations:create_user_access")
    if request.method == "POST":
        try:
            result = members_invite(
                account=account,
                actor_membership=request.membership,
                people=people,
                seat_type=seat_type,
                access=choice,
                send_email=saved["send_email"],
            )
        except BatchRefused as batch:
            error, refused = batch, batch.problems
        except NotEnoughSeats as short:
            missing = short
        except DomainError as problem:
            error = problem
        else:
            request.session.pop(WIZARD_KEY, None)
            request.session[CREATED_KEY] = [m.pk for m in result.memberships]
            return redirect("invitations:created_users")
    return render(
        request,
        "invitations/create_user_review.html",
        {
            "people": people,
            "seat_label": SEAT_RULES[seat_type].label,
            "resolved": resolved,
            "mode_label": AccessMode(choice.mode).label,
            "template_name": _template_name(account=account, value=choice.template),
            "send_email": saved["send_email"],
            "rows": review_rows(resolved.permissions),
            "error": error,
            "refused": refused,
            "missing": missing,
            "can_buy": membership_can(request.membership, AccountPermission.BILLING),
        },
    )


@member_required(AccountPermission.USERS)
def created_users(request):
    """After "Create user": copy each invite link, put the batch in teams, apply a preset."""
    account = request.membership.account
    members = created_members(account=account, ids=request.session.get(CREATED_KEY, []))
    if not members:
        return redirect("seats:users")
    form = BatchTeamsForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            members_teams_add(
                account=account,
                membership_ids=[m.pk for m in members],
                main_team=form.cleaned_data["main_team"],
                extra_teams=list(form.cleaned_data["extra_teams"]),
                preset=form.cleaned_data["preset"],
                actor_membership=request.membership,
            )
        except DomainError as problem:
            form_error_add(form, problem)
        else:
            messages.success(request, _("Teams and preset were applied to the new users."))
            return redirect("invitations:created_users")
    return render(request, "invitations/created_users.html", {"members": members, "form": form})
