"""The heartbeat: written by a worker each time beat's schedule sends it the heartbeat task."""

from django.db import models


class Heartbeat(models.Model):
    """The last time a worker ran the heartbeat task that beat scheduled (ops.tasks): one row,
    `name` "celery". Its age is what /readyz checks."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
