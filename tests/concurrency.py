"""Calls run at the same moment: the harness of the concurrency tests that share it
(seats' users, teams, billing and invitations).

Real threads, each with its own database connection, released together by a barrier.
"""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    """Run each call in its own thread, all released at once; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # every outcome is inspected by the test
            outcomes[index] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    return outcomes


def kinds(outcomes: list[object]) -> list[str]:
    return sorted(type(outcome).__name__ for outcome in outcomes)
