"""The invitee's side: open the emailed link, set a password or sign in, and join.

The token leaves the address bar at once (kept in the session, redirect to a token-free URL),
and every link that can't be used gets the same neutral page with the same status.

A copied link ("Copy invite link") first asks to confirm the invited address with a code
emailed to it (invitations.services.codes), unless the browser is signed in as the invitee:
until then the page says nothing about the person (whether they have a sign-in, their name)
and sets nothing. The confirmed code's id stays in the session, for invitation_accept.
"""

import logging

from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import public
from accounts.errors import form_error_add
from accounts.languages import browser_language_chosen, page_language
from accounts.ratelimit import client_ip, rate_limit_exceeded
from accounts.services import current_account_set, user_language_choose
from invitations.errors import (
    InvitationInvalid,
    InvitationPasswordAlreadySet,
    MailboxError,
    MailboxNotConfirmed,
)
from invitations.forms import JoinExistingUserForm, JoinNewUserForm, MailboxCodeForm
from invitations.models import Delivery
from invitations.selectors import mailbox_confirmed
from invitations.services.codes import (
    MAILBOX_CODE_LIFETIME,
    mailbox_code_confirm,
    mailbox_code_request,
)
from invitations.services.links import invitation_accept, invitation_find

logger = logging.getLogger(__name__)

SESSION_TOKEN_KEY = "seatmgr_invitation_token"  # noqa: S105 (a session key name, not a secret)
# The invitation a code was last emailed for, and the id of the code this browser confirmed.
SESSION_CODE_SENT_KEY = "seatmgr_invitation_code_sent"
SESSION_CODE_KEY = "seatmgr_invitation_code"
ATTEMPTS_PER_WINDOW = 30
WINDOW_SECONDS = 600


def _strict_referrer(response, policy: str = "same-origin"):
    # The link page itself (token in the URL) sends no referrer at all. Pages with a form use
    # same-origin: nothing leaks to other sites, and the browser still sends the Origin header
    # that CSRF protection checks (with no-referrer, Chromium sends "Origin: null").
    response["Referrer-Policy"] = policy
    response["Cache-Control"] = "no-store"
    return response


def _neutral(request):
    request.session.pop(SESSION_TOKEN_KEY, None)
    response = TemplateResponse(request, "invitations/invalid.html", status=404)
    return _strict_referrer(response, policy="no-referrer")


def _limited(request) -> bool:
    return rate_limit_exceeded(
        scope="invitation",
        key=client_ip(request),
        limit=ATTEMPTS_PER_WINDOW,
        window_seconds=WINDOW_SECONDS,
    )


def _too_many(request):
    return _strict_referrer(TemplateResponse(request, "invitations/too_many.html", status=429))


@public
def open_link(request, token: str):
    if _limited(request):
        return _too_many(request)
    if invitation_find(token=token, now=timezone.now()) is None:
        logger.info("invitation link refused: unknown, used, revoked or expired")
        return _neutral(request)
    request.session[SESSION_TOKEN_KEY] = token
    return _strict_referrer(redirect("invitations:accept"), policy="no-referrer")


@public
def accept(request):
    token = request.session.get(SESSION_TOKEN_KEY, "")
    invitation = invitation_find(token=token, now=timezone.now())
    if invitation is None:
        return _neutral(request)
    invitee = invitation.membership.user
    account = invitation.membership.account
    # Before the invitee chooses, the inviting account's default language (accounts.languages).
    request.LANGUAGE_CODE = page_language(request, account=account)
    translation.activate(request.LANGUAGE_CODE)
    context = {"invitation": invitation, "account": account, "invitee": invitee}

    if request.user.is_authenticated and request.user.pk != invitee.pk:
        return _strict_referrer(TemplateResponse(request, "invitations/someone_else.html", context))

    code_id = request.session.get(SESSION_CODE_KEY)
    if (
        not request.user.is_authenticated
        and invitation.delivery == Delivery.LINK
        and not mailbox_confirmed(invitation=invitation, code_id=code_id, now=timezone.now())
    ):
        return _mailbox_confirm(request, token, context)

    if request.user.is_authenticated:
        form, template = None, "invitations/join_signed_in.html"
    elif invitee.has_usable_password():
        form = JoinExistingUserForm(request.POST or None)
        template = "invitations/join_existing.html"
    else:
        # The name this account typed when inviting them, not one set elsewhere.
        membership = invitation.membership
        form = JoinNewUserForm(
            request.POST or None,
            user=invitee,
            initial={"first_name": membership.first_name, "last_name": membership.last_name},
        )
        template = "invitations/join_new.html"
    context["form"] = form

    if request.method == "POST":
        if _limited(request):
            return _too_many(request)
        user, fields = _joining_user(request, form, invitee)
        if user is not None:
            try:
                membership = invitation_accept(
                    token=token, user=user, mailbox_code_id=code_id, **fields
                )
            except InvitationInvalid:
                return _neutral(request)
            except (InvitationPasswordAlreadySet, MailboxNotConfirmed):
                # Set elsewhere meanwhile, or the confirmation has lapsed: the page as it is now.
                return redirect("invitations:accept")
            for key in (SESSION_TOKEN_KEY, SESSION_CODE_KEY, SESSION_CODE_SENT_KEY):
                request.session.pop(key, None)
            if not request.user.is_authenticated or fields:
                # Signing in (or setting a password) rotates the session key.
                user.refresh_from_db()
                login(request, user, backend="accounts.backends.EmailBackend")
            # The language picked with the page's switcher is the person's choice from now on
            # (their emails too), unless they had made one already.
            chosen = browser_language_chosen(request)
            if chosen and not user.language:
                user_language_choose(user=user, language=chosen)
            current_account_set(session=request.session, membership=membership)
            return redirect("accounts:home")
    return _strict_referrer(TemplateResponse(request, template, context))


def _mailbox_confirm(request, token: str, context: dict):
    """A copied link, not signed in as the invitee: email a code to the invited address, and
    go on once it is typed back. Says nothing about the person beyond the address."""
    invitation = context["invitation"]
    sent = request.session.get(SESSION_CODE_SENT_KEY) == invitation.pk
    form = MailboxCodeForm()
    if request.method == "POST":
        if _limited(request):
            return _too_many(request)
        sending = "send" in request.POST
        # "Send a new code" posts no code: its refusal is shown at the field all the same.
        form = MailboxCodeForm({} if sending else request.POST)
        try:
            if sending:
                form.full_clean()
                form.errors.clear()
                mailbox_code_request(token=token)
                request.session[SESSION_CODE_SENT_KEY] = invitation.pk
                return redirect("invitations:accept")
            if form.is_valid():
                request.session[SESSION_CODE_KEY] = mailbox_code_confirm(
                    token=token, code=form.cleaned_data["code"]
                )
                return redirect("invitations:accept")
        except InvitationInvalid:
            return _neutral(request)
        except MailboxError as error:
            form_error_add(form, error)
    context.update(
        form=form,
        sent=sent,
        minutes=int(MAILBOX_CODE_LIFETIME.total_seconds() // 60),
    )
    return _strict_referrer(
        TemplateResponse(request, "invitations/join_confirm_email.html", context)
    )


def _joining_user(request, form, invitee):
    """Who joins with this POST and what they set; (None, {}) when the form refuses."""
    if form is None:  # already signed in as the invitee
        return request.user, {}
    if not form.is_valid():
        return None, {}
    if isinstance(form, JoinExistingUserForm):
        user = authenticate(request, username=invitee.email, password=form.cleaned_data["password"])
        if user is None:
            form.add_error(
                "password",
                _("That password is not right. Try again, or use “Forgot password” to reset it."),
            )
        return user, {}
    return invitee, {
        "password": form.cleaned_data["password1"],
        "first_name": form.cleaned_data["first_name"],
        "last_name": form.cleaned_data["last_name"],
    }


@public
@require_POST
def switch_user(request):
    """Signed in as someone else: sign out, keep the invitation, and continue."""
    token = request.session.get(SESSION_TOKEN_KEY, "")
    logout(request)
    if token:
        request.session[SESSION_TOKEN_KEY] = token
    return redirect("invitations:accept")
