"""The run engine: every background job of every app is a run of one of its registered kinds.

- :mod:`.kinds`: what an app declares (:class:`RunKind`, :class:`Step`) and the errors steps raise;
- :mod:`.control`: starting (once per object, as a must-happen effect), cancelling, retrying, the
  sweep and pruning;
- :mod:`.claims`: claiming with a fencing token, heartbeats;
- :mod:`.executor`: running a claimed run step by step;
- :mod:`.log`: the run's redacted event log.

See ``docs/architecture.md`` ("The run engine") for the lifecycle and the step contract.
"""

from portal.runs.context import RunContext
from portal.runs.control import (
    PRUNE_TASK,
    RUN_TASK,
    SWEEP_TASK,
    RunStateError,
    active_for,
    cancel,
    prune,
    publish,
    record_effect,
    retry,
    start,
    start_once,
    subject_url,
    sweep,
)
from portal.runs.executor import Outcome, execute
from portal.runs.kinds import (
    ClaimLost,
    PermanentError,
    RunCancelled,
    RunError,
    RunKind,
    SkipStep,
    Step,
    StepFailed,
    TransientError,
    UnknownRunKind,
    get_kind,
    register,
    registered,
)

__all__ = [
    "PRUNE_TASK",
    "RUN_TASK",
    "SWEEP_TASK",
    "ClaimLost",
    "Outcome",
    "PermanentError",
    "RunCancelled",
    "RunContext",
    "RunError",
    "RunKind",
    "RunStateError",
    "SkipStep",
    "Step",
    "StepFailed",
    "TransientError",
    "UnknownRunKind",
    "active_for",
    "cancel",
    "execute",
    "get_kind",
    "prune",
    "publish",
    "record_effect",
    "register",
    "registered",
    "retry",
    "start",
    "start_once",
    "subject_url",
    "sweep",
]
