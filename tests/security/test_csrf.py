"""CSRF: every URL that takes a POST refuses one without the token, and nothing is exempt but
the payment provider's signed webhook."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.authorization_matrix import ANONYMOUS, ENDPOINTS, SUPER_ADMIN
from tests.security.probe import client_for, described, prepare, request, url_for
from tests.security.world import snapshot, snapshot_difference

pytestmark = pytest.mark.django_db

SOURCE_DIRS = ("accounts", "seats", "billing", "invitations", "seatmgr")
# The payment provider's webhook takes no CSRF token: its signature is checked instead (below).
POST_URLS = [
    name
    for name, endpoint in ENDPOINTS.items()
    if "POST" in endpoint.methods and name != "billing:stripe_webhook"
]
CASES = [(name, role) for name in POST_URLS for role in (SUPER_ADMIN, ANONYMOUS)]


@pytest.mark.parametrize(("name", "role"), CASES, ids=["|".join(case) for case in CASES])
def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(world, name, role):
    endpoint = ENDPOINTS[name]
    client = client_for(world, role, enforce_csrf_checks=True)
    prepare(client, endpoint, world.this)
    before = snapshot()

    response = request(
        client, "POST", url_for(name, endpoint, world.this), endpoint.data(world.this)
    )

    assert response.status_code == 403, described(response)
    assert b"This form has expired" in response.content
    assert snapshot_difference(before, snapshot()) == {}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_get_changes_nothing(world, name):
    """A GET is never checked for a CSRF token, so no page may write on one."""
    endpoint = ENDPOINTS[name]
    client = client_for(world, SUPER_ADMIN, enforce_csrf_checks=True)
    prepare(client, endpoint, world.this)
    before = snapshot()

    request(client, "GET", url_for(name, endpoint, world.this))

    assert snapshot_difference(before, snapshot()) == {}


def test_the_csrf_middleware_is_installed():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


# The one exempt view: the payment provider's webhook, a server's POST that no browser makes and
# no cookie authenticates; its credential is the signature the gateway verifies
# (tests/billing/test_webhooks.py).
SIGNED_WEBHOOKS = {"billing/webhook_views.py": "billing/stripe/webhook/"}


def test_no_source_file_exempts_a_view_from_csrf():
    root = Path(settings.BASE_DIR)
    offenders = [
        str(path.relative_to(root))
        for directory in SOURCE_DIRS
        for path in (root / directory).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix in {".py", ".html", ".txt", ".cfg", ".toml"}
        and "csrf_exempt" in path.read_text(encoding="utf-8", errors="replace")
        and str(path.relative_to(root)) not in HEADER_AUTHENTICATED_MODULES
        and str(path.relative_to(root)) not in SIGNED_WEBHOOKS
    ]
    assert offenders == []


# The JSON API (/api/v1/, django-ninja, whose views are csrf_exempt) reads no session and no
# cookie: its one credential is the Authorization header, which a cross-site page can't make a
# browser send (tests/api/test_authorization.py: a signed-in session alone gets 401).
HEADER_AUTHENTICATED = ("api_v1",)
# SCIM's endpoints (scim/views.py) likewise take only a Bearer key of scope "scim", never a
# session (tests/scim/test_authorization.py: a signed-in session alone gets 401); its settings
# page, in scim/pages.py, keeps CSRF.
HEADER_AUTHENTICATED_MODULES = {"scim/views.py": "scim.views"}


def _callbacks(resolver: URLResolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace not in HEADER_AUTHENTICATED:
                yield from _callbacks(entry)
        elif (
            isinstance(entry, URLPattern)
            and entry.callback.__module__ not in HEADER_AUTHENTICATED_MODULES.values()
        ):
            yield entry


def test_no_url_resolves_to_a_csrf_exempt_view():
    """The same, at run time: a view wrapped by csrf_exempt anywhere (a library, a decorator)."""
    exempt = [
        str(p.pattern)
        for p in _callbacks(get_resolver())
        if getattr(p.callback, "csrf_exempt", False)
        and str(p.pattern) not in SIGNED_WEBHOOKS.values()
    ]
    assert exempt == []
