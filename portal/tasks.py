"""Celery tasks of the portal: thin wrappers that take primary keys and call the run engine."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from portal import runs

#: Seconds before a message whose run met a database error is tried again (doubling, up to a minute).
DATABASE_RETRY_DELAY = 2


@shared_task(name=runs.RUN_TASK, bind=True, acks_late=True, max_retries=None, ignore_result=True)
def run(self, run_id: str) -> str:
    """Run one run. A duplicate or redelivered message for a run that is finished or alive elsewhere
    does nothing; one for a run that waits (a backoff, a worker that may have died) comes back when
    the run may be claimed; a transient step error publishes the next attempt."""
    try:
        outcome = runs.execute(run_id)
    except DatabaseError as error:
        countdown = min(60, DATABASE_RETRY_DELAY * 2 ** min(self.request.retries, 5))
        raise self.retry(countdown=countdown, exc=error) from None
    if outcome.retry_in is not None:
        # The row already says when it is due: should this worker die now, the sweep publishes it.
        runs.publish(run_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(name=runs.SWEEP_TASK, ignore_result=True)
def sweep_runs() -> dict:
    """Publish again the runs that no message will bring back (scheduled by django-celery-beat)."""
    return runs.sweep()


@shared_task(name=runs.PRUNE_TASK, ignore_result=True)
def prune_runs() -> int:
    """Delete finished runs older than RUN_RETENTION_DAYS (scheduled daily by django-celery-beat)."""
    return runs.prune()
