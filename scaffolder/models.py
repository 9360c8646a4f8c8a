"""Golden-path tasks: one run of a software template, its steps and its event log.

A task's status follows Backstage's: ``open`` (waiting for a worker) → ``processing`` →
``completed`` | ``failed`` | ``cancelled``. Each step has its own status, so a task can be retried
from the step that failed and a task whose worker died resumes where it stopped.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from portal.fields import OrderedJSONField


class TaskStatus(models.TextChoices):
    OPEN = "open", "Waiting"
    PROCESSING = "processing", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_TASK_STATUSES = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: ``template:namespace/name`` (lower-cased) of the template the task runs.
    template_ref = models.CharField(max_length=400, db_index=True)
    #: The template entity as it was when the task was created: later edits do not change a run.
    template = OrderedJSONField()
    #: Form values, with secret fields removed (they live in ``secrets_encrypted`` only).
    values = OrderedJSONField(default=dict, blank=True)
    #: Secret form values, encrypted with ENCRYPTION_KEYS; emptied when the task ends.
    secrets_encrypted = models.TextField(blank=True)
    #: The files a dry-run request sent along with its template, as a zip archive: the worker unpacks
    #: them next to the template (``scaffolder.engine.request_files``); emptied when the task ends.
    files = models.BinaryField(blank=True, default=b"", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="scaffolder_tasks"
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True)
    cancel_requested = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    #: Incremented by each claim: a worker only writes while its claim is the current one.
    attempts = models.PositiveIntegerField(default=0)
    heartbeat = models.DateTimeField(null=True, blank=True)
    #: Rendered ``spec.output`` (links, text) once the task completed.
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["created_by", "-created"])]

    def __str__(self) -> str:
        return f"{self.template_ref} task {self.id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_TASK_STATUSES


class TaskStep(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    step_id = models.CharField(max_length=200)
    name = models.CharField(max_length=400)
    action = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    started = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["task", "index"]
        constraints = [models.UniqueConstraint(fields=["task", "step_id"], name="scaffolder_step_unique_id")]

    def __str__(self) -> str:
        return f"{self.step_id} ({self.status})"


class EventType(models.TextChoices):
    LOG = "log", "Log"
    COMPLETION = "completion", "Completion"
    CANCELLED = "cancelled", "Cancelled"
    RECOVERED = "recovered", "Recovered"


class TaskEvent(models.Model):
    """One line of a task's log, in Backstage's event shape; ``id`` orders them (``after=``)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=EventType.choices, default=EventType.LOG)
    #: ``{"message": …, "stepId": …, "status": …}``; never holds secret values.
    body = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["task", "id"])]

    def __str__(self) -> str:
        return f"{self.task_id} #{self.pk} {self.type}"
