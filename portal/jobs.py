"""Generic background jobs: a registry of job kinds, enqueueing, claiming and running.

An app declares a kind of job with the :func:`job` decorator, in its ``jobs.py`` (imported at
start-up by ``PortalConfig.ready``)::

    @job("catalog.refresh", max_attempts=5)
    def refresh(job, *, location_id: int) -> dict:
        job.log_line("info", "Reading catalog-info.yaml …")
        ...
        return {"entities": 42}

and a service starts one with ``enqueue("catalog.refresh", params={"location_id": 7}, user=user)``.
The row is created at once; the Celery task ``portal.run_job`` is published when the surrounding
transaction commits and receives only the job's primary key.

Params are stored in the row and shown to the job's owner and to administrators, in the admin and
the API: they must be JSON-serialisable and must never hold secrets (pass the primary key of an
encrypted row instead).

A handler signals a transient failure (a timeout, a 503 from GitHub) with
:class:`RetryableJobError`: the job returns to ``pending`` and is re-queued with a growing
countdown until the kind's ``max_attempts`` is reached. :class:`JobError` is a permanent failure
whose message is shown to the user; any other exception fails the job with its type and message,
and its traceback goes to the log only.
"""

from __future__ import annotations

import datetime
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps as global_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Q
from django.utils import timezone

from portal import audit
from portal.logging import current_request_id
from portal.models import Job
from portal.models.jobs import TERMINAL_STATUSES, JobStatus

log = structlog.get_logger("portal.jobs")

Handler = Callable[..., dict | None]

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_DELAY = 30
#: Error texts are cut to this many characters.
ERROR_MAX_LENGTH = 2000
PRUNE_TASK_NAME = "portal.prune_jobs"


class UnknownJobError(LookupError):
    """No job kind is registered under the name."""


class JobError(Exception):
    """A permanent failure; its message is shown to the user as the job's error."""


class RetryableJobError(JobError):
    """A transient failure: the job is tried again after ``countdown`` seconds (default: backoff)."""

    def __init__(self, message: str, *, countdown: int | None = None) -> None:
        super().__init__(message)
        self.countdown = countdown


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler
    #: How many times the job may run in all, counting runs cut short by a lost worker.
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: Seconds before the first retry; each further retry waits twice as long.
    retry_delay: int = DEFAULT_RETRY_DELAY

    def countdown(self, attempt: int) -> int:
        return self.retry_delay * 2 ** max(attempt - 1, 0)


_registry: dict[str, JobKind] = {}


def _qualified(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def register(kind: JobKind) -> JobKind:
    if kind.max_attempts < 1:
        raise ImproperlyConfigured(f"Job kind {kind.name!r}: max_attempts must be at least 1.")
    existing = _registry.get(kind.name)
    if existing is not None and _qualified(existing.handler) != _qualified(kind.handler):
        raise ImproperlyConfigured(f"Job kind {kind.name!r} is already registered by {_qualified(existing.handler)}.")
    _registry[kind.name] = kind
    return kind


def job(
    name: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, retry_delay: int = DEFAULT_RETRY_DELAY
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of the job kind ``name``."""

    def decorator(handler: Handler) -> Handler:
        register(JobKind(name, handler, max_attempts=max_attempts, retry_delay=retry_delay))
        return handler

    return decorator


def get_kind(name: str) -> JobKind:
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownJobError(f"Unknown job {name!r}; registered jobs: {known}.") from None


def _check_params(kind: JobKind, params: dict) -> None:
    if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
        raise ValueError("Job params must be a dict with string keys.")
    try:
        json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Job params must be JSON-serialisable: {exc}") from None
    try:
        inspect.signature(kind.handler).bind(None, **params)
    except TypeError as exc:
        raise ValueError(f"Job params do not fit the handler of {kind.name!r}: {exc}") from None


def enqueue(name: str, *, params: dict | None = None, user=None, obj: models.Model | None = None) -> Job:
    """Create a pending job and run it in a worker once the current transaction commits.

    Raises :class:`UnknownJobError` for a name no kind is registered under and ``ValueError`` for
    params that are not JSON or do not fit the handler; nothing is written then.
    """
    from portal.tasks import run_job

    kind = get_kind(name)
    params = {} if params is None else params
    _check_params(kind, params)
    new_job = Job.objects.create(
        name=kind.name,
        params=params,
        user=user,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
    )
    run_job.delay_on_commit(new_job.pk)
    log.info("job.enqueued", job_id=new_job.pk, job=kind.name)
    return new_job


def claim(job_id: int) -> bool:
    """Take the job for this worker; True for exactly one of any number of concurrent callers.

    A job is claimable when it is pending, or running but started longer ago than the task hard
    time limit (its worker died: Celery would have killed the task by then). One conditional
    UPDATE decides, so the database serialises competing workers.
    """
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=JobStatus.PENDING) | Q(status=JobStatus.RUNNING, started__lt=stale)
    updated = (
        Job.objects.filter(claimable, pk=job_id)
        .order_by()
        .update(status=JobStatus.RUNNING, started=now, completed=None, attempts=F("attempts") + 1)
    )
    return updated == 1


@dataclass(frozen=True)
class Outcome:
    """What :func:`execute` did: ``skipped``, ``succeeded``, ``failed`` or ``retry`` (in seconds)."""

    status: str
    retry_in: int | None = None


SKIPPED = Outcome("skipped")


def _write(job: Job, status: str, **fields) -> bool:
    """Write the outcome, only if this worker's claim is still the current one."""
    return bool(
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
        .order_by()
        .update(status=status, log=job.log, **fields)
    )


def _finish(job: Job, status: str, *, error: str = "", result: dict | None = None) -> Outcome:
    completed = timezone.now()
    if status == JobStatus.SUCCEEDED:
        job.log_line("info", "Succeeded.", save=False)
    else:
        job.log_line("error", f"Failed: {error}", save=False)
    written = _write(job, status, completed=completed, error=error[:ERROR_MAX_LENGTH], result=result or {})
    if not written:
        log.warning("job.claim_lost", job_id=job.pk, job=job.name, attempt=job.attempts)
    return Outcome(str(status) if written else SKIPPED.status)


def _retry_later(job: Job, kind: JobKind, exc: RetryableJobError) -> Outcome:
    countdown = exc.countdown if exc.countdown is not None else kind.countdown(job.attempts)
    message = str(exc)[:ERROR_MAX_LENGTH]
    job.log_line("warning", f"Attempt {job.attempts} failed: {message}; retrying in {countdown} s.", save=False)
    if not _write(job, JobStatus.PENDING, started=None, error=message):
        return SKIPPED
    return Outcome("retry", retry_in=countdown)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, JobError):
        return str(exc) or type(exc).__name__
    if isinstance(exc, SoftTimeLimitExceeded):
        return f"The job ran longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _result(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"the handler returned {type(value).__name__}, not a dict")
    json.dumps(value, allow_nan=False)
    return value


def execute(job_id: int) -> Outcome:
    """Claim and run one job; the body of the ``portal.run_job`` task.

    A job that is missing, finished or being run by another worker is left alone (a redelivered
    or duplicate message), so running this twice for the same job is harmless.
    """
    if not claim(job_id):
        log.info("job.skipped", job_id=job_id)
        return SKIPPED
    current = Job.objects.select_related("user").get(pk=job_id)
    kind = _registry.get(current.name)
    if kind is None:
        return _finish(current, JobStatus.FAILED, error=f"No handler is registered for {current.name!r}.")
    if current.attempts > kind.max_attempts:
        error = f"Stopped: attempt {current.attempts - 1} of {kind.max_attempts} did not finish (its worker stopped)."
        return _finish(current, JobStatus.FAILED, error=error)
    current.log_line("info", f"Started, attempt {current.attempts} of {kind.max_attempts}.")
    try:
        with audit.actor_context(user=current.user, request_id=current_request_id()):
            result = _result(kind.handler(current, **current.params))
    except RetryableJobError as exc:
        if current.attempts < kind.max_attempts:
            return _retry_later(current, kind, exc)
        return _finish(current, JobStatus.FAILED, error=_describe(exc))
    except Exception as exc:
        log.exception("job.failed", job_id=job_id, job=current.name, attempt=current.attempts)
        return _finish(current, JobStatus.FAILED, error=_describe(exc))
    return _finish(current, JobStatus.SUCCEEDED, result=result)


def prune(days: int | None = None) -> int:
    """Delete finished jobs completed more than ``days`` (JOB_RETENTION_DAYS) ago; return how many."""
    days = settings.JOB_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = Job.objects.filter(status__in=TERMINAL_STATUSES, completed__lt=cutoff).delete()
    log.info("jobs.pruned", deleted=deleted, days=days)
    return deleted


def install_schedule(sender=None, *, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **_kwargs) -> None:
    """Schedule ``portal.prune_jobs`` daily in django-celery-beat, once (a ``post_migrate`` handler).

    An existing schedule is left as an administrator may have changed it (disabled, moved).
    """
    try:
        interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
        task_model = apps.get_model("django_celery_beat", "PeriodicTask")
        changes_model = apps.get_model("django_celery_beat", "PeriodicTasks")
    except LookupError:  # django_celery_beat is not migrated yet
        return
    if task_model._default_manager.using(using).filter(name=PRUNE_TASK_NAME).exists():
        return
    daily = interval_model._default_manager.using(using).filter(every=1, period="days").first()
    if daily is None:
        daily = interval_model._default_manager.using(using).create(every=1, period="days")
    task_model._default_manager.using(using).create(
        name=PRUNE_TASK_NAME,
        task=PRUNE_TASK_NAME,
        interval=daily,
        description="Delete finished background jobs older than JOB_RETENTION_DAYS.",
    )
    # What PeriodicTasks.update_changed() does: a running beat reloads its schedule.
    changes_model._default_manager.using(using).update_or_create(ident=1, defaults={"last_update": timezone.now()})
