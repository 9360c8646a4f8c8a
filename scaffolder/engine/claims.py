"""Claiming a task, keeping the claim alive, and writing only while the claim is this worker's.

A worker takes a task with one conditional UPDATE: an ``open`` task, or a ``processing`` one whose heartbeat
is older than :data:`STALE_AFTER` (its worker died). Each claim increments ``attempts``; every later write of
the worker is conditional on ``status = processing AND attempts = <its attempt>``, so a worker that was only
slow, and lost its claim to another, changes nothing any more. While a task runs, a thread refreshes the
heartbeat every :data:`HEARTBEAT_EVERY` seconds, even during a long action.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from dataclasses import dataclass

import structlog
from django.db import DatabaseError, connections
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from scaffolder.models import Task, TaskStatus, TaskStep

log = structlog.get_logger("scaffolder.engine")

#: Seconds between two heartbeats of a running task.
HEARTBEAT_EVERY = 10
#: A processing task whose heartbeat is older than this many seconds has lost its worker.
STALE_AFTER = 60


@dataclass(frozen=True)
class Claim:
    task: Task
    attempt: int
    #: The task was processing on a worker that stopped: this claim resumes it.
    recovered: bool


def stale_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=STALE_AFTER)


def claim(task_id: uuid.UUID | str) -> Claim | None:
    """Take the task for this worker, or None when it is finished, missing or alive on another worker."""
    now = timezone.now()
    rows = Task.objects.filter(pk=task_id).order_by()
    fields = {
        "status": TaskStatus.PROCESSING,
        "attempts": F("attempts") + 1,
        "heartbeat": now,
        "started": Coalesce("started", Value(now, output_field=DateTimeField())),
    }
    if rows.filter(status=TaskStatus.OPEN).update(**fields):
        recovered = False
    elif rows.filter(status=TaskStatus.PROCESSING, heartbeat__lt=stale_before()).update(**fields):
        recovered = True
    else:
        return None
    task = Task.objects.select_related("created_by").get(pk=task_id)
    return Claim(task, task.attempts, recovered)


def retry_delay(task_id: uuid.UUID | str) -> int | None:
    """Seconds until a processing task becomes claimable (its worker may have died), or None if it never will.

    A message redelivered after its worker died may arrive before the heartbeat is stale: it is tried again
    then, instead of leaving the task processing for ever.
    """
    row = Task.objects.filter(pk=task_id).values("status", "heartbeat").first()
    if row is None or row["status"] != TaskStatus.PROCESSING or row["heartbeat"] is None:
        return None
    age = (timezone.now() - row["heartbeat"]).total_seconds()
    return max(1, int(STALE_AFTER - age) + 1)


def mine(task_id: uuid.UUID | str, attempt: int):
    """The task's row, as long as this claim is the current one."""
    return Task.objects.filter(pk=task_id, status=TaskStatus.PROCESSING, attempts=attempt).order_by()


def update_task(task_id: uuid.UUID | str, attempt: int, **fields) -> bool:
    return bool(mine(task_id, attempt).update(**fields))


def update_step(step: TaskStep, attempt: int, **fields) -> bool:
    for name, value in fields.items():
        setattr(step, name, value)
    rows = TaskStep.objects.filter(pk=step.pk, task__status=TaskStatus.PROCESSING, task__attempts=attempt)
    return bool(rows.update(**fields))


class Heartbeat:
    """A thread that refreshes the task's heartbeat; ``lost`` turns true when the claim is no longer ours."""

    def __init__(self, task_id: uuid.UUID, attempt: int, every: float = HEARTBEAT_EVERY) -> None:
        self.task_id = task_id
        self.attempt = attempt
        self.every = every
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{task_id}", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    if not update_task(self.task_id, self.attempt, heartbeat=timezone.now()):
                        self.lost = True
                        return
                except DatabaseError as error:  # a missed beat is harmless; the next one may pass
                    log.warning("scaffolder.heartbeat_failed", task_id=str(self.task_id), error=type(error).__name__)
        finally:
            connections.close_all()
