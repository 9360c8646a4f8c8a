"""Liveness (/healthz, no I/O) and readiness (/readyz, every dependency) for probes and load balancers."""

from collections.abc import Callable

import structlog
{% if values.celery %}from celery import current_app
from django.conf import settings
{% endif %}from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

logger = structlog.get_logger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
{% if values.celery %}

def check_broker() -> None:
    with current_app.connection_for_read(url=settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
{% endif %}

CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
{% if values.celery %}    "broker": check_broker,
{% endif %}}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving: touches nothing else, so a slow database never restarts it."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every dependency answers; otherwise 503 naming the failing ones and why."""
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            logger.warning("readiness check failed", check=name, error=repr(exc))
            checks[name] = f"{type(exc).__name__}: {exc}"
        else:
            checks[name] = "ok"
    failing = [name for name, result in checks.items() if result != "ok"]
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
