"""Every refusal of /scim/v2/ is a SCIM Error message (RFC 7644 §3.12): its schema, `status` a
string, `scimType` where the RFC has one, as application/scim+json, and nothing written."""

import json

import pytest
from django.test import override_settings

from accounts.models import AuditEvent, Membership, Notification, SeatType
from api.services import api_key_create, api_key_revoke
from scim.models import ScimGroup, ScimSettings
from tests.api.conftest import subscribed_account, token_for
from tests.factories import MembershipFactory
from tests.scim.conftest import (
    EXTENSION,
    GROUP_SCHEMA,
    SCIM,
    USER_SCHEMA,
    ScimClient,
    patch_body,
    user_body,
)

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(SCIM)
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body.get("detail")
    return body


def core_user(email: str) -> dict:
    return user_body(email, schemas=[USER_SCHEMA, EXTENSION]) | {EXTENSION: {"seatType": "core"}}


@pytest.fixture
def grace(scim) -> str:
    answer = scim.post("Users", user_body("grace@initech.example"))
    assert answer.status_code == 201
    return answer.json()["id"]


# --- 400 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"a string"', b""], ids=repr
)
def test_a_body_that_is_not_a_json_object_is_invalid_syntax(scim, raw):
    before = Membership.objects.count()

    answer = scim.client.post("/scim/v2/Users", raw, content_type=SCIM)

    assert_error(answer, 400, "invalidSyntax")
    assert Membership.objects.count() == before


def test_a_patch_body_that_is_not_json_is_invalid_syntax(scim, grace):
    answer = scim.client.patch(f"/scim/v2/Users/{grace}", b"{oops", content_type=SCIM)

    assert_error(answer, 400, "invalidSyntax")


@pytest.mark.parametrize(
    "body",
    [
        core_user("x@initech.example") | {EXTENSION: {"seatType": "captain"}},
        user_body("y@initech.example", name={"givenName": "G" * 151}),
        user_body("z@initech.example", externalId="e" * 256),
    ],
    ids=["unknown seat", "name too long", "externalId too long"],
)
def test_a_value_the_product_refuses_is_invalid_value(scim, body):
    before = Membership.objects.count()

    assert_error(scim.post("Users", body), 400, "invalidValue")

    assert Membership.objects.count() == before


@pytest.mark.parametrize(
    "text",
    [
        'userName zz "x"',
        'title eq "boss"',
        "userName eq",
        'active eq "yes"',
        "userName gt true",
        "((((",
        'emails[type eq "work"] eq "x"',
        "x" * 1001,
    ],
)
def test_a_filter_it_cant_read_or_doesnt_support_is_invalid_filter(scim, text):
    assert_error(scim.get("Users", filter=text), 400, "invalidFilter")


def test_a_group_filter_on_an_attribute_it_doesnt_map_is_invalid_filter(scim):
    assert_error(scim.get("Groups", filter='members.value eq "1"'), 400, "invalidFilter")


def test_a_change_of_user_name_is_refused_as_mutability(scim, grace):
    by_patch = scim.patch(
        f"Users/{grace}",
        patch_body({"op": "replace", "path": "userName", "value": "other@initech.example"}),
    )
    by_put = scim.put(f"Users/{grace}", user_body("other@initech.example"))

    assert_error(by_patch, 400, "mutability")
    assert_error(by_put, 400, "mutability")
    assert Membership.objects.get(pk=grace).user.email == "grace@initech.example"


# --- 401, 403 ----------------------------------------------------------------------------------


def test_no_key_is_401_with_a_bearer_challenge(db):
    answer = ScimClient(None).get("Users")

    assert_error(answer, 401)
    assert answer["WWW-Authenticate"].startswith("Bearer")


def test_a_key_without_the_scim_scope_is_403(admin):
    answer = ScimClient(token_for(admin, scopes=["users:read"])).get("Users")

    assert_error(answer, 403)
    assert "scope" in answer.json()["detail"]


def test_a_revoked_key_is_401(admin):
    created = api_key_create(actor_membership=admin, name="Okta", scopes=["scim"], expires_on=None)
    api_key_revoke(key=created.key, actor_membership=admin)

    assert_error(ScimClient(created.token).get("Users"), 401)


# --- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["Users/999999", "Users/abc", "Groups/999999", "Groups/-1"])
def test_an_unknown_id_is_404(scim, path):
    assert_error(scim.get(path), 404)


def test_another_accounts_user_is_404_and_unchanged(scim):
    globex = subscribed_account("Globex")
    theirs = MembershipFactory(account=globex, first_name="Gil")

    assert_error(scim.get(f"Users/{theirs.pk}"), 404)
    assert_error(
        scim.patch(
            f"Users/{theirs.pk}",
            patch_body({"op": "replace", "path": "name.givenName", "value": "Mallory"}),
        ),
        404,
    )
    assert_error(scim.delete(f"Users/{theirs.pk}"), 404)
    theirs.refresh_from_db()
    assert theirs.first_name == "Gil" and theirs.account == globex


# --- 409 ------------------------------------------------------------------------------------


def test_the_same_user_name_twice_is_uniqueness(scim, grace):
    before = Membership.objects.count()

    again = scim.post("Users", user_body("GRACE@initech.example"))

    assert_error(again, 409, "uniqueness")
    assert Membership.objects.count() == before


def test_the_same_group_name_twice_is_uniqueness(scim):
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Ops"}
    assert scim.post("Groups", group).status_code == 201

    assert_error(scim.post("Groups", group), 409, "uniqueness")


def test_no_core_seat_left_is_409_without_scim_type_nothing_written_billing_told(
    scim, account, admin
):
    for i in range(3):  # the last 3 Core seats (the super admin holds the 4th)
        assert scim.post("Users", core_user(f"core{i}@initech.example")).status_code == 201
    members, events = Membership.objects.count(), AuditEvent.objects.count()
    told_before = set(Notification.objects.filter(membership=admin).values_list("pk", flat=True))

    answer = scim.post("Users", core_user("fifth@initech.example"))

    assert_error(answer, 409)
    assert Membership.objects.count() == members
    assert AuditEvent.objects.count() == events
    assert not Membership.objects.filter(user__email="fifth@initech.example").exists()
    (notice,) = Notification.objects.filter(membership=admin).exclude(pk__in=told_before)
    assert "fifth@initech.example" in notice.text


def test_no_core_seat_left_with_a_view_only_fallback_takes_them_on_view_only(scim, account):
    ScimSettings.objects.create(account=account, fallback_seat=SeatType.VIEW_ONLY)
    for i in range(3):
        assert scim.post("Users", core_user(f"core{i}@initech.example")).status_code == 201

    answer = scim.post("Users", core_user("fifth@initech.example"))

    assert answer.status_code == 201, answer.content
    assert answer.json()[EXTENSION]["seatType"] == "view_only"
    member = Membership.objects.get(account=account, user__email="fifth@initech.example")
    assert member.seat_type == SeatType.VIEW_ONLY


# --- 413 ------------------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_413_and_nothing_written(scim):
    body = user_body("big@initech.example", name={"givenName": "G" * 2000})
    before = Membership.objects.count()

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        answer = scim.post("Users", body)

    assert_error(answer, 413)
    assert Membership.objects.count() == before
    assert len(json.dumps(body)) > 1000


# --- Content type ---------------------------------------------------------------------------


def test_every_answer_with_a_body_is_application_scim_json(scim, grace):
    answers = [
        scim.get("ServiceProviderConfig"),
        scim.get("ResourceTypes"),
        scim.get("ResourceTypes/User"),
        scim.get("Schemas"),
        scim.get("Users"),
        scim.get(f"Users/{grace}"),
        scim.get("Groups"),
        scim.get(""),
        scim.post("Users", user_body("ct@initech.example")),
        scim.patch(f"Users/{grace}", patch_body({"op": "replace", "value": {"active": True}})),
        scim.put(f"Users/{grace}", user_body("grace@initech.example")),
        scim.send("post", "ServiceProviderConfig", {}),  # 405
    ]

    for answer in answers:
        assert answer["Content-Type"].startswith(SCIM), (answer.status_code, answer.content)


# --- What the fuzzing found (each was a 500, or a refusal that wrote something) -------------


@pytest.mark.parametrize("start", ["99999999999999999999", "9223372036854775807"])
@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_a_start_index_past_the_end_lists_nothing(scim, resource, start):
    answer = scim.get(resource, startIndex=start, count="200")

    assert answer.status_code == 200
    assert answer.json().get("Resources", []) == []
    assert answer.json()["itemsPerPage"] == 0


@pytest.mark.parametrize("text", ['userName eq "\x00"', 'name.givenName sw "a\x00b"'])
def test_a_nul_character_in_a_filter_value_is_invalid_filter(scim, text):
    assert_error(scim.get("Users", filter=text), 400, "invalidFilter")


@pytest.mark.parametrize("external_id", ["e" * 256, "a\x00b"])
def test_a_group_external_id_too_long_or_with_nul_is_invalid_value(scim, external_id):
    group = {"schemas": [GROUP_SCHEMA], "displayName": "Ops"}

    assert_error(scim.post("Groups", group | {"externalId": external_id}), 400, "invalidValue")
    created = scim.post("Groups", group).json()["id"]
    replace = patch_body({"op": "replace", "path": "externalId", "value": external_id})
    assert_error(scim.patch(f"Groups/{created}", replace), 400, "invalidValue")
    assert not ScimGroup.objects.exclude(external_id=None).exists()


def test_a_seat_change_refused_for_want_of_seats_writes_nothing(scim, grace):
    sales = patch_body({"op": "replace", "path": f"{EXTENSION}:seatType", "value": "sales"})

    assert_error(scim.patch(f"Users/{grace}", sales), 409)

    member = Membership.objects.get(pk=grace)
    assert member.seat_type == SeatType.VIEW_ONLY
    assert member.scim.seat_type_sent == ""
    # So the next change of this user is not refused for the seat it never got.
    rename = patch_body({"op": "replace", "path": "name.givenName", "value": "Gracie"})
    assert scim.patch(f"Users/{grace}", rename).status_code == 200


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "add", "path": "shoeSize", "value": "9"}, "invalidPath"),
        ({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}, "invalidPath"),
        ({"op": "add", "path": 'emails[type eq "home"].value', "value": "h@x.example"}, "noTarget"),
        ({"op": "replace", "path": "id", "value": "5"}, "mutability"),
        ({"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}, "mutability"),
        ({"op": "replace", "path": "groups", "value": []}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "move", "path": "name.givenName"}, "invalidValue"),
    ],
    ids=lambda v: v if isinstance(v, str) else f"{v['op']} {v['path']}",
)
def test_a_patch_path_it_cant_follow_or_a_read_only_attribute_says_which(
    scim, grace, operation, scim_type
):
    assert_error(scim.patch(f"Users/{grace}", patch_body(operation)), 400, scim_type)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("post", "ServiceProviderConfig", "GET"),
        ("delete", "Users", "GET, POST"),
        ("post", "Users/1", "GET, PUT, PATCH, DELETE"),
        ("put", "Groups", "GET, POST"),
    ],
)
def test_a_method_an_endpoint_doesnt_answer_is_405_saying_which_it_does(
    scim, method, path, allowed
):
    answer = scim.send(method, path, {})

    assert_error(answer, 405)
    assert answer["Allow"] == allowed
