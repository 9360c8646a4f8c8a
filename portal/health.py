"""Liveness (``/healthz``), readiness (``/readyz``).

``/healthz`` does no I/O: it answers while the process can serve requests. ``/readyz`` checks the
database, the cache and the broker concurrently, each with a timeout of ``READINESS_TIMEOUT``
seconds, and answers 503 with the name of every failing dependency.

Each check runs in a daemon thread of its own with connections of its own (opened and closed by the
check, never the request thread's), so a dependency that accepts a connection and never answers
costs the probe ``READINESS_TIMEOUT`` seconds and cannot keep the process from exiting. Errors are
reported by exception class only: messages of database and broker clients may name hosts and users.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import structlog
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

log = structlog.get_logger(__name__)

Check = Callable[[], None]


def check_database() -> None:
    """Run ``SELECT 1`` on a connection of the check's own, closed afterwards."""
    connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_cache() -> None:
    """Write a key, read it back, delete it."""
    cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("value written was not read back")
    cache.delete(key)


def check_broker() -> None:
    """Connect to the broker once, without retrying; the file broker needs its folders."""
    url: str = settings.CELERY_BROKER_URL
    timeout: float = settings.READINESS_TIMEOUT
    if url.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out"):
            folder = Path(options[key])
            if not folder.is_dir() or not os.access(folder, os.R_OK | os.W_OK):
                raise FileNotFoundError("a broker folder is missing or not writable")
        return
    transport_options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }
    with Connection(url, connect_timeout=timeout, transport_options=transport_options) as connection:
        connection.ensure_connection(max_retries=0)


CHECKS: dict[str, Check] = {"database": check_database, "cache": check_cache, "broker": check_broker}


def prepare() -> None:
    """Import what the checks use (the broker's transport, the cache's client library) once, at start:
    the first probe of a process that has just started then measures answers, not imports, and does not
    fail its deadline while the workers beside it are starting too. No I/O."""
    url: str = settings.CELERY_BROKER_URL
    if not url.startswith("filesystem://"):
        Connection(url).transport  # noqa: B018 -- resolving the transport imports it
    cache = caches.create_connection(DEFAULT_CACHE_ALIAS)
    getattr(cache, "_cache", None)  # Django's RedisCache builds its client (and imports redis) here


def run_checks(checks: dict[str, Check], timeout: float) -> dict[str, dict[str, object]]:
    """Run every check in a thread of its own; wait at most ``timeout`` seconds for all of them."""
    outcomes: dict[str, dict[str, object]] = {}
    lock = threading.Lock()
    log_context = structlog.contextvars.get_contextvars()

    def run(name: str, check: Check) -> None:
        structlog.contextvars.bind_contextvars(**log_context)
        try:
            check()
        except Exception as exc:
            log.warning("readiness check failed", check=name, error=type(exc).__name__)
            outcome: dict[str, object] = {"ok": False, "error": type(exc).__name__}
        else:
            outcome = {"ok": True}
        with lock:
            outcomes[name] = outcome

    threads = [
        threading.Thread(target=run, args=(name, check), name=f"readyz-{name}", daemon=True)
        for name, check in checks.items()
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        finished = dict(outcomes)
    late = {"ok": False, "error": f"no answer within {timeout:g} s"}
    return {name: finished.get(name, late) for name in checks}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = run_checks(CHECKS, settings.READINESS_TIMEOUT)
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    if failing:
        log.warning("not ready", failing=failing)
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)
