"""Celery tasks of the portal: thin wrappers that take primary keys and call ``portal.jobs``."""

from __future__ import annotations

from celery import shared_task

from portal import jobs


@shared_task(name="portal.run_job")
def run_job(job_id: int) -> str:
    """Run one background job. A duplicate or redelivered message for a job that is finished or
    running elsewhere does nothing; a transient failure publishes the next attempt."""
    outcome = jobs.execute(job_id)
    if outcome.retry_in is not None:
        # The row is back to pending before the next message exists: should this worker die
        # here, the unacknowledged message (acks_late) is redelivered and claims the job.
        run_job.apply_async((job_id,), countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="portal.prune_jobs")
def prune_jobs() -> int:
    """Delete finished jobs older than JOB_RETENTION_DAYS (scheduled daily by django-celery-beat)."""
    return jobs.prune()
