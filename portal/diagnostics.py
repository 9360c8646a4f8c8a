"""Operator diagnostics for the background workers."""

from __future__ import annotations

import structlog
from celery import shared_task

log = structlog.get_logger(__name__)


@shared_task(name="portal.log_ping")
def log_ping() -> None:
    """Log "ping": proves workers take tasks and their logs flow, e.g.
    ``python manage.py shell -c "from portal.diagnostics import log_ping; log_ping.delay()"``.
    """
    log.info("ping")
