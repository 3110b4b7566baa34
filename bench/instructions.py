"""Instructions a request costs, counted by valgrind's callgrind.

    BENCH_DATABASE_URL=postgres://... .venv/bin/python bench/instructions.py [PATH ...]
        [--requests N]

A count of instructions is the same for the same work however busy the machine is, where the
time of one request on this machine swings by a factor of two from one minute to the next: two
versions of a page can be measured one after the other, and a change of a few percent shows.
It counts what the process executes (Python, Django, psycopg), not the time spent waiting on
PostgreSQL, whose own work it does not see.

Each PATH (default: the Users tab, a signed-in trivial view and GET /api/v1/users, as the
benchmarks request them) is requested through Django's test client in a process run under
callgrind, by the super admin of the benchmarks' large account (an API key of theirs for
/api/ paths), or with --anonymous by nobody signed in: a few times to warm up, then N times
(default 20) with callgrind counting. It prints millions of instructions a request. Needs
valgrind and a benchmark database already loaded: `bench/run.py --quick --keep-db --only
users_tab_load_vs_trivial` leaves one.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.b1_users_tab import USERS_URL  # noqa: E402
from bench.b4_load import TRIVIAL_PATH  # noqa: E402
from bench.b7_api_users import API_URL  # noqa: E402
from bench.common import environment  # noqa: E402

ADMIN_EMAIL = "admin@large.example"  # bench.context: the large account's domain
WARM_UP = 5


def _child(path: str, requests: int, *, anonymous: bool = False) -> None:
    """Runs under callgrind: counting is on only around the measured requests."""
    os.environ.update(environment())
    from django.test import Client

    import bench.wsgi  # noqa: F401 - sets Django up with the bench URLconf
    from accounts.models import Membership

    admin = Membership.objects.filter(user__email=ADMIN_EMAIL, is_super_admin=True).first()
    if admin is None:
        sys.exit(f"no {ADMIN_EMAIL} in the database: load one with bench/run.py --keep-db")
    if path.startswith("/api/"):
        from api.services import api_key_create

        token = api_key_create(
            actor_membership=admin, name="instructions", scopes=["users:read"], expires_on=None
        ).token
        client = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {token}"})
    else:
        client = Client(HTTP_HOST="localhost")
        if not anonymous:
            client.force_login(admin.user, backend="accounts.backends.EmailBackend")
    for _ in range(WARM_UP):
        status = client.get(path).status_code
        if status != 200:
            sys.exit(f"{path} answered {status}")
    control = ["callgrind_control", "--instr"]
    subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(requests):
        client.get(path)
    subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)


def count(path: str, requests: int, *, anonymous: bool = False) -> float:
    """Millions of instructions a request of `path`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                "--cache-sim=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--child",
                path,
                "--requests",
                str(requests),
                *(["--anonymous"] if anonymous else []),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        totals = [
            line
            for line in (out.read_text().splitlines() if out.exists() else [])
            if line.startswith("totals:")
        ]
        if run.returncode != 0 or not totals:
            # The child's own last words, without valgrind's ("==pid== ...").
            said = [line for line in run.stderr.splitlines() if not line.startswith("==")]
            sys.exit(f"{path}: " + "\n".join(said[-3:]))
        return int(totals[0].split()[1]) / requests / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=[USERS_URL, TRIVIAL_PATH, API_URL])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--anonymous", action="store_true", help="not signed in (the paths must be public)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.paths[0], args.requests, anonymous=args.anonymous)
        return
    for path in args.paths:
        millions = count(path, args.requests, anonymous=args.anonymous)
        print(f"{millions:8.2f} M instructions a request  {path}")


if __name__ == "__main__":
    main()
