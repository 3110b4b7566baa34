"""/api/v1/ teams, permission sets and presets in the matrix."""

from accounts.models import Membership
from api.models import ApiScope
from tests.api.operations import Operation
from tests.factories import TeamFactory


def a_team(owner: Membership) -> dict[str, int]:
    return {"team": TeamFactory(account=owner.account).pk}


OPERATIONS = [
    Operation("GET", "/api/v1/teams", ApiScope.USERS_READ, 200),
    Operation(
        "POST",
        "/api/v1/teams",
        ApiScope.TEAMS_WRITE,
        201,
        body=lambda n: {"name": f"Matrix team {n}"},
        idempotent=True,
    ),
    Operation(
        "PATCH",
        "/api/v1/teams/{team}",
        ApiScope.TEAMS_WRITE,
        200,
        ids=a_team,
        body=lambda n: {"name": f"Renamed team {n}"},
    ),
    Operation("DELETE", "/api/v1/teams/{team}", ApiScope.TEAMS_WRITE, 204, ids=a_team),
    Operation("GET", "/api/v1/permission-sets", ApiScope.USERS_READ, 200),
    Operation("GET", "/api/v1/presets", ApiScope.USERS_READ, 200),
]
