"""Starting, cancelling and retrying runs; the sweep that brings back what no message will; pruning.

Every function here writes in one transaction and publishes the Celery message (``portal.run``,
the run's primary key only) once that transaction commits. A message that cannot be published
(the broker is down) is not an error for the caller: the run is a row, and the sweep publishes
it again.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from portal import audit
from portal.crypto import encrypt_json
from portal.logging import current_request_id
from portal.models.runs import (
    ACTIVE_RUN_STATUSES,
    DONE_STEP_STATUSES,
    RETRIABLE_RUN_STATUSES,
    EventType,
    Run,
    RunEvent,
    RunStatus,
    RunStep,
    StepStatus,
)
from portal.runs import claims
from portal.runs.kinds import get_kind, registered

log = structlog.get_logger("portal.runs")

RUN_TASK = "portal.run"
SWEEP_TASK = "portal.sweep_runs"
PRUNE_TASK = "portal.prune_runs"
#: Runs deleted by one statement of the prune (with their steps and events).
PRUNE_BATCH = 500


class RunStateError(Exception):
    """The run is not in a state that allows this (retrying a run that succeeded)."""


# --- publishing ------------------------------------------------------------------------------------


def publish(run_id: Any, *, countdown: float | None = None) -> bool:
    """Send the message that runs ``run_id``; False (logged) when the broker cannot take it now."""
    from portal.celery import app

    options: dict[str, Any] = {}
    if countdown:
        options["countdown"] = countdown
    try:
        app.send_task(RUN_TASK, args=[str(run_id)], **options)
    except Exception as error:  # kombu's connection errors vary by transport; the sweep publishes again
        log.warning("runs.publish_failed", run_id=str(run_id), error=f"{type(error).__name__}: {error}")
        return False
    return True


def _publish_on_commit(run_id: Any) -> None:
    transaction.on_commit(lambda: publish(run_id))


# --- starting --------------------------------------------------------------------------------------


def _check_params(params: dict[str, Any]) -> None:
    if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
        raise ValueError("Run params must be a dict with string keys.")
    try:
        json.dumps(params, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Run params must be JSON-serialisable: {exc}") from None


def once_key(kind: str, obj: models.Model | None) -> str:
    """The key that keeps one active run per kind and object (per kind alone, without an object)."""
    return f"{kind}:{obj._meta.label_lower}:{obj.pk}"[:250] if obj is not None else kind[:250]


def start(
    kind_name: str,
    *,
    params: dict[str, Any] | None = None,
    user: Any = None,
    obj: models.Model | None = None,
    steps: Sequence[dict[str, str]] | None = None,
    secrets: dict[str, Any] | None = None,
    model: type[Run] = Run,
    fields: dict[str, Any] | None = None,
    once: bool = False,
    effect_key: str | None = None,
) -> Run:
    """Create a pending run of ``kind_name`` and publish it once the current transaction commits.

    ``steps``: ``[{"key", "name", "action"}]`` for kinds whose steps vary by run (default: the kind's
    declared steps). ``secrets`` are stored encrypted and redacted from everything the run writes.
    ``model``/``fields``: an app's subclass of Run (a golden-path Task) and its own columns.
    ``once``: at most one active run per object and kind (see :func:`start_once`). ``effect_key``: a
    must-happen side effect recorded at most once, ever (see :func:`record_effect`).

    Raises UnknownRunKind and ValueError (params that are not JSON); nothing is written then.
    """
    kind = get_kind(kind_name)
    params = {} if params is None else params
    _check_params(params)
    kind.check_params(params)
    rows = list(steps) if steps is not None else kind.planned_steps()
    now = timezone.now()
    with transaction.atomic():
        run = model.objects.create(
            kind=kind.name,
            params=params,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            secrets_encrypted=encrypt_json(secrets) if secrets else "",
            request_id=current_request_id() or "",
            enqueued=now,
            once_key=once_key(kind.name, obj) if once else None,
            effect_key=effect_key,
            **(fields or {}),
        )
        RunStep.objects.bulk_create(
            [
                RunStep(
                    run_id=run.pk,
                    index=index,
                    key=row["key"][:200],
                    name=(row.get("name") or row["key"])[:400],
                    action=(row.get("action") or "")[:200],
                )
                for index, row in enumerate(rows)
            ]
        )
        if kind.audited:
            audit.record("create", run, user=user, changes={"kind": [None, kind.name]})
        _publish_on_commit(run.pk)
    log.info("runs.started_by", run_id=str(run.pk), kind=kind.name)
    return run


def start_once(kind_name: str, obj: models.Model | None = None, **options: Any) -> tuple[Run, bool]:
    """A pending or running run of ``kind_name`` for ``obj`` (or of the kind, without an object), started
    now unless one exists: (run, created).

    One partial unique index decides, so two concurrent callers never start two runs.
    """
    existing = Run.objects.active().filter(once_key=once_key(kind_name, obj)).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return start(kind_name, obj=obj, once=True, **options), True
    except IntegrityError:
        existing = Run.objects.active().filter(once_key=once_key(kind_name, obj)).first()
        if existing is None:
            raise
        return existing, False


def record_effect(kind_name: str, key: str, **options: Any) -> tuple[Run, bool]:
    """The outbox: record a must-happen side effect (an e-mail, a teardown) as a run, at most once per key.

    Call it inside the transaction of the change that causes the effect: both are written or
    neither. The engine then delivers it with the same claim and retry rules as any run.
    """
    try:
        with transaction.atomic():
            return start(kind_name, effect_key=key, **options), True
    except IntegrityError:
        existing = Run.objects.filter(effect_key=key).first()
        if existing is None:
            raise
        return existing, False


# --- cancelling and retrying -----------------------------------------------------------------------


def _who(user: Any) -> str:
    return (getattr(user, "email", "") or getattr(user, "username", "") or str(user)) if user is not None else "Atrium"


def cancel(run: Run, *, by: Any = None) -> bool:
    """Cancel a run: at once when it waits (or its worker died), else at its next step boundary or
    check. False when it has already ended."""
    who = _who(by)
    now = timezone.now()
    ended = {"status": RunStatus.CANCELLED, "cancel_requested": True, "completed": now, "secrets_encrypted": ""}
    rows = Run.objects.filter(pk=run.pk).order_by()
    with transaction.atomic():
        was: str | None = None
        if rows.filter(status=RunStatus.PENDING).update(**ended):
            was = RunStatus.PENDING
        elif rows.filter(status=RunStatus.RUNNING, heartbeat__lt=claims.stale_before()).update(**ended):
            was = RunStatus.RUNNING
        if was is not None:
            RunStep.objects.filter(run_id=run.pk).exclude(status__in=(*DONE_STEP_STATUSES, StepStatus.FAILED)).update(
                status=StepStatus.CANCELLED, completed=now
            )
            RunEvent.objects.create(
                run_id=run.pk,
                type=EventType.CANCELLED,
                body={"message": f"Cancelled by {who}.", "status": StepStatus.CANCELLED},
            )
            RunEvent.objects.create(
                run_id=run.pk,
                type=EventType.COMPLETION,
                body={"message": "Run completed with status: cancelled", "status": RunStatus.CANCELLED},
            )
            kind = registered().get(run.kind)
            if kind is not None:
                kind.ended(run, RunStatus.CANCELLED)
            cancelled = True
        elif rows.filter(status=RunStatus.RUNNING, cancel_requested=False).update(cancel_requested=True):
            RunEvent.objects.create(
                run_id=run.pk, type=EventType.CANCELLED, body={"message": f"Cancellation requested by {who}."}
            )
            cancelled = True
        else:
            return rows.filter(status=RunStatus.RUNNING, cancel_requested=True).exists()
        audit.record(audit.RUN_CANCEL, run, user=by)
        if was is not None:
            record_end(run, was, RunStatus.CANCELLED)
    run.refresh_from_db()
    return cancelled


def _as_started(run: Run) -> Run:
    """The run as the model it was started with (an app's subclass of Run, such as a golden-path task,
    whose start the audit trail names), read again."""
    for relation in Run._meta.related_objects:
        model = relation.related_model
        if relation.one_to_one and relation.parent_link and isinstance(model, type) and issubclass(model, Run):
            bulky = [field.name for field in model._meta.concrete_fields if isinstance(field, models.BinaryField)]
            rows = model._base_manager.select_related("created_by").defer("secrets_encrypted", *bulky)
            found = rows.filter(pk=run.pk).first()
            if found is not None:
                return found
    return Run._base_manager.select_related("created_by").defer("secrets_encrypted").get(pk=run.pk)


def record_end(run: Run, was: str, status: str, error: str = "") -> None:
    """Record in the audit trail how a run of an audited kind ended, with its creator as the actor.

    Called once per ending, in the transaction that ends the run, by whoever ended it (the worker, or
    :func:`cancel` for a run that was waiting): a second writer finds the run ended and writes nothing.
    """
    kind = registered().get(run.kind)
    if kind is None or not kind.audited:
        return
    subject = _as_started(run)
    changes: dict[str, list[str]] = {"status": [was, status]}
    if error:
        changes["error"] = ["", error]
    with audit.acting_as(subject.created_by):
        audit.record(status, subject, changes=changes)


def retry(run: Run, *, by: Any = None, secrets: dict[str, Any] | None = None) -> Run:
    """Run a failed or cancelled run again, on the same row, from its first unfinished step (the steps
    done keep their outputs). ``secrets``: given again (they were emptied when the run ended).

    Raises RunStateError (nothing written) for a run that did not fail and was not cancelled, or that
    its kind refuses to retry as asked.
    """
    status = Run.objects.filter(pk=run.pk).values_list("status", flat=True).first()
    if status not in RETRIABLE_RUN_STATUSES:
        raise RunStateError(f"Only a failed or cancelled run can be retried; this one is {status or 'gone'}.")
    get_kind(run.kind).check_retry(run, secrets)
    with transaction.atomic():
        updated = (
            Run.objects.filter(pk=run.pk, status__in=RETRIABLE_RUN_STATUSES)
            .order_by()
            .update(
                status=RunStatus.PENDING,
                error="",
                completed=None,
                cancel_requested=False,
                heartbeat=None,
                not_before=None,
                output={},
                recoveries=0,
                enqueued=timezone.now(),
                secrets_encrypted=encrypt_json(secrets) if secrets else "",
            )
        )
        if not updated:
            raise RunStateError("Only a failed or cancelled run can be retried; this one has changed meanwhile.")
        RunStep.objects.filter(run_id=run.pk).exclude(status__in=DONE_STEP_STATUSES).update(
            status=StepStatus.PENDING, error="", started=None, completed=None, output={}, attempts=0
        )
        first = RunStep.objects.filter(run_id=run.pk, status=StepStatus.PENDING).order_by("index").first()
        where = f" from step {first.name}" if first is not None else ""
        RunEvent.objects.create(run_id=run.pk, body={"message": f"Retried by {_who(by)}{where}."})
        audit.record(audit.RUN_RETRY, run, user=by)
        _publish_on_commit(run.pk)
    run.refresh_from_db()
    return run


# --- the sweep -------------------------------------------------------------------------------------


def sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    """Publish again the runs no message will bring back; the body of ``portal.sweep_runs`` (on beat).

    - a pending run that is due and whose last message is older than RUN_REPUBLISH_AFTER (a message
      lost, a broker restarted, a publish that failed);
    - a running run whose heartbeat is older than RUN_STALE_AFTER (its worker died: the message
      claims it as recovered and resumes it at its step).

    Each is published at most once per RUN_REPUBLISH_AFTER; a duplicate message is harmless.
    """
    now = now or timezone.now()
    republish_before = now - datetime.timedelta(seconds=settings.RUN_REPUBLISH_AFTER)
    stale = now - datetime.timedelta(seconds=settings.RUN_STALE_AFTER)
    not_recent = Q(enqueued__isnull=True) | Q(enqueued__lt=republish_before)
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    lost = Q(status=RunStatus.PENDING) & due
    dead = Q(status=RunStatus.RUNNING) & (Q(heartbeat__isnull=True) | Q(heartbeat__lt=stale))
    counts = {"pending": 0, "stale": 0, "published": 0}
    candidates = list(
        Run.objects.filter(not_recent & (lost | dead)).order_by("created").values_list("pk", "status")[:1000]
    )
    for pk, status in candidates:
        # Claim the right to publish: one sweeper per run per interval, even with several beats.
        if not Run.objects.filter(pk=pk).filter(not_recent).order_by().update(enqueued=now):
            continue
        counts["pending" if status == RunStatus.PENDING else "stale"] += 1
        if publish(pk):
            counts["published"] += 1
    if candidates:
        log.info("runs.swept", **counts)
    return counts


def prune(days: int | None = None) -> int:
    """Delete finished runs that ended more than ``days`` (RUN_RETENTION_DAYS) ago, of the kinds that
    do not keep theirs; return how many."""
    days = settings.RUN_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - datetime.timedelta(days=days)
    kept = [name for name, kind in registered().items() if kind.keep_finished]
    rows = Run.objects.finished().filter(completed__lt=cutoff).exclude(kind__in=kept)
    deleted = 0
    while batch := list(rows.values_list("pk", flat=True)[:PRUNE_BATCH]):  # what is deleted leaves the query
        _total, per_model = Run.objects.filter(pk__in=batch).delete()
        deleted += per_model.get(Run._meta.label, 0)
    log.info("runs.pruned", deleted=deleted, days=days)
    return deleted


def active_for(obj: models.Model, *kinds: str) -> Run | None:
    """The newest pending or running run for ``obj`` (of ``kinds``, if given)."""
    rows = Run.objects.for_object(obj).filter(status__in=ACTIVE_RUN_STATUSES)
    if kinds:
        rows = rows.of_kind(*kinds)
    return rows.order_by("-created").first()


def subject_url(run: Run) -> str | None:
    """The app's page for the run (its kind's ``url``), or None."""
    kind = registered().get(run.kind)
    return kind.url(run) if kind is not None else None
