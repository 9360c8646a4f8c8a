"""Every write of the golden paths: creating, cancelling and retrying tasks; and what the form needs to know.

A task is a run of the run engine (``portal.runs``, kind ``scaffolder.task``), created in one transaction
with its steps, the template as it is now (later edits do not change a run), the values without the secret
ones (those are encrypted, and emptied when the task ends); the engine publishes it once the transaction
commits.
"""

from __future__ import annotations

import copy

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from catalog.model.refs import RefError, parse_ref
from catalog.models import Entity
from portal import runs
from portal.models.runs import RETRIABLE_RUN_STATUSES, EventType, RunEvent, RunStatus
from portal.permissions import can
from scaffolder import querysets
from scaffolder.access import ALLOWED_GROUPS_ANNOTATION, allowed_groups
from scaffolder.models import STEP_STATUS, TASK_KIND, TASK_STATUS, Task
from scaffolder.parameters import (
    MISSING,
    TaskInputError,
    given_secrets,
    merge,
    parameter_pages,
    required_secret_paths,
    secret_fields,
    secret_paths,
    split_secrets,
    validate_values,
    value_at,
)

__all__ = [
    "ALLOWED_GROUPS_ANNOTATION",
    "TaskInputError",
    "allowed_groups",
    "can_run",
    "cancel_task",
    "create_task",
    "dry_run_result",
    "given_secrets",
    "merge",
    "parameter_pages",
    "required_secret_paths",
    "retry_task",
    "secret_fields",
    "template_entity",
    "validate_values",
    "visible_tasks",
]

RETRIABLE = RETRIABLE_RUN_STATUSES


def template_entity(ref: str) -> Entity | None:
    """The Template entity ``template:ns/name`` (or ``ns/name``, ``name``), compared without case; None if absent."""
    try:
        parsed = parse_ref((ref or "").strip(), default_kind="template")
    except RefError:
        return None
    if parsed.kind.lower() != "template":
        return None
    return Entity.objects.filter(ref=parsed.key(), orphan=False).first()


def can_run(user, entity) -> bool:
    return can(user, "scaffolder.run_template", entity)


def _step_rows(template: dict) -> list[dict]:
    spec = template.get("spec") if isinstance(template, dict) else None
    steps = spec.get("steps") if isinstance(spec, dict) else None
    if not isinstance(steps, list):
        return []
    rows, seen = [], set()
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("action"), str) or not step["action"]:
            raise TaskInputError({"": [f"Step {index + 1} of the template has no action."]})
        step_id = str(step.get("id") or f"step-{index + 1}")
        if step_id in seen:
            raise TaskInputError({"": [f"Two steps of the template have the id {step_id!r}."]})
        seen.add(step_id)
        name = str(step.get("name") or step_id)
        rows.append({"key": step_id[:200], "name": name[:400], "action": step["action"][:200]})
    return rows


def create_task(user, entity, values: dict, *, dry_run: bool = False, files: bytes = b"") -> Task:
    """Validate the values, store the task and its steps, and start it once the transaction commits.

    Raises PermissionDenied (nothing written) when the user may not run the template, and
    :class:`TaskInputError` when the values do not fit its form. ``files``: the files a dry-run request
    sent along (``scaffolder.engine.request_files``).
    """
    if entity is None or entity.kind.lower() != "template":
        raise TaskInputError({"": ["This is not a template."]})
    if not can_run(user, entity):
        raise PermissionDenied("You may not run this template.")
    template = copy.deepcopy(entity.body)
    cleaned, secrets = split_secrets(validate_values(template, values, user=user), secret_paths(template))
    rows = _step_rows(template)
    task = runs.start(
        TASK_KIND,
        user=user,
        steps=rows,
        secrets=secrets or None,
        model=Task,
        fields={
            "template_ref": entity.ref,
            "template": template,
            "values": cleaned,
            "files": files,
            "dry_run": dry_run,
        },
    )
    assert isinstance(task, Task)
    return task


def cancel_task(user, task: Task) -> bool:
    """Cancel a task: at once when it waits (or its worker died), else between its steps. False if it ended."""
    if not can(user, "scaffolder.cancel_task", task):
        raise PermissionDenied("You may not cancel this task.")
    return runs.cancel(task, by=user)


def retry_task(user, task: Task, *, secrets: dict | None = None) -> Task:
    """Run a failed or cancelled task again on the same row, from its first unfinished step (earlier steps keep
    their outputs). Secrets were emptied when the task ended: required secret fields must be given again."""
    if not can(user, "scaffolder.retry_task", task):
        raise PermissionDenied("You may not retry this task.")
    if task.status not in RETRIABLE:
        raise TaskInputError({"": ["Only a failed or cancelled task can be retried."]})
    given, unknown = given_secrets(task.template, secrets or {})
    if unknown:
        raise TaskInputError({"secrets": [f"{', '.join(unknown)}: not a secret field of this template."]})
    missing = [
        ".".join(path)
        for path, _schema in required_secret_paths(task.template)
        if value_at(given, path) in (MISSING, None, "")
    ]
    if missing:
        raise TaskInputError({name: ["Give this secret again to retry the task."] for name in missing})
    try:
        runs.retry(task, by=user, secrets=given or None)
    except runs.RunStateError:
        raise TaskInputError({"": ["Only a failed or cancelled task can be retried."]}) from None
    task.refresh_from_db()
    return task


def visible_tasks(user) -> QuerySet[Task]:
    """The tasks ``user`` may see: their own, those of templates their teams own; every task for admins."""
    return querysets.visible_to(user)


def dry_run_result(task: Task) -> dict:
    """Backstage's dry-run answer for a finished dry-run task: files, log, output and steps."""
    output = dict(task.output or {})
    contents = output.pop("directoryContents", [])
    bodies = RunEvent.objects.filter(run_id=task.pk, type=EventType.LOG).order_by("id").values_list("body", flat=True)
    log = [{"body": backstage_body(body)} for body in bodies]
    steps = [
        {
            "id": step.key,
            "name": step.name,
            "action": step.action,
            "status": STEP_STATUS.get(step.status, step.status),
            "output": step.output,
            "error": step.error,
        }
        for step in task.steps.order_by("index")
    ]
    return {
        "directoryContents": contents,
        "log": log,
        "output": output,
        "steps": steps,
        "status": TASK_STATUS.get(task.status, task.status),
        "error": task.error,
    }


def backstage_body(body: dict) -> dict:
    """An event's body in Backstage's words: a step's status as Backstage names it, a completion's too."""
    if not isinstance(body, dict) or "status" not in body:
        return body if isinstance(body, dict) else {}
    status = body["status"]
    named = TASK_STATUS.get(status) if "stepId" not in body and status in RunStatus.values else None
    return {**body, "status": named or STEP_STATUS.get(status, status)}
