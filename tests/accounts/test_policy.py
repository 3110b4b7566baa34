"""The one authorisation check, and deny-by-default over every URL."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.access import ACCESS_ATTRIBUTE, SUPER_ADMIN, member_required
from accounts.middleware import DenyByDefaultMiddleware
from accounts.policy import ON, AccountPermission, membership_can, membership_is_super_admin
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("permission", list(AccountPermission))
def test_a_super_admin_may_do_everything(permission):
    assert membership_can(MembershipFactory.build(super_admin=True), permission)


@pytest.mark.parametrize("permission", list(AccountPermission))
def test_a_member_may_do_only_what_their_permissions_turn_on(permission):
    member = MembershipFactory.build()
    assert not membership_can(member, permission)
    member.permissions[str(permission)] = ON
    assert membership_can(member, permission)
    others = [p for p in AccountPermission if p != permission]
    assert not any(membership_can(member, other) for other in others)


@pytest.mark.parametrize("trait", ["deactivated", "invited"])
def test_a_member_who_is_not_active_may_do_nothing_even_as_super_admin(trait):
    member = MembershipFactory.build(super_admin=True, **{trait: True})
    assert not membership_is_super_admin(member)
    assert not any(membership_can(member, p) for p in AccountPermission)


def test_no_membership_may_do_nothing():
    assert not any(membership_can(None, p) for p in AccountPermission)
    assert not membership_is_super_admin(None)


def _patterns(resolver: URLResolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def test_every_url_outside_django_admin_declares_who_may_open_it():
    undeclared = [
        f"{ns}:{p.name}"
        for ns, p in _patterns(get_resolver())
        if ns != "admin" and getattr(p.callback, ACCESS_ATTRIBUTE, None) is None
    ]
    assert undeclared == []


def test_a_view_that_declares_nothing_is_refused():
    def undeclared_view(request):
        return HttpResponse("open")

    request = RequestFactory().get("/anything/")
    request.resolver_match = None
    with pytest.raises(PermissionDenied):
        DenyByDefaultMiddleware(lambda r: None).process_view(request, undeclared_view, (), {})


def test_super_admin_only_views_refuse_holders_of_every_permission():
    member = MembershipFactory.build(permissions={str(p): ON for p in AccountPermission})
    view = member_required(SUPER_ADMIN)(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/")
    request.membership = member
    with pytest.raises(PermissionDenied):
        view(request)
    request.membership = MembershipFactory.build(super_admin=True)
    assert view(request).status_code == 200
