"""Django's database session store, with the person signed in to a session kept in a column of
its own (accounts.models.Session.user) and read with the session: on a signed-in request the
session, the person and the memberships they can pick from come back in one query
(accounts.signed_in.session_with_person), and Django's authentication then takes that person
instead of asking again (accounts.backends.EmailBackend.get_user).

Everything else is Django's: the session's data, its signature and expiry, the key cycled at
sign-in, the row deleted at sign-out. Django's `get_user` still checks the session's password
hash against the person before anyone is signed in.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.utils import timezone

from accounts.signed_in import session_with_person


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):
            session.user_id = None
        return session

    def _get_session_from_db(self):
        session = session_with_person(session_key=self.session_key, now=timezone.now())
        if session is None:
            self._session_key = None
        return session
