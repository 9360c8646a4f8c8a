"""Executing one claimed run: its steps in order, from the first unfinished one, then its output.

Between steps the engine checks that the claim is still this worker's and honours a cancellation;
a heartbeat thread keeps the claim alive during long steps. For each step:

- ``SkipStep``: recorded as skipped, with the reason;
- ``StepFailed``: recorded as failed, with the reason and the output given; the run goes on;
- ``TransientError``: while the step has attempts left, it goes back to pending and the run waits
  (``not_before``) for an exponential, jittered backoff, logged as
  "retrying in 40 s (attempt 2 of 5): <reason>"; then it fails like a permanent error;
- ``PermanentError`` (and any other exception): the step and the run fail, with the reason;
- ``RunCancelled`` (from ``ctx.check_cancelled()``, or between steps): the run is cancelled.

Secrets are decrypted in memory only, every message, error and output written is redacted, and
``secrets_encrypted`` is emptied when the run ends, however it ends. What is written is bounded: an
error is cut to :data:`ERROR_MAX_LENGTH` characters, an output larger than ``MAX_OUTPUT`` fails its
step (or the run) instead of being stored, and every event is bounded by :mod:`portal.runs.log`.
"""

from __future__ import annotations

import datetime
import json
import traceback
from dataclasses import dataclass
from typing import Any

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from portal import audit
from portal.crypto import DecryptionError, decrypt_json
from portal.logging import current_request_id
from portal.models.runs import EventType, Run, RunStatus, RunStep, StepStatus
from portal.runs import claims
from portal.runs.context import RunContext
from portal.runs.control import record_end
from portal.runs.kinds import (
    ClaimLost,
    PermanentError,
    RunCancelled,
    RunError,
    RunKind,
    SkipStep,
    StepFailed,
    TransientError,
    UnknownRunKind,
    get_kind,
)
from portal.runs.log import MAX_OUTPUT, Redactor, RunLog

log = structlog.get_logger("portal.runs")

#: Error texts stored on runs and steps are cut to this many characters.
ERROR_MAX_LENGTH = 4000


@dataclass(frozen=True)
class Outcome:
    """What :func:`execute` did: the run's status when it ended, ``waiting`` (a retry is due in
    ``retry_in`` seconds), ``skipped`` (not claimable: ``retry_in`` says when it may be) or ``lost``."""

    status: str
    retry_in: float | None = None


class _StepFailed(Exception):
    """A step failed; the message (redacted) is the step's error."""


class _RetryLater(Exception):
    def __init__(self, delay: float) -> None:
        self.delay = delay


def execute(run_id: claims.RunId) -> Outcome:
    """Claim and run one run; the body of the ``portal.run`` Celery task.

    A run that is missing, finished, not due yet or alive on another worker is left alone (a
    redelivered or duplicate message), so running this twice for the same run is harmless.
    """
    claimed = claims.claim(run_id)
    if claimed is None:
        return Outcome("skipped", claims.wait_before_claim(run_id))
    return Executor(claimed).run()


def _json(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PermanentError(f"{what} is {type(value).__name__}, not a mapping")
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        loaded: dict[str, Any] = json.loads(text)
    except (TypeError, ValueError):
        raise PermanentError(f"{what} is not JSON data") from None
    if len(text) > MAX_OUTPUT:
        raise PermanentError(f"{what} is larger than {MAX_OUTPUT // (1024 * 1024)} MB")
    return loaded


class Executor:
    def __init__(self, claim: claims.Claim) -> None:
        self.run_row: Run = claim.run
        self.token = claim.token
        self.recovered = claim.recovered
        self.steps: list[RunStep] = list(RunStep.objects.filter(run_id=self.run_row.pk).order_by("index"))
        self.redactor = Redactor()
        self.log = RunLog(self.run_row.pk, self.redactor)
        self.heartbeat = claims.Heartbeat(self.run_row.pk, self.token)
        self.ctx = RunContext(
            self.run_row,
            token=self.token,
            recovered=self.recovered,
            secrets={},
            redactor=self.redactor,
            log=self.log,
            checkpoint=self._checkpoint,
        )
        self.kind: RunKind | None = None
        self.retry_in: float | None = None

    # --- the run -----------------------------------------------------------------------------------

    def run(self) -> Outcome:
        self.heartbeat.start()
        status: str | None = None
        try:
            with audit.actor_context(user=self.run_row.created_by, request_id=self._request_id()):
                status = self._run()
            return Outcome(status, self.retry_in)
        except ClaimLost:
            log.warning("runs.claim_lost", run_id=str(self.run_row.pk), kind=self.run_row.kind, token=self.token)
            return Outcome("lost")
        except DatabaseError:
            self._release()
            raise
        except Exception as error:  # a bug of ours, or the soft time limit outside a step: end the run clearly
            status = self._crashed(error)
            return Outcome(status)
        finally:
            self.heartbeat.stop()
            self._end(status)

    def _request_id(self) -> str | None:
        return current_request_id() or self.run_row.request_id or None

    def _end(self, status: str | None) -> None:
        if self.kind is None:
            return
        try:
            self.kind.end(self.ctx, status if status in RunStatus.values else None)
        except Exception:
            trace = self.redactor.text(traceback.format_exc())
            log.error("runs.end_failed", run_id=str(self.run_row.pk), kind=self.run_row.kind, traceback=trace)

    def _release(self) -> None:
        """Give the run back (``pending``) after a database error, so that a retry of the message resumes it."""
        log.warning("runs.database_error", run_id=str(self.run_row.pk), token=self.token)
        try:
            claims.update_run(self.run_row.pk, self.token, status=RunStatus.PENDING, heartbeat=None)
        except DatabaseError:
            log.warning("runs.release_failed", run_id=str(self.run_row.pk), token=self.token)

    def _crashed(self, error: Exception) -> str:
        trace = self.redactor.text("".join(traceback.format_exception(error)))
        log.error("runs.engine_crashed", run_id=str(self.run_row.pk), kind=self.run_row.kind, traceback=trace)
        if isinstance(error, SoftTimeLimitExceeded):
            message = self._time_limit_message()
        else:
            message = f"The run stopped on an unexpected error ({type(error).__name__}); see the worker's log."
        try:
            return self._fail(None, message)
        except (ClaimLost, DatabaseError):
            log.warning("runs.fail_not_recorded", run_id=str(self.run_row.pk), token=self.token)
            return "lost"

    @staticmethod
    def _time_limit_message() -> str:
        return f"The run took longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."

    def _run(self) -> str:
        log.info("runs.started", run_id=str(self.run_row.pk), kind=self.run_row.kind, token=self.token)
        try:
            self.kind = get_kind(self.run_row.kind)
        except UnknownRunKind as error:
            return self._fail(None, str(error))
        kind = self.kind
        try:
            secrets = decrypt_json(self.run_row.secrets_encrypted) if self.run_row.secrets_encrypted else {}
        except DecryptionError:
            return self._fail(None, "The run's secret values cannot be decrypted with the configured keys.")
        self.ctx.secrets = secrets if isinstance(secrets, dict) else {}
        self.redactor.set_secrets(self.ctx.secrets.values())
        self.ctx.outputs = {step.key: step.output for step in self.steps if step.status == StepStatus.SUCCEEDED}
        start = next((index for index, step in enumerate(self.steps) if not step.is_done), len(self.steps))
        current: RunStep | None = self.steps[start] if start < len(self.steps) else None
        if self.recovered:
            where = f"at step {current.name}" if current is not None else "at its end"
            if self.run_row.recoveries > kind.max_recoveries:
                return self._fail(
                    current,
                    f"The worker running this stopped {self.run_row.recoveries} times; giving up. Retry once the "
                    "cause (a step longer than the time limit, a worker out of memory) is fixed.",
                )
            self.log.event(EventType.RECOVERED, f"The worker running this stopped; resuming {where}.")
        try:
            self._checkpoint()
            kind.begin(self.ctx)
            for step in self.steps[start:]:
                current = step
                self._checkpoint()
                self._run_step(kind, step)
            current = None
            self.ctx.step = None
            self._checkpoint()
            try:
                output = _json(kind.finish(self.ctx), "The run's output")
            except RunError as error:
                return self._fail(None, str(error))
            return self._complete(output)
        except RunCancelled:
            return self._cancelled(current)
        except _StepFailed as failure:
            return self._fail(current, str(failure))
        except _RetryLater as wait:
            self.retry_in = wait.delay
            return "waiting"
        except PermanentError as error:  # raised by begin()
            return self._fail(None, self.log.clean(str(error)))
        except TransientError as error:  # raised by begin(): the run waits and starts again
            return self._wait(None, error, attempt=self.run_row.attempts)

    # --- checkpoints --------------------------------------------------------------------------------

    def _checkpoint(self) -> None:
        """Stop if the claim was lost; raise RunCancelled if a cancellation was asked for (one read: the
        heartbeat thread keeps the claim fresh)."""
        if self.heartbeat.lost:
            raise ClaimLost
        row = Run.objects.filter(pk=self.run_row.pk).values_list("status", "attempts", "cancel_requested").first()
        if row is None or row[0] != RunStatus.RUNNING or row[1] != self.token:
            raise ClaimLost
        if row[2]:
            raise RunCancelled

    # --- steps --------------------------------------------------------------------------------------

    def _run_step(self, kind: RunKind, step: RunStep) -> None:
        self.ctx.step = step
        attempt = step.attempts + 1
        claims.update_step(step, self.token, status=StepStatus.RUNNING, started=timezone.now(), attempts=attempt)
        self.log.line(f"Beginning step {step.name}", step=step.key, status=StepStatus.RUNNING)
        try:
            output = self.redactor.value(_json(kind.run_step(self.ctx, step), "The step's output"))
        except SkipStep as skip:
            claims.update_step(step, self.token, status=StepStatus.SKIPPED, completed=timezone.now(), error="")
            self.log.line(str(skip) or f"Skipping step {step.name}", step=step.key, status=StepStatus.SKIPPED)
            return
        except StepFailed as failed:
            output = self.redactor.value(_json(failed.output, "The step's output"))
            message = self.log.clean(str(failed) or f"Step {step.name} failed")
            claims.update_step(
                step,
                self.token,
                status=StepStatus.FAILED,
                completed=timezone.now(),
                output=output,
                error=message[:ERROR_MAX_LENGTH],
            )
            self.ctx.outputs[step.key] = output
            self.log.line(message, step=step.key, status=StepStatus.FAILED, level="error")
            return
        except (RunCancelled, ClaimLost, DatabaseError):  # a database error: the run is given back, retried
            raise
        except TransientError as error:
            if attempt < kind.max_attempts:
                self._wait(step, error, attempt=attempt)
                raise _RetryLater(self.retry_in or 0) from None
            message = f"{self.describe(error)} (gave up after {kind.max_attempts} attempts)"
            self._step_failed(step, message)
        except Exception as error:
            self._step_failed(step, self.describe(error))
        claims.update_step(
            step, self.token, status=StepStatus.SUCCEEDED, completed=timezone.now(), output=output, error=""
        )
        self.ctx.outputs[step.key] = output
        self.log.line(f"Finished step {step.name}", step=step.key, status=StepStatus.SUCCEEDED)

    def _step_failed(self, step: RunStep, message: str) -> None:
        error = message[:ERROR_MAX_LENGTH]
        claims.update_step(step, self.token, status=StepStatus.FAILED, completed=timezone.now(), error=error)
        self.log.line(message, step=step.key, status=StepStatus.FAILED, level="error")
        log.info("runs.step_failed", run_id=str(self.run_row.pk), kind=self.run_row.kind, step=step.key)
        raise _StepFailed(message)

    def _wait(self, step: RunStep | None, error: TransientError, *, attempt: int) -> str:
        """Put the run back to pending until the backoff has passed (the caller's message republishes it)."""
        kind = self.kind
        assert kind is not None
        if step is None and attempt >= kind.max_attempts:
            return self._fail(None, f"{self.describe(error)} (gave up after {kind.max_attempts} attempts)")
        delay = float(error.retry_in) if error.retry_in is not None else kind.backoff(attempt)
        reason = self.describe(error)
        now = timezone.now()
        if step is not None:
            claims.update_step(step, self.token, status=StepStatus.PENDING, error=reason[:ERROR_MAX_LENGTH])
        message = f"retrying in {delay:.0f} s (attempt {attempt + 1} of {kind.max_attempts}): {reason}"
        self.log.line(message, step=step.key if step is not None else None, level="warning")
        written = claims.update_run(
            self.run_row.pk,
            self.token,
            status=RunStatus.PENDING,
            heartbeat=None,
            not_before=now + datetime.timedelta(seconds=delay),
            enqueued=now,
        )
        if not written:
            raise ClaimLost
        log.info("runs.retry_scheduled", run_id=str(self.run_row.pk), kind=self.run_row.kind, delay=round(delay, 1))
        self.retry_in = delay
        return "waiting"

    def describe(self, error: BaseException) -> str:
        """The message shown for an error (redacted); an unexpected one's traceback goes to the log only."""
        if isinstance(error, RunError):
            message = str(error) or type(error).__name__
        elif isinstance(error, SoftTimeLimitExceeded):
            message = self._time_limit_message()
        else:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            trace = self.redactor.text("".join(traceback.format_exception(error)))
            log.error("runs.step_crashed", run_id=str(self.run_row.pk), kind=self.run_row.kind, traceback=trace)
        return self.log.clean(message)

    # --- the end ------------------------------------------------------------------------------------

    def _finish(self, status: str, *, output: dict[str, Any], error: str = "") -> None:
        if self.kind is not None:
            output = self.kind.conclude(self.ctx, status, output)
        now = timezone.now()
        with transaction.atomic():  # the end of an audited run and its audit entry: both or neither
            written = claims.update_run(
                self.run_row.pk,
                self.token,
                status=status,
                completed=now,
                heartbeat=now,
                output=output,
                error=error[:ERROR_MAX_LENGTH],
                secrets_encrypted="",
                cancel_requested=status == RunStatus.CANCELLED,
            )
            if not written:
                raise ClaimLost
            record_end(self.run_row, RunStatus.RUNNING, status, error[:ERROR_MAX_LENGTH])
        self.run_row.status, self.run_row.output, self.run_row.error = status, output, error
        if self.kind is not None:
            self.kind.ended(self.run_row, status)
        log.info("runs.finished", run_id=str(self.run_row.pk), kind=self.run_row.kind, status=status)

    def _complete(self, output: dict[str, Any]) -> str:
        output = self.redactor.value(output)
        self._finish(RunStatus.SUCCEEDED, output=output)
        self.log.event(
            EventType.COMPLETION, "Run completed with status: succeeded", status=RunStatus.SUCCEEDED, output=output
        )
        return RunStatus.SUCCEEDED

    def _fail(self, step: RunStep | None, message: str) -> str:
        message = self.log.clean(message)
        error = f"Step {step.name} failed: {message}" if step is not None else message
        if step is not None and step.status != StepStatus.FAILED:
            claims.update_step(step, self.token, status=StepStatus.FAILED, completed=timezone.now(), error=message)
        self._finish(RunStatus.FAILED, output={}, error=error)
        self.log.event(
            EventType.COMPLETION,
            "Run completed with status: failed",
            status=RunStatus.FAILED,
            error={"name": "Error", "message": error},
        )
        return RunStatus.FAILED

    def _cancelled(self, current: RunStep | None) -> str:
        now = timezone.now()
        for step in self.steps:
            if not step.is_done and step.status != StepStatus.FAILED:
                claims.update_step(step, self.token, status=StepStatus.CANCELLED, completed=now)
        if current is not None:
            self.log.line(f"Step {current.name} has been cancelled.", step=current.key, status=StepStatus.CANCELLED)
        self._finish(RunStatus.CANCELLED, output={})
        self.log.event(EventType.COMPLETION, "Run completed with status: cancelled", status=RunStatus.CANCELLED)
        return RunStatus.CANCELLED
