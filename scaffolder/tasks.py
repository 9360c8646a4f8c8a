"""Celery tasks of the golden paths: thin, they take the task's primary key and call the engine."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from scaffolder import engine

RUN_TASK = "scaffolder.run_task"
#: Seconds before a message whose run met a database error is tried again (doubling, up to a minute).
DATABASE_RETRY_DELAY = 2


@shared_task(name=RUN_TASK, bind=True, acks_late=True, max_retries=None, ignore_result=True)
def run_task(self, task_id: str) -> str:
    """Run the scaffolder task ``task_id`` (a redelivered or duplicate message changes nothing).

    When the task is processing on another worker that may have died, the message is retried once that
    worker's heartbeat would be stale, so a task whose worker died is resumed rather than left processing.
    A database error (the database restarting, a lock) retries the message shortly: the engine gave the
    task back, and the next run resumes it at its first unfinished step.
    """
    try:
        outcome = engine.execute(task_id)
    except DatabaseError as error:
        countdown = min(60, DATABASE_RETRY_DELAY * 2 ** min(self.request.retries, 5))
        raise self.retry(countdown=countdown, exc=error) from None
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status
