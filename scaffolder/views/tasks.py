"""A task's page: its steps, a live log, its result (links, text, or a dry run's files), cancel and retry.

The log is live through htmx: a poller fetches the events after the last one shown every second and
appends them (out of band), with the step list and the status; when the task has ended, the page is
reloaded once to show the result, and polling stops. Without JavaScript the page refreshes itself while
the task runs. Another user's task answers 404 (``services.visible_tasks``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portal.integrations import localgit
from portal.permissions import can
from portal.timefmt import duration
from scaffolder import services
from scaffolder.forms.pickers import entity_url
from scaffolder.forms.schema import pages_of
from scaffolder.forms.state import FormState, dump
from scaffolder.models import WOULD_FAIL, RunStatus, StepStatus
from scaffolder.views import dryrun, markdown
from scaffolder.views.common import badge, tabs, task_or_404, task_title, template_url

#: Events sent by one poll at most (the next poll takes the rest).
EVENTS_PER_POLL = 500
RETRIABLE = services.RETRIABLE


def retry_secrets(task) -> list[dict]:
    """The template's required secret fields: forgotten when the task ended, they are asked again to retry."""
    return [
        {"name": ".".join(path), "title": schema.get("title") or path[-1]}
        for path, schema in services.required_secret_paths(task.template)
    ]


def event_row(event, names: dict[str, str]) -> dict:
    body = event.body if isinstance(event.body, dict) else {}
    step = found if isinstance(found := body.get("stepId"), str) else ""
    level = body.get("level") if body.get("level") in ("warning", "error") else ""
    if body.get("status") == StepStatus.FAILED:
        level = "error"
    return {
        "id": event.pk,
        "time": timezone.localtime(event.created),
        "type": event.type,
        "step": names.get(step, step),
        "message": str(body.get("message", "")),
        "level": level,
    }


def _step_label(task, step) -> str:
    if step.status == StepStatus.SUCCEEDED:
        return "Completed"
    if step.status == StepStatus.FAILED and task.dry_run and step.error.startswith(WOULD_FAIL):
        return "Would fail"
    return step.get_status_display()


def step_rows(task, steps) -> list[dict]:
    now = timezone.now()
    return [
        {
            "id": step.key,
            "name": step.name,
            "action": step.action,
            "status": step.status,
            "label": _step_label(task, step),
            "badge": badge(step.status),
            "duration": duration(step.started, step.completed or (now if step.status == StepStatus.RUNNING else None)),
            "error": step.error,
        }
        for step in steps
    ]


def _links(task) -> list[dict]:
    output = task.output if isinstance(task.output, dict) else {}
    links = []
    for link in output.get("links") or []:
        if not isinstance(link, dict):
            continue
        ref = link["entityRef"] if isinstance(link.get("entityRef"), str) else ""
        url = link["url"] if isinstance(link.get("url"), str) else ""
        target = entity_url(ref) if ref else url
        if target.startswith("file:"):  # a repository of the local git host: its page in the portal
            target = localgit.browse_url(target) or ""
        if target and (target.startswith(("https://", "http://", "/"))):
            links.append({"title": link.get("title") or url or ref, "url": target, "icon": link.get("icon") or ""})
    return links


def _texts(task) -> list[dict]:
    output = task.output if isinstance(task.output, dict) else {}
    return [
        {"title": text.get("title") or "", "content": markdown.render(str(text.get("content") or ""))}
        for text in output.get("text") or []
        if isinstance(text, dict)
    ]


def live_context(task) -> dict:
    steps = list(task.steps.all())
    names = {step.key: step.name for step in steps}
    return {
        "task": task,
        "status_badge": badge(task.status),
        "steps": step_rows(task, steps),
        "names": names,
        "elapsed": duration(task.started, task.completed or (timezone.now() if task.started else None)),
    }


def task_page(request, pk):
    task = task_or_404(request.user, pk)
    context = live_context(task)
    events = [event_row(event, context["names"]) for event in task.events.order_by("id")]
    context.update(
        tabs(request, "tasks"),
        title=task_title(task),
        template_url=template_url(task.template_ref),
        events=events,
        last_event=events[-1]["id"] if events else 0,
        can_cancel=can(request.user, "scaffolder.cancel_task", task)
        and not task.is_terminal
        and not task.cancel_requested,
        can_retry=can(request.user, "scaffolder.retry_task", task) and task.status in RETRIABLE and not task.dry_run,
        retry_secrets=retry_secrets(task) if task.status in RETRIABLE else [],
        links=_links(task) if task.status == RunStatus.SUCCEEDED else [],
        texts=_texts(task) if task.status == RunStatus.SUCCEEDED else [],
    )
    if task.dry_run and task.is_terminal:
        context["dry_run"] = _dry_run(request, task)
        context["rerun"] = _rerun(request, task)
    return render(request, "scaffolder/task/page.html", context)


def _rerun(request, task) -> dict | None:
    """For who tried a template: its review again with the same answers (secrets must be given again)."""
    if task.created_by_id != request.user.pk:
        return None
    entity = services.template_entity(task.template_ref)
    if entity is None or not services.can_run(request.user, entity):
        return None
    pages = {page.index for page in pages_of(entity.body)}
    state = FormState(dict(task.values), pages)
    return {
        "url": reverse("scaffolder:run", kwargs={"namespace": entity.namespace, "name": entity.name}),
        "state": dump(state, user=request.user, template_ref=entity.ref),
    }


def _dry_run(request, task) -> dict:
    result = services.dry_run_result(task)
    entries = [entry for entry in result.get("directoryContents") or [] if isinstance(entry, dict)]
    selected = dryrun.chosen(entries, request.GET.get("file", ""))
    path = str(selected.get("path")) if selected else ""
    return {
        "count": len(entries),
        "tree": dryrun.tree(entries, path, reverse("scaffolder:task", kwargs={"pk": task.pk})),
        "file": dryrun.describe(selected) if selected else None,
    }


def task_events(request, pk):
    """The poller's fragment: events after ``after``, the steps and the status; reload once it has ended."""
    task = task_or_404(request.user, pk)
    try:
        after = max(int(request.GET.get("after", "0")), 0)
    except ValueError:
        after = 0
    if task.is_terminal:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    context = live_context(task)
    rows = task.events.filter(id__gt=after).order_by("id")[:EVENTS_PER_POLL]
    events = [event_row(event, context["names"]) for event in rows]
    context.update(events=events, last_event=events[-1]["id"] if events else after, first_events=after == 0)
    return render(request, "scaffolder/task/_live.html", context)


@require_POST
def cancel(request, pk):
    task = task_or_404(request.user, pk)
    if services.cancel_task(request.user, task):
        messages.success(request, "Cancelling: the task stops after its current step.")
    else:
        messages.warning(request, "The task has already ended: there is nothing to cancel.")
    return redirect("scaffolder:task", pk=task.pk)


@sensitive_post_parameters()
@require_POST
def retry(request, pk):
    task = task_or_404(request.user, pk)
    secrets = {field["name"]: request.POST.get(f"secret.{field['name']}", "") for field in retry_secrets(task)}
    try:
        retried = services.retry_task(request.user, task, secrets=secrets)
    except services.TaskInputError as problem:
        for path, problems in problem.errors.items():
            for message in problems:
                messages.error(request, f"{path}: {message}" if path else message)
        return redirect("scaffolder:task", pk=task.pk)
    messages.success(request, "Retrying from the step that did not finish.")
    return redirect("scaffolder:task", pk=retried.pk)
