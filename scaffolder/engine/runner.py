"""A golden-path task as a kind of run (``scaffolder.task``): the steps are the template's.

The engine (``portal.runs``) claims the task, keeps it alive, walks its steps, retries what is
transient and records everything; this kind supplies what is the template's:

- :meth:`TemplateRun.begin`: the task's folder on this worker, the dry-run files unpacked next to the
  template, and, when the task resumes in a fresh folder (its worker died, or on retry), the steps
  that only build the workspace (``fetch:*``, ``catalog:write``) run again; steps with an effect
  outside are not: their recorded outputs stand, and an action re-run after a crash checks whether
  its effect already exists;
- :meth:`TemplateRun.run_step`: ``if:`` (a false one skips the step), ``each:`` (the action runs once
  per item, with ``each.key`` and ``each.value``; each output name then collects a list), the
  ``input`` rendered in the sandbox process with ``parameters``, ``steps``, ``user``, ``secrets``
  (and ``each``), validated against the action's input schema, and the action run in the workspace;
- :meth:`TemplateRun.finish`: the template's ``spec.output``, rendered;
- :meth:`TemplateRun.conclude` and :meth:`TemplateRun.ended`: a dry run's files read from the
  workspace, then the workspace deleted before the end is written, and the request's files emptied,
  however the task ends.
"""

from __future__ import annotations

import json
import zipfile
from typing import Any

import structlog
from django.db import DatabaseError

from catalog import identity
from portal.models.runs import Run, RunStatus, RunStep, StepStatus
from portal.runs import PermanentError, RunCancelled, RunContext, RunKind, RunStateError, SkipStep, StepFailed
from scaffolder.actions import sources
from scaffolder.actions.registry import ActionError, get_action, input_errors
from scaffolder.engine import request_files, workspace
from scaffolder.engine.context import ActionContext, ClaimLost, StepLogger
from scaffolder.engine.rendering import condition, limits, render, render_output
from scaffolder.models import TASK_KIND, WOULD_FAIL, Task
from scaffolder.parameters import MISSING, merge, password_paths, pick, required_secret_paths, value_at
from scaffolder.templating import TemplateError
from scaffolder.templating.limits import value_message

log = structlog.get_logger("scaffolder.engine")

#: Actions that only write into the workspace: run again to re-create it when a task resumes elsewhere.
WORKSPACE_ACTIONS = frozenset({"fetch:template", "fetch:plain", "fetch:plain:file", "catalog:write"})
#: Actions that do in a dry run what they do in a real one; the others only check and say what they would do.
DRY_RUN_ACTIONS = WORKSPACE_ACTIONS | {"debug:log", "debug:wait"}
#: ``each:`` runs an action at most this many times.
MAX_EACH = 100


def _json(value: Any, what: str) -> Any:
    """``value`` as JSON data, refused when it is not, or when it is larger than a value may be."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        raise ActionError(f"{what} is not JSON data") from None
    bounds = limits()
    if len(text) > bounds.file_bytes:
        raise ActionError(value_message(bounds, f"{what} is"))
    return json.loads(text)


class TemplateRun(RunKind):
    name = TASK_KIND
    label = "Golden-path task"
    url_label = "Open the task"
    audited = True
    keep_finished = True
    #: A step's transient failures (GitHub answering 503) are retried this many times in all.
    max_attempts = 5
    retry_base = 10.0

    # --- the task -----------------------------------------------------------------------------------

    @staticmethod
    def task(ctx: RunContext) -> Task:
        task = ctx.state.get("task")
        if task is None:
            task = Task.objects.select_related("created_by").get(pk=ctx.run.pk)
            ctx.state["task"] = task
        return task

    @staticmethod
    def definitions(task: Task) -> list:
        spec = task.template.get("spec") if isinstance(task.template, dict) else {}
        steps = spec.get("steps") if isinstance(spec, dict) else None
        return steps if isinstance(steps, list) else []

    def url(self, run: Run) -> str | None:
        from django.urls import reverse

        return reverse("scaffolder:task", kwargs={"pk": run.pk})

    def check_retry(self, run: Run, secrets: dict[str, Any] | None) -> None:
        task = run if isinstance(run, Task) else Task.objects.get(pk=run.pk)
        missing = [
            ".".join(path)
            for path, _schema in required_secret_paths(task.template)
            if value_at(secrets or {}, path) in (MISSING, None, "")
        ]
        if missing:
            raise RunStateError(f"Give the secrets again to retry the task: {', '.join(missing)}.")

    # --- begin: the workspace -----------------------------------------------------------------------

    def begin(self, ctx: RunContext) -> None:
        task = self.task(ctx)
        self._sweep(task)
        folder = workspace.create(task.pk, ctx.token)
        ctx.state["folder"] = folder
        if task.files:
            try:
                self._unpack_files(task, folder)
            except (request_files.FilesError, OSError, zipfile.BadZipFile) as error:
                raise PermanentError(f"The files sent with the dry run cannot be unpacked: {error}") from None
        ctx.state["context"] = self._context(ctx, task)
        self._replay(ctx, task)

    def _unpack_files(self, task: Task, folder) -> None:
        """The dry-run request's files, next to which the template runs (its relative URLs read them)."""
        location = request_files.unpack(bytes(task.files), folder / "request")
        metadata = task.template.setdefault("metadata", {})
        annotations = metadata.get("annotations") if isinstance(metadata.get("annotations"), dict) else {}
        metadata["annotations"] = {**annotations, sources.LOCATION_ANNOTATION: f"file:{location}"}

    def _sweep(self, task: Task) -> None:
        """Delete the folders earlier workers on this disk left behind (one query, when there are any)."""
        found = workspace.folders()
        ids = {task_id for task_id, _attempt in found.values() if task_id != str(task.pk)}
        if not ids:
            return
        running = Run.objects.filter(pk__in=ids, status=RunStatus.RUNNING).values_list("pk", "attempts")
        removed = workspace.sweep({(str(pk), attempts) for pk, attempts in running}, keep=str(task.pk))
        if removed:
            log.info("scaffolder.workspaces_swept", task_id=str(task.pk), removed=removed)

    def _context(self, ctx: RunContext, task: Task) -> dict:
        passwords = pick(ctx.secrets, password_paths(task.template))
        user = task.created_by
        entity = identity.user_entity_for(user) if user is not None else None
        ctx.state["user_info"] = {"ref": entity.ref, "entity": entity.body} if entity is not None else {}
        steps = {key: {"output": output} for key, output in ctx.outputs.items()}
        return {"parameters": merge(task.values, passwords), "steps": steps, "user": ctx.state["user_info"]}

    def _replay(self, ctx: RunContext, task: Task) -> None:
        """Steps done earlier that only built the workspace run again in this fresh folder."""
        done = list(RunStep.objects.filter(run_id=task.pk, status=StepStatus.SUCCEEDED).order_by("index"))
        for step in done:
            if step.action not in WORKSPACE_ACTIONS:
                continue
            ctx.log.line(f"Re-creating the workspace: running step {step.name} again", step=step.key)
            try:
                self._execute(ctx, task, step, get_action(step.action))
            except (RunCancelled, ClaimLost, DatabaseError):  # a database error: the engine retries the run
                raise
            except Exception as error:
                message = self._describe(ctx, error)
                raise PermanentError(f"The workspace could not be re-created (step {step.key}: {message})") from None

    # --- steps --------------------------------------------------------------------------------------

    def _definition(self, task: Task, step: RunStep) -> dict:
        definitions = self.definitions(task)
        definition = definitions[step.index] if step.index < len(definitions) else None
        return definition if isinstance(definition, dict) else {}

    def run_step(self, ctx: RunContext, step: RunStep) -> dict[str, Any] | None:
        task = self.task(ctx)
        context = ctx.state["context"]
        definition = self._definition(task, step)
        problems: list[str] = []
        try:
            if "if" in definition and not condition(definition["if"], context):
                raise SkipStep(f"Skipping step {step.key} because its if condition was false")
            try:
                action = get_action(step.action)
            except KeyError:
                raise ActionError(f"action {step.action} is not installed") from None
            output = _json(self._execute(ctx, task, step, action, problems), "the step's output")
        except (TemplateError, workspace.PathError, ActionError) as error:
            message = str(error) or type(error).__name__
            if task.dry_run and step.action not in DRY_RUN_ACTIONS:
                raise StepFailed(f"{WOULD_FAIL}{message}") from None
            raise ActionError(message) from None
        context["steps"][step.key] = {"output": ctx.redactor.value(output)}
        if problems:
            raise StepFailed(WOULD_FAIL + "; ".join(dict.fromkeys(problems)), output=output)
        return output

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

    def _execute(self, ctx: RunContext, task: Task, step: RunStep, action, problems: list[str] | None = None) -> dict:
        definition = self._definition(task, step)
        context = ctx.state["context"]
        collected: dict[str, Any] = {}
        for each in self._iterations(definition, context):
            scope = {**context, "secrets": ctx.secrets}
            if each is not None:
                scope["each"] = each
            rendered = render(definition.get("input") or {}, scope)
            rendered = {} if rendered is None else rendered
            if not isinstance(rendered, dict):
                raise ActionError("the step's input must be a mapping")
            invalid = input_errors(action, rendered)
            if invalid:
                raise ActionError(f"Invalid input passed to action {action.id}: {'; '.join(invalid)}")
            action_ctx = self._action_context(ctx, task, step, rendered)
            if task.dry_run:
                shown = json.dumps(rendered, indent=2, ensure_ascii=False, default=str)
                action_ctx.logger.info(f"Running {action.id} in dry-run mode with inputs (secrets redacted): {shown}")
            result = action.handler(action_ctx)
            if problems is not None:
                problems.extend(action_ctx.problems)
            outputs = {**action_ctx.outputs, **(result or {})}
            if each is None:
                collected = outputs
            else:
                for name, value in outputs.items():
                    collected.setdefault(name, []).append(value)
        return collected

    def _action_context(self, ctx: RunContext, task: Task, step: RunStep, rendered: dict) -> ActionContext:
        folder = ctx.state["folder"]
        return ActionContext(
            task_id=task.pk,
            step_id=step.key,
            workspace=folder / workspace.WORKSPACE,
            input=rendered,
            logger=StepLogger(ctx.log, step.key),
            is_dry_run=task.dry_run,
            user=task.created_by,
            user_info=ctx.state["user_info"],
            template=task.template,
            secrets=tuple(ctx.redactor.secrets),
            task_dir=folder,
            _check_cancelled=ctx.check_cancelled,
            _redactor=ctx.redactor,
        )

    def _describe(self, ctx: RunContext, error: BaseException) -> str:
        if isinstance(error, ActionError | TemplateError | workspace.PathError):
            return ctx.log.clean(str(error) or type(error).__name__)
        return ctx.log.clean(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)

    # --- the end ------------------------------------------------------------------------------------

    def finish(self, ctx: RunContext) -> dict[str, Any] | None:
        task = self.task(ctx)
        try:
            output = render_output(task.template.get("spec", {}).get("output"), ctx.state["context"])
        except TemplateError as error:
            raise PermanentError(f"The template's output could not be rendered: {error}") from None
        output = _json(output, "the template's output")
        if task.dry_run:
            failing = list(
                RunStep.objects.filter(run_id=task.pk, status=StepStatus.FAILED)
                .order_by("index")
                .values_list("key", "error")
            )
            if failing:
                reasons = "; ".join(f"{key} ({error.removeprefix(WOULD_FAIL)})" for key, error in failing)
                count = len(failing)
                raise PermanentError(
                    f"The dry run found {count} step{'s' if count > 1 else ''} that would fail: {reasons}"
                )
        return output

    def conclude(self, ctx: RunContext, status: str, output: dict[str, Any]) -> dict[str, Any]:
        """A dry run's answer carries the files the template produced; then the workspace is deleted, before
        the end is written, so a task seen ended has left nothing on the worker."""
        task = self.task(ctx)
        folder = ctx.state.get("folder")
        try:
            if task.dry_run and folder is not None:
                contents = workspace.directory_contents(folder / workspace.WORKSPACE, ctx.redactor.data)
                output = {**output, "directoryContents": contents}
        finally:
            workspace.delete(ctx.run.pk)
        return output

    def ended(self, run: Run, status: str) -> None:
        Task.objects.filter(pk=run.pk).exclude(files=b"").update(files=b"")
