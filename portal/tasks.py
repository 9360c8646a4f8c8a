"""Celery tasks of the portal: thin wrappers that take primary keys and call the run engine."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from portal import runs

#: Seconds before a message whose run met a database error is tried again (doubling, up to a minute).
DATABASE_RETRY_DELAY = 2
#: Times a message is tried again after a database error (about four minutes in all); then it is dropped,
#: and the run, still pending or soon stale, is published again by the sweep once the database answers.
DATABASE_RETRIES = 8


def database_retry_delay(retries: int) -> int:
    """Seconds before the next try of a message that met a database error ``retries`` times already."""
    return min(60, DATABASE_RETRY_DELAY * 2 ** min(retries, 5))


@shared_task(name=runs.RUN_TASK, bind=True, acks_late=True, max_retries=DATABASE_RETRIES, ignore_result=True)
def run(self, run_id: str) -> str:
    """Run one run. A duplicate or redelivered message for a run that is finished or alive elsewhere
    does nothing; one for a run that waits (a backoff, a worker that may have died) comes back when
    the run may be claimed; a transient step error publishes the next attempt; a database that does not
    answer is tried again DATABASE_RETRIES times, then left to the sweep."""
    try:
        outcome = runs.execute(run_id)
    except DatabaseError as error:
        raise self.retry(countdown=database_retry_delay(self.request.retries), exc=error) from None
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
