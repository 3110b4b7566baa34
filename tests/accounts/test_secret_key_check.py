"""A published SECRET_KEY (the settings default, the old docker-compose default) refuses to run
with DEBUG off: an error-level system check, which `runserver`, `migrate` and every other
management command run before they start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from accounts.checks import PUBLISHED_SECRET_KEYS

ROOT = Path(__file__).resolve().parents[2]
REAL_KEY = "a-real-production-key-" + "k" * 40


def _errors() -> list[str]:
    return [
        message.id
        for message in checks.run_checks(tags=[checks.Tags.security])
        if message.level >= checks.ERROR
    ]


@pytest.mark.parametrize("key", sorted(PUBLISHED_SECRET_KEYS))
def test_a_published_key_with_debug_off_is_an_error(settings, key):
    settings.DEBUG = False
    settings.SECRET_KEY = key

    assert "accounts.E001" in _errors()


def test_the_settings_default_and_the_old_compose_default_are_published():
    assert "insecure-embedded-default-key-change-me-" + "x" * 20 in PUBLISHED_SECRET_KEYS
    assert "change-me-in-production-3f9c1e7a5b2d8046c1a9e7f3b5d2084e6a1c9f7b" in (
        PUBLISHED_SECRET_KEYS
    )


def test_a_published_key_kept_as_a_fallback_or_an_encryption_key_is_an_error(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = REAL_KEY
    default = next(iter(PUBLISHED_SECRET_KEYS))

    settings.SECRET_KEY_FALLBACKS = [default]
    assert "accounts.E001" in _errors()

    settings.SECRET_KEY_FALLBACKS = []
    settings.FIELD_ENCRYPTION_KEYS = ["another-real-key-" + "e" * 40, default]
    assert "accounts.E001" in _errors()


def test_a_real_key_with_debug_off_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = REAL_KEY
    settings.SECRET_KEY_FALLBACKS = ["an-older-real-key-" + "o" * 40]
    settings.FIELD_ENCRYPTION_KEYS = ["an-encryption-key-" + "e" * 40]

    assert "accounts.E001" not in _errors()


@pytest.mark.parametrize("key", sorted(PUBLISHED_SECRET_KEYS))
def test_a_published_key_with_debug_on_passes(settings, key):
    settings.DEBUG = True
    settings.SECRET_KEY = key

    assert "accounts.E001" not in _errors()


# `manage.py check` in its own process, with only the environment given here: a developer's .env
# (which settings read) is left out, so that what is tested is the environment alone.
_CHECK_WITHOUT_DOTENV = (
    "import environ, sys; environ.Env.read_env = lambda *args, **kwargs: None; "
    "from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py', 'check'])"
)


def _manage_check(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", _CHECK_WITHOUT_DOTENV],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "seatmgr.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_refuses_to_run_with_debug_off_and_no_secret_key_set():
    refused = _manage_check(DEBUG="0")
    assert refused.returncode != 0
    assert "accounts.E001" in refused.stderr

    assert _manage_check(DEBUG="1").returncode == 0, "the embedded default still runs"
    assert _manage_check(DEBUG="0", SECRET_KEY=REAL_KEY).returncode == 0
