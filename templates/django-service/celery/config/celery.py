"""The Celery app: tasks are found in each app's tasks.py, settings are the CELERY_* Django settings.

Run a worker with ``celery -A config worker``; the request id of the web request that sent a task is
carried in the task's headers and bound to the worker's log lines, next to the task's own id.
"""

import os

import structlog
from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("${{ values.name }}")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _send_request_id(headers: dict, **kwargs) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        headers["request_id"] = request_id


@task_prerun.connect
def _bind_task_context(task_id: str, task, **kwargs) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=task.name)
    request_id = getattr(task.request, "request_id", None)
    if request_id:
        structlog.contextvars.bind_contextvars(request_id=request_id)


@task_postrun.connect
def _unbind_task_context(**kwargs) -> None:
    structlog.contextvars.clear_contextvars()
