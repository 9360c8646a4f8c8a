"""Claiming a run, keeping the claim alive, and writing only while the claim is this worker's.

A worker takes a run with one conditional UPDATE: a ``pending`` run whose ``not_before`` has come,
or a ``running`` one whose heartbeat is older than ``RUN_STALE_AFTER`` seconds (its worker died).
Each claim increments ``attempts``, the fencing token: every later write of the worker is
conditional on ``status = running AND attempts = <its token>``, so a worker that was only slow,
and lost its claim to another, changes nothing any more. While a run is claimed, a thread
refreshes its heartbeat every ``RUN_HEARTBEAT_SECONDS``, even during a long step.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.models.runs import Run, RunStatus, RunStep

log = structlog.get_logger("portal.runs")

RunId = uuid.UUID | str


def stale_after() -> float:
    return float(settings.RUN_STALE_AFTER)


def stale_before() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=stale_after())


@dataclass(frozen=True)
class Claim:
    run: Run
    #: The fencing token: the value of ``attempts`` this claim wrote.
    token: int
    #: The run was running on a worker that stopped: this claim resumes it.
    recovered: bool


def claim(run_id: RunId) -> Claim | None:
    """Take the run for this worker; None when it is finished, missing, not due yet or alive elsewhere.

    Exactly one of any number of concurrent callers gets the claim: the database serialises the
    conditional UPDATEs.
    """
    now = timezone.now()
    rows = Run.objects.filter(pk=run_id).order_by()
    fields: dict[str, Any] = {
        "status": RunStatus.RUNNING,
        "attempts": F("attempts") + 1,
        "heartbeat": now,
        "not_before": None,
        "started": Coalesce("started", Value(now, output_field=DateTimeField())),
    }
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    if rows.filter(due, status=RunStatus.PENDING).update(**fields):
        recovered = False
    elif rows.filter(status=RunStatus.RUNNING, heartbeat__lt=stale_before()).update(
        **fields, recoveries=F("recoveries") + 1
    ):
        recovered = True
    else:
        return None
    run = Run.objects.select_related("created_by").get(pk=run_id)
    return Claim(run, run.attempts, recovered)


def wait_before_claim(run_id: RunId) -> float | None:
    """Seconds until the run may become claimable, or None if it never will by waiting.

    A pending run waits for its ``not_before``; a running one may have lost its worker, and becomes
    claimable once its heartbeat is stale. A message that finds either is tried again then.
    """
    row = Run.objects.filter(pk=run_id).values("status", "heartbeat", "not_before").first()
    if row is None:
        return None
    now = timezone.now()
    if row["status"] == RunStatus.PENDING and row["not_before"] is not None and row["not_before"] > now:
        return max(1.0, (row["not_before"] - now).total_seconds())
    if row["status"] == RunStatus.RUNNING and row["heartbeat"] is not None:
        age = (now - row["heartbeat"]).total_seconds()
        return max(1.0, stale_after() - age + 1)
    return None


def mine(run_id: RunId, token: int) -> QuerySet[Run]:
    """The run's row, as long as this claim is the current one."""
    return Run.objects.filter(pk=run_id, status=RunStatus.RUNNING, attempts=token).order_by()


def update_run(run_id: RunId, token: int, **fields: Any) -> bool:
    return bool(mine(run_id, token).update(**fields))


def update_step(step: RunStep, token: int, **fields: Any) -> bool:
    for name, value in fields.items():
        setattr(step, name, value)
    rows = RunStep.objects.filter(pk=step.pk, run__status=RunStatus.RUNNING, run__attempts=token).order_by()
    return bool(rows.update(**fields))


class Heartbeat:
    """A thread that refreshes the run's heartbeat; ``lost`` turns true when the claim is no longer ours."""

    def __init__(self, run_id: uuid.UUID, token: int, every: float | None = None) -> None:
        self.run_id = run_id
        self.token = token
        self.every = float(settings.RUN_HEARTBEAT_SECONDS if every is None else every)
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{run_id}", daemon=True)

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
                    if not update_run(self.run_id, self.token, heartbeat=timezone.now()):
                        self.lost = True
                        return
                except DatabaseError as error:  # a missed beat is harmless; the next one may pass
                    log.warning("runs.heartbeat_failed", run_id=str(self.run_id), error=type(error).__name__)
        finally:
            connections.close_all()
