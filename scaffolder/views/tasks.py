"""A task's page: its steps, a live log, its result (links, text, or a dry run's files), cancel and retry.

The log is live through htmx: a poller fetches the events after the last one shown every second and
appends them (out of band), with the step list and the status; when the task has ended, the page is
reloaded once to show the result, and polling stops. Without JavaScript the page refreshes itself while
the task runs. Another user's task answers 404 (``services.visible_tasks``).

No value is shown whole when it is long: the page shows the newest :data:`EVENTS_SHOWN` log lines, the first
:data:`MESSAGE_SHOWN` characters of a line and :data:`TEXT_SHOWN` of an output text, the beginning of a dry run's
file; each then links to the whole value, which the page serves as an attachment (``?download=…``) to whoever may
see the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models.fields.json import KT
from django.db.models.functions import Length, Substr
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
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
#: Log lines on the page (the newest; the whole log is a download away).
EVENTS_SHOWN = 500
#: Characters of a log line shown; of an output text, rendered; of a title shown.
MESSAGE_SHOWN = 4 * 1024
TEXT_SHOWN = 64 * 1024
TITLE_SHOWN = 200
#: A link whose URL is longer than this is left out of the result.
MAX_LINK_URL = 8 * 1024
RETRIABLE = services.RETRIABLE


def retry_secrets(task) -> list[dict]:
    """The template's required secret fields: forgotten when the task ended, they are asked again to retry."""
    return [
        {"name": ".".join(path), "title": schema.get("title") or path[-1]}
        for path, schema in services.required_secret_paths(task.template)
    ]


def shown_events(events):
    """The events with the beginning of their message, its length, step, level and status read in the query
    (their bodies are not loaded: a completion event carries the task's output)."""
    return events.annotate(
        shown_message=Substr(KT("body__message"), 1, MESSAGE_SHOWN),
        message_length=Length(KT("body__message")),
        step_key=KT("body__stepId"),
        body_level=KT("body__level"),
        body_status=KT("body__status"),
    ).defer("body")


def event_row(event, names: dict[str, str]) -> dict:
    """One line of the log, from an event of :func:`shown_events`."""
    step = event.step_key or ""
    level = event.body_level if event.body_level in ("warning", "error") else ""
    if event.body_status == StepStatus.FAILED:
        level = "error"
    length = event.message_length or 0
    return {
        "id": event.pk,
        "time": timezone.localtime(event.created),
        "type": event.type,
        "step": names.get(step, step),
        "message": (event.shown_message or "") + ("…" if length > MESSAGE_SHOWN else ""),
        "cut": length > MESSAGE_SHOWN,
        "size": length,
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
        if target and (target.startswith(("https://", "http://", "/"))) and len(target) <= MAX_LINK_URL:
            title = str(link.get("title") or url or ref)
            links.append({"title": _short(title), "url": target, "icon": _short(str(link.get("icon") or ""))})
    return links


def _short(text: str, limit: int = TITLE_SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _output_texts(task) -> list:
    output = task.output if isinstance(task.output, dict) else {}
    texts = output.get("text")
    return texts if isinstance(texts, list) else []


def _texts(task) -> list[dict]:
    rows = []
    for index, text in enumerate(_output_texts(task)):
        if not isinstance(text, dict):
            continue
        content = str(text.get("content") or "")
        cut = len(content) > TEXT_SHOWN
        rows.append(
            {
                "title": _short(str(text.get("title") or "")),
                "content": markdown.render(content[:TEXT_SHOWN] + ("…" if cut else "")),
                "cut": cut,
                "size": len(content.encode("utf-8")) if cut else len(content),
                "download": _download_url(task, download="text", index=index),
            }
        )
    return rows


def _download_url(task, **query) -> str:
    return f"{reverse('scaffolder:task', kwargs={'pk': task.pk})}?{urlencode(query)}"


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
    if "download" in request.GET:
        return _download(request, task)
    context = live_context(task)
    newest = list(shown_events(task.events.order_by("-id"))[: EVENTS_SHOWN + 1])
    events = [event_row(event, context["names"]) for event in reversed(newest[:EVENTS_SHOWN])]
    context.update(
        tabs(request, "tasks"),
        title=task_title(task),
        template_url=template_url(task.template_ref),
        events=events,
        earlier_events=len(newest) > EVENTS_SHOWN,
        log_download=_download_url(task, download="log"),
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


def _dry_run_entries(task) -> list[dict]:
    output = task.output if isinstance(task.output, dict) else {}
    contents = output.get("directoryContents")
    return [entry for entry in contents if isinstance(entry, dict)] if isinstance(contents, list) else []


def _dry_run(request, task) -> dict:
    entries = _dry_run_entries(task)
    selected = dryrun.chosen(entries, request.GET.get("file", ""))
    path = str(selected.get("path")) if selected else ""
    file = dryrun.describe(selected) if selected else None
    if file is not None:
        file["download"] = _download_url(task, download="file", file=path)
    return {
        "count": len(entries),
        "tree": dryrun.tree(entries, path, reverse("scaffolder:task", kwargs={"pk": task.pk})),
        "file": file,
    }


# --- the whole of a long value --------------------------------------------------------------------------------


def _attachment(content, filename: str, content_type: str = "text/plain; charset=utf-8") -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _number(request, name: str) -> int:
    try:
        return int(request.GET.get(name, ""))
    except ValueError:
        raise Http404(f"No such {name}.") from None


def _log_lines(task):
    names = dict(task.steps.values_list("key", "name"))
    rows = task.events.order_by("id").values_list("created", KT("body__stepId"), KT("body__message"))
    for created, step, message in rows.iterator(chunk_size=EVENTS_PER_POLL):
        where = f" [{names.get(step, step)}]" if step else ""
        yield f"{timezone.localtime(created):%Y-%m-%d %H:%M:%S}{where} {message or ''}\n"


def _download(request, task) -> HttpResponseBase:
    """The whole of a value the page cuts: ``?download=`` ``event&event=<id>``, ``text&index=<n>`` (an output
    text), ``file&file=<path>`` (a dry run's file) or ``log``; the caller has checked the user may see the task."""
    what = request.GET.get("download")
    if what == "event":
        event = task.events.filter(pk=_number(request, "event")).first()
        if event is None:
            raise Http404("No such event.")
        return _attachment(event.message, f"task-{task.pk}-event-{event.pk}.txt")
    if what == "text":
        index = _number(request, "index")
        texts = _output_texts(task)
        if not 0 <= index < len(texts) or not isinstance(texts[index], dict):
            raise Http404("No such text.")
        return _attachment(str(texts[index].get("content") or ""), f"task-{task.pk}-text-{index + 1}.md")
    if what == "file":
        entry = {str(entry.get("path")): entry for entry in _dry_run_entries(task)}.get(request.GET.get("file", ""))
        data = dryrun.content(entry) if entry is not None else None
        if entry is None or data is None:
            raise Http404("No such file.")
        return _attachment(data, str(entry.get("path")).rsplit("/", 1)[-1])
    if what == "log":
        response = StreamingHttpResponse(_log_lines(task), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"task-{task.pk}-log.txt")
        return response
    raise Http404("Nothing to download.")


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
    rows = shown_events(task.events.filter(id__gt=after).order_by("id"))[:EVENTS_PER_POLL]
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
