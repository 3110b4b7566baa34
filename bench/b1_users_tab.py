"""1. The Users tab against Django admin's changelist of the same memberships.

Both pages are requested through Django's test client in this process (whole request: the
middleware, the session, the view, the template), signed in as the same person (the account's
super admin, also Django staff), filtered to active members, sorted by name, 50 a page. The
admin is bench/admin_site.py's FairMembershipAdmin: the same columns, list_select_related, the
extra teams prefetched, the same ordering and page size.
"""

import re

from bench.common import DbTimer, Result, log, median, timed_pair
from bench.context import Context
from bench.profile import profile, shares

NAME = "users_tab_vs_admin"
USERS_URL = "/settings/users/?status=active"
# The admin lists every account's memberships; the account filter makes it the same list.
ADMIN_URL = "/admin/accounts/membership/?account__id__exact={account}&status__exact=active"
POOL_COUNT = 'COUNT("accounts_membership"."id") AS "n"'
# Each page is requested this many times a run per size's `runs` (one request is tens of ms,
# and this machine's neighbours move single requests by as much).
RUNS_FACTOR = 4
PROFILED_REQUESTS = 200
# The Users tab's parts (bench/profile.py), each a function of the request's call tree.
PROFILE_VIEW = ("users", "seats/users/views/directory.py")
PROFILE_PARTS = [
    ("the 50 rows, drawn in Python (seats_tags.users_rows)", "users_rows", "seats_tags.py"),
    (
        "the page's rows with their extra teams, and its count: SQL written once per shape of "
        "filters, PostgreSQL (directory_page)",
        "directory_page",
        "seats/users/selectors.py",
    ),
    (
        "the filters: their choices read, the query's filters (DirectoryForm, kept per query)",
        "_directory_filters",
        "directory.py",
    ),
    (
        "the filter form's fields, drawn in Python (PlainSelect, PlainInput) when the "
        "fragment cache does not hold them for the query",
        "render",
        "django/forms/widgets.py",
    ),
    ("the navigation's open seat requests count", "seat_requests_open_count", "selectors.py"),
    ("the navigation's unread notifications count", "notifications_unread_count", "selectors.py"),
]
PROFILE_REST = "the template engine: the page, its shell, navigation, tabs and pager"
PROFILE_OUTSIDE = (
    "outside the view: the middleware (session, sign-in, account, language, security headers) "
    "and the test client"
)
# Inside the rows: what a row spends most on (shares of the whole request too).
PROFILE_ROW_PARTS = [
    (
        '"Last active" title: the moment in the viewer\'s language (Babel, remembered by minute)',
        "moment_text",
        "text.py",
    ),
    (
        '"Last active": "3 weeks ago" (timesince\'s arithmetic, words by language)',
        "ago_in",
        "moments.py",
    ),
    ('the "Actions" menu', "_actions_html", "seats_tags.py"),
]


def _first_email(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    return match.group(1) if match else ""


def _check(client, admin_url: str) -> None:
    users = client.get(USERS_URL)
    admin = client.get(admin_url)
    if users.status_code != 200 or admin.status_code != 200:
        raise RuntimeError(f"Users tab {users.status_code}, admin {admin.status_code}")
    users_html, admin_html = users.content.decode(), admin.content.decode()
    users_rows = users_html.count('name="members" value=')
    admin_rows = admin_html.count('name="_selected_action"')
    if users_rows != 50 or admin_rows != 50:
        raise RuntimeError(f"expected 50 rows on each page, got {users_rows} and {admin_rows}")
    # The Users tab's address sits under the name (or is the link), marked data-field="email".
    first_user = _first_email(users_html, r'data-field="email">([^<\s]+@[^<\s]+)<')
    first_admin = _first_email(admin_html, r'class="field-email">([^<]+)<')
    if first_user != first_admin:
        raise RuntimeError(f"the pages list different rows: {first_user} / {first_admin}")


def _queries(client, url: str) -> tuple[list[dict], float, float]:
    """The page's queries, the seconds spent in them and in the whole request."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured, DbTimer() as db:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
    return list(captured.captured_queries), db.seconds, elapsed


def _explain(sql: str) -> str:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
    except Exception as problem:  # a report, not a test: say why and go on
        return f"(EXPLAIN failed: {problem})"


def _execution_ms(plan: str) -> float | None:
    match = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(match.group(1)) if match else None


def _heaviest(queries: list[dict], top: int = 3) -> list[tuple[float, str]]:
    ranked = sorted(((float(q["time"]), q["sql"]) for q in queries), reverse=True)
    return ranked[:top]


def describe(sql: str) -> str:
    """A query in a few words: what it selects from, and how it ends."""
    tables = list(dict.fromkeys(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)))
    head = "SELECT COUNT(*)" if sql.startswith("SELECT COUNT(*)") else sql.split(" ", 1)[0]
    if "GROUP BY" in sql:
        head = "SELECT … COUNT(…) GROUP BY"
    tail = []
    order = re.search(r"ORDER BY (.*?)(?: LIMIT|$)", sql)
    if order:
        keys = re.findall(r'(?:"\w+"\.)?"(\w+)"', order.group(1))
        tail.append("ORDER BY " + (", ".join(keys) or order.group(1).strip()))
    limit = re.search(r"LIMIT (\d+)", sql)
    if limit:
        tail.append(f"LIMIT {limit.group(1)}")
    return f"{head} from {' ⨝ '.join(tables)}" + (f" ({'; '.join(tail)})" if tail else "")


def _kind(sql: str) -> str:
    """A query's shape for matching the two pages' queries: the tables it reads (the admin's
    extra join of the account aside) and whether it counts, groups or pages."""
    tables = sorted(set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)) - {"accounts_account"})
    shape = [w for w in ("COUNT(", "GROUP BY", "LIMIT", "ORDER BY") if w in sql]
    if sql.startswith("UPDATE"):
        shape.append("UPDATE")
    return " ".join(tables + shape)


def _planned_on_every_call() -> tuple[int, list[str]]:
    """How many statements this process's connection keeps prepared, and those PostgreSQL plans
    again on every call: after its five plans for a call's own values it kept no generic plan,
    whose estimate, made for the parameters' average values, came out too far above them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        statements = cursor.fetchall()
    again = [describe(text) for text, generic, custom in statements if not generic and custom > 5]
    return len(statements), again


def run(ctx: Context) -> Result:
    data = ctx.members
    client = ctx.client(data.admin)
    admin_url = ADMIN_URL.format(account=data.account.pk)
    _check(client, admin_url)

    users_times, admin_times = timed_pair(
        lambda: client.get(USERS_URL),
        lambda: client.get(admin_url),
        runs=ctx.sizes.runs * RUNS_FACTOR,
    )
    prepared, planned_again = _planned_on_every_call()
    users_queries, users_db, users_once = _queries(client, USERS_URL)
    admin_queries, admin_db, admin_once = _queries(client, admin_url)
    users_heavy = _heaviest(users_queries)
    admin_heavy = _heaviest(admin_queries)
    notes = {
        "users_heavy": users_heavy,
        "admin_heavy": admin_heavy,
        "users_explain": _explain(users_heavy[0][1]),
        "admin_explain": _explain(admin_heavy[0][1]),
        "users_request_ms": users_once * 1000,
        "users_db_ms": users_db * 1000,
        "admin_request_ms": admin_once * 1000,
        "planned_again": planned_again,
    }
    admin_kinds = {_kind(q["sql"]) for q in admin_queries}
    notes["users_only"] = sorted(
        (
            (float(q["time"]) * 1000, describe(q["sql"]))
            for q in users_queries
            if _kind(q["sql"]) not in admin_kinds
        ),
        reverse=True,
    )
    pool_count = next((q for q in users_queries if POOL_COUNT in q["sql"]), None)
    if pool_count:
        notes["pool_count_captured_ms"] = float(pool_count["time"]) * 1000
        pool_count = pool_count["sql"]
        # What-if, read-only: the same count as COUNT(*), which an index can answer alone.
        notes["pool_count_ms"] = _execution_ms(_explain(pool_count))
        notes["pool_count_star_ms"] = _execution_ms(
            _explain(pool_count.replace(POOL_COUNT, 'COUNT(*) AS "n"'))
        )
    profiled = ctx.sizes.runs * 10 if ctx.quick else PROFILED_REQUESTS
    root = profile(lambda: client.get(USERS_URL), requests=profiled)
    # One profile, cut twice: the page's parts, and what its rows spend most on.
    for key, parts in (("profile", PROFILE_PARTS), ("row_profile", PROFILE_ROW_PARTS)):
        cut = shares(
            root,
            view=PROFILE_VIEW,
            parts=parts,
            rest_label=PROFILE_REST,
            outside_label=PROFILE_OUTSIDE,
        )
        notes[key] = [(s.label, s.share) for s in cut]
    notes["profiled_requests"] = profiled
    ctx.notes[NAME] = notes
    users, admin = median(users_times), median(admin_times)
    log(f"Users tab {users * 1000:.1f} ms, admin {admin * 1000:.1f} ms")
    return Result(
        name=NAME,
        title=f"Users tab vs Django admin changelist ({data.member_count:,} members)",
        baseline_label="admin changelist",
        baseline=admin,
        measured_label="Users tab",
        measured=users,
        unit="s",
        ratio=users / admin,
        target=("<=", 0.5),
        runs=len(users_times),
        extras={
            "users_tab_queries": len(users_queries),
            "admin_queries": len(admin_queries),
            "users_tab_db_ms": round(users_db * 1000, 1),
            "admin_db_ms": round(admin_db * 1000, 1),
            "prepared_statements": prepared,
            "planned_every_call": len(planned_again),
        },
    )


def _planned_again(x: dict, notes: dict) -> str:
    if "prepared_statements" not in x:  # a report of a run from before it was measured
        return ""
    again = notes.get("planned_again") or []
    return (
        f" After the timed requests this process's connection kept {x['prepared_statements']} "
        f"statements prepared, and PostgreSQL planned {x['planned_every_call']} of them again "
        "on every call (pg_prepared_statements: no generic plan after five)"
        + (": " + "; ".join(again) if again else "")
        + "."
    )


def analysis(result: Result, notes: dict) -> str:
    x = result.extras
    out = [
        f"One request of each, measured again with the queries captured: the Users tab made "
        f"{x['users_tab_queries']} queries ({x['users_tab_db_ms']} ms in the database of "
        f"{notes['users_request_ms']:.0f} ms), the admin {x['admin_queries']} "
        f"({x['admin_db_ms']} ms of {notes['admin_request_ms']:.0f} ms) for a page of 50 rows: "
        "neither makes a query per row." + _planned_again(x, notes) + " The heaviest queries:",
        "",
        "| Page | Query | ms |",
        "|---|---|---:|",
    ]
    for page, heavy in (("Users tab", notes["users_heavy"]), ("admin", notes["admin_heavy"])):
        out += [f"| {page} | {describe(sql)} | {seconds * 1000:.0f} |" for seconds, sql in heavy]
    out.append("")
    plan = notes["users_explain"]
    spill = re.search(r"Sort Method: external merge\s+Disk: (\d+)kB", plan)
    index = re.search(r"Index (?:Only )?Scan(?: Backward)? using (\w+)", plan)
    rows_ms = _execution_ms(plan)
    how = (
        f"PostgreSQL reads the page in that order from the index {index.group(1)} and stops "
        "after 51 rows, whatever the size of the account"
        if index and "Sort Key" not in plan
        else "PostgreSQL sorts every matching member before the first 50 can be returned"
        + (
            f" (with the default work_mem the sort spills to disk, {spill.group(1)} kB in "
            "the leader alone)"
            if spill
            else ""
        )
    )
    out.append(
        "Both pages run the same row query (same filter, ordering and page size; the admin "
        "also joins the account, which its row labels name). The name order is the "
        "membership's own sort key (Membership.sort_name: the user's name, or their email, "
        "lower-cased, kept by database triggers), indexed with the account and the status: "
        + how
        + (f"; EXPLAIN ANALYZE: {rows_ms:.1f} ms for the Users tab's" if rows_ms else "")
        + ". Its plan:"
    )
    out += ["", "```", *plan.splitlines()[:40], "```", ""]
    extra = notes["users_only"]
    extra_ms = sum(ms for ms, _ in extra)
    gap_ms = (result.measured - result.baseline) * 1000
    db_gap = x["users_tab_db_ms"] - x["admin_db_ms"]
    outside_gap = (notes["users_request_ms"] - x["users_tab_db_ms"]) - (
        notes["admin_request_ms"] - x["admin_db_ms"]
    )
    beyond = (
        f"Beyond the admin's queries the Users tab makes {len(extra)} of its own, "
        f"{extra_ms:.0f} ms together in the captured request: "
        + "; ".join(f"{what} ({ms:.1f} ms)" for ms, what in extra)
        + ". Against the admin, that request differed by "
        f"{db_gap:+.0f} ms in the database and {outside_gap:+.0f} ms outside it (views, "
        "forms and templates: the Users tab renders a filter form, a bulk-edit form and "
        "row actions)."
    )
    if "pool_count_ms" in notes:
        beyond += (
            " The heaviest of its own queries is the paid-seat summary's count by seat type: "
            f"`COUNT(id)` reads the table's rows ({notes['pool_count_ms']:.0f} ms in EXPLAIN "
            "ANALYZE) where `COUNT(*)` is answered from the (account, seat_type) index alone "
            f"({notes['pool_count_star_ms']:.0f} ms for the same query with COUNT(*), "
            "read-only)."
        )
    if result.met:
        out.append(f"The target is met (medians: {gap_ms:+.0f} ms against the admin). " + beyond)
    else:
        out.append(
            f"The target is not met: the Users tab takes {gap_ms:.0f} ms more than the admin "
            "(medians). What stands in the way is what it does beyond the changelist. " + beyond
        )
    if notes.get("profile"):
        out += ["", *profile_table(result, notes)]
    change = []
    if "Sort Key" in plan:
        change.append(
            "give this sort an index to walk (a key kept on the membership with an index on "
            "(account, status, key, id)) so that a page reads 51 rows instead of sorting the "
            "account"
        )
    if "pool_count_ms" in notes:
        change.append(
            "count the pools with `Count('*')` (or keep the assigned count on the pool, "
            "which the seat services already lock)"
        )
    if change:
        out += ["", "What I would change next: " + "; ".join(change) + "."]
    return "\n".join(out)


def profile_table(result: Result, notes: dict) -> list[str]:
    """The sampling profile (bench/profile.py) as a table: each part's share of a Users tab
    request, and that share of the median request in milliseconds."""
    page_ms = result.measured * 1000
    out = [
        f"Where the Users tab's {page_ms:.0f} ms go: a sampling profile (pyinstrument, one "
        f"sample a millisecond) of {notes['profiled_requests']} requests of the page, its time "
        "shared out among the parts of the request (each share of the whole request; the "
        "milliseconds are that share of the median above):",
        "",
        "| Part of the request | Share | ms |",
        "|---|---:|---:|",
    ]
    out += [
        f"| {label} | {share:.0%} | {share * page_ms:.1f} |"
        for label, share in sorted(notes["profile"], key=lambda item: -item[1])
    ]
    rows = notes.get("row_profile", [])[: len(PROFILE_ROW_PARTS)]
    if rows:
        out += [
            "",
            "Inside the rows, what a row spends most on (shares of the whole request again): "
            + "; ".join(f"{label}: {share:.0%} ({share * page_ms:.1f} ms)" for label, share in rows)
            + ". Every row's cells are escaped and joined as strings; no row makes a query.",
        ]
    return out
