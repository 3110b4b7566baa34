"""/healthz, /readyz and /metrics: for load balancers, compose health checks and Prometheus.
Public for the page middleware (no session); /metrics wants SEATMGR_METRICS_TOKEN."""

import hmac
import os

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from accounts.access import public
from ops.health import readiness
from ops.metrics import ProductCollector


@public
@never_cache
@require_safe
def healthz(request):
    """The process answers: no database, nothing else (a liveness probe)."""
    return JsonResponse({"status": "ok"})


@public
@never_cache
@require_safe
def readyz(request):
    """503 with what is wrong when the database is unreachable or behind its migrations, Redis
    is unreachable (when configured), or the heartbeat is too old (when a maximum age is set)."""
    checks = readiness()
    ready = all(problem is None for problem in checks.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not ready",
            "checks": {name: problem or "ok" for name, problem in checks.items()},
        },
        status=200 if ready else 503,
    )


@public
@never_cache
@require_safe
def metrics(request):
    """Prometheus' text format, for `Authorization: Bearer <SEATMGR_METRICS_TOKEN>`; a 404 when
    no token is configured (the endpoint then doesn't exist) or the token is wrong."""
    token = settings.SEATMGR_METRICS_TOKEN
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(sent.encode(), token.encode()):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several gunicorn workers: their request metrics, merged from the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessMetrics())
    registry.register(ProductCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _ProcessMetrics:
    """This process's own metrics (django-prometheus' request latency by view, Python's)."""

    def collect(self):
        yield from REGISTRY.collect()
