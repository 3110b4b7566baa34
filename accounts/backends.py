from django.contrib.auth.backends import ModelBackend

from accounts.models import email_normalise
from accounts.signed_in import person_take, user_with_memberships_get


class EmailBackend(ModelBackend):
    """Sign in with an email address in any case; the stored form is normalised."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = kwargs.get("email", username)
        if email is None or password is None:
            return None
        return super().authenticate(request, username=email_normalise(email), password=password)

    def get_user(self, user_id):
        """The signed-in person of a session, with the memberships they can pick from read in
        the same query (accounts.middleware.CurrentAccountMiddleware needs them next): the
        query that read the session found them (accounts.sessions), else one of its own."""
        user = person_take(user_id) or user_with_memberships_get(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# What django-axes keeps of a username (AccessAttempt.username, AccessFailureLog.username).
AXES_USERNAME_LENGTH = 255


def axes_username(request, credentials) -> str:
    """The address django-axes counts failures against: normalised, so that changing its
    letter case does not buy an attacker more attempts, and cut to what axes can store, so that
    an over-long address (no real one passes 254 characters) cannot fail its bookkeeping."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return email_normalise(raw)[:AXES_USERNAME_LENGTH]
