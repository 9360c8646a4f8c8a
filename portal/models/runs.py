"""Runs: every background job of every app is a row here, with steps and an append-only event log.

A run's status machine::

    pending ──claim──► running ──► succeeded | failed | cancelled
       ▲                  │
       └── transient ─────┘   (a step's transient error: back to pending until ``not_before``)

``attempts`` counts the claims and is the fencing token: a worker writes to the run, its steps and
its log only while ``status = running AND attempts = <its claim>``, so a worker that was thought
dead and lost its claim changes nothing any more. The engine that drives these rows is
:mod:`portal.runs`; apps declare kinds of runs and never write these rows themselves.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class RunStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
ACTIVE_RUN_STATUSES = frozenset({RunStatus.PENDING, RunStatus.RUNNING})
#: A run that ended this way can be run again from its first unfinished step.
RETRIABLE_RUN_STATUSES = frozenset({RunStatus.FAILED, RunStatus.CANCELLED})


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


#: A step in one of these states is not run again when its run resumes.
DONE_STEP_STATUSES = frozenset({StepStatus.SUCCEEDED, StepStatus.SKIPPED})


class EventType(models.TextChoices):
    LOG = "log", "Log"
    COMPLETION = "completion", "Completion"
    CANCELLED = "cancelled", "Cancelled"
    RECOVERED = "recovered", "Recovered"


class RunQuerySet(models.QuerySet):
    def active(self) -> RunQuerySet:
        return self.filter(status__in=ACTIVE_RUN_STATUSES)

    def finished(self) -> RunQuerySet:
        return self.filter(status__in=TERMINAL_RUN_STATUSES)

    def of_kind(self, *kinds: str) -> RunQuerySet:
        return self.filter(kind__in=kinds)

    def for_object(self, obj: models.Model) -> RunQuerySet:
        """The runs whose subject is ``obj``."""
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))

    def visible_to(self, user: Any) -> RunQuerySet:
        """The runs ``user`` may see, as the policy module decides (the scope of ``portal.view_run``)."""
        from portal import permissions

        return permissions.visible(user, "portal.view_run", self)


class Run(models.Model):
    """One run of a registered kind (``portal.runs``): a refresh, a golden-path task, a provisioning."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=100, db_index=True, help_text="Registered run kind, e.g. catalog.refresh")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    #: Arguments of the run, shown to its owner and to administrators: never secrets.
    params = models.JSONField(default=dict, blank=True)
    #: Secret values the run needs, encrypted with ENCRYPTION_KEYS; the engine redacts them from
    #: everything it writes and empties this column when the run ends.
    secrets_encrypted = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    #: The subject of the run (``app_label.model`` and primary key), e.g. the location a refresh reads.
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    #: Claims so far; also the fencing token of the current claim.
    attempts = models.PositiveIntegerField(default=0)
    #: Claims that found the run running on a worker that had stopped.
    recoveries = models.PositiveIntegerField(default=0)
    heartbeat = models.DateTimeField(null=True, blank=True)
    #: A pending run is not claimed before this time (a transient error's backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    #: When a message for the run was last published: the sweep publishes again when it is old.
    enqueued = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    #: What the run produced (a kind's summary; a template's rendered output).
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    #: The request that started the run, carried into its log lines.
    request_id = models.CharField(max_length=64, blank=True)
    #: Set for "once per object and kind" runs: at most one active run holds a given key.
    once_key = models.CharField(max_length=250, null=True, blank=True, editable=False)
    #: Set for must-happen side effects (the outbox): at most one run, ever, holds a given key.
    effect_key = models.CharField(max_length=250, null=True, blank=True, unique=True, editable=False)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["status", "created"], name="portal_run_status_created"),
            models.Index(fields=["object_type", "object_id", "kind"], name="portal_run_object"),
            models.Index(fields=["created_by", "-created"], name="portal_run_creator"),
            models.Index(fields=["kind", "-created"], name="portal_run_kind_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["once_key"],
                condition=Q(status__in=["pending", "running"]),
                name="portal_run_once_while_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def duration(self):
        if self.started and self.completed:
            return self.completed - self.started
        return None

    @property
    def duration_seconds(self) -> float | None:
        duration = self.duration
        return duration.total_seconds() if duration is not None else None


class RunStep(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    key = models.CharField(max_length=200)
    name = models.CharField(max_length=400)
    #: What the step does, in the kind's own terms (a scaffolder action id, a function name).
    action = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.PENDING)
    #: How many times the step began (a transient error's retries count).
    attempts = models.PositiveIntegerField(default=0)
    started = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="portal_runstep_unique_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STEP_STATUSES


class RunEvent(models.Model):
    """One line of a run's log; ``id`` orders them (``after=``). Never holds a secret value.

    ``body`` is ``{"message": …, "stepId": …, "status": …, "level": …}`` plus what the event carries
    (a completion's ``output`` or ``error``): the shape of Backstage's task events.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=EventType.choices, default=EventType.LOG)
    body = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "id"], name="portal_runevent_run_id")]

    def __str__(self) -> str:
        return f"{self.run_id} #{self.pk} {self.type}"

    @property
    def message(self) -> str:
        return str(self.body.get("message", "")) if isinstance(self.body, dict) else ""

    @property
    def level(self) -> str:
        if not isinstance(self.body, dict):
            return "info"
        if self.body.get("level"):
            return str(self.body["level"])
        return "error" if self.body.get("status") == StepStatus.FAILED else "info"
