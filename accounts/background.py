"""Dispatching background work: after the commit, and never at the expense of the request."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def task_after_commit(task, *args) -> None:
    """Queue `task` with `args` (ids: JSON-safe) once the current transaction commits.

    The data is already saved when the broker is asked, so a broker outage must not turn the
    request into an error page that says nothing was saved: the failure is logged, and work
    that matters has a periodic sweep that finds what was never queued (invitation emails).
    """

    def publish() -> None:
        try:
            task.delay(*args)
        except Exception:
            logger.exception(
                "could not queue %s%r; it will be retried by its sweep, if any", task.name, args
            )

    transaction.on_commit(publish)
