"""My tasks (``/create/tasks/``) and all tasks (``/create/tasks/all``, administrators and template owners).

Two queries whatever the page: the counts by status, and the page of tasks (without their template,
values and output, with what the rows show of them read out of the JSON by the database,
``querysets.for_lists``). Each row names what its run created: the catalog entity of the output's
``entityRef`` link, else the output's Repository link, else the name entered in the form.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render

from catalog.model.refs import DEFAULT_NAMESPACE, RefError, parse_ref
from portal import params
from portal.timefmt import duration
from scaffolder import querysets, services
from scaffolder.forms.pickers import entity_url
from scaffolder.models import RUN_STATUS, TASK_STATUS, TaskStatus
from scaffolder.views.common import badge, can_see_all_tasks, tabs, task_title

PAGE_SIZE = 50


def _entity(link: dict) -> dict | None:
    ref = link.get("entityRef")
    if not isinstance(ref, str) or ":" not in ref:
        return None
    try:
        parsed = parse_ref(ref)
    except RefError:
        return None
    name = parsed.name if parsed.namespace == DEFAULT_NAMESPACE else f"{parsed.namespace}/{parsed.name}"
    url = entity_url(ref)
    return {"label": name, "url": url, "what": parsed.kind.lower()} if url else None


def _repository(link: dict) -> dict | None:
    url = link.get("url")
    title = link.get("title")
    if not isinstance(url, str) or not isinstance(title, str) or title.strip().lower() != "repository":
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    label = parts.path.strip("/").removesuffix(".git") or parts.hostname
    return {"label": label, "url": url, "what": "repository"}


def _has_name_parameter(parameters) -> bool:
    pages = parameters if isinstance(parameters, list) else [parameters]
    return any(
        isinstance(page, dict) and isinstance(page.get("properties"), dict) and "name" in page["properties"]
        for page in pages
    )


def created(task) -> dict | None:
    """What the run created (``{label, url, what}``), read from a task of ``querysets.for_lists``: the entity
    of its output's ``entityRef`` link, else its Repository link; without either, the name entered in the
    form (``url`` empty) when the template has a ``name`` parameter; else None. A dry run creates nothing."""
    links = getattr(task, "output_links", None)
    if not task.dry_run and isinstance(links, list):
        found = [link for link in links if isinstance(link, dict)]
        for read in (_entity, _repository):
            for link in found:
                if (made := read(link)) is not None:
                    return made
    name = getattr(task, "entered_name", None)
    if isinstance(name, str) and name.strip() and _has_name_parameter(getattr(task, "template_parameters", None)):
        return {"label": name.strip(), "url": "", "what": "name entered"}
    return None


def _listing(request, tasks, *, everyone: bool):
    statuses = [status for status in request.GET.getlist("status") if status in TaskStatus.values]
    counts = {
        TASK_STATUS.get(status, status): n
        for status, n in tasks.order_by().values_list("status").annotate(n=Count("run_ptr"))
    }
    total = sum(counts.values())
    shown = tasks.filter(status__in=[RUN_STATUS[status] for status in statuses]) if statuses else tasks
    matching = sum(counts.get(status, 0) for status in statuses) if statuses else total
    pages = max(1, -(-matching // PAGE_SIZE))
    page = min(params.page_number(request.GET.get("page")), pages)
    rows = querysets.for_lists(shown.select_related("created_by")).order_by("-created")[
        (page - 1) * PAGE_SIZE : page * PAGE_SIZE
    ]
    base = request.path

    def link(**changes) -> str:
        params = {"status": statuses, **changes}
        pairs = [(key, value) for key, values in params.items() for value in values if value]
        return f"{base}?{urlencode(pairs)}" if pairs else base

    filters = [{"label": "All", "count": total, "url": base, "current": not statuses}]
    filters += [
        {
            "label": label,
            "status": value,
            "count": counts.get(value, 0),
            "url": link(status=[value]),
            "current": statuses == [value],
        }
        for value, label in TaskStatus.choices
    ]
    context = {
        **tabs(request, "all-tasks" if everyone else "tasks"),
        "everyone": everyone,
        "filters": filters,
        "statuses": statuses,
        "total": total,
        "matching": matching,
        "tasks": [
            {
                "task": task,
                "title": task_title(task),
                "created": created(task),
                "badge": badge(task.status),
                "duration": duration(task.started, task.completed),
                "by": (task.created_by.get_full_name() or task.created_by.email) if task.created_by else "",
            }
            for task in rows
        ],
        "page": page,
        "pages": pages,
        "previous_url": link(page=[str(page - 1)]) if page > 1 else "",
        "next_url": link(page=[str(page + 1)]) if page < pages else "",
    }
    return render(request, "scaffolder/task/list.html", context)


def my_tasks(request):
    return _listing(request, services.visible_tasks(request.user).filter(created_by=request.user), everyone=False)


def all_tasks(request):
    if not can_see_all_tasks(request.user):
        raise PermissionDenied("All tasks are listed for administrators and the owners of templates.")
    return _listing(request, services.visible_tasks(request.user), everyone=True)
