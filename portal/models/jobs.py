"""Background jobs: one row per run of a long operation, with an explicit status machine."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.db import models
from django.utils import timezone

log = structlog.get_logger("portal.jobs")


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


TERMINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})
ACTIVE_STATUSES = frozenset({JobStatus.PENDING, JobStatus.RUNNING})

#: Levels a job log line may have, as in the standard library's logging.
LOG_LEVELS = ("debug", "info", "warning", "error")
#: The log keeps the most recent lines only, so a chatty job cannot grow its row without bound.
LOG_MAX_LINES = 500
#: Longer messages are cut to this many characters.
LOG_MAX_MESSAGE = 2000


class JobQuerySet(models.QuerySet):
    def visible_to(self, user) -> JobQuerySet:
        """Every job for those who may see all jobs, otherwise the user's own; nothing for anonymous."""
        from portal import permissions

        if permissions.can(user, "portal.view_jobs"):
            return self
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class Job(models.Model):
    """A run of a registered background job (``portal.jobs``).

    The Celery task receives only the primary key, claims the row with a conditional UPDATE and
    records progress in ``log``; a crashed worker leaves the row ``running`` until the claim
    timeout passes, after which a redelivered message may claim it again. ``attempts`` counts the
    claims and doubles as a fencing token: a worker writes to the row only while ``attempts`` is
    still the value its own claim produced.
    """

    name = models.CharField(max_length=100, db_index=True, help_text="Registered job name, e.g. catalog.refresh")
    params = models.JSONField(default=dict, blank=True, help_text="Arguments of the job; never secrets.")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model of the subject")
    object_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    completed = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    log = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["status", "created"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def duration(self):
        if self.started and self.completed:
            return self.completed - self.started
        return None

    @property
    def duration_seconds(self) -> float | None:
        duration = self.duration
        return duration.total_seconds() if duration is not None else None

    def log_line(self, level: str, message: str, *, save: bool = True) -> dict:
        """Append a line to the job's log, keeping the last ``LOG_MAX_LINES``; return the line.

        The line is also sent to the ``portal.jobs`` structlog logger. With ``save`` the log column
        alone is written, in one UPDATE, and only while this object's claim (``attempts``) is
        current; ``save=False`` lets the caller write it together with a status change.
        """
        if level not in LOG_LEVELS:
            raise ValueError(f"Unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}.")
        line = {"at": timezone.now().isoformat(), "level": level, "message": str(message)[:LOG_MAX_MESSAGE]}
        self.log = [*self.log, line][-LOG_MAX_LINES:]
        getattr(log, level)(line["message"], job_id=self.pk, job=self.name, attempt=self.attempts)
        if save:
            type(self)._default_manager.filter(pk=self.pk, attempts=self.attempts).update(log=self.log)
        return line
