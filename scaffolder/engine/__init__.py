"""The task engine: claims a task, runs its steps in the worker, records everything on the task's rows.

:func:`execute` is the body of the Celery task ``scaffolder.run_task``; see :mod:`.runner` for how steps run,
:mod:`.claims` for claiming and heartbeats, :mod:`.workspace` for the task's folder on the worker.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What a run did: the task's final status, ``skipped`` (not claimable) or ``lost`` (claim taken over).

    ``retry_in``: seconds after which the message should be tried again (the task is processing on a worker
    that may have died; it becomes claimable once its heartbeat is stale).
    """

    status: str
    retry_in: int | None = None


def execute(task_id: uuid.UUID | str) -> Outcome:
    from scaffolder.engine import claims
    from scaffolder.engine.runner import Runner

    claimed = claims.claim(task_id)
    if claimed is None:
        return Outcome("skipped", claims.retry_delay(task_id))
    return Outcome(Runner(claimed).run())
