"""What every page shares from floor 1: a domain error shown at its field (accounts.errors),
and the one pager, whose links keep the list's filters (accounts/templatetags/pages.py)."""

import re

import pytest
from django import forms
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.errors import DomainError, TeamNameTaken, form_error_add
from accounts.models import SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from tests.factories import AccountFactory, MembershipFactory


class NameForm(forms.Form):
    name = forms.CharField()
    parent = forms.CharField(required=False)


class Refused(DomainError):
    code = "refused"
    message = "Not like this, {who}."


def test_an_error_shows_at_its_own_field():
    form = NameForm({"name": "Sales"})
    form.is_valid()

    form_error_add(form, TeamNameTaken(name="Sales"))

    assert form.errors["name"] == ["There is already a team called “Sales”. Choose another name."]


def test_an_error_without_a_field_shows_at_the_pages_usual_field_or_above_the_form():
    form = NameForm({"name": "Sales"})
    form.is_valid()

    form_error_add(form, Refused(who="Ada"), default_field="parent")
    form_error_add(form, Refused(who="Bo"))

    assert form.errors["parent"] == ["Not like this, Ada."]
    assert form.non_field_errors() == ["Not like this, Bo."]


def test_an_error_about_a_field_the_form_lacks_shows_above_the_form():
    form = NameForm({"name": "Sales"})
    form.is_valid()

    form_error_add(form, Refused(who="Cy", field="quantity"))

    assert form.non_field_errors() == ["Not like this, Cy."]


def test_a_domain_error_can_be_raised_about_a_field():
    error = Refused(who="Di", field="name")
    assert (error.field, error.code, str(error)) == ("name", "refused", "Not like this, Di.")
    assert Refused(who="Di").field is None


def pager_links(html: str) -> dict[str, str]:
    return {
        rel: href.replace("&amp;", "&")
        for href, rel in re.findall(r'<a href="([^"]*)" rel="(prev|next)"', html)
    }


def test_the_pagers_links_keep_the_filters_and_replace_the_page():
    request = RequestFactory().get("/list/", {"q": "ada lovelace", "seat": "core", "page": "2"})
    page = Paginator(range(120), 50).get_page(2)

    html = render_to_string("partials/pager.html", {"page": page}, request=request)

    assert pager_links(html) == {
        "prev": "?q=ada+lovelace&seat=core&page=1",
        "next": "?q=ada+lovelace&seat=core&page=3",
    }
    assert "Page 2 of 3" in html


@pytest.mark.django_db
def test_page_2_of_the_seats_tab_is_page_2_of_the_same_filtered_list(client):
    # The bug this pager fixed: the Seats tab's "Next" dropped the filter on page 2.
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=timezone.now(),
        actor=None,
    )
    admin = MembershipFactory(account=account, super_admin=True, user__email="ada@initech.example")
    for i in range(55):
        MembershipFactory(account=account, view_only=True, user__email=f"viewer{i}@initech.example")
    client.force_login(admin.user)

    first = client.get(reverse("billing:seats"), {"seat": SeatType.VIEW_ONLY})
    next_page = pager_links(first.content.decode())["next"]
    second = client.get(reverse("billing:seats") + next_page)

    assert next_page == f"?seat={SeatType.VIEW_ONLY}&page=2"
    assert second.context["page"].number == 2
    listed = {m.user.email for m in second.context["page"].object_list}
    assert listed and all(email.startswith("viewer") for email in listed)
