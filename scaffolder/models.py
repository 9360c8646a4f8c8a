"""Golden-path tasks: one run of a software template, on the run engine (``portal.runs``).

A task is a :class:`~portal.models.runs.Run` (its status, steps, heartbeat and event log are the
run's) with the template it runs and the form values. The API speaks Backstage's vocabulary for
the statuses: :data:`TASK_STATUS` and :data:`STEP_STATUS` translate the engine's, and
:data:`RUN_STATUS` translates back.
"""

from __future__ import annotations

from django.db import models

from portal.fields import OrderedJSONField
from portal.models.runs import EventType, Run, RunStatus, StepStatus

__all__ = [
    "RUN_STATUS",
    "STEP_STATUS",
    "TASK_KIND",
    "TASK_STATUS",
    "EventType",
    "RunStatus",
    "StepStatus",
    "Task",
    "TaskStatus",
]

#: The run kind of golden-path tasks (``scaffolder.runs``).
TASK_KIND = "scaffolder.task"


class TaskStatus(models.TextChoices):
    """Backstage's names of a task's statuses, as the API and the pages show them."""

    OPEN = "open", "Waiting"
    PROCESSING = "processing", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


#: A run's status in Backstage's words, and back (keyed by the plain strings the columns hold).
#: How the error of a dry run's step that would fail begins (the step is recorded failed, the dry run goes on).
WOULD_FAIL = "Would fail: "

TASK_STATUS: dict[str, str] = {
    RunStatus.PENDING: TaskStatus.OPEN,
    RunStatus.RUNNING: TaskStatus.PROCESSING,
    RunStatus.SUCCEEDED: TaskStatus.COMPLETED,
    RunStatus.FAILED: TaskStatus.FAILED,
    RunStatus.CANCELLED: TaskStatus.CANCELLED,
}
RUN_STATUS: dict[str, str] = {task: run for run, task in TASK_STATUS.items()}
#: A step's status in Backstage's words (its events and dry-run answers).
STEP_STATUS: dict[str, str] = {
    StepStatus.PENDING: "open",
    StepStatus.RUNNING: "processing",
    StepStatus.SUCCEEDED: "completed",
    StepStatus.FAILED: "failed",
    StepStatus.SKIPPED: "skipped",
    StepStatus.CANCELLED: "cancelled",
}


class Task(Run):
    """A run of a software template."""

    #: ``template:namespace/name`` (lower-cased) of the template the task runs.
    template_ref = models.CharField(max_length=400, db_index=True)
    #: The template entity as it was when the task was created: later edits do not change a run.
    template = OrderedJSONField()
    #: Form values, with secret fields removed (they live in the run's ``secrets_encrypted`` only).
    values = OrderedJSONField(default=dict, blank=True)
    #: The files a dry-run request sent along with its template, as a zip archive: the worker unpacks
    #: them next to the template (``scaffolder.engine.request_files``); emptied when the task ends.
    files = models.BinaryField(blank=True, default=b"", editable=False)
    dry_run = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.template_ref} task {self.pk} ({self.status})"

    @property
    def task_status(self) -> str:
        """The status in Backstage's words."""
        return TASK_STATUS.get(self.status, self.status)

    @property
    def status_label(self) -> str:
        """The status as the pages show it (Waiting, Running, Completed, Failed, Cancelled)."""
        return TaskStatus(self.task_status).label if self.task_status in TaskStatus.values else self.status
