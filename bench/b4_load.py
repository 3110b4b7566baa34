"""4. Under load: the Users tab and a signed-in trivial view against an anonymous one.

gunicorn runs bench.wsgi as deployed (docker/gunicorn.conf.py: its worker class, processes and
threads; DEBUG off, the same middleware, CONN_MAX_AGE as the app defaults it) on loopback; wrk
loads each URL in turn for a fixed time with 2 threads and 16 connections, the three side by
side, the order turning each round. The Users tab and the signed-in trivial view
(/bench/trivial/, public, returns "ok") carry the same session cookie, so both pay the session,
the user and the current-account lookups: the signed-in trivial view is the floor of a
signed-in request, and the Users tab against it is what the page itself costs. The trivial view
without a cookie touches no database: against it, the signed-in one is what signing in costs
(the session, the user, the membership and the database connection they need), and the Users
tab is what a real page costs in all. Three results from the same runs. Each ratio is the
median of the rounds' own ratios (the three runs of a round follow each other; this machine's
speed swings between rounds), so it need not equal the ratio of the medians shown.
BENCH_GUNICORN=CLASS:WORKERS[:THREADS] (e.g. sync:2) and BENCH_CONN_MAX_AGE=N measure another
setting.
"""

import os
import re
import runpy
import subprocess
import urllib.request
from pathlib import Path

from bench.common import (
    ROOT,
    VAR,
    Result,
    environment,
    free_port,
    log,
    median,
    process_stop,
    wait_for_port,
)
from bench.context import Context

NAME = "users_tab_load_vs_trivial"
# The module's two other results, from the same runs.
SIGNED_IN = "signed_in_vs_anonymous_trivial"
VS_ANONYMOUS = "users_tab_load_vs_anonymous"
NAMES = (SIGNED_IN, NAME, VS_ANONYMOUS)
CONFIG = ROOT / "docker" / "gunicorn.conf.py"
USERS_PATH = "/settings/users/?status=active"
TRIVIAL_PATH = "/bench/trivial/"
THREADS, CONNECTIONS = 2, 16


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int, cookie: str | None) -> dict:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    errors = 0
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(n) for n in socket.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return {
        "rps": rps,
        "requests": requests,
        "p50_ms": _ms(*p50.groups()),
        "p99_ms": _ms(*p99.groups()),
        "errors": errors,
        "raw": output,
    }


def _processes():
    """(pid, the text of /proc/<pid>/stat) of every process running now (Linux)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue


def _workers(server: subprocess.Popen) -> list[int]:
    """The gunicorn master's worker processes (their parent's id in /proc/<pid>/stat)."""
    return sorted(
        pid for pid, stat in _processes() if int(stat.rsplit(")", 1)[1].split()[1]) == server.pid
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat, utime and stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu_seconds() -> float:
    """User + system CPU time so far of this machine's PostgreSQL processes (named "postgres"),
    the server's own and the backends serving gunicorn's connections."""
    total = 0.0
    for pid, stat in _processes():
        if stat[stat.index("(") + 1 : stat.rindex(")")] == "postgres":
            try:
                total += _cpu_seconds(pid)
            except OSError:  # ended meanwhile
                continue
    return total


def _loaded(workers: list[int], url: str, *, seconds: int, cookie: str | None) -> dict:
    """wrk's figures for `url`, with the CPU time each gunicorn worker, and PostgreSQL, spent
    meanwhile."""
    before = [_cpu_seconds(pid) for pid in workers]
    database_before = _postgres_cpu_seconds()
    figures = wrk(url, seconds=seconds, cookie=cookie)
    spent = [_cpu_seconds(pid) - start for pid, start in zip(workers, before, strict=True)]
    database = _postgres_cpu_seconds() - database_before
    total = sum(spent)
    figures["cpu_ms_per_request"] = total * 1000 / max(figures["requests"], 1)
    figures["db_cpu_ms_per_request"] = database * 1000 / max(figures["requests"], 1)
    # The busiest worker's part of the workers' CPU time: 1/len(workers) when balanced.
    figures["busiest_share"] = max(spent) / total if total else 1.0
    return figures


def _get(url: str, cookie: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read().decode()


def _gunicorn_setup() -> tuple[list[str], dict[str, str], str]:
    """The server's extra arguments, environment and a label: as deployed
    (docker/gunicorn.conf.py), or BENCH_GUNICORN=CLASS:WORKERS[:THREADS] and
    BENCH_CONN_MAX_AGE=N to measure another setting."""
    args, env = [], {"GUNICORN_ACCESS_LOG": ""}
    variant = os.environ.get("BENCH_GUNICORN", "")
    if variant:
        worker_class, workers, *threads = variant.split(":")
        args += ["--worker-class", worker_class, "--workers", workers]
        args += ["--threads", threads[0]] if threads else []
    if os.environ.get("BENCH_CONN_MAX_AGE"):
        env["CONN_MAX_AGE"] = os.environ["BENCH_CONN_MAX_AGE"]
    return args, env, variant or "as deployed"


def run(ctx: Context) -> list[Result]:
    data = ctx.members
    client = ctx.client(data.admin)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    VAR.mkdir(parents=True, exist_ok=True)
    args, env, label = _gunicorn_setup()
    config = (os.environ.get("BENCH_GUNICORN") or _deployed()) + (
        f", CONN_MAX_AGE={env['CONN_MAX_AGE']}" if "CONN_MAX_AGE" in env else ""
    )
    log_file = open(VAR / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--config",
            str(CONFIG),
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *args,
        ],
        cwd=ROOT,
        env=environment(**env),
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, server, "gunicorn")
        status, html = _get(base + USERS_PATH, cookie)
        rows = html.count('name="members" value=')
        if status != 200 or rows != 50:
            raise RuntimeError(f"Users tab on gunicorn: status {status}, {rows} rows")
        status, body = _get(base + TRIVIAL_PATH, cookie)
        if status != 200 or body != "ok":
            raise RuntimeError(f"trivial view on gunicorn: status {status}")
        seconds = ctx.sizes.load_seconds
        # Warm-up (discarded): both workers import, connect and fill their caches.
        wrk(base + TRIVIAL_PATH, seconds=2, cookie=cookie)
        wrk(base + USERS_PATH, seconds=2, cookie=cookie)
        workers = _workers(server)
        users_runs, trivial_runs, anonymous_runs = [], [], []
        for round_number in range(ctx.sizes.load_runs):
            # The three side by side, the order turning each round.
            order = [
                (USERS_PATH, cookie, users_runs),
                (TRIVIAL_PATH, cookie, trivial_runs),
                (TRIVIAL_PATH, None, anonymous_runs),
            ]
            shift = round_number % 3
            for path, with_cookie, bucket in order[shift:] + order[:shift]:
                bucket.append(_loaded(workers, base + path, seconds=seconds, cookie=with_cookie))
    finally:
        process_stop(server)
        log_file.close()
    users_rps = median([r["rps"] for r in users_runs])
    trivial_rps = median([r["rps"] for r in trivial_runs])
    anonymous_rps = median([r["rps"] for r in anonymous_runs])
    # Each ratio is the median of the rounds' own ratios: a round's three runs follow each
    # other within half a minute, while this machine's speed swings between rounds (the
    # anonymous view by more than twice), so a ratio of medians taken from different rounds
    # could meet a target that no round met.
    rounds = list(zip(users_runs, trivial_runs, anonymous_runs, strict=True))
    signed_in_ratio = median([t["rps"] / a["rps"] for _u, t, a in rounds])
    users_ratio = median([u["rps"] / t["rps"] for u, t, _a in rounds])
    vs_anonymous_ratio = median([u["rps"] / a["rps"] for u, _t, a in rounds])
    errors = sum(r["errors"] for r in users_runs + trivial_runs)
    anonymous_errors = sum(r["errors"] for r in anonymous_runs)
    ctx.notes[NAME] = {
        "users_wrk": users_runs[-1]["raw"],
        "seconds": ctx.sizes.load_seconds,
        "server": label,
        "config": config,
        "users_request_ms": ctx.notes.get("users_tab_vs_admin", {}).get("users_request_ms"),
        "users_db_ms": ctx.notes.get("users_tab_vs_admin", {}).get("users_db_ms"),
        "users_heavy": ctx.notes.get("users_tab_vs_admin", {}).get("users_heavy", [])[:1],
    }
    ctx.notes[NAME]["facts"] = facts = {
        "gunicorn": config,
        "errors": errors,
        "users_tab_p50_ms": round(median([r["p50_ms"] for r in users_runs]), 1),
        "users_tab_p99_ms": round(median([r["p99_ms"] for r in users_runs]), 1),
        "trivial_p50_ms": round(median([r["p50_ms"] for r in trivial_runs]), 1),
        "trivial_p99_ms": round(median([r["p99_ms"] for r in trivial_runs]), 1),
        "trivial_anonymous_rps": round(anonymous_rps),
        "trivial_anonymous_p50_ms": round(median([r["p50_ms"] for r in anonymous_runs]), 1),
        "trivial_anonymous_p99_ms": round(median([r["p99_ms"] for r in anonymous_runs]), 1),
        "anonymous_errors": anonymous_errors,
        # What each request cost the gunicorn workers in CPU time (medians of the runs).
        "users_tab_cpu_ms": round(median([r["cpu_ms_per_request"] for r in users_runs]), 2),
        "trivial_cpu_ms": round(median([r["cpu_ms_per_request"] for r in trivial_runs]), 2),
        "anonymous_cpu_ms": round(median([r["cpu_ms_per_request"] for r in anonymous_runs]), 2),
        # PostgreSQL's CPU time a request (all its processes, over the same runs).
        "users_tab_db_cpu_ms": round(median([r["db_cpu_ms_per_request"] for r in users_runs]), 2),
        "trivial_db_cpu_ms": round(median([r["db_cpu_ms_per_request"] for r in trivial_runs]), 2),
        "busiest_worker_share_max": round(
            max(r["busiest_share"] for r in users_runs + trivial_runs + anonymous_runs), 2
        ),
        "workers": len(workers),
        # Each round's figures: how far this machine's neighbours move one run from the next.
        "users_tab_rps_runs": [round(r["rps"]) for r in users_runs],
        "trivial_rps_runs": [round(r["rps"]) for r in trivial_runs],
        "anonymous_rps_runs": [round(r["rps"]) for r in anonymous_runs],
        "signed_in_ratio_runs": [round(t["rps"] / a["rps"], 2) for _u, t, a in rounds],
        "users_tab_ratio_runs": [round(u["rps"] / t["rps"], 3) for u, t, _a in rounds],
        "requests": sum(r["requests"] for r in users_runs + trivial_runs + anonymous_runs),
    }
    log(
        f"gunicorn {label} ({config}): Users tab {users_rps:.0f} req/s, trivial signed in "
        f"{trivial_rps:.0f} req/s, anonymous {anonymous_rps:.0f} req/s, errors {errors}"
    )
    members = f"{data.member_count:,} members"
    return [
        Result(
            name=SIGNED_IN,
            title="Signed-in trivial view vs anonymous trivial view, under load",
            baseline_label="trivial view, anonymous",
            baseline=anonymous_rps,
            measured_label="trivial view, signed in",
            measured=trivial_rps,
            unit="req/s",
            ratio=signed_in_ratio,
            target=(">=", 0.5),
            runs=len(trivial_runs),
            extras=facts,
        ),
        Result(
            name=NAME,
            title=f"Users tab under load vs a signed-in trivial view ({members})",
            baseline_label="trivial view, signed in",
            baseline=trivial_rps,
            measured_label="Users tab",
            measured=users_rps,
            unit="req/s",
            ratio=users_ratio,
            target=(">=", 0.15),
            runs=len(users_runs),
            extras={},
        ),
        Result(
            name=VS_ANONYMOUS,
            title=f"Users tab under load vs an anonymous trivial view ({members})",
            baseline_label="trivial view, anonymous",
            baseline=anonymous_rps,
            measured_label="Users tab",
            measured=users_rps,
            unit="req/s",
            ratio=vs_anonymous_ratio,
            target=(">=", 0.09),
            runs=len(users_runs),
            extras={},
        ),
    ]


def _deployed() -> str:
    """docker/gunicorn.conf.py's worker class, workers and threads with the defaults."""
    namespace = runpy.run_path(str(CONFIG))
    return f"{namespace['worker_class']}:{namespace['workers']}:{namespace['threads']}"


def analysis(result: Result, notes: dict) -> str:
    x = notes["facts"]
    if result.name == SIGNED_IN:
        return _signed_in(result, x)
    if result.name == VS_ANONYMOUS:
        return _vs_anonymous(result, notes, x)
    return _users_tab(result, notes, x)


def _signed_in(result: Result, x: dict) -> str:
    out = [
        f"gunicorn {x['gunicorn']} (class:processes:threads); wrk, {THREADS} threads, "
        f"{CONNECTIONS} connections, {result.runs} run(s) of each URL, the three URLs in "
        "turn after a 2 s warm-up: the anonymous trivial view served "
        f"{result.baseline:,.0f} requests/s (p50 {x['trivial_anonymous_p50_ms']} ms, p99 "
        f"{x['trivial_anonymous_p99_ms']} ms), the signed-in one {result.measured:,.0f} "
        f"(p50 {x['trivial_p50_ms']} ms, p99 {x['trivial_p99_ms']} ms), the Users tab in "
        f"the results below; {x['errors'] + x['anonymous_errors']} errors (socket errors, "
        f"timeouts and non-2xx/3xx answers together) in {x['requests']:,} requests.",
        "",
        "A signed-in request asks PostgreSQL one thing the anonymous one does not: its "
        "session, the person signed in to it, the memberships they can pick and their "
        "accounts, in one query, fresh on every request (accounts/sessions.py and "
        "accounts/signed_in.py: the session table names its person, and the statement is "
        "written once as SQL rather than built by the ORM each time), so that a sign-out, a "
        "deactivation, a removal, a permission change or a new password counts from the "
        "member's next request. (Sessions used to be read from Redis, cached_db, "
        "and the person in a second round trip, to PostgreSQL.) The connection is "
        "kept (CONN_MAX_AGE 60 on PostgreSQL), so no request pays PostgreSQL's connection "
        "start-up, which was most of a signed-in request's cost with CONN_MAX_AGE 0. That "
        "query stays prepared on the connection (seatmgr/postgresql, "
        "DATABASE_PREPARED_STATEMENTS): PostgreSQL plans it once, not on every request (its CPU "
        "for the query went from 0.39 ms to 0.10 ms). A connection whose last query is "
        "younger than half a second is not checked before reuse (CONN_HEALTH_CHECK_AFTER_IDLE, "
        "as HikariCP does), so under load a signed-in request costs PostgreSQL one round trip, "
        "not two; the check cost about a fifth of the signed-in view's throughput. Its "
        "timestamps are read by psycopg's C loader, not Django's Python one.",
        "",
        f"Per request the gunicorn workers spent {x['anonymous_cpu_ms']} ms of CPU on the "
        f"anonymous trivial view, {x['trivial_cpu_ms']} ms on the signed-in one and "
        f"{x['users_tab_cpu_ms']} ms on the Users tab (their CPU time over each run's "
        "requests; PostgreSQL's and wrk's come on top, on the same two cores). The "
        f"busiest of the {x['workers']} processes did at most "
        f"{x['busiest_worker_share_max']:.0%} of their work in any run ({1 / x['workers']:.0%} "
        "is an even split): a process takes at most twice its threads' connections "
        "(docker/gunicorn.conf.py). With gunicorn's default of 1,000, one process accepted "
        "all of wrk's 16 connections in some runs and served them on one core, and that "
        "run's throughput halved: the rounds' ratios then ranged over 0.19-0.94.",
    ]
    if not result.met:
        # At half the anonymous throughput, what a signed-in request may cost beyond it.
        cores = os.cpu_count() or 1
        budget = cores * 1000 / result.baseline
        out += [
            "",
            "The target is not met: what remains is that query (a round trip to PostgreSQL, "
            "which answers it on the cores gunicorn and wrk share) and the signed-in "
            "middleware's Python (Django's session, its signature and authentication, the "
            "current account, the person's language and time zone). The anonymous view asks "
            "PostgreSQL nothing: at half its throughput a signed-in request would have "
            f"{budget:.2f} ms of the machine's {cores} cores more than it, for all of the "
            "above. Asking PostgreSQL nothing would mean caching the person and their "
            "memberships, safe only with an invalidation on every write of a user, membership "
            "or account row (update(), bulk writes and SQL included, not only save()); not "
            "done.",
        ]
    else:
        out += ["", "The target is met."]
    return "\n".join(out)


def _users_tab(result: Result, notes: dict, x: dict) -> str:
    out = [
        f"The Users tab served {result.measured:.1f} requests/s (p50 "
        f"{x['users_tab_p50_ms']} ms, p99 {x['users_tab_p99_ms']} ms) against the signed-in "
        f"trivial view's {result.baseline:,.1f}: both pay the session, the user and the "
        "membership, so the ratio is what the page itself costs. In CPU time of the gunicorn "
        f"workers: {x['users_tab_cpu_ms']} ms a Users tab request against "
        f"{x['trivial_cpu_ms']} ms a signed-in trivial one; in PostgreSQL's, on the same two "
        f"cores, {x['users_tab_db_cpu_ms']} ms against {x['trivial_db_cpu_ms']} ms."
    ]
    per_request, db_ms = notes.get("users_request_ms"), notes.get("users_db_ms")
    if per_request and db_ms:
        out[0] += (
            f" One Users tab request took {per_request:.0f} ms in-process in benchmark 1, "
            f"{db_ms:.0f} ms of it in PostgreSQL: the rest is Python (the middleware, the "
            "view, the filter form and the template), which is what each worker process "
            "spends its core on."
        )
    out += [
        "",
        "What a request of the page costs beyond the signed-in floor, and what was done about "
        'it (docs/architecture.md, "What the Users tab pays"): its seven queries are kept '
        "prepared on the connection, so PostgreSQL plans them once (the rows once per account, "
        "whose size their best plan depends on), the rows bring their extra teams with them, "
        "and six of the queries "
        "(the rows, the count, the filters' choices, the navigation's two counts) are SQL the "
        "ORM wrote once per process and shape of filters (accounts.prepared), so Django builds "
        "none of them again either; the "
        "filters, bulk-edit bar and table head are drawn once per query and choices, and the "
        "filters read from a query are kept with them; the 50 rows are drawn in Python; each "
        "worker freezes what it loaded (gc.freeze), so the collector's full passes no longer "
        "walk Django. What remains, by benchmark 1's sampling profile: the rows drawn "
        "(about a fifth of the request), the queries' round trips, the template engine "
        "drawing the shell and pager, and the middleware. In PostgreSQL most of it is the "
        "count, which reads up to 10,001 entries of the (account, status) index on every "
        "request so that the pager can say how many (about 1.4 ms of its CPU at 100,000 "
        "members: EXPLAIN ANALYZE in benchmark 1).",
        "",
        "The target is met."
        if result.met
        else "The target is not met. Where a Users tab request's time goes is benchmark 1's "
        "sampling profile: no part of it is most of the page (reading the page's rows and "
        "counting the list, Django's template engine drawing the page's shell, navigation "
        "and pager, the 50 rows drawn in Python, the middleware, the filter form and the "
        "navigation's two counts each take between a quarter and a "
        f"twentieth). {result.target[1] / result.ratio:.1f} times the throughput would take "
        "a page that much cheaper in every part, or a cached page, which the list's "
        'freshness (every change shows at once, "Last active" moves every minute) rules '
        "out.",
    ]
    return "\n".join(out)


def _vs_anonymous(result: Result, notes: dict, x: dict) -> str:
    out = [
        f"The Users tab against the anonymous trivial view (no session, no database): "
        f"{result.measured:.1f} against {result.baseline:,.0f} requests/s. This is the "
        "product's whole cost of a real page over the cheapest answer the server can give: "
        "signing in (above) times the page (the result before)."
    ]
    out += [
        "",
        "The target is met."
        if result.met
        else "The target is not met: the page's Python (benchmark 1's profile) and the "
        "signed-in floor both stand in the way.",
    ]
    return "\n".join(out)
