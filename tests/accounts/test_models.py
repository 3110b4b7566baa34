"""The database constraints of the accounts floor (DOMAIN.md section 1, STYLE.md item 5).

Each rule is proven by the database refusing a row that breaks it, next to a row that only just
keeps it being accepted.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import (
    Access,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    PartnerDomain,
    SeatType,
    Team,
    User,
)
from tests.factories import (
    AuditEventFactory,
    MembershipFactory,
    PartnerDomainFactory,
    PermissionSetFactory,
    PresetFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


# --- User: one person per address, whatever its case ------------------------------------------


def test_create_user_stores_the_address_trimmed_and_lower_case():
    user = User.objects.create_user("  Alice.Smith@Example.COM ")

    user.refresh_from_db()
    assert user.email == "alice.smith@example.com"


def test_an_address_saved_with_capitals_behind_the_managers_back_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="A@x.com")


def test_a_lower_case_address_saved_directly_is_accepted():
    User.objects.create(email="a@x.com")

    assert User.objects.filter(email="a@x.com").exists()


def test_two_users_with_the_same_address_are_refused():
    User.objects.create(email="a@x.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="a@x.com")


def test_an_address_differing_only_in_case_cannot_become_a_second_user():
    User.objects.create_user("a@x.com")

    with pytest.raises(ValidationError):
        User.objects.create_user("A@X.com")
    assert User.objects.count() == 1


def test_signing_in_finds_the_user_whatever_the_case_typed():
    user = User.objects.create_user("a@x.com")

    assert User.objects.get_by_natural_key("A@X.COM") == user


# --- Membership ----------------------------------------------------------------------------------


def test_a_user_has_at_most_one_membership_per_account():
    membership = MembershipFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=membership.user, account=membership.account)


def test_a_user_may_belong_to_two_accounts():
    membership = MembershipFactory()

    MembershipFactory(user=membership.user)

    assert Membership.objects.filter(user=membership.user).count() == 2


def test_a_super_admin_on_a_view_only_seat_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(super_admin=True, seat_type=SeatType.VIEW_ONLY)


@pytest.mark.parametrize("seat_type", [SeatType.CORE, SeatType.SALES, SeatType.PARTNER])
def test_a_super_admin_on_any_other_seat_is_accepted(seat_type):
    membership = MembershipFactory(super_admin=True, seat_type=seat_type)

    assert Membership.objects.get(pk=membership.pk).is_super_admin


def test_an_unknown_seat_type_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(seat_type="platinum", permissions={})


def test_an_unknown_status_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(status="suspended")


def test_an_unknown_access_source_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(access="inherited")


def test_access_from_a_permission_set_without_the_set_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(access=Access.PERMISSION_SET, permission_set=None)


def test_a_permission_set_on_a_member_whose_access_is_not_from_it_is_refused():
    permission_set = PermissionSetFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(
            account=permission_set.account, access=Access.CUSTOM, permission_set=permission_set
        )


def test_access_from_a_permission_set_naming_the_set_is_accepted():
    permission_set = PermissionSetFactory()

    membership = MembershipFactory(
        account=permission_set.account,
        access=Access.PERMISSION_SET,
        permission_set=permission_set,
    )

    assert Membership.objects.get(pk=membership.pk).permission_set == permission_set


def test_access_from_a_template_without_the_template_code_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(access=Access.TEMPLATE, permission_template="")


def test_a_template_code_on_a_member_whose_access_is_not_from_it_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(access=Access.CUSTOM, permission_template="marketer")


def test_access_from_a_template_naming_the_template_is_accepted():
    membership = MembershipFactory(access=Access.TEMPLATE, permission_template="marketer")

    assert Membership.objects.get(pk=membership.pk).permission_template == "marketer"


def test_a_deactivated_member_without_a_deactivation_time_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(status=MembershipStatus.DEACTIVATED, deactivated_at=None)


@pytest.mark.parametrize("status", [MembershipStatus.ACTIVE, MembershipStatus.INVITED])
def test_a_deactivation_time_on_a_member_who_is_not_deactivated_is_refused(status):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(status=status, deactivated_at=timezone.now())


def test_a_deactivated_member_with_a_deactivation_time_is_accepted():
    membership = MembershipFactory(deactivated=True)

    assert Membership.objects.get(pk=membership.pk).deactivated_at is not None


# --- Teams, permission sets, presets: names unique in an account ---------------------------------


def test_two_teams_of_one_account_with_names_differing_only_in_case_are_refused():
    team = TeamFactory(name="Sales")

    with pytest.raises(IntegrityError), transaction.atomic():
        TeamFactory(account=team.account, name="SALES")


def test_a_team_name_may_be_reused_in_another_account():
    TeamFactory(name="Sales")

    TeamFactory(name="Sales")

    assert Team.objects.filter(name="Sales").count() == 2


def test_a_team_cannot_be_its_own_parent():
    team = TeamFactory()

    team.parent = team
    with pytest.raises(IntegrityError), transaction.atomic():
        team.save()


def test_a_team_may_be_nested_under_another_team():
    parent = TeamFactory(name="Sales")

    child = TeamFactory(account=parent.account, name="Sales EMEA", parent=parent)

    assert list(parent.children.all()) == [child]


def test_two_permission_sets_of_one_account_with_names_differing_only_in_case_are_refused():
    permission_set = PermissionSetFactory(name="Field sales")

    with pytest.raises(IntegrityError), transaction.atomic():
        PermissionSetFactory(account=permission_set.account, name="field SALES")


def test_a_permission_set_name_may_be_reused_in_another_account():
    PermissionSetFactory(name="Field sales")

    PermissionSetFactory(name="Field sales")


def test_two_presets_of_one_account_with_names_differing_only_in_case_are_refused():
    preset = PresetFactory(name="New hire")

    with pytest.raises(IntegrityError), transaction.atomic():
        PresetFactory(account=preset.account, name="NEW HIRE")


def test_a_preset_name_may_be_reused_in_another_account():
    PresetFactory(name="New hire")

    PresetFactory(name="New hire")


# --- Partner domains -----------------------------------------------------------------------------


def test_a_partner_domain_belongs_to_one_partner_only():
    PartnerDomainFactory(domain="agency.example")

    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerDomainFactory(domain="agency.example")


def test_a_partner_domain_with_capitals_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerDomainFactory(domain="Agency.example")


def test_a_lower_case_partner_domain_is_accepted():
    PartnerDomainFactory(domain="agency.example")

    assert PartnerDomain.objects.filter(domain="agency.example").exists()


# --- Audit events --------------------------------------------------------------------------------


def test_an_audit_event_cannot_be_saved_a_second_time():
    event = AuditEventFactory(verb=AuditVerb.MEMBER_ADDED)

    event.verb = AuditVerb.MEMBER_REMOVED
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).verb == AuditVerb.MEMBER_ADDED
