"""Home's "My running tasks": the user's tasks that are waiting or running, and the last few that ended."""

from __future__ import annotations

from django.utils.timesince import timesince

from portal.models.runs import TERMINAL_RUN_STATUSES as TERMINAL_TASK_STATUSES
from scaffolder import querysets
from scaffolder.models import Task
from scaffolder.views.common import badge, task_title
from scaffolder.views.task_lists import created

#: Finished tasks shown under the running ones.
RECENT = 3
#: Running tasks shown at most (the rest are in My tasks).
RUNNING = 10


def running_tasks_context(request) -> dict:
    """Two queries: the running ones, the last finished ones. A user's own tasks are always theirs to see
    (``services.visible_tasks``), so they are read directly."""
    tasks = querysets.for_lists(Task.objects.filter(created_by=request.user)).order_by("-created")
    running = list(tasks.exclude(status__in=TERMINAL_TASK_STATUSES)[:RUNNING])
    finished = list(tasks.filter(status__in=TERMINAL_TASK_STATUSES)[:RECENT])

    def row(task) -> dict:
        since = timesince(task.created)
        when = "just now" if since.startswith("0\xa0") else f"{since} ago"
        return {
            "task": task,
            "title": task_title(task),
            "created": created(task),
            "badge": badge(task.status),
            "when": when,
        }

    return {"running": [row(task) for task in running], "finished": [row(task) for task in finished]}
