"""What the scaffolder API views share: Backstage's error body, parameters, finding a task."""

from __future__ import annotations

import uuid

from rest_framework import exceptions, status
from rest_framework.views import APIView

from portal import params
from portal.api.errors import backstage_exception_handler
from scaffolder import services
from scaffolder.models import Task


class Timeout(exceptions.APIException):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_detail = "The operation did not finish in time."
    default_code = "timeout"


class ScaffolderView(APIView):
    """A scaffolder endpoint: Backstage's error bodies (permissions: ``portal.permissions.ApiAccess``)."""

    def get_exception_handler(self):
        return backstage_exception_handler


def visible_task(request, task_id: str) -> Task:
    """The task, when the caller may see it; 404 otherwise (another user's task does not exist for them)."""
    try:
        key = uuid.UUID(str(task_id))
    except ValueError:
        raise exceptions.NotFound(f"No task with id {task_id}.") from None
    task = services.visible_tasks(request.user).select_related("created_by").filter(pk=key).first()
    if task is None:
        raise exceptions.NotFound(f"No task with id {task_id}.")
    return task


def int_param(request, name: str, default: int, *, maximum: int | None = None) -> int:
    """The whole number of parameter ``name`` (``default`` when absent), capped to ``maximum``; 400 otherwise."""
    try:
        return params.integer(name, request.query_params.get(name), default, cap=maximum)
    except params.ParamError as error:
        if error.problem == params.TOO_LARGE:
            raise exceptions.ValidationError({name: f"must be at most {params.MAX_INTEGER}."}) from None
        raise exceptions.ValidationError({name: "must be a whole number of at least 0."}) from None


def many(request, name: str) -> list[str]:
    """A repeatable parameter, also given comma-separated (``status=failed,completed``)."""
    return [part.strip() for value in request.query_params.getlist(name) for part in value.split(",") if part.strip()]
