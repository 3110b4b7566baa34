"""/api/v1/users in the matrix."""

from accounts.models import Membership
from api.models import ApiScope
from tests.api.operations import Operation


def a_user(owner: Membership) -> dict[str, int]:
    return {"user": owner.pk}


OPERATIONS = [
    Operation("GET", "/api/v1/users", ApiScope.USERS_READ, 200),
    Operation("GET", "/api/v1/users/{user}", ApiScope.USERS_READ, 200, ids=a_user),
    Operation(
        "POST",
        "/api/v1/users",
        ApiScope.USERS_WRITE,
        201,
        body=lambda n: {"users": [{"email": f"matrix{n}@example.com"}], "seat_type": "core"},
        idempotent=True,
    ),
]
