"""Sign-in, account choice, profile and notification preferences. Thin: check, validate, call."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import member_required, no_access_response, public, signed_in
from accounts.forms import (
    AccountDefaultsForm,
    NotificationsForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignInForm,
)
from accounts.languages import page_language
from accounts.models import MembershipStatus
from accounts.notifications import Channel, notification_preferences
from accounts.policy import AccountPermission, membership_can
from accounts.ratelimit import client_ip, rate_limit_exceeded
from accounts.selectors import (
    membership_get_for_user,
    memberships_selectable,
    notification_list,
)
from accounts.services import (
    account_defaults_update,
    current_account_set,
    notification_settings_update,
    notifications_mark_read,
    password_reset_request,
    user_profile_update,
)
from accounts.text import sentence


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")
    # Per address and per client, an hour: past it the page answers as always and sends nothing.
    PER_ADDRESS, PER_CLIENT, WINDOW = 5, 20, 3600

    def form_valid(self, form):
        address = form.cleaned_data["email"]
        limited = rate_limit_exceeded(
            scope="reset-address", key=address, limit=self.PER_ADDRESS, window_seconds=self.WINDOW
        ) | rate_limit_exceeded(
            scope="reset-client",
            key=client_ip(self.request),
            limit=self.PER_CLIENT,
            window_seconds=self.WINDOW,
        )
        if not limited:
            password_reset_request(email=address)
        # The one answer, whether the address has an account, may reset, or was limited.
        return redirect(self.success_url)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@public
@require_POST
def language_choose(request):
    """The language switcher of the signed-out pages (sign-in, invitations): remembered in a
    cookie (accounts.languages reads it before the browser's language), back to the page."""
    language = request.POST.get("language", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("accounts:login")
    response = redirect(back)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


sign_in = public(SignInView.as_view())
sign_out = public(SignOutView.as_view())
password_reset = public(PasswordResetView.as_view())
password_reset_done = public(PasswordResetDoneView.as_view())
password_reset_confirm = public(PasswordResetConfirmView.as_view())
password_reset_complete = public(PasswordResetCompleteView.as_view())


def landing_url(membership) -> str:
    """The first settings page this member may open."""
    if membership_can(membership, AccountPermission.USERS):
        return reverse("seats:users")
    if membership_can(membership, AccountPermission.BILLING):
        return reverse("billing:account")
    return reverse("accounts:profile")


@signed_in
@require_safe
def home(request):
    membership = request.membership
    if membership is None:
        return redirect("accounts:choose_account")
    if membership.status != MembershipStatus.ACTIVE:
        return no_access_response(request)
    return redirect(landing_url(membership))


@signed_in
@require_safe
def choose_account(request):
    memberships = memberships_selectable(user=request.user)
    return render(
        request,
        "accounts/choose_account.html",
        {"memberships": memberships, "current": request.membership},
    )


@signed_in
@require_POST
def switch_account(request):
    try:
        account_id = int(request.POST.get("account", ""))
    except ValueError:
        raise Http404 from None
    membership = membership_get_for_user(user=request.user, account_id=account_id)
    if membership is None:
        raise Http404
    current_account_set(session=request.session, membership=membership)
    request.membership = membership
    if membership.status != MembershipStatus.ACTIVE:
        return no_access_response(request)
    messages.success(
        request,
        sentence(_("You are now working in %(account)s.") % {"account": membership.account.name}),
    )
    return redirect(landing_url(membership))


@member_required()
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "time_zone": user.time_zone,
        },
    )
    if request.method == "POST" and form.is_valid():
        user_profile_update(user=user, **form.cleaned_data)
        # The confirmation reads in the language just chosen, as the next page will.
        translation.activate(page_language(request, account=request.membership.account))
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@member_required(AccountPermission.DEFAULTS)
def account_defaults(request):
    account = request.membership.account
    form = AccountDefaultsForm(
        request.POST or None, initial={"default_language": account.default_language}
    )
    if request.method == "POST" and form.is_valid():
        account_defaults_update(account=account, actor=request.user, **form.cleaned_data)
        translation.activate(page_language(request, account=account))
        messages.success(request, _("The account defaults were saved."))
        return redirect("accounts:account_defaults")
    return render(request, "accounts/account_defaults.html", {"form": form})


@member_required()
def notifications(request):
    membership = request.membership
    form = NotificationsForm(
        request.POST or None,
        preferences=notification_preferences(membership.notification_settings),
    )
    if request.method == "POST" and form.is_valid():
        notification_settings_update(membership=membership, choices=form.choices())
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("accounts:notifications")
    return render(
        request,
        "accounts/notifications.html",
        {
            "form": form,
            "channels": list(Channel),
            "recent": notification_list(membership=membership),
        },
    )


@member_required()
@require_POST
def notifications_read(request):
    notifications_mark_read(membership=request.membership, now=timezone.now())
    return redirect("accounts:notifications")
