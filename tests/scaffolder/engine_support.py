"""Helpers of the engine, action and service tests: templates in the catalog, people, waiting for a task."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from catalog import services as catalog
from catalog.models import Entity
from portal.models.runs import TERMINAL_RUN_STATUSES, RunEvent, RunStep
from scaffolder.models import Task

if TYPE_CHECKING:
    from scaffolder.engine.context import ActionContext

SECRET = "s3cr3t-Value-9f8e7d"


def template_doc(
    name: str,
    steps: list[dict],
    *,
    parameters: list | dict | None = None,
    output: dict | None = None,
    annotations: dict | None = None,
    owner: str = "group:default/platform",
) -> dict:
    metadata: dict = {"name": name, "title": name.replace("-", " ").title()}
    if annotations:
        metadata["annotations"] = annotations
    spec: dict = {"owner": owner, "type": "service", "parameters": parameters or [], "steps": steps}
    if output is not None:
        spec["output"] = output
    return {"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": metadata, "spec": spec}


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def register_file(path: Path) -> None:
    """Read a catalog file location now (the way the catalog's refresh job would)."""
    try:
        location = catalog.register_location(type="file", target=str(path), refresh=False)
    except catalog.LocationExists as exists:
        location = exists.location
    report = catalog.process_location(location)
    assert report.failure == "", report.failure
    assert [problem.message for problem in report.problems] == []


def install_template(folder: Path, doc: dict, files: Mapping[str, str | bytes] | None = None) -> Entity:
    """Write ``template.yaml`` (and its files) into ``folder``, read it into the catalog; the Template entity."""
    write_files(folder, files or {})
    path = folder / "template.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    register_file(path)
    return Entity.objects.get(ref=f"template:default/{doc['metadata']['name']}")


PEOPLE = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: team, children: [payments]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: sales}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: dana}
spec:
  profile: {email: dev@example.com, displayName: Dana Developer}
  memberOf: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: olga}
spec:
  profile: {email: other@example.com}
  memberOf: [sales]
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: checkout}
spec: {owner: payments}
"""


def install_people(folder: Path) -> None:
    """Groups platform ⊃ payments and sales; dana (dev@example.com) in payments, olga (other@) in sales; the
    System checkout, owned by payments."""
    path = folder / "people.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PEOPLE, encoding="utf-8")
    register_file(path)


def wait_for(task: Task, *, timeout: float = 60) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task.refresh_from_db()
        if task.status in TERMINAL_RUN_STATUSES:
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task.pk} still {task.status} after {timeout} s: {messages(task)}")


def messages(task: Task) -> list[str]:
    return [event.body.get("message", "") for event in RunEvent.objects.filter(run_id=task.pk).order_by("id")]


def step_states(task: Task) -> list[tuple[str, str]]:
    return list(task.steps.order_by("index").values_list("key", "status"))


def everything_stored(task: Task) -> str:
    """Every value stored for a task (its row, its steps, its events) as one text, to search for a secret."""
    rows: list[object] = [Task.objects.filter(pk=task.pk).values().first()]
    rows += list(RunStep.objects.filter(run_id=task.pk).values())
    rows += list(RunEvent.objects.filter(run_id=task.pk).values())
    return json.dumps(rows, default=str, ensure_ascii=False)


# --- running one action directly -------------------------------------------------------------------------------


def make_task(template: dict, *, user=None, values: dict | None = None, dry_run: bool = False) -> Task:
    return Task.objects.create(
        template_ref=f"template:default/{template['metadata']['name']}",
        template=template,
        values=values or {},
        created_by=user,
        kind="scaffolder.task",
        status="running",
        attempts=1,
        dry_run=dry_run,
    )


def located(template: dict, location: str) -> dict:
    """The template as the catalog serves it, read from ``location`` (``file:/…`` or ``url:https://…``)."""
    annotations = {**template["metadata"].get("annotations", {}), "backstage.io/managed-by-location": location}
    return {**template, "metadata": {**template["metadata"], "annotations": annotations}}


def action_context(task: Task, folder: Path, data: dict, *, secrets=(), user=None) -> ActionContext:
    from scaffolder.engine.context import ActionContext, Redactor, RunLog, StepLogger

    (folder / "workspace").mkdir(parents=True, exist_ok=True)
    redactor = Redactor(secrets)
    return ActionContext(
        task_id=task.id,
        step_id="step",
        workspace=folder / "workspace",
        input=data,
        logger=StepLogger(RunLog(task.id, redactor), "step"),
        is_dry_run=task.dry_run,
        user=user if user is not None else task.created_by,
        user_info={},
        template=task.template,
        secrets=tuple(redactor.secrets),
        task_dir=folder,
        _redactor=redactor,
    )


def run_action(action_id: str, ctx) -> dict:
    """What the engine does for one step: validate the input against the action's schema, run the handler."""
    from scaffolder.actions.registry import ActionError, get_action, input_errors

    action = get_action(action_id)
    problems = input_errors(action, ctx.input)
    if problems:
        raise ActionError(f"Invalid input passed to action {action.id}: {'; '.join(problems)}")
    return {**ctx.outputs, **(action.handler(ctx) or {})}


def tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` (relative path → text, or ``-> target`` for a link)."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = f"-> {path.readlink()}"
        elif path.is_file():
            found[relative] = path.read_text(encoding="utf-8", errors="replace")
    return found
