"""The request id django-structlog binds to a request's log lines, sent back as X-Request-ID so
a person reporting a problem (or a proxy's access log) can quote it."""

import structlog
from django.dispatch import receiver
from django_structlog import signals


@receiver(signals.bind_extra_request_finished_metadata)
def request_id_header(request, logger, response, **kwargs) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and response is not None:
        response["X-Request-ID"] = request_id
