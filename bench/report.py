"""docs/performance.md: what each benchmark compares, the numbers of the run, and the reading."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench import (
    b1_users_tab,
    b2_create_users,
    b3_renewals,
    b4_load,
    b5_emails,
    b6_export_memory,
    b7_api_users,
)
from bench.common import Result, fmt
from bench.context import Context

# Each result's module, by result name (bench 4 gives three results: its NAMES).
MODULES = {
    name: m
    for m in (
        b1_users_tab,
        b2_create_users,
        b3_renewals,
        b4_load,
        b5_emails,
        b6_export_memory,
        b7_api_users,
    )
    for name in getattr(m, "NAMES", (m.NAME,))
}


def machine_facts(server: dict[str, str]) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gib = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk_version = (wrk.stdout or wrk.stderr).split()[1]
    except (OSError, IndexError):
        wrk_version = "?"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "postgresql": server["version"],
        "pg_shared_buffers": server["shared_buffers"],
        "pg_work_mem": server["work_mem"],
        "gunicorn": metadata.version("gunicorn"),
        "celery": metadata.version("celery"),
        "aiosmtpd": metadata.version("aiosmtpd"),
        "wrk": wrk_version,
    }


def _value(result: Result, value: float) -> str:
    return fmt(value, result.unit)


def _table(results: list[Result]) -> list[str]:
    lines = [
        "| Benchmark | Baseline | Measured | Ratio | Target | Met? |",
        "|---|---|---|---:|---:|:---:|",
    ]
    for r in results:
        op, bound = r.target
        lines.append(
            f"| `{r.name}` | {r.baseline_label}: {_value(r, r.baseline)} "
            f"| {r.measured_label}: {_value(r, r.measured)} | **{r.ratio_text}** "
            f"| {op} {bound:g} | {'yes' if r.met else '**no**'} |"
        )
    return lines


def _doc(module) -> str:
    text = (module.__doc__ or "").strip()
    _first, _, rest = text.partition("\n")
    return rest.strip()


def write(
    path: Path, *, results: list[Result], failures: dict[str, str], ctx: Context, facts: dict
) -> None:
    mode = "quick (small sizes, a smoke test)" if ctx.quick else "full"
    out = [
        "# Performance",
        "",
        f"{len(results)} comparisons, each comparing seatmgr with a floor measured side by side "
        "in the same "
        "run, on PostgreSQL. Times are medians of several runs after a discarded warm-up "
        "(`time.perf_counter`); query counts come from "
        "`django.test.utils.CaptureQueriesContext`. Written by `bench/run.py` "
        f"({mode} run, {facts['date']}, {facts['wall_time_s']} s wall time).",
        "",
        "## Results",
        "",
        *_table(results),
        "",
    ]
    if failures:
        out += ["Benchmarks that failed to run:", ""]
        out += [f"- `{name}`: {problem}" for name, problem in failures.items()]
        out.append("")
    met = [r.name for r in results if r.met]
    missed = [r for r in results if not r.met]
    out.append(
        f"{len(met)} of {len(results)} targets met."
        + (" Not met: " + ", ".join(f"`{r.name}`" for r in missed) + "." if missed else "")
    )
    out += [
        "",
        "How much to trust these numbers: everything runs on one machine of "
        f"{facts['nproc']} cores, shared by PostgreSQL, Redis, the benchmark's own processes "
        "and, during this run, whatever else the machine was doing (each benchmark lists the "
        "1-minute load average before and after it). Absolute times move by tens of percent "
        "from run to run; the ratios are steadier, since both sides are measured in the same "
        "minutes, alternating which goes first, but a ratio far from its target stays far "
        "from it and one near its target should be run again before anything is concluded.",
    ]
    out += ["", "## What each benchmark compares, and what the numbers say", ""]
    described: dict[object, int] = {}
    for number, r in enumerate(results, start=1):
        module = MODULES[r.name]
        out += [f"### {number}. {r.title}", ""]
        if module in described:
            # A second result of the same runs: described (and its facts listed) above.
            out += [f"Measured in the same runs as {described[module]}.", ""]
        else:
            described[module] = number
            out += [_doc(module), ""]
            out.append(
                f"Runs: {r.runs} timed (medians shown). Facts: "
                + ", ".join(f"{k} = {v}" for k, v in r.extras.items())
                + "."
            )
            out.append("")
        analysis = getattr(module, "analysis", None)
        if analysis is not None:
            out += [analysis(r, ctx.notes.get(module.NAME, {})), ""]
    out += [
        "## Machine",
        "",
        f"- {facts['nproc']} CPUs ({facts['cpu']}), {facts['memory']} RAM, {facts['os']}",
        f"- PostgreSQL {facts['postgresql']} on 127.0.0.1 (shared_buffers "
        f"{facts['pg_shared_buffers']}, work_mem {facts['pg_work_mem']}, defaults otherwise); "
        "Redis on 127.0.0.1",
        f"- Python {facts['python']}, Django {facts['django']}, gunicorn {facts['gunicorn']}, "
        f"Celery {facts['celery']}, aiosmtpd {facts['aiosmtpd']}, wrk {facts['wrk']}",
        "- Everything (PostgreSQL, Redis, gunicorn, the worker, the SMTP server, wrk and the "
        "benchmark itself) shares these cores, so absolute numbers are low; the ratios are the "
        "point.",
        "",
        "## How to reproduce",
        "",
        "```bash",
        "cd /work/main",
        "apt-get install -y wrk apache2-utils   # if absent (Debian)",
        ".venv/bin/python bench/run.py           # full run, rewrites this file (~"
        f"{max(1, round(facts['wall_time_s'] / 60))} min here)",
        ".venv/bin/python bench/run.py --quick   # small sizes, about a minute; writes "
        "bench/out/performance-quick.md",
        "```",
        "",
        "It needs PostgreSQL and Redis on 127.0.0.1 (it starts them as ENVIRONMENT.md says "
        "when their ports are closed). It creates and drops its own database "
        "(`BENCH_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/seatmgr_bench`) "
        "and uses Redis db 13 (`BENCH_BROKER_URL`) for Celery and db 12 (`BENCH_CACHE_URL`) "
        "as the cache, as docker-compose gives the web processes one. Options: `--keep-db` "
        "keeps the database for a look at the data (EXPLAIN, psql), `--only name1,name2` "
        "runs some benchmarks, "
        "`--write-docs` lets a quick run write this file, `--report-only` rewrites it from the "
        "last run's saved numbers (bench/out/last-run.json) without measuring. One run at a "
        "time per benchmark database: a second one exits (PostgreSQL advisory lock); runs on "
        "databases of their own may overlap, but then share the cores and measure each other. "
        "The processes run with "
        "`DJANGO_SETTINGS_MODULE=seatmgr.settings` and `DEBUG=0`, `AXES_ENABLED=0`, "
        "`STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage`, "
        "`CELERY_BROKER_URL=redis://127.0.0.1:6379/13`, `CACHE_URL=redis://127.0.0.1:6379/12` "
        "(the cache holds no session: accounts.sessions reads them from PostgreSQL with the "
        "person); the admin "
        "comparison and the load test's trivial view use the bench-only URLconf "
        "`bench/urls.py` (ROOT_URLCONF "
        "overridden in the benchmark process and in `bench/wsgi.py`); nothing is registered "
        "in the application. Logs of gunicorn and the worker are left in bench/out/ "
        "(ignored by git).",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out))
