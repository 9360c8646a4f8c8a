"""Runs in the portal's own pages: every run of every kind for administrators (filter by kind, status,
subject, user), and a run's page with its steps and live log, where it can be retried or cancelled.

A run's page never shows a long value whole: the newest :data:`LOG_SHOWN` lines of its log, the first
:data:`MESSAGE_SHOWN` characters of a line, the first :data:`VALUE_SHOWN` characters of its params and output;
each then links to the whole value, served by the page as an attachment (``?download=…``) to whoever may see it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.fields.json import KT
from django.db.models.functions import Length, Substr
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from portal import params, permissions, runs
from portal.models.runs import Run, RunStatus, StepStatus
from portal.runs.log import json_prefix
from portal.timefmt import duration

PAGE_SIZE = 50
#: Lines of a run's log on its page (the newest are kept when there are more).
LOG_SHOWN = 500
#: Characters of a log line, and of the run's params and output, shown on its page.
MESSAGE_SHOWN = 4 * 1024
VALUE_SHOWN = 64 * 1024
BADGES: dict[str, str] = {
    RunStatus.PENDING: "badge",
    RunStatus.RUNNING: "badge badge-warn",
    RunStatus.SUCCEEDED: "badge badge-ok",
    RunStatus.FAILED: "badge badge-danger",
    RunStatus.CANCELLED: "badge badge-warn",
    StepStatus.SKIPPED: "badge",
}


def _kind_label(name: str) -> str:
    kind = runs.registered().get(name)
    return kind.label or name if kind is not None else name


def _url_label(name: str) -> str:
    return getattr(runs.registered().get(name), "url_label", "") or "Open its page"


def run_list(request):
    if not permissions.can(request.user, "portal.view_runs"):
        raise PermissionDenied("Every run is listed for administrators; your own are on their pages.")
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    status = status if status in RunStatus.values else ""
    user = request.GET.get("user", "").strip()[:200]
    subject = request.GET.get("object", "").strip()[:100]
    rows = Run.objects.visible_to(request.user)
    kinds = sorted(rows.order_by().values_list("kind", flat=True).distinct())
    if kind:
        rows = rows.filter(kind=kind)
    counts = dict(rows.order_by().values_list("status").annotate(n=Count("id")))
    if status:
        rows = rows.filter(status=status)
    if user:
        rows = rows.filter(created_by__email__icontains=user)
    if subject:
        rows = (
            rows.filter(object_id=subject)
            if ":" not in subject
            else rows.filter(object_type=subject.partition(":")[0], object_id=subject.partition(":")[2])
        )
    total = rows.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(params.page_number(request.GET.get("page")), pages)
    shown = (
        rows.select_related("created_by")
        .defer("secrets_encrypted", "output")
        .order_by("-created")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    )
    query = {"kind": kind, "status": status, "user": user, "object": subject}

    def link(**changes) -> str:
        pairs = [(key, value) for key, value in {**query, **changes}.items() if value]
        return f"{request.path}?{urlencode(pairs)}" if pairs else request.path

    context = {
        "kinds": [{"name": name, "label": _kind_label(name)} for name in kinds],
        "statuses": [
            {"value": value, "label": label, "count": counts.get(value, 0), "url": link(status=value, page="")}
            for value, label in RunStatus.choices
        ],
        "query": query,
        "total": total,
        "rows": [
            {
                "run": run,
                "kind": _kind_label(run.kind),
                "badge": BADGES.get(run.status, "badge"),
                "duration": duration(run.started, run.completed),
                "by": run.created_by.email if run.created_by else "",
                "subject_url": runs.subject_url(run),
                "subject_label": _url_label(run.kind),
            }
            for run in shown
        ],
        "page": page,
        "pages": pages,
        "previous_url": link(page=str(page - 1)) if page > 1 else "",
        "next_url": link(page=str(page + 1)) if page < pages else "",
        "all_url": link(status=""),
    }
    return render(request, "portal/runs/list.html", context)


def _visible_run(request, pk) -> Run:
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise Http404("No such run.") from None
    run = Run.objects.visible_to(request.user).select_related("created_by").filter(pk=key).first()
    if run is None:
        raise Http404("No such run.")
    return run


def _events(run: Run) -> tuple[list[dict], bool]:
    """The newest lines of the log, and whether there are earlier ones; the beginning of each message, its
    length, step, level and status are read in the query (a completion event's body holds the run's output)."""
    newest = list(
        run.events.order_by("-id")
        .annotate(
            shown_message=Substr(KT("body__message"), 1, MESSAGE_SHOWN),
            message_length=Length(KT("body__message")),
            step_key=KT("body__stepId"),
            body_level=KT("body__level"),
            body_status=KT("body__status"),
        )
        .defer("body")[: LOG_SHOWN + 1]
    )
    names = dict(run.steps.values_list("key", "name"))
    rows = []
    for event in reversed(newest[:LOG_SHOWN]):
        length = event.message_length or 0
        rows.append(
            {
                "id": event.pk,
                "time": timezone.localtime(event.created),
                "level": event.body_level or ("error" if event.body_status == StepStatus.FAILED else "info"),
                "step": names.get(event.step_key or "", ""),
                "message": (event.shown_message or "") + ("…" if length > MESSAGE_SHOWN else ""),
                "cut": length > MESSAGE_SHOWN,
                "size": length,
            }
        )
    return rows, len(newest) > LOG_SHOWN


def _shown(value: Any) -> dict:
    """The beginning of a value's JSON text, whether it is cut, and the size of the whole."""
    text, whole = json_prefix(value, VALUE_SHOWN, indent=2)
    size = len(text) if whole else len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))
    return {"text": text if whole else text + "\n…", "cut": not whole, "size": size}


def _attachment(content: Any, filename: str) -> HttpResponseBase:
    response = (StreamingHttpResponse if isinstance(content, Iterator) else HttpResponse)(
        content, content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _log_lines(run: Run) -> Iterator[str]:
    names = dict(run.steps.values_list("key", "name"))
    rows = run.events.order_by("id").values_list("created", KT("body__stepId"), KT("body__message"))
    for created, step, message in rows.iterator(chunk_size=LOG_SHOWN):
        where = f" [{names.get(step, step)}]" if step else ""
        yield f"{timezone.localtime(created):%Y-%m-%d %H:%M:%S}{where} {message or ''}\n"


def _download(request, run: Run) -> HttpResponseBase:
    """The whole of a value the page cuts: ``?download=`` ``params``, ``output``, ``event&event=<id>`` or ``log``."""
    what = request.GET.get("download")
    if what in ("params", "output"):
        value = run.params if what == "params" else run.output
        chunks = json.JSONEncoder(ensure_ascii=False, indent=2, default=str).iterencode(value)
        return _attachment(iter(chunks), f"run-{run.pk}-{what}.json")
    if what == "event":
        try:
            event = run.events.filter(pk=int(request.GET.get("event", ""))).first()
        except ValueError:
            event = None
        if event is None:
            raise Http404("No such event.")
        return _attachment(event.message, f"run-{run.pk}-event-{event.pk}.txt")
    if what == "log":
        return _attachment(_log_lines(run), f"run-{run.pk}-log.txt")
    raise Http404("Nothing to download.")


def run_page(request, pk):
    run = _visible_run(request, pk)
    if "download" in request.GET:
        return _download(request, run)
    now = timezone.now()
    events, earlier = _events(run)
    steps = [
        {
            "step": step,
            "badge": BADGES.get(step.status, "badge"),
            "duration": duration(step.started, step.completed or (now if step.status == StepStatus.RUNNING else None)),
        }
        for step in run.steps.order_by("index")
    ]
    context = {
        "run": run,
        "kind": _kind_label(run.kind),
        "badge": BADGES.get(run.status, "badge"),
        "duration": duration(run.started, run.completed or (now if run.status == RunStatus.RUNNING else None)),
        "steps": steps,
        "events": events,
        "earlier_events": earlier,
        "params": _shown(run.params),
        "output": _shown(run.output) if run.output else None,
        "can_cancel": run.is_active
        and not run.cancel_requested
        and permissions.can(request.user, "portal.cancel_run", run),
        "can_retry": run.status in (RunStatus.FAILED, RunStatus.CANCELLED)
        and permissions.can(request.user, "portal.retry_run", run),
        "subject_url": runs.subject_url(run),
        "subject_label": _url_label(run.kind),
        "audit_url": f"{reverse('portal:audit')}?{urlencode({'object': str(run.pk)})}"
        if permissions.can(request.user, "portal.view_audit")
        else "",
    }
    template = (
        "portal/runs/_live.html"
        if getattr(request, "htmx", False) and request.GET.get("live")
        else "portal/runs/page.html"
    )
    return render(request, template, context)


@require_POST
def cancel_run(request, pk):
    run = _visible_run(request, pk)
    if not permissions.can(request.user, "portal.cancel_run", run):
        raise PermissionDenied("You may not cancel this run.")
    if runs.cancel(run, by=request.user):
        messages.success(request, "Cancelled." if run.status == RunStatus.CANCELLED else "Cancellation requested.")
    else:
        messages.error(request, f"The run has already ended ({run.get_status_display().lower()}).")
    return redirect("portal:run", pk=run.pk)


@require_POST
def retry_run(request, pk):
    run = _visible_run(request, pk)
    if not permissions.can(request.user, "portal.retry_run", run):
        raise PermissionDenied("You may not retry this run.")
    try:
        runs.retry(run, by=request.user)
    except (runs.RunStateError, runs.UnknownRunKind) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Retried: the run starts again from the step that did not finish.")
    return redirect("portal:run", pk=run.pk)
