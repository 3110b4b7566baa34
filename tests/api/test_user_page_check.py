"""api.schemas.USER_PAGE_CHECK: the users list's page, checked as plain dicts. It takes and
refuses what the UserPage model (the documented schema) takes and refuses, and writes the same
JSON."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from api.schemas import USER_PAGE_CHECK, UserPage


def user(**changes):
    answer = {
        "id": 7,
        "email": "ada@acme.example",
        "name": "Ada Lovelace",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "status": "active",
        "seat_type": "core",
        "is_super_admin": False,
        "access": "seat_defaults",
        "permission_set_id": None,
        "permission_template": "",
        "main_team": {"id": 3, "name": "Sales"},
        "extra_teams": [{"id": 4, "name": 'Ops "Night"'}, {"id": 5, "name": "東京"}],
        "invitation_state": "accepted",
        "last_active_at": datetime(2027, 3, 1, 9, 30, 5, tzinfo=UTC),
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    answer.update(changes)
    return answer


@pytest.mark.parametrize(
    "users",
    [
        [user()],
        [user(main_team=None, extra_teams=[], last_active_at=None, invitation_state=None)],
        [],
    ],
    ids=["full", "nulls", "empty"],
)
def test_a_page_is_written_as_the_model_writes_it(users):
    page = {"users": users, "next_cursor": "abc" if users else None}

    written = USER_PAGE_CHECK.dump_json(USER_PAGE_CHECK.validate_python(page))

    assert written == UserPage.model_validate(page).model_dump_json().encode()


@pytest.mark.parametrize(
    "wrong",
    [
        {"status": "asleep"},
        {"seat_type": "gold"},
        {"id": "seven"},
        {"main_team": {"id": 3}},
        {"extra_teams": [{"name": "Ops"}]},
        {"created_at": None},
        {"email": None},
    ],
    ids=lambda wrong: next(iter(wrong)),
)
def test_a_user_the_model_refuses_is_refused(wrong):
    page = {"users": [user(**wrong)], "next_cursor": None}

    with pytest.raises(ValidationError):
        UserPage.model_validate(page)
    with pytest.raises(ValidationError):
        USER_PAGE_CHECK.validate_python(page)


def test_a_missing_field_is_refused_as_by_the_model():
    incomplete = user()
    del incomplete["invitation_state"]
    page = {"users": [incomplete], "next_cursor": None}

    with pytest.raises(ValidationError):
        UserPage.model_validate(page)
    with pytest.raises(ValidationError):
        USER_PAGE_CHECK.validate_python(page)
