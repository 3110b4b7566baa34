"""A real SCIM client (scim2-client over httpx2) against the live server, speaking as Okta and
as Microsoft Entra ID do: discovery, users created, found, patched in each dialect, deactivated,
reactivated and deleted; groups created, their members changed, renamed and deleted; seats given
by the extension and by a group's seat rule. Each step is checked in the database and in the
Audit log, not only in the answers."""

import httpx2
import pytest
from django.utils import timezone
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    Email,
    Group,
    GroupMember,
    ListResponse,
    Name,
    ResourceType,
    ScimProvider,
    SearchRequest,
    User,
)

from accounts.models import (
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    SeatType,
    Team,
)
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from scim.models import ScimSettings
from scim.resources import ScimUser, SeatmgrUser
from scim.services import scim_seat_rule_add
from seats.models import SeatPool
from tests.factories import AccountFactory
from tests.scim.conftest import EXTENSION, PATCH_SCHEMA, USER_SCHEMA, scim_token, user_body

pytestmark = pytest.mark.django_db(transaction=True)

KEY_NAME = "Okta"


@pytest.fixture
def account(db) -> Account:
    """Initech as tests/api has it (4 Core seats), with 2 Sales seats bought too."""
    account = AccountFactory(name="Initech")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=timezone.now(),
        actor=None,
        extra_seats={SeatType.CORE: 1, SeatType.SALES: 2},
    )
    return account


@pytest.fixture
def http(live_server, admin):
    token = scim_token(admin, name=KEY_NAME)
    with httpx2.Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@pytest.fixture
def client(http) -> SyncSCIMClient:
    """A client told seatmgr's models; discovery reads the rest (ServiceProviderConfig)."""
    provider = ScimProvider(
        models=[User, SeatmgrUser, Group],
        resource_types=[ResourceType.from_resource(ScimUser), ResourceType.from_resource(Group)],
    )
    scim = SyncSCIMClient(http, provider=provider)
    scim.discover()
    return scim


def new_user(email: str, *, given="Grace", family="Hopper", external_id=None, seat=None):
    user = ScimUser(
        user_name=email,
        name=Name(given_name=given, family_name=family),
        emails=[Email(value=email, type="work", primary=True)],
        external_id=external_id,
        active=True,
    )
    if seat:
        user[SeatmgrUser] = SeatmgrUser(seat_type=seat)
    return user


def patch(client, model, resource_id: str, *operations: dict):
    """A PATCH sent exactly as the identity provider writes it (no client-side rewriting)."""
    return client.modify(
        model,
        resource_id,
        {"schemas": [PATCH_SCHEMA], "Operations": list(operations)},
        check_request_payload=False,
    )


def found(client, text: str) -> list[str]:
    answer = client.query(ScimUser, query_parameters=SearchRequest(filter=text))
    assert isinstance(answer, ListResponse)
    return sorted(u.user_name for u in answer.resources or [])


def events(verb: str, **where) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb, **where))


def core_free(account) -> int:
    pool = SeatPool.objects.get(account=account, seat_type=SeatType.CORE)
    held = Membership.objects.filter(account=account, seat_type=SeatType.CORE).count()
    return pool.total - held


# --- Discovery ------------------------------------------------------------------------------


def test_discovery_from_nothing_reads_the_servers_users_groups_and_extension(http):
    scim = SyncSCIMClient(http)
    scim.discover()

    provider = scim.provider
    assert {rt.id for rt in provider.resource_types} == {"User", "Group"}
    assert provider.config.patch.supported is True
    assert provider.config.bulk.supported is False
    assert provider.config.filter.supported is True
    user_model = provider.model_for("User")
    assert "seat_type" in user_model.get_extension_models()[EXTENSION].model_fields


# --- Users ----------------------------------------------------------------------------------


def test_user_created_found_by_every_filter_kind(client, account, admin):
    created = client.create(new_user("grace@initech.example", external_id="okta-1", seat="core"))
    client.create(new_user("alan@initech.example", given="Alan", family="Turing"))

    assert created.id and created.user_name == "grace@initech.example"
    assert created[SeatmgrUser].seat_type == "core"
    member = Membership.objects.get(pk=created.id)
    assert member.account == account
    assert (member.first_name, member.last_name) == ("Grace", "Hopper")
    assert member.seat_type == SeatType.CORE
    assert member.scim.external_id == "okta-1"
    added = events(AuditVerb.MEMBER_ADDED, target=member)
    assert [e.api_key_name for e in added] == [KEY_NAME]

    grace, alan = ["grace@initech.example"], ["alan@initech.example"]
    assert found(client, 'userName eq "grace@initech.example"') == grace
    assert found(client, 'userName eq "GRACE@initech.example"') == grace
    assert found(client, 'externalId eq "okta-1"') == grace
    assert found(client, 'emails.value co "alan@"') == alan
    assert found(client, 'name.givenName sw "Gr"') == grace
    assert found(client, 'active eq true and name.familyName eq "Turing"') == alan
    assert found(client, 'userName eq "grace@initech.example" or name.givenName eq "Alan"') == (
        alan + grace
    )
    assert found(client, "externalId pr") == grace
    assert found(client, 'userName eq "nobody@initech.example"') == []
    assert found(client, "active eq true") == sorted([admin.user.email, *alan, *grace])


def test_okta_deactivates_and_reactivates_releasing_the_paid_seat(client, account):
    created = client.create(new_user("okta@initech.example", seat="core"))
    free_before = core_free(account)

    # Okta's deactivation: replace with no path, the value an object.
    off = patch(client, ScimUser, created.id, {"op": "replace", "value": {"active": False}})

    assert off.active is False
    member = Membership.objects.get(pk=created.id)
    assert member.status == MembershipStatus.DEACTIVATED
    assert ScimSettings._meta.get_field("release_seat_on_deactivate").default is True
    assert member.seat_type != SeatType.CORE  # the paid seat went back to the pool
    assert core_free(account) == free_before + 1
    (deactivated,) = events(AuditVerb.MEMBER_DEACTIVATED, target=member)
    assert deactivated.api_key_name == KEY_NAME

    on = patch(client, ScimUser, created.id, {"op": "replace", "value": {"active": True}})

    assert on.active is True
    member.refresh_from_db()
    assert member.status != MembershipStatus.DEACTIVATED
    # The identity provider sent seatType core: the reactivated user is back on it.
    assert member.seat_type == SeatType.CORE
    assert core_free(account) == free_before
    (reactivated,) = events(AuditVerb.MEMBER_REACTIVATED, target=member)
    assert reactivated.api_key_name == KEY_NAME

    # Okta's profile update: replace with no path, several attributes at once.
    renamed = patch(
        client,
        ScimUser,
        created.id,
        {"op": "replace", "value": {"name": {"givenName": "Oksana", "familyName": "Tay"}}},
    )
    assert renamed.name.given_name == "Oksana"
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Oksana", "Tay")
    assert events(AuditVerb.MEMBER_RENAMED, target=member)[0].api_key_name == KEY_NAME


def test_with_release_off_a_deactivated_user_keeps_the_paid_seat(client, account, admin):
    ScimSettings.objects.create(account=account, release_seat_on_deactivate=False)
    created = client.create(new_user("keeps@initech.example", seat="core"))
    free_before = core_free(account)

    patch(client, ScimUser, created.id, {"op": "replace", "value": {"active": False}})

    member = Membership.objects.get(pk=created.id)
    assert member.status == MembershipStatus.DEACTIVATED
    assert member.seat_type == SeatType.CORE
    assert core_free(account) == free_before


def test_okta_replaces_a_profile_with_put(client, http):
    created = client.create(new_user("put@initech.example", external_id="okta-9", seat="core"))
    # Okta's PUT: the whole user as it has it, id and all, without seatmgr's extension.
    body = user_body("put@initech.example", id=created.id, externalId="okta-9") | {
        "name": {"givenName": "Petra", "familyName": "Ut"}
    }

    answer = http.put(f"Users/{created.id}", json=body)

    assert answer.status_code == 200, answer.text
    member = Membership.objects.get(pk=created.id)
    assert (member.first_name, member.last_name) == ("Petra", "Ut")
    assert member.seat_type == SeatType.CORE  # a replacement without the extension keeps it
    assert member.scim.external_id == "okta-9"


def test_entra_patches_with_capitalised_ops_paths_and_string_booleans(client, account):
    created = client.create(new_user("entra@initech.example"))
    member = Membership.objects.get(pk=created.id)

    answer = patch(
        client,
        ScimUser,
        created.id,
        {"op": "Replace", "path": "name.givenName", "value": "Edna"},
        {"op": "Add", "path": "name.familyName", "value": "Mode"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "entra@initech.example"},
        {"op": "Add", "path": "externalId", "value": "entra-oid-1"},
    )

    assert answer.name.given_name == "Edna"
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Edna", "Mode")
    assert member.scim.external_id == "entra-oid-1"

    # Entra sends booleans as strings.
    off = patch(client, ScimUser, created.id, {"op": "Replace", "path": "active", "value": "False"})
    assert off.active is False
    member.refresh_from_db()
    assert member.status == MembershipStatus.DEACTIVATED

    on = patch(client, ScimUser, created.id, {"op": "Replace", "path": "active", "value": "True"})
    assert on.active is True
    member.refresh_from_db()
    assert member.status != MembershipStatus.DEACTIVATED

    patch(client, ScimUser, created.id, {"op": "Remove", "path": "externalId"})
    member.refresh_from_db()
    assert member.scim.external_id is None
    assert found(client, "externalId pr") == []


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def test_entras_default_attribute_mappings_are_accepted_and_what_seatmgr_keeps_kept(client, http):
    # Entra's default mapping sends the enterprise extension, a title, phone numbers and
    # addresses, none of which seatmgr keeps (Schemas doesn't list them).
    body = user_body("mapped@initech.example", externalId="entra-oid-2") | {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "title": "Engineer",
        "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
        "addresses": [{"type": "work", "formatted": "1 Infinite Loop", "primary": True}],
        ENTERPRISE: {"department": "R&D", "employeeNumber": "42", "manager": {"value": "x"}},
    }
    created = http.post("Users", json=body)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert ENTERPRISE not in created.json()

    answer = patch(
        client,
        ScimUser,
        user_id,
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Platform"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0199"},
        {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Paris"},
        {"op": "Replace", "path": "title", "value": "Staff Engineer"},
        {"op": "Replace", "path": "name.givenName", "value": "Mapped"},
    )

    assert answer.name.given_name == "Mapped"
    assert Membership.objects.get(pk=user_id).first_name == "Mapped"
    # Only attributes seatmgr doesn't keep: nothing changes, and the answer is the user.
    only_unkept = patch(
        client,
        ScimUser,
        user_id,
        {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "43"},
        {"op": "Replace", "value": {ENTERPRISE: {"department": "Ops"}}},
    )
    assert only_unkept.id == user_id and only_unkept.name.given_name == "Mapped"
    # An attribute of no schema is still refused.
    refused = http.patch(
        f"Users/{user_id}",
        json={
            "schemas": [PATCH_SCHEMA],
            "Operations": [{"op": "Add", "path": "shoeSize", "value": "9"}],
        },
    )
    assert refused.status_code == 400


def test_seat_type_through_the_extension(client, account):
    created = client.create(new_user("sales@initech.example", seat="sales"))

    member = Membership.objects.get(pk=created.id)
    assert member.seat_type == SeatType.SALES
    assert created[SeatmgrUser].seat_type == "sales"

    moved = patch(
        client,
        ScimUser,
        created.id,
        {"op": "replace", "path": f"{EXTENSION}:seatType", "value": "view_only"},
    )

    assert moved[SeatmgrUser].seat_type == "view_only"
    member.refresh_from_db()
    assert member.seat_type == SeatType.VIEW_ONLY
    (changed,) = events(AuditVerb.SEAT_CHANGED, target=member)
    assert changed.api_key_name == KEY_NAME


def test_deleted_user_leaves_the_account_and_its_history_stays(client, account):
    created = client.create(new_user("gone@initech.example", seat="core"))
    free_before = core_free(account)

    assert client.delete(ScimUser, created.id) is None

    assert not Membership.objects.filter(pk=created.id).exists()
    assert core_free(account) == free_before + 1
    history = AuditEvent.objects.filter(account=account, target_email="gone@initech.example")
    verbs = set(history.values_list("verb", flat=True))
    assert {AuditVerb.MEMBER_ADDED, AuditVerb.MEMBER_REMOVED} <= verbs
    assert set(history.values_list("api_key_name", flat=True)) == {KEY_NAME}
    assert found(client, 'userName eq "gone@initech.example"') == []


# --- Groups ---------------------------------------------------------------------------------


def test_group_lifecycle_in_okta_and_entra_dialects(client, account):
    ann = client.create(new_user("ann@initech.example"))
    bob = client.create(new_user("bob@initech.example"))
    cid = client.create(new_user("cid@initech.example"))

    created = client.create(
        Group(display_name="Engineering", members=[GroupMember(value=ann.id)], external_id="g-1")
    )

    team = Team.objects.get(pk=created.id)
    assert team.account == account and team.name == "Engineering"
    assert {m.value for m in created.members} == {ann.id}
    assert Membership.objects.get(pk=ann.id).main_team == team
    (team_created,) = events(AuditVerb.TEAM_CREATED)
    assert team_created.api_key_name == KEY_NAME

    # Entra looks a group up by name, without its members.
    looked_up = client.query(
        Group,
        query_parameters=SearchRequest(
            filter='displayName eq "Engineering"', excluded_attributes=["members"]
        ),
    )
    assert [g.id for g in looked_up.resources] == [created.id]
    assert looked_up.resources[0].members is None

    def members() -> set[str]:
        got = client.query(Group, created.id)
        return {m.value for m in got.members or []}

    # Entra adds, with a capitalised op.
    patch(client, Group, created.id, {"op": "Add", "path": "members", "value": [{"value": bob.id}]})
    assert members() == {ann.id, bob.id}
    # Okta adds, with display.
    patch(
        client,
        Group,
        created.id,
        {"op": "add", "path": "members", "value": [{"value": cid.id, "display": "cid"}]},
    )
    assert members() == {ann.id, bob.id, cid.id}
    # Okta removes by a filter on the path.
    patch(client, Group, created.id, {"op": "remove", "path": f'members[value eq "{ann.id}"]'})
    assert members() == {bob.id, cid.id}
    # Entra removes with the member in the value.
    patch(
        client,
        Group,
        created.id,
        {"op": "Remove", "path": "members", "value": [{"value": bob.id}]},
    )
    assert members() == {cid.id}
    assert Membership.objects.get(pk=bob.id).main_team != team
    assert {e.api_key_name for e in events(AuditVerb.TEAMS_CHANGED)} == {KEY_NAME}

    # Okta renames: replace with no path, the id along.
    renamed = patch(
        client,
        Group,
        created.id,
        {"op": "replace", "value": {"id": created.id, "displayName": "Platform"}},
    )
    assert renamed.display_name == "Platform"
    team.refresh_from_db()
    assert team.name == "Platform"
    # Entra renames with a path.
    patch(client, Group, created.id, {"op": "Replace", "path": "displayName", "value": "Core"})
    team.refresh_from_db()
    assert team.name == "Core"
    assert len(events(AuditVerb.TEAM_RENAMED)) == 2

    assert client.delete(Group, created.id) is None
    assert not Team.objects.filter(pk=created.id).exists()
    # Its members stay, on their seats.
    assert Membership.objects.filter(pk=cid.id, account=account).exists()
    (deleted,) = events(AuditVerb.TEAM_DELETED)
    assert deleted.api_key_name == KEY_NAME


def test_a_group_seat_rule_moves_a_provisioned_member_added_to_the_group(client, account, admin):
    sellers = client.create(Group(display_name="Sellers"))
    scim_seat_rule_add(team=Team.objects.get(pk=sellers.id), seat_type="sales", actor=admin)
    person = client.create(new_user("rep@initech.example"))
    member = Membership.objects.get(pk=person.id)
    assert member.seat_type == SeatType.VIEW_ONLY  # the account's default for provisioning

    patch(
        client, Group, sellers.id, {"op": "add", "path": "members", "value": [{"value": person.id}]}
    )

    member.refresh_from_db()
    assert member.seat_type == SeatType.SALES
    assert client.query(ScimUser, person.id)[SeatmgrUser].seat_type == "sales"
    (moved,) = events(AuditVerb.SEAT_CHANGED, target=member)
    assert moved.api_key_name == KEY_NAME

    # Out of the group: back to the default seat.
    patch(client, Group, sellers.id, {"op": "remove", "path": f'members[value eq "{person.id}"]'})
    member.refresh_from_db()
    assert member.seat_type == SeatType.VIEW_ONLY
