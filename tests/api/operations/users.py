"""/api/v1/users in the matrix."""

from accounts.models import Membership
from api.models import ApiScope
from invitations.services.links import invitation_issue
from tests.api.operations import Operation
from tests.factories import MembershipFactory


def the_owner(owner: Membership) -> dict[str, int]:
    return {"user": owner.pk}


def a_member(owner: Membership) -> dict[str, int]:
    return {"user": MembershipFactory(account=owner.account).pk}


def a_deactivated_member(owner: Membership) -> dict[str, int]:
    return {"user": MembershipFactory(account=owner.account, deactivated=True, view_only=True).pk}


def an_invitee(owner: Membership) -> dict[str, int]:
    invitee = MembershipFactory(account=owner.account, invited=True, view_only=True)
    invitation_issue(membership=invitee, created_by=owner.user, now=invitee.created_at)
    return {"user": invitee.pk}


OPERATIONS = [
    Operation("GET", "/api/v1/users", ApiScope.USERS_READ, 200),
    Operation("GET", "/api/v1/users/{user}", ApiScope.USERS_READ, 200, ids=the_owner),
    Operation(
        "POST",
        "/api/v1/users",
        ApiScope.USERS_WRITE,
        201,
        body=lambda n: {"users": [{"email": f"matrix{n}@example.com"}], "seat_type": "core"},
        idempotent=True,
    ),
    Operation(
        "PATCH",
        "/api/v1/users/{user}",
        ApiScope.USERS_WRITE,
        200,
        ids=a_member,
        body=lambda n: {"seat_type": "view_only"},
    ),
    Operation(
        "POST",
        "/api/v1/users/{user}/deactivate",
        ApiScope.USERS_WRITE,
        200,
        ids=a_member,
        body=lambda n: {"release_seat": True},
    ),
    Operation(
        "POST",
        "/api/v1/users/{user}/reactivate",
        ApiScope.USERS_WRITE,
        200,
        ids=a_deactivated_member,
    ),
    Operation(
        "DELETE", "/api/v1/users/{user}", ApiScope.USERS_WRITE, 204, ids=a_deactivated_member
    ),
    Operation(
        "POST", "/api/v1/users/{user}/invitation/resend", ApiScope.USERS_WRITE, 200, ids=an_invitee
    ),
    Operation(
        "POST", "/api/v1/users/{user}/invitation/revoke", ApiScope.USERS_WRITE, 200, ids=an_invitee
    ),
]
