"""System check: no published SECRET_KEY in production.

The settings default and the key docker-compose used to fall back to are in the repository, so
anyone can sign session cookies and password-reset links with them and derive the key that
encrypts saved Salesforce tokens. With DEBUG off such a key is an error, and an error-level check
stops `runserver`, `migrate` and every other management command (and the container entrypoint)
before they start. With DEBUG on (a laptop, `make run`) the embedded default keeps working.

Deliberately not aware of tests: pytest never runs system checks in-process, and the one place
the suite starts `manage.py` as a process of its own passes a key of its own.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register

PUBLISHED_SECRET_KEYS = frozenset(
    {
        # seatmgr/settings.py: the embedded default.
        "insecure-embedded-default-key-change-me-" + "x" * 20,
        # docker-compose.yml's former fallback (the file now requires SECRET_KEY).
        "change-me-in-production-3f9c1e7a5b2d8046c1a9e7f3b5d2084e6a1c9f7b",
        # Dockerfile: the key collectstatic runs with at build time.
        "collectstatic-build-time-dummy-key-not-used-at-run-time",
    }
)


@register(Tags.security)
def check_secret_key_is_not_published(**kwargs):
    if settings.DEBUG:
        return []
    keys = {
        "SECRET_KEY": [settings.SECRET_KEY],
        "SECRET_KEY_FALLBACKS": list(settings.SECRET_KEY_FALLBACKS),
        "FIELD_ENCRYPTION_KEYS": list(getattr(settings, "FIELD_ENCRYPTION_KEYS", [])),
    }
    return [
        Error(
            f"{name} is a published default key and DEBUG is off.",
            hint=(
                "Set SECRET_KEY (and any SECRET_KEY_FALLBACKS or FIELD_ENCRYPTION_KEYS) to a long "
                "random value from the environment, e.g. "
                'python -c "import secrets; print(secrets.token_urlsafe(50))".'
            ),
            id="accounts.E001",
        )
        for name, values in keys.items()
        if any(value in PUBLISHED_SECRET_KEYS for value in values)
    ]
