"""My tasks (``/create/tasks/``) and all tasks (``/create/tasks/all``, administrators and template owners).

Two queries whatever the page: the counts by status, and the page of tasks (without their template,
values and output, with the template's title read out of the JSON by the database).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.shortcuts import render

from portal import params
from portal.timefmt import duration
from scaffolder import services
from scaffolder.models import RUN_STATUS, TASK_STATUS, TaskStatus
from scaffolder.views.common import badge, can_see_all_tasks, tabs, task_title

PAGE_SIZE = 50


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
    rows = (
        shown.select_related("created_by")
        .defer("template", "values", "secrets_encrypted", "files", "output")
        .annotate(template_title=KeyTextTransform("title", KeyTransform("metadata", "template")))
        .order_by("-created")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    )
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
