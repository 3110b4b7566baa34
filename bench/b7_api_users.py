"""7. GET /api/v1/users against the Users tab, over the same large account.

Both through Django's test client in this process (whole request: the middleware, the view):
the API with a Bearer key of the account's super admin, 100 users a page, sorted by name; the
Users tab signed in as that super admin (bench/b1_users_tab.py's page: active members, by
name). The API reads one page by keyset and renders no template; the Users tab also counts the
list and its seat pools and renders its table, so the API should cost well under half.
"""

from bench.b1_users_tab import USERS_URL
from bench.common import Result, log, median, timed_pair
from bench.context import Context

NAME = "api_users_vs_users_tab"
API_URL = "/api/v1/users?status=active&limit=100"


def run(ctx: Context) -> Result:
    from django.test import Client

    from api.services import api_key_create

    data = ctx.members
    token = api_key_create(
        actor_membership=data.admin_membership, name="bench", scopes=["users:read"], expires_on=None
    ).token
    api = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {token}"})
    page = ctx.client(data.admin)
    answer = api.get(API_URL)
    if answer.status_code != 200 or len(answer.json()["users"]) != 100:
        raise RuntimeError(f"GET /api/v1/users: {answer.status_code}, {answer.content[:300]!r}")
    if page.get(USERS_URL).status_code != 200:
        raise RuntimeError("the Users tab did not answer 200")

    api_times, page_times = timed_pair(
        lambda: api.get(API_URL), lambda: page.get(USERS_URL), runs=ctx.sizes.runs
    )
    api_s, page_s = median(api_times), median(page_times)
    log(f"GET /api/v1/users {api_s * 1000:.1f} ms, Users tab {page_s * 1000:.1f} ms")
    return Result(
        name=NAME,
        title=f"GET /api/v1/users (100 a page) vs the Users tab ({data.member_count:,} members)",
        baseline_label="Users tab",
        baseline=page_s,
        measured_label="GET /api/v1/users",
        measured=api_s,
        unit="s",
        ratio=api_s / page_s,
        target=("<=", 0.5),
        runs=len(api_times),
        extras={},
    )


def analysis(result: Result, notes: dict) -> str:
    return (
        f"The API's page of 100 took {result.ratio:.2f}× the Users tab's page of 50: it reads "
        "one page by keyset (no count of the whole list, no seat pools) and renders JSON, not "
        "a template."
    )
