"""Running one claimed task: its steps in order, from the first unfinished one, then its output.

For each step: ``if:`` (a false one is recorded as skipped), ``each:`` (the action runs once per item, with
``each.key`` and ``each.value``; each output name then collects a list), the ``input`` rendered in the sandbox
process with ``parameters``, ``steps``, ``user``, ``secrets`` (and ``each``), validated against the action's
input schema, and the action run in the task's workspace. Between steps the engine heartbeats and honours a
cancellation. Steps that only build the workspace (``fetch:*``, ``catalog:write``) are run again when a task is
resumed in a fresh workspace (after its worker died, or on retry); steps with an effect outside are not: their
recorded outputs stand, and an action re-run after a crash checks whether its effect already exists.

Secrets: they are decrypted in memory only, passed only to the rendering of step inputs, and every message,
error and output written is redacted; ``secrets_encrypted`` is emptied and the workspace deleted when the task
ends, however it ends.
"""

from __future__ import annotations

import json
import time
import traceback
import zipfile
from typing import Any

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from catalog import identity
from portal.crypto import DecryptionError, decrypt_json
from scaffolder.actions import sources
from scaffolder.actions.registry import ActionError, get_action, input_errors
from scaffolder.engine import claims, request_files, workspace
from scaffolder.engine.context import (
    ActionContext,
    ClaimLost,
    Redactor,
    StepLogger,
    TaskCancelled,
    TaskLog,
)
from scaffolder.engine.rendering import condition, render, render_output
from scaffolder.models import EventType, StepStatus, Task, TaskEvent, TaskStatus, TaskStep
from scaffolder.parameters import merge, password_paths, pick
from scaffolder.templating import TemplateError

log = structlog.get_logger("scaffolder.engine")

#: Actions that only write into the workspace: run again to re-create it when a task resumes elsewhere.
WORKSPACE_ACTIONS = frozenset({"fetch:template", "fetch:plain", "fetch:plain:file", "catalog:write"})
#: A task whose worker stopped this many times is not resumed again (a step that always kills its worker).
MAX_RECOVERIES = 3
#: ``each:`` runs an action at most this many times.
MAX_EACH = 100
DONE = (StepStatus.COMPLETED, StepStatus.SKIPPED)


class StepFailed(Exception):
    """A step failed; the message (redacted) is the step's error."""


def _json(value: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise ActionError(f"{what} is not JSON data") from None


class Runner:
    def __init__(self, claim: claims.Claim) -> None:
        self.task: Task = claim.task
        self.attempt = claim.attempt
        self.recovered = claim.recovered
        self.steps: list[TaskStep] = list(self.task.steps.order_by("index"))
        spec = self.task.template.get("spec") if isinstance(self.task.template, dict) else {}
        definitions = spec.get("steps") if isinstance(spec, dict) else None
        self.definitions: list = definitions if isinstance(definitions, list) else []
        self.secrets: dict = {}
        self.redactor = Redactor()
        self.log = TaskLog(self.task.id, self.redactor)
        self.heartbeat = claims.Heartbeat(self.task.id, self.attempt)
        self.folder = workspace.task_dir(self.task.id, self.attempt)
        self.user_info: dict = {}
        self._last_poll = 0.0

    # --- the run -----------------------------------------------------------------------------------

    def run(self) -> str:
        self.heartbeat.start()
        finished = False
        try:
            status = self._run()
            finished = True
            return status
        except ClaimLost:
            log.warning("scaffolder.claim_lost", task_id=str(self.task.id), attempt=self.attempt)
            return "lost"
        except DatabaseError:
            self._release()
            raise
        except Exception as error:  # a bug of ours, or the soft time limit outside a step: end the task clearly
            self._crashed(error)
            finished = True
            return TaskStatus.FAILED
        finally:
            self.heartbeat.stop()
            if finished:
                workspace.delete(self.task.id)

    def _release(self) -> None:
        """Give the task back (``open``) after a database error, so that a retry of the message resumes it at once."""
        log.warning("scaffolder.database_error", task_id=str(self.task.id), attempt=self.attempt)
        try:
            claims.update_task(self.task.pk, self.attempt, status=TaskStatus.OPEN)
        except DatabaseError:
            log.warning("scaffolder.release_failed", task_id=str(self.task.id), attempt=self.attempt)

    def _crashed(self, error: Exception) -> None:
        trace = self.redactor.text("".join(traceback.format_exception(error)))
        log.error("scaffolder.engine_crashed", task_id=str(self.task.id), traceback=trace)
        if isinstance(error, SoftTimeLimitExceeded):
            message = f"The task ran longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."
        else:
            message = f"The task stopped on an unexpected error ({type(error).__name__}); see the worker's log."
        try:
            self._fail(None, message)
        except (ClaimLost, DatabaseError):
            log.warning("scaffolder.fail_not_recorded", task_id=str(self.task.id), attempt=self.attempt)

    def _run(self) -> str:
        log.info("scaffolder.task_started", task_id=str(self.task.id), attempt=self.attempt)
        try:
            secrets = decrypt_json(self.task.secrets_encrypted) if self.task.secrets_encrypted else {}
        except DecryptionError:
            return self._fail(None, "The task's secret values cannot be decrypted with the configured keys.")
        self.secrets = secrets if isinstance(secrets, dict) else {}
        self.redactor.set_secrets(self.secrets.values())
        start = next((index for index, step in enumerate(self.steps) if step.status not in DONE), len(self.steps))
        if self.recovered:
            if TaskEvent.objects.filter(task_id=self.task.pk, type=EventType.RECOVERED).count() >= MAX_RECOVERIES:
                return self._fail(
                    self.steps[start] if start < len(self.steps) else None,
                    f"The worker running this task stopped {MAX_RECOVERIES + 1} times; giving up. Retry the task "
                    "once the cause (a step longer than the time limit, a worker out of memory) is fixed.",
                )
            where = f"at step {self.steps[start].step_id}" if start < len(self.steps) else "at its output"
            self.log.event(EventType.RECOVERED, f"The worker running this task stopped; resuming {where}.")
        self._sweep()
        self.folder = workspace.create(self.task.id, self.attempt)
        if self.task.files:
            try:
                self._unpack_files()
            except (request_files.FilesError, OSError, zipfile.BadZipFile) as error:
                return self._fail(None, f"The files sent with the dry run cannot be unpacked: {error}")
        context = self._context()
        current: TaskStep | None = None
        try:
            if start:
                current = self.steps[start] if start < len(self.steps) else None
                self._replay(start, context)
            for step in self.steps[start:]:
                current = step
                self._checkpoint()
                self._run_step(step, context)
            current = None
            self._checkpoint()
            try:
                output = render_output(self.task.template.get("spec", {}).get("output"), context)
            except TemplateError as error:
                return self._fail(None, f"The template's output could not be rendered: {error}")
            return self._complete(output)
        except TaskCancelled:
            return self._cancelled(current)
        except StepFailed as failure:
            return self._fail(current, str(failure))

    def _unpack_files(self) -> None:
        """The dry-run request's files, next to which the template runs (its relative URLs read them)."""
        location = request_files.unpack(bytes(self.task.files), self.folder / "request")
        metadata = self.task.template.setdefault("metadata", {})
        annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
        metadata["annotations"] = {**annotations, sources.LOCATION_ANNOTATION: f"file:{location}"}

    def _sweep(self) -> None:
        """Delete the folders earlier workers on this disk left behind (one query, when there are any)."""
        found = workspace.folders()
        ids = {task_id for task_id, _attempt in found.values() if task_id != str(self.task.id)}
        if not ids:
            return
        running = Task.objects.filter(pk__in=ids, status=TaskStatus.PROCESSING).values_list("pk", "attempts")
        removed = workspace.sweep({(str(pk), attempts) for pk, attempts in running}, keep=str(self.task.id))
        if removed:
            log.info("scaffolder.workspaces_swept", task_id=str(self.task.id), removed=removed)

    def _context(self) -> dict:
        passwords = pick(self.secrets, password_paths(self.task.template))
        user = self.task.created_by
        entity = identity.user_entity_for(user) if user is not None else None
        self.user_info = {"ref": entity.ref, "entity": entity.body} if entity is not None else {}
        steps = {step.step_id: {"output": step.output} for step in self.steps if step.status == StepStatus.COMPLETED}
        return {"parameters": merge(self.task.values, passwords), "steps": steps, "user": self.user_info}

    # --- checkpoints --------------------------------------------------------------------------------

    def _checkpoint(self) -> None:
        """Between steps: stop if the claim was lost; raise TaskCancelled if a cancellation was asked for."""
        self._last_poll = time.monotonic()
        if self.heartbeat.lost:
            raise ClaimLost
        row = Task.objects.filter(pk=self.task.pk).values_list("status", "attempts", "cancel_requested").first()
        if row is None or row[0] != TaskStatus.PROCESSING or row[1] != self.attempt:
            raise ClaimLost
        claims.update_task(self.task.pk, self.attempt, heartbeat=timezone.now())
        if row[2]:
            raise TaskCancelled

    def _poll(self) -> None:
        """``ctx.check_cancelled()``: at most one query every half second."""
        if time.monotonic() - self._last_poll >= 0.5:
            self._checkpoint()

    # --- steps --------------------------------------------------------------------------------------

    def _definition(self, step: TaskStep) -> dict:
        definition = self.definitions[step.index] if step.index < len(self.definitions) else None
        return definition if isinstance(definition, dict) else {}

    def _replay(self, start: int, context: dict) -> None:
        for step in self.steps[:start]:
            if step.status != StepStatus.COMPLETED or step.action not in WORKSPACE_ACTIONS:
                continue
            self.log.log(f"Re-creating the workspace: running step {step.name} again", step_id=step.step_id)
            try:
                self._execute(step, get_action(step.action), context)
            except (TaskCancelled, ClaimLost):
                raise
            except Exception as error:
                message = self._describe(error)
                raise StepFailed(f"The workspace could not be re-created (step {step.step_id}: {message})") from None

    def _run_step(self, step: TaskStep, context: dict) -> None:
        definition = self._definition(step)
        claims.update_step(step, self.attempt, status=StepStatus.RUNNING, started=timezone.now(), error="")
        self.log.log(f"Beginning step {step.name}", step_id=step.step_id, status="processing")
        try:
            if "if" in definition and not condition(definition["if"], context):
                claims.update_step(step, self.attempt, status=StepStatus.SKIPPED, completed=timezone.now())
                self.log.log(
                    f"Skipping step {step.step_id} because its if condition was false",
                    step_id=step.step_id,
                    status="skipped",
                )
                return
            try:
                action = get_action(step.action)
            except KeyError:
                raise ActionError(f"action {step.action} is not installed") from None
            output = self.redactor.value(_json(self._execute(step, action, context), "the step's output"))
        except (TaskCancelled, ClaimLost):
            raise
        except Exception as error:
            message = self._describe(error)
            claims.update_step(step, self.attempt, status=StepStatus.FAILED, completed=timezone.now(), error=message)
            self.log.log(message, step_id=step.step_id, status="failed")
            log.info("scaffolder.step_failed", task_id=str(self.task.id), step=step.step_id, action=step.action)
            raise StepFailed(message) from None
        claims.update_step(step, self.attempt, status=StepStatus.COMPLETED, completed=timezone.now(), output=output)
        context["steps"][step.step_id] = {"output": output}
        self.log.log(f"Finished step {step.name}", step_id=step.step_id, status="completed")

    def _iterations(self, definition: dict, context: dict) -> list[dict | None]:
        if "each" not in definition:
            return [None]
        items = render(definition["each"], context)
        if isinstance(items, dict):
            pairs = list(items.items())
        elif isinstance(items, list):
            pairs = [(str(index), value) for index, value in enumerate(items)]
        else:
            raise ActionError("each: must give a list or a mapping")
        if len(pairs) > MAX_EACH:
            raise ActionError(f"each: gives {len(pairs)} items; a step may run at most {MAX_EACH} times")
        return [{"key": key, "value": value} for key, value in pairs]

    def _execute(self, step: TaskStep, action, context: dict) -> dict:
        definition = self._definition(step)
        collected: dict[str, Any] = {}
        for each in self._iterations(definition, context):
            scope = {**context, "secrets": self.secrets}
            if each is not None:
                scope["each"] = each
            rendered = render(definition.get("input") or {}, scope)
            rendered = {} if rendered is None else rendered
            if not isinstance(rendered, dict):
                raise ActionError("the step's input must be a mapping")
            problems = input_errors(action, rendered)
            if problems:
                raise ActionError(f"Invalid input passed to action {action.id}: {'; '.join(problems)}")
            ctx = self._action_context(step, rendered)
            if self.task.dry_run:
                shown = json.dumps(rendered, indent=2, ensure_ascii=False, default=str)
                ctx.logger.info(f"Running {action.id} in dry-run mode with inputs (secrets redacted): {shown}")
            result = action.handler(ctx)
            outputs = {**ctx.outputs, **(result or {})}
            if each is None:
                collected = outputs
            else:
                for name, value in outputs.items():
                    collected.setdefault(name, []).append(value)
        return collected

    def _action_context(self, step: TaskStep, rendered: dict) -> ActionContext:
        return ActionContext(
            task_id=self.task.id,
            step_id=step.step_id,
            workspace=self.folder / workspace.WORKSPACE,
            input=rendered,
            logger=StepLogger(self.log, step.step_id),
            is_dry_run=self.task.dry_run,
            user=self.task.created_by,
            user_info=self.user_info,
            template=self.task.template,
            secrets=tuple(self.redactor.secrets),
            task_dir=self.folder,
            _check_cancelled=self._poll,
            _redactor=self.redactor,
        )

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, ActionError | TemplateError | workspace.PathError):
            message = str(error) or type(error).__name__
        elif isinstance(error, SoftTimeLimitExceeded):
            message = f"The task ran longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."
        else:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            trace = self.redactor.text("".join(traceback.format_exception(error)))
            log.error("scaffolder.action_crashed", task_id=str(self.task.id), traceback=trace)
        return self.log.clean(message)

    # --- the end ------------------------------------------------------------------------------------

    def _dry_run_files(self, output: dict) -> dict:
        if self.task.dry_run:
            contents = workspace.directory_contents(self.folder / workspace.WORKSPACE, self.redactor.data)
            output = {**output, "directoryContents": contents}
        return output

    def _finish(self, status: str, *, output: dict, error: str = "") -> bool:
        """Record the end of the task (the workspace is deleted first: a finished task has none)."""
        output = self._dry_run_files(output)
        workspace.delete(self.task.id)
        return claims.update_task(
            self.task.pk,
            self.attempt,
            status=status,
            completed=timezone.now(),
            heartbeat=timezone.now(),
            output=output,
            error=error,
            secrets_encrypted="",
            files=b"",
        )

    def _complete(self, output: dict) -> str:
        output = self.redactor.value(_json(output, "the template's output"))
        if not self._finish(TaskStatus.COMPLETED, output=output):
            raise ClaimLost
        body = {"status": TaskStatus.COMPLETED, "output": output}
        self.log.event(EventType.COMPLETION, "Run completed with status: completed", **body)
        log.info("scaffolder.task_finished", task_id=str(self.task.id), status="completed")
        return TaskStatus.COMPLETED

    def _fail(self, step: TaskStep | None, message: str) -> str:
        message = self.log.clean(message)
        error = f"Step {step.name} failed: {message}" if step is not None else message
        if step is not None and step.status != StepStatus.FAILED:
            claims.update_step(step, self.attempt, status=StepStatus.FAILED, completed=timezone.now(), error=message)
        if not self._finish(TaskStatus.FAILED, output={}, error=error):
            raise ClaimLost
        self.log.event(
            EventType.COMPLETION,
            "Run completed with status: failed",
            status=TaskStatus.FAILED,
            error={"name": "Error", "message": error},
        )
        log.info("scaffolder.task_finished", task_id=str(self.task.id), status="failed")
        return TaskStatus.FAILED

    def _cancelled(self, current: TaskStep | None) -> str:
        now = timezone.now()
        for step in self.steps:
            if step.status not in (*DONE, StepStatus.FAILED):
                claims.update_step(step, self.attempt, status=StepStatus.CANCELLED, completed=now)
        if current is not None:
            self.log.log(f"Step {current.name} has been cancelled.", step_id=current.step_id, status="cancelled")
        if not self._finish(TaskStatus.CANCELLED, output={}, error=""):
            raise ClaimLost
        self.log.event(EventType.COMPLETION, "Run completed with status: cancelled", status=TaskStatus.CANCELLED)
        log.info("scaffolder.task_finished", task_id=str(self.task.id), status="cancelled")
        return TaskStatus.CANCELLED
