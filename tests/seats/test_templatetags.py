"""The Users list's cell filters (seats.templatetags.seats_tags): `ago`, `breakable_email` and
`member_url`."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timesince
from django.utils.translation import gettext

from seats.templatetags.seats_tags import ago, breakable_email, member_url

NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.mark.parametrize(
    ("before", "shown"),
    [
        (timedelta(seconds=0), "now"),
        (timedelta(seconds=20), "20 seconds ago"),
        (timedelta(minutes=5, seconds=30), "5 minutes ago"),
        (timedelta(days=2, hours=23), "2 days ago"),
        (timedelta(days=16), "2 weeks ago"),
        (timedelta(days=45), "1 month ago"),
        (timedelta(days=800), "2 years ago"),
    ],
)
def test_ago_names_the_largest_unit_only(before, shown):
    assert ago(NOW - before).replace("\xa0", " ") == shown  # Django keeps "2 days" together


def test_ago_of_nothing_is_empty():
    assert ago(None) == ""


def test_an_address_may_break_before_its_at_sign_and_is_escaped():
    assert breakable_email("ada@acme.example") == "ada<wbr>@acme.example"
    assert breakable_email('"<b>"@acme.example') == "&quot;&lt;b&gt;&quot;<wbr>@acme.example"


def test_a_name_without_an_at_sign_is_only_escaped():
    assert breakable_email("Tom & Jerry") == "Tom &amp; Jerry"


def test_a_users_link_is_what_url_would_give():
    assert member_url(7) == reverse("seats:user", kwargs={"membership_id": 7})
    assert member_url(123) == reverse("seats:user", kwargs={"membership_id": 123})


def _said_by_django(moment) -> str:
    """What `ago` said before its short cut: Django's timesince, to the largest unit."""
    return gettext("%(time)s ago") % {"time": timesince(moment, timezone.now(), depth=1)}


# A minute to three years, by steps that land on and around every unit's edge (months of 28
# to 31 days, leap years).
SPANS = [
    timedelta(minutes=m) + timedelta(seconds=s)
    for m in (*range(1, 180, 7), *range(59 * 24, 40 * 24 * 60, 173), *range(1, 1100 * 1440, 4003))
    for s in (0, 1, 59)
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/Sao_Paulo"])
def test_ago_says_what_djangos_timesince_says_for_every_span(language, zone):
    # Moments on a clock with summer time too (Paris changes its clocks on 2027-03-28).
    for now in (
        NOW,
        datetime(2027, 4, 10, 9, 0, tzinfo=UTC),
        datetime(2028, 3, 1, 0, 30, tzinfo=UTC),
    ):
        with translation.override(language), timezone.override(zone):
            for span in SPANS:
                moment = (now - span).astimezone(ZoneInfo(zone))
                with time_machine.travel(now, tick=False):
                    assert ago(moment) == _said_by_django(moment), (language, zone, now, span)
