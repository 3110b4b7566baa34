"""/scim/v2/ under random input: PATCH bodies (any op, path and value, junk types included) on
a User and a Group, filter strings (random text and grammar-shaped ones), POST bodies. Whatever
comes in, the answer is a success or a SCIM Error with a 4xx status, never a server error."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scim.conftest import (
    EXTENSION,
    GROUP_SCHEMA,
    PATCH_SCHEMA,
    SCIM,
    USER_SCHEMA,
    user_body,
)

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
FUZZ = settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)


def assert_answered(answer) -> None:
    """2xx, or a SCIM Error with a 4xx status: never a 500."""
    assert answer.status_code < 500, answer.content
    if answer.status_code >= 300:
        assert 400 <= answer.status_code < 500, answer.content
        assert answer["Content-Type"].startswith(SCIM)
        body = answer.json()
        assert body["schemas"] == [ERROR_SCHEMA], body
        assert body["status"] == str(answer.status_code), body


def send(scim, method: str, path: str, body) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body)
    answer = getattr(scim.client, method)(f"/scim/v2/{path}", raw, content_type=SCIM)
    assert_answered(answer)


# --- Strategies -----------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["False", "True", "false", "core", "sales", "view_only", "captain", "1"])
)
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

USER_PATHS = [
    "active",
    "userName",
    "displayName",
    "name",
    "name.givenName",
    "name.familyName",
    "name.formatted",
    "emails",
    'emails[type eq "work"].value',
    'emails[type eq "work"]',
    'emails[value co "@"].primary',
    "externalId",
    "groups",
    "id",
    "meta",
    "meta.created",
    "schemas",
    "title",
    f"{EXTENSION}:seatType",
    f"{EXTENSION}:superAdmin",
    EXTENSION,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
]
GROUP_PATHS = [
    "members",
    'members[value eq "1"]',
    'members[value eq "999999"]',
    'members[display co "a"]',
    "members.value",
    "displayName",
    "externalId",
    "id",
    "meta",
    "schemas",
]
OPS = ["add", "replace", "remove", "Add", "Replace", "Remove", "ADD", "move", "test", ""]

user_values = junk | st.fixed_dictionaries(
    {},
    optional={
        "active": st.booleans() | st.sampled_from(["False", "True", "maybe", 0, 1]),
        "userName": st.sampled_from(["ivy@initech.example", "IVY@initech.example", "other@x.y"]),
        "name": st.fixed_dictionaries(
            {}, optional={"givenName": scalars, "familyName": scalars, "formatted": scalars}
        )
        | junk,
        "name.givenName": scalars,
        "emails": st.lists(
            st.fixed_dictionaries(
                {"value": scalars}, optional={"type": scalars, "primary": scalars}
            ),
            max_size=2,
        ),
        "externalId": scalars,
        "displayName": scalars,
        EXTENSION: st.fixed_dictionaries({}, optional={"seatType": scalars, "superAdmin": scalars})
        | junk,
        f"{EXTENSION}:seatType": scalars,
    },
)


def group_values(member_ids: list[str]):
    member = st.fixed_dictionaries(
        {"value": st.sampled_from(member_ids) | scalars},
        optional={"display": scalars, "$ref": scalars, "type": scalars},
    )
    return (
        junk
        | st.lists(member, max_size=3)
        | st.fixed_dictionaries(
            {},
            optional={
                "displayName": scalars,
                "id": scalars,
                "externalId": scalars,
                "members": st.lists(member, max_size=3) | junk,
            },
        )
    )


def operations(paths: list[str], values):
    operation = st.fixed_dictionaries(
        {"op": st.sampled_from(OPS) | scalars},
        optional={"path": st.sampled_from(paths) | st.text(max_size=30) | scalars, "value": values},
    )
    return st.lists(operation | junk, max_size=3)


def patch_bodies(paths: list[str], values):
    return st.fixed_dictionaries(
        {
            "schemas": st.just([PATCH_SCHEMA]) | junk,
            "Operations": operations(paths, values) | junk,
        }
    ) | st.fixed_dictionaries({"schemas": st.just([PATCH_SCHEMA])}, optional={"operations": junk})


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def ivy(scim) -> str:
    answer = scim.post("Users", user_body("ivy@initech.example", externalId="ivy-1"))
    assert answer.status_code == 201
    return answer.json()["id"]


@pytest.fixture
def ops_group(scim, ivy, admin) -> tuple[str, list[str]]:
    answer = scim.post(
        "Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Ops", "members": [{"value": ivy}]}
    )
    assert answer.status_code == 201
    return answer.json()["id"], [ivy, str(admin.pk)]


# --- PATCH ----------------------------------------------------------------------------------


@FUZZ
@given(body=patch_bodies(USER_PATHS, user_values))
def test_patching_a_user_never_fails_on_the_server(scim, ivy, body):
    send(scim, "patch", f"Users/{ivy}", body)


@FUZZ
@given(data=st.data())
def test_patching_a_group_never_fails_on_the_server(scim, ops_group, data):
    group_id, member_ids = ops_group
    body = data.draw(patch_bodies(GROUP_PATHS, group_values(member_ids)))
    send(scim, "patch", f"Groups/{group_id}", body)


@FUZZ
@given(body=patch_bodies(USER_PATHS, user_values))
def test_patching_the_super_admin_never_fails_on_the_server(scim, admin, body):
    send(scim, "patch", f"Users/{admin.pk}", body)


# --- Filters --------------------------------------------------------------------------------

ATTRIBUTES = [
    "userName",
    "USERNAME",
    "emails",
    "emails.value",
    "emails.type",
    "externalId",
    "active",
    "name.givenName",
    "name.familyName",
    "displayName",
    "members",
    "members.value",
    "meta.created",
    "id",
    "title",
    f"{EXTENSION}:seatType",
    f"{EXTENSION}:superAdmin",
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    'emails[type eq "work"]',
    'emails[type eq "work"].value',
]
OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "xx"]
LITERALS = [
    '"ivy@initech.example"',
    '"Ops"',
    '""',
    '"\\""',
    '"a\\u0000b"',
    "true",
    "false",
    "null",
    "42",
    "-1.5e3",
    '"2026-01-01T00:00:00Z"',
    '"%"',
    '"_"',
    "'single'",
    '"\x00"',
    '"a\\u0000"',
]


@st.composite
def grammar_filters(draw, depth: int = 0) -> str:
    kind = draw(st.integers(0, 5 if depth < 3 else 1))
    if kind == 0:
        return f"{draw(st.sampled_from(ATTRIBUTES))} pr"
    if kind == 1:
        attribute, operator = draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(OPERATORS))
        return f"{attribute} {operator} {draw(st.sampled_from(LITERALS))}"
    if kind in (2, 3):
        joint = draw(st.sampled_from(["and", "or", "AND", "Or"]))
        return f"{draw(grammar_filters(depth + 1))} {joint} {draw(grammar_filters(depth + 1))}"
    if kind == 4:
        return f"not ({draw(grammar_filters(depth + 1))})"
    inner = draw(grammar_filters(depth + 1))
    return f"({inner})" if draw(st.booleans()) else f"emails[{inner}]"


filters = (
    grammar_filters() | st.text(max_size=60) | st.text(alphabet='()[]" andorteqpr.:', max_size=40)
)


@FUZZ
@given(text=filters, resource=st.sampled_from(["Users", "Groups"]))
def test_filtering_never_fails_on_the_server(scim, ivy, text, resource):
    answer = scim.client.get(f"/scim/v2/{resource}", {"filter": text})
    assert_answered(answer)


numbers = scalars.map(str) | st.sampled_from(
    ["0", "-1", "1", "201", "9223372036854775807", "99999999999999999999", "-99999999999999999999"]
)


@FUZZ
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "startIndex": numbers,
            "count": numbers,
            "attributes": st.text(max_size=30) | st.sampled_from(ATTRIBUTES),
            "excludedAttributes": st.text(max_size=30) | st.sampled_from(ATTRIBUTES),
        },
    ),
    resource=st.sampled_from(["Users", "Groups"]),
)
def test_listing_with_any_parameters_never_fails_on_the_server(scim, ivy, params, resource):
    assert_answered(scim.client.get(f"/scim/v2/{resource}", params))


# --- POST and PUT ---------------------------------------------------------------------------

user_posts = st.fixed_dictionaries(
    {},
    optional={
        "schemas": st.just([USER_SCHEMA]) | st.just([USER_SCHEMA, EXTENSION]) | junk,
        "userName": st.emails() | scalars,
        "name": user_values,
        "emails": junk,
        "active": scalars,
        "externalId": scalars,
        "id": scalars,
        "meta": junk,
        "groups": junk,
        EXTENSION: st.fixed_dictionaries({}, optional={"seatType": scalars, "superAdmin": scalars})
        | junk,
    },
)
group_posts = st.fixed_dictionaries(
    {},
    optional={
        "schemas": st.just([GROUP_SCHEMA]) | junk,
        "displayName": scalars,
        "externalId": scalars,
        "members": junk | st.lists(st.fixed_dictionaries({"value": scalars}), max_size=3),
        "id": scalars,
    },
)


@FUZZ
@given(body=user_posts | junk)
def test_creating_a_user_never_fails_on_the_server(scim, body):
    send(scim, "post", "Users", body)


@FUZZ
@given(body=user_posts | junk)
def test_replacing_a_user_never_fails_on_the_server(scim, ivy, body):
    send(scim, "put", f"Users/{ivy}", body)


@FUZZ
@given(body=group_posts | junk)
def test_creating_a_group_never_fails_on_the_server(scim, ivy, body):
    send(scim, "post", "Groups", body)


@FUZZ
@given(body=group_posts | junk)
def test_replacing_a_group_never_fails_on_the_server(scim, ops_group, body):
    send(scim, "put", f"Groups/{ops_group[0]}", body)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_body_never_fail_on_the_server(scim, ivy, raw):
    send(scim, "post", "Users", raw)
    send(scim, "patch", f"Users/{ivy}", raw)
