"""One CSV export of the Users list, alone in its process, reporting its peak memory.

Run by bench/b6_export_memory.py with the benchmark's environment:
    python bench/export_child.py <admin email>
Prints one JSON line: resident set size before the export and at its peak (KiB), bytes and rows
received, seconds.

The peak is VmHWM from /proc/self/status, this process's own high-water mark. ru_maxrss is not
used: Linux carries the parent's peak into a child across fork and exec, so a child of the
benchmark process (hundreds of MiB after loading 100,000 rows) would report the parent's size.
"""

import json
import resource
import sys
import time
from pathlib import Path

# Run as a script: import the project (and `bench` as a package), not bench/'s own modules.
sys.path[0] = str(Path(__file__).resolve().parent.parent)


def peak_kib() -> int:
    """This process's peak resident set size in KiB (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rows_only(email: str, defer: bool) -> None:
    """Without the view: iterate the export's rows as the view does (the JSON fields it never
    writes deferred) or with those fields loaded; report the peak."""
    from django.utils import timezone

    from accounts.models import Membership
    from seats.users.selectors import DirectoryFilters, member_directory

    account = Membership.objects.get(user__email=email).account
    members = member_directory(account=account, filters=DirectoryFilters(), now=timezone.now())
    if defer:
        members = members.defer(
            "permissions", "notification_settings", "permission_set__permissions"
        )
    before = peak_kib()
    rows = 0
    for member in members.iterator(chunk_size=2000):
        rows += 1
        list(member.extra_teams.all())
    print(json.dumps({"before_kib": before, "peak_kib": peak_kib(), "rows": rows}))


def main(email: str) -> None:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.test import Client

    from accounts.models import User
    from bench.common import BACKEND

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(email=email), backend=BACKEND)
    # One small request first, so that what is imported and cached for any page is counted
    # in the "before" figure, not as the export's own memory.
    client.get("/settings/profile/")
    before = peak_kib()
    start = time.perf_counter()
    response = client.get("/settings/users/export.csv")
    assert response.status_code == 200 and response.streaming, response.status_code
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    peak = peak_kib()
    print(
        json.dumps(
            {"before_kib": before, "peak_kib": peak, "bytes": size, "rows": rows, "s": elapsed}
        )
    )


if __name__ == "__main__":
    if len(sys.argv) > 2:
        import warnings

        import django

        warnings.filterwarnings("ignore", message="No directory at")
        django.setup()
        rows_only(sys.argv[1], defer=sys.argv[2] == "defer")
    else:
        main(sys.argv[1])
