"""Run every benchmark and report: `cd /work/main && .venv/bin/python bench/run.py [--quick]`.

Exits 1 when a benchmark breaks (an exception, a result missing or not a positive number), 0
otherwise, whether or not the ratios meet their targets; CI runs `--smoke` (a quick run).

Creates a PostgreSQL database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/seatmgr_bench), migrates it, loads each benchmark's data in
bulk, runs the six comparisons, prints one `name: ratio` line each (plus facts on stderr), writes
docs/performance.md (the full run; --quick writes bench/out/performance-quick.md unless
--write-docs), and drops the database (unless --keep-db).
"""

import argparse
import math
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

# Run as a script: import the project (and `bench` as a package), not bench/'s own modules.
ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    b1_users_tab,
    b2_create_users,
    b3_renewals,
    b4_load,
    b5_emails,
    b6_export_memory,
    b7_api_users,
)
from bench.common import FULL, QUICK, VAR, environment, services_ensure  # noqa: E402

BENCHMARKS = [
    b1_users_tab,
    b2_create_users,
    b3_renewals,
    b4_load,
    b5_emails,
    b6_export_memory,
    b7_api_users,
]


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: a quick run that fails (exit 1) when a benchmark breaks (an exception, a "
        "missing or meaningless result), not when a ratio misses its target",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--write-docs", action="store_true", help="write docs/performance.md even with --quick"
    )
    parser.add_argument("--only", default="", help="comma-separated benchmark names (default: all)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite the report from the last full run's saved numbers, measuring nothing",
    )
    return parser.parse_args()


def _saved_path(quick: bool) -> Path:
    return VAR / ("last-quick-run.json" if quick else "last-run.json")


def _save(path: Path, *, results, failures, ctx, facts) -> None:
    import dataclasses
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "results": [dataclasses.asdict(r) for r in results],
        "failures": failures,
        "notes": ctx.notes,
        "quick": ctx.quick,
        "facts": facts,
    }
    path.write_text(json.dumps(data, indent=1, default=str))


def _report_only(args) -> int:
    import json

    from bench import report
    from bench.common import Result
    from bench.context import Context

    data = json.loads(_saved_path(args.quick).read_text())
    results = [Result(**{**r, "target": tuple(r["target"])}) for r in data["results"]]
    ctx = Context(sizes=QUICK if data["quick"] else FULL, quick=data["quick"])
    ctx.notes = data["notes"]
    path = VAR / "performance-quick.md" if data["quick"] else ROOT / "docs" / "performance.md"
    report.write(path, results=results, failures=data["failures"], ctx=ctx, facts=data["facts"])
    for result in results:
        print(f"{result.name}: {result.ratio_text}")
    print(f"report: {path}", file=sys.stderr)
    return 0


def main() -> int:
    args = _arguments()
    if args.report_only:
        return _report_only(args)
    started = time.perf_counter()
    args.quick = args.quick or args.smoke
    sizes = QUICK if args.quick else FULL
    os.environ.update(environment())
    # WhiteNoise notes that collectstatic has not run; pages are served unhashed, as in tests.
    warnings.filterwarnings("ignore", message="No directory at")
    services_ensure()

    from bench.db import database_create, database_drop, migrate, run_lock

    print(f"seatmgr benchmarks ({'quick' if args.quick else 'full'} run)", file=sys.stderr)
    # One run at a time: a second would drop this one's database, flush its Redis db and
    # compete for the same cores.
    lock = run_lock()
    database_create()
    migrate()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    settings.ROOT_URLCONF = "bench.urls"

    from bench import report
    from bench.context import Context
    from bench.db import server_facts

    ctx = Context(sizes=sizes, quick=args.quick)
    only = {n for n in args.only.split(",") if n}
    results, failures = [], {}
    try:
        for module in BENCHMARKS:
            if only and module.NAME not in only:
                continue
            print(f"[{module.NAME}]", file=sys.stderr, flush=True)
            began = time.perf_counter()
            load_before = os.getloadavg()[0]
            try:
                result = module.run(ctx)
            except Exception as problem:
                traceback.print_exc()
                failures[module.NAME] = f"{type(problem).__name__}: {problem}"
                print(f"{module.NAME}: FAILED ({failures[module.NAME]})", flush=True)
                continue
            # A benchmark gives one result, or several from the same runs (bench 4).
            produced = result if isinstance(result, list) else [result]
            produced[0].extras["load_average_1m"] = f"{load_before:.1f} to {os.getloadavg()[0]:.1f}"
            results += produced
            ctx.load_seconds[f"{module.NAME}_total"] = time.perf_counter() - began
            for result in produced:
                print(f"{result.name}: {result.ratio_text}", flush=True)
                facts = ", ".join(f"{k}={v}" for k, v in result.extras.items())
                if facts:
                    print(f"  {facts}", file=sys.stderr, flush=True)
        facts = report.machine_facts(server_facts())
    finally:
        connections.close_all()
        if not args.keep_db:
            database_drop()
        lock.close()
    wall = time.perf_counter() - started
    facts["wall_time_s"] = round(wall)
    print(file=sys.stderr)
    for result in results:
        verdict = "met" if result.met else "NOT met"
        op, bound = result.target
        print(
            f"{result.name}: {result.ratio_text} (target {op} {bound:g}: {verdict})",
            file=sys.stderr,
        )
    if (args.quick or only) and not args.write_docs:
        path = VAR / ("performance-quick.md" if args.quick else "performance-partial.md")
    else:
        path = ROOT / "docs" / "performance.md"
    report.write(path, results=results, failures=failures, ctx=ctx, facts=facts)
    if not only:
        _save(_saved_path(args.quick), results=results, failures=failures, ctx=ctx, facts=facts)
    print(f"wall time {wall:.0f} s; report: {path}", file=sys.stderr)
    broken = dict(failures)
    for module in BENCHMARKS:
        if only and module.NAME not in only:
            continue
        got = {r.name: r for r in results}
        for name in getattr(module, "NAMES", (module.NAME,)):
            result = got.get(name)
            if result is None:
                broken.setdefault(name, "no result")
            elif not (math.isfinite(result.ratio) and result.ratio > 0):
                broken[name] = f"ratio {result.ratio}"
    if broken:
        for name, problem in broken.items():
            print(f"BROKEN {name}: {problem}", file=sys.stderr)
        return 1
    # A missed target is a finding for docs/performance.md, not a failure (exit 0).
    return 0


if __name__ == "__main__":
    sys.exit(main())
