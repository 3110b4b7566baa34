"""Membership.sort_name, the Users tab's name order, kept by database triggers (accounts 0009)
whoever writes the rows: services, a plain save(), bulk_create, raw SQL, a rename.

These run on both databases: the triggers are written for PostgreSQL and for SQLite.
"""

import importlib

import pytest
from django.db import connection

from accounts.models import Membership, MembershipStatus, SeatType, User
from accounts.services import user_profile_update
from tests.factories import AccountFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def key_of(membership: Membership) -> str:
    return Membership.objects.values_list("sort_name", flat=True).get(pk=membership.pk)


def test_a_member_is_keyed_by_first_then_last_name_in_lower_case():
    member = MembershipFactory(user__first_name="Grace", user__last_name="HOPPER")

    assert key_of(member) == "grace hopper"


def test_a_member_without_a_name_is_keyed_by_their_email():
    member = MembershipFactory(
        user__first_name="", user__last_name="", user__email="nameless@acme.example"
    )

    assert key_of(member) == "nameless@acme.example"


def test_a_member_with_one_name_is_keyed_by_it_without_spaces():
    only_last = MembershipFactory(user__first_name="", user__last_name="Lovelace")
    only_first = MembershipFactory(user__first_name="Ada ", user__last_name="")

    assert (key_of(only_last), key_of(only_first)) == ("lovelace", "ada")


def test_renaming_a_person_moves_them_in_every_account_they_belong_to():
    user = UserFactory(first_name="Zed", last_name="Zulu")
    first = MembershipFactory(user=user)
    second = MembershipFactory(user=user)

    user_profile_update(user=user, first_name="Alan", last_name="Turing", language="en")

    assert (key_of(first), key_of(second)) == ("alan turing", "alan turing")


def test_a_new_email_moves_a_person_without_a_name():
    member = MembershipFactory(user__first_name="", user__last_name="", user__email="b@x.example")

    User.objects.filter(pk=member.user_id).update(email="a@x.example")

    assert key_of(member) == "a@x.example"


def test_renaming_one_person_leaves_the_others_alone():
    renamed = MembershipFactory(user__first_name="Old", user__last_name="Name")
    other = MembershipFactory(user__first_name="Kept", user__last_name="As is")

    User.objects.filter(pk=renamed.user_id).update(first_name="New")

    assert (key_of(renamed), key_of(other)) == ("new name", "kept as is")


def test_saving_a_membership_loaded_before_a_rename_keeps_the_new_key():
    member = MembershipFactory(user__first_name="Before", user__last_name="Rename")
    stale = Membership.objects.get(pk=member.pk)  # holds the old key in memory
    User.objects.filter(pk=member.user_id).update(first_name="After")

    stale.seat_type = SeatType.VIEW_ONLY
    stale.save()

    assert key_of(member) == "after rename"


def test_members_written_in_bulk_are_keyed_too():
    account = AccountFactory()
    people = [
        UserFactory(first_name="Bulk", last_name=str(n), email=f"b{n}@x.example") for n in (1, 2)
    ]

    created = Membership.objects.bulk_create(
        [Membership(user=user, account=account, status=MembershipStatus.ACTIVE) for user in people]
    )

    keys = Membership.objects.filter(account=account).order_by("sort_name")
    assert len(created) == 2
    assert list(keys.values_list("sort_name", flat=True)) == ["bulk 1", "bulk 2"]


def test_members_inserted_with_raw_sql_are_keyed_too():
    account = AccountFactory()
    user = UserFactory(first_name="Raw", last_name="Insert")
    columns = [f for f in Membership._meta.concrete_fields if f.column not in {"id", "sort_name"}]
    values = Membership(user=user, account=account, status=MembershipStatus.ACTIVE)
    names, marks = ", ".join(f.column for f in columns), ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO accounts_membership ({names}) VALUES ({marks})"  # noqa: S608 - no input
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [f.get_db_prep_save(f.pre_save(values, True), connection) for f in columns]
        )

    assert Membership.objects.get(account=account, user=user).sort_name == "raw insert"


def test_the_migration_gives_a_waiting_member_their_name_only_when_no_other_account_has_them():
    """accounts/0010 fills the name an account typed for members who had not joined yet: the
    person's name, when only this account could have set it; otherwise none, never another
    account's."""
    from django.apps import apps

    fill = importlib.import_module("accounts.migrations.0010_per_account_names")._given_names_fill
    alone = MembershipFactory(invited=True, user__first_name="Only", user__last_name="Here")
    shared = UserFactory(first_name="Set", last_name="Elsewhere")
    waiting = MembershipFactory(invited=True, user=shared)
    MembershipFactory(user=shared)
    Membership.objects.filter(pk__in=[alone.pk, waiting.pk]).update(first_name="", last_name="")

    fill(apps)

    assert Membership.objects.get(pk=alone.pk).display_name == "Only Here"
    assert Membership.objects.get(pk=waiting.pk).display_name == shared.email
    assert Membership.objects.get(pk=waiting.pk).sort_name == shared.email
