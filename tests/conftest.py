"""Test-wide fixtures and the rules about which tests may skip.

Browser tests need Debian's Chromium, PostgreSQL-only tests need DATABASE_URL=postgres://...,
integration tests need Redis. On a laptop without them these tests skip, saying why; in CI
(CI=true, or the SEATMGR_REQUIRE_* variables) a missing part fails the run instead.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone, translation
from hypothesis import settings as hypothesis_settings

# Tests never assert wall-clock times (a loaded CI machine would fail them at random): property
# tests run without hypothesis' per-example deadline.
hypothesis_settings.register_profile("seatmgr", deadline=None)
hypothesis_settings.load_profile("seatmgr")

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def required(part: str) -> bool:
    """Whether a missing `part` (BROWSER, POSTGRES, INTEGRATION) must fail rather than skip."""
    return os.environ.get(f"SEATMGR_REQUIRE_{part}", "") == "1" or (IN_CI and part == "BROWSER")


def skip_or_fail(part: str, reason: str) -> None:
    if required(part):
        pytest.fail(f"{reason} (SEATMGR_REQUIRE_{part} is set: this test must run here)")
    pytest.skip(reason)


def settings_printed(name: str, **env: str) -> str:
    """seatmgr.settings as a fresh process reads it from these environment variables (on top of
    this one's, with a throwaway SECRET_KEY): the printed value of setting `name`."""
    return subprocess.run(
        [sys.executable, "-c", f"from seatmgr import settings; print(settings.{name})"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    # Tests run with DEBUG off and without collectstatic: serve static names unhashed. A fast
    # password hasher keeps the suite quick; the hashing itself is Django's, tested upstream.
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_in_utc():
    """Each test starts in English and UTC, as a request starts with its own language (the
    middleware activates one per request; in a test the thread outlives the request)."""
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        skip_or_fail(
            "POSTGRES",
            "needs PostgreSQL (row locks are no-ops on SQLite): set DATABASE_URL=postgres://...",
        )
