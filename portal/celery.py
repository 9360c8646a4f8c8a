"""The Celery application shared by every app.

Tasks are enqueued with ``delay_on_commit`` and take primary keys only. The request id of the web
request that enqueued a task travels in the message headers and is bound to the task's log lines,
with the task's id and name; a task enqueued outside a request (beat) gets a request id of its own,
which the tasks it enqueues carry on.
"""

from __future__ import annotations

import os
from typing import Any

import structlog
from celery import Celery, Task, signals

from portal.logging import bind_request_id, clean_request_id, clear_context, current_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("atrium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["portal"], related_name="diagnostics")

#: Message header carrying the request id (Celery copies message headers onto ``task.request``).
REQUEST_ID_HEADER = "atrium_request_id"


@signals.before_task_publish.connect
def _attach_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def _bind_request_id(task: Task | None = None, task_id: str | None = None, **_kwargs: Any) -> None:
    clear_context()
    if task is None:
        return
    bind_request_id(clean_request_id(getattr(task.request, REQUEST_ID_HEADER, None)))
    structlog.contextvars.bind_contextvars(task_id=task_id, task_name=task.name)


@signals.task_postrun.connect
def _clear_request_id(**_kwargs: Any) -> None:
    clear_context()


@signals.setup_logging.connect
def _keep_django_logging(**_kwargs: Any) -> None:
    """Celery must not replace the logging configured by ``portal.logging``."""
