"""7. GET /api/v1/users against the Users tab, over the same large account.

Both through Django's test client in this process (whole request: the middleware, the view):
the API with a Bearer key of the account's super admin, its default page (50 users, as the
Users tab shows), sorted by name; the Users tab signed in as that super admin
(bench/b1_users_tab.py's page: active members, by name). Both pages hold the same 50 people.
The API reads one page by keyset and renders no template; the Users tab also counts the list
and renders its table and filters, so the API should cost well under half. Its largest page
(limit=100) is timed in the same rounds and reported beside it.
"""

from bench.b1_users_tab import RUNS_FACTOR, USERS_URL
from bench.common import Result, log, median, timed_pair
from bench.context import Context

NAME = "api_users_vs_users_tab"
API_URL = "/api/v1/users?status=active"
API_LARGEST_URL = "/api/v1/users?status=active&limit=100"
# One user a page: what an answer costs whatever its rows (the key, the rate limit, the queries).
API_ONE_URL = "/api/v1/users?status=active&limit=1"


def run(ctx: Context) -> Result:
    from django.test import Client

    from api.services import api_key_create

    data = ctx.members
    token = api_key_create(
        actor_membership=data.admin_membership, name="bench", scopes=["users:read"], expires_on=None
    ).token
    api = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {token}"})
    page = ctx.client(data.admin)
    for url, size in ((API_URL, 50), (API_LARGEST_URL, 100)):
        answer = api.get(url)
        if answer.status_code != 200 or len(answer.json()["users"]) != size:
            raise RuntimeError(f"GET {url}: {answer.status_code}, {answer.content[:300]!r}")
    listed = page.get(USERS_URL)
    if listed.status_code != 200:
        raise RuntimeError("the Users tab did not answer 200")
    first = api.get(API_URL).json()["users"][0]["email"]
    if f'data-field="email">{first}<' not in listed.content.decode():
        raise RuntimeError(f"the API's first user ({first}) is not on the Users tab's page")

    runs = ctx.sizes.runs * RUNS_FACTOR
    api_times, page_times = timed_pair(
        lambda: api.get(API_URL), lambda: page.get(USERS_URL), runs=runs
    )
    # The largest page against the Users tab again, in rounds of its own.
    largest_times, page_again_times = timed_pair(
        lambda: api.get(API_LARGEST_URL), lambda: page.get(USERS_URL), runs=runs
    )
    # A page of one against the default page, in rounds of their own.
    one_times, _fifty_times = timed_pair(
        lambda: api.get(API_ONE_URL), lambda: api.get(API_URL), runs=runs
    )
    api_s, page_s = median(api_times), median(page_times)
    largest_s, one_s = median(largest_times), median(one_times)
    largest_ratio = largest_s / median(page_again_times)
    log(
        f"GET /api/v1/users {api_s * 1000:.1f} ms (limit=100: {largest_s * 1000:.1f} ms), "
        f"Users tab {page_s * 1000:.1f} ms"
    )
    return Result(
        name=NAME,
        title=f"GET /api/v1/users (50 a page) vs the Users tab ({data.member_count:,} members)",
        baseline_label="Users tab",
        baseline=page_s,
        measured_label="GET /api/v1/users",
        measured=api_s,
        unit="s",
        ratio=api_s / page_s,
        target=("<=", 0.5),
        runs=len(api_times),
        extras={
            "api_ms": round(api_s * 1000, 1),
            "api_limit_100_ms": round(largest_s * 1000, 1),
            "api_limit_100_ratio": round(largest_ratio, 2),
            "api_limit_1_ms": round(one_s * 1000, 1),
            "api_limit_1_ratio": round(one_s / page_s, 2),
        },
    )


def analysis(result: Result, notes: dict) -> str:
    x = result.extras
    out = (
        f"The API's default page (50 users, the Users tab's page size and the same people) took "
        f"{result.ratio:.2f}× the Users tab's page: it reads one page by keyset (no count of "
        "the whole list) and writes JSON, not a template. Its largest page, 100 users, took "
        f"{x['api_limit_100_ms']} ms ({x['api_limit_100_ratio']}× the Users tab's 50): a "
        "page's cost grows with its rows (read as values through the same shaped read as the "
        "Users tab's, accounts.prepared, then each user's answer checked against the schema "
        "and written by pydantic); the rest is fixed: the key's check (one prepared query), "
        "the rate limit's count (one Redis command), the page's rows with their extra teams "
        "(one query) and the middleware."
    )
    if not result.met:
        out += (
            "\n\nThe target is not met, because the Users tab got cheaper (its rows, count and "
            "filters: benchmarks 1 and 5) by more than the API could: a page of one user "
            f"already costs the API {x['api_limit_1_ms']} ms ({x['api_limit_1_ratio']}× the "
            "Users tab's page: the key's query, the rate limit's Redis round trip, the "
            "middleware and the page's query). Left: caching the key's "
            "check would let a revoked key work until the cache expired, and the rate limit "
            "must count every call in one place for every process."
        )
    return out
