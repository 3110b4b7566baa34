"""Moments, days and times as the viewer's language writes them, in their time zone
(accounts.text: CLDR through Babel, its patterns parsed once per language)."""

from datetime import UTC, date, datetime

import pytest
from babel.dates import format_datetime
from django.utils import timezone, translation

from accounts.text import clock, day, moment_text

MOMENT = datetime(2026, 12, 23, 13, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "zone", "written"),
    [
        ("en", "UTC", "Dec 23, 2026, 1:05\u202fPM"),
        ("en", "America/New_York", "Dec 23, 2026, 8:05\u202fAM"),
        ("fr", "Europe/Paris", "23 déc. 2026, 14:05"),
        ("fr", "Asia/Tokyo", "23 déc. 2026, 22:05"),
    ],
)
def test_a_moment_reads_in_the_viewers_language_and_time_zone(language, zone, written):
    with translation.override(language), timezone.override(zone):
        assert moment_text(MOMENT) == written


def test_a_moment_reads_as_babel_writes_cldrs_medium_date_and_short_time():
    for language in ("en", "fr"):
        with translation.override(language):
            expected = format_datetime(MOMENT, "medium", locale=language)
            # Babel's "medium" takes the medium time too; the product shows the short one.
            assert moment_text(MOMENT).split(",")[0] == expected.split(",")[0]


def test_the_language_can_change_between_two_moments_of_one_process():
    with translation.override("fr"):
        french = moment_text(MOMENT)
    with translation.override("en"):
        english = moment_text(MOMENT)
    assert (french, english) == ("23 déc. 2026, 13:05", "Dec 23, 2026, 1:05\u202fPM")


def test_a_moment_without_a_time_zone_is_taken_as_utc():
    with translation.override("fr"), timezone.override("Europe/Paris"):
        assert moment_text(MOMENT.replace(tzinfo=None)) == "23 déc. 2026, 13:05"


def test_a_day_and_a_time_read_in_the_viewers_language():
    with translation.override("fr"), timezone.override("Europe/Paris"):
        assert (day(MOMENT), day(date(2026, 12, 23)), clock(MOMENT)) == (
            "23 déc. 2026",
            "23 déc. 2026",
            "14:05",
        )


def test_remembered_moments_still_follow_the_zone_and_the_minute():
    # The same instant seen from two zones, and two instants a few seconds and a minute apart:
    # the words remembered for one are never given for another.
    with translation.override("en"):
        with timezone.override("Europe/Paris"):
            paris = moment_text(MOMENT)
        with timezone.override("America/New_York"):
            new_york = moment_text(MOMENT)
            same_minute = moment_text(MOMENT.replace(second=59))
            next_minute = moment_text(MOMENT.replace(minute=6))

    assert paris == "Dec 23, 2026, 2:05\u202fPM"
    assert new_york == same_minute == "Dec 23, 2026, 8:05\u202fAM"
    assert next_minute == "Dec 23, 2026, 8:06\u202fAM"
