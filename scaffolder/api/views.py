"""``/api/scaffolder/v2/``: Backstage's scaffolder API (parameter schema, actions, tasks, events, cancel, retry).

The dry run is in :mod:`scaffolder.api.dry_run`. Request bodies may hold secrets: they are never logged.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from catalog.model.refs import RefError, parse_ref
from catalog.models import Entity
from portal.api.errors import Conflict
from portal.api_schema import ErrorResponseSerializer
from scaffolder import services
from scaffolder.actions.registry import all_actions
from scaffolder.api import serializers as s
from scaffolder.api.base import ScaffolderView, int_param, many, visible_task
from scaffolder.models import RUN_STATUS, TaskStatus

TAGS = ["scaffolder"]
ERRORS = {400: ErrorResponseSerializer, 401: ErrorResponseSerializer, 403: ErrorResponseSerializer}
NOT_FOUND = {**ERRORS, 404: ErrorResponseSerializer}
TASK_ID = [OpenApiParameter("taskId", str, OpenApiParameter.PATH)]
#: ``GET /tasks``: page size without ``limit``, and the largest page.
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
ORDER_FIELDS = {"created": "created", "createdat": "created", "created_at": "created", "status": "status"}


def checked_secrets(template: dict, secrets: dict | None) -> dict:
    """``secrets`` shaped like the template's form (given by name, by dotted path such as
    ``database.password``, or shaped like the values); 400 for a name that is no secret field of it."""
    given, unknown = services.given_secrets(template, secrets or {})
    if unknown:
        raise exceptions.ValidationError(
            {"secrets": f"{', '.join(unknown)}: not a secret field of this template (give it in values)."}
        )
    return given


def secret_values(template: dict, values: dict, secrets: dict | None) -> dict:
    """The values with the ``secrets`` merged in; only secret fields of the template may be given there."""
    return services.merge(values, checked_secrets(template, secrets))


class ParameterSchemaView(ScaffolderView):
    """A template's form as Backstage's wizard reads it."""

    @extend_schema(
        operation_id="GetTemplateParameterSchema",
        tags=TAGS,
        summary="The form of a template: one step per page of spec.parameters.",
        parameters=[
            OpenApiParameter("namespace", str, OpenApiParameter.PATH),
            OpenApiParameter("kind", str, OpenApiParameter.PATH, description="template"),
            OpenApiParameter("name", str, OpenApiParameter.PATH),
        ],
        responses={200: s.TemplateParameterSchemaSerializer, **NOT_FOUND},
    )
    def get(self, request, namespace: str, kind: str, name: str):
        entity = services.template_entity(f"{kind}:{namespace}/{name}") if kind.lower() == "template" else None
        if entity is None:
            raise exceptions.NotFound(f"No template named {f'template:{namespace}/{name}'.lower()}.")
        template = entity.body if isinstance(entity.body, dict) else {}
        metadata = found if isinstance(found := template.get("metadata"), dict) else {}
        body = {
            "title": metadata.get("title") or entity.name,
            "description": metadata.get("description") or "",
            "steps": services.parameter_pages(template),
        }
        return Response(body)


class ActionsView(ScaffolderView):
    """The installed actions."""

    @extend_schema(
        operation_id="ListActions",
        tags=TAGS,
        summary="Every installed action, with the JSON Schemas of its input and output.",
        description="The actions a template's steps can use (fetch:template, publish:github, catalog:register …), "
        "each with its id, description, examples and the JSON Schemas of its input and output.",
        responses={200: s.ActionSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return Response(
            [
                {
                    "id": action.id,
                    "description": action.description,
                    "examples": list(action.examples or []),
                    "schema": {"input": action.input_schema, "output": action.output_schema},
                }
                for action in all_actions()
            ]
        )


def _creators(values: list[str]) -> Q:
    """``createdBy``: accounts by user name or e-mail, or a catalog User entity (by its profile's e-mail)."""
    condition = Q(pk__in=[])
    for value in values:
        if ":" in value:
            try:
                ref = parse_ref(value, default_kind="user").key()
            except RefError:
                continue
            body = Entity.objects.filter(ref=ref).values_list("body", flat=True).first() or {}
            profile = (body.get("spec") or {}).get("profile") if isinstance(body, dict) else None
            email = profile.get("email") if isinstance(profile, dict) else None
            if isinstance(email, str) and email:
                condition |= Q(created_by__email__iexact=email)
        else:
            condition |= Q(created_by__username__iexact=value) | Q(created_by__email__iexact=value)
    return condition


def _ordering(values: list[str]) -> list[str]:
    ordering = []
    for value in values:
        direction, _, field = value.rpartition(":")
        column = ORDER_FIELDS.get(field.lower())
        if column is None or direction.lower() not in ("", "asc", "desc"):
            raise exceptions.ValidationError(
                {"order": f"{value}: use asc:<field> or desc:<field> (createdAt, status)."}
            )
        ordering.append(("-" if direction.lower() == "desc" else "") + column)
    return [*ordering, "-created", "pk"] if ordering else ["-created", "pk"]


@method_decorator(sensitive_post_parameters(), name="dispatch")
class TasksView(ScaffolderView):
    """Tasks: list them, or run a template."""

    @extend_schema(
        operation_id="ListTasks",
        tags=TAGS,
        summary="The tasks the caller may see, newest first.",
        description="createdBy: user names, e-mail addresses or catalog User references (repeatable). "
        "status: repeatable or comma-separated. Without limit, the first 100.",
        parameters=[
            OpenApiParameter("createdBy", str, many=True),
            OpenApiParameter("status", str, many=True, enum=TaskStatus.values),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
            OpenApiParameter("order", str, many=True, description="asc:<field> or desc:<field>: createdAt, status"),
        ],
        responses={200: s.ListTasksResponseSerializer, **ERRORS},
    )
    def get(self, request):
        tasks = services.visible_tasks(request.user)
        creators = many(request, "createdBy")
        if creators:
            tasks = tasks.filter(_creators(creators))
        statuses = many(request, "status")
        unknown = [value for value in statuses if value not in TaskStatus.values]
        if unknown:
            raise exceptions.ValidationError({"status": f"{', '.join(unknown)}: not a task status."})
        if statuses:
            tasks = tasks.filter(status__in=[RUN_STATUS[value] for value in statuses])
        limit = int_param(request, "limit", DEFAULT_LIMIT, maximum=MAX_LIMIT)
        offset = int_param(request, "offset", 0)
        ordered = tasks.select_related("created_by").defer("secrets_encrypted", "files")
        ordered = ordered.order_by(*_ordering(many(request, "order")))
        return Response(
            {
                "tasks": [s.task_data(task) for task in ordered[offset : offset + limit]],
                "totalTasks": tasks.count(),
            }
        )

    @extend_schema(
        operation_id="Scaffold",
        tags=TAGS,
        summary="Run a template with these values.",
        description="Secret fields may be given in values or in secrets; they are encrypted at rest and never "
        "returned. 400 lists what the values get wrong; 403 when the caller may not run the template.",
        request=s.ScaffoldRequestSerializer,
        responses={
            201: s.TaskIdSerializer,
            400: s.ValidationErrorsSerializer,
            401: ErrorResponseSerializer,
            403: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
        },
    )
    def post(self, request):
        payload = s.ScaffoldRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        entity = services.template_entity(data["templateRef"])
        if entity is None:
            raise exceptions.NotFound(f"No template {data['templateRef']} in the catalog.")
        if not services.can_run(request.user, entity):
            raise exceptions.PermissionDenied("You are not allowed to run this template.")
        values = secret_values(entity.body, data["values"], data.get("secrets"))
        try:
            task = services.create_task(request.user, entity, values)
        except services.TaskInputError as problem:
            return Response({"errors": s.validation_errors(problem.errors)}, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from None
        return Response({"id": str(task.pk)}, status=status.HTTP_201_CREATED)


class TaskView(ScaffolderView):
    """One task."""

    @extend_schema(
        operation_id="GetTask",
        tags=TAGS,
        summary="One task (its spec never holds secret values).",
        description="Its spec (the template and the values it was run with), status, creation time, last "
        "heartbeat and creator. The caller sees their own tasks and those of templates their teams own "
        "(administrators every task); any other answers 404.",
        parameters=TASK_ID,
        responses={200: s.SerializedTaskSerializer, **NOT_FOUND},
    )
    def get(self, request, taskId: str):
        return Response(s.task_data(visible_task(request, taskId)))


class CancelTaskView(ScaffolderView):
    """Cancel a task."""

    object_policy = {"POST": "scaffolder.cancel_task"}
    denied_message = "Only who started a task, or an administrator, may cancel it."

    @extend_schema(
        operation_id="CancelTask",
        tags=TAGS,
        summary="Cancel a task: at once when it waits, after its current step when it runs.",
        description="409 when it has already ended.",
        request=None,
        parameters=TASK_ID,
        responses={200: s.CancelResponseSerializer, **NOT_FOUND, 409: ErrorResponseSerializer},
    )
    def post(self, request, taskId: str):
        task = visible_task(request, taskId)
        self.check_object_permissions(request, task)
        if not services.cancel_task(request.user, task):
            raise Conflict(f"The task has already ended ({task.task_status}).")
        return Response({"status": TaskStatus.CANCELLED})


@method_decorator(sensitive_post_parameters(), name="dispatch")
class RetryTaskView(ScaffolderView):
    """Retry a task."""

    object_policy = {"POST": "scaffolder.retry_task"}
    denied_message = "Only who started a task, or an administrator, may retry it."

    @extend_schema(
        operation_id="Retry",
        tags=TAGS,
        summary="Run a failed or cancelled task again from the step that did not finish.",
        description="Secret fields were forgotten when the task ended: give the required ones again in "
        "`secrets`. 409 when the task did not fail nor was cancelled.",
        request=s.RetryRequestSerializer,
        parameters=TASK_ID,
        responses={
            201: s.TaskIdSerializer,
            400: s.ValidationErrorsSerializer,
            401: ErrorResponseSerializer,
            403: ErrorResponseSerializer,
            404: ErrorResponseSerializer,
            409: ErrorResponseSerializer,
        },
    )
    def post(self, request, taskId: str):
        task = visible_task(request, taskId)
        self.check_object_permissions(request, task)
        if task.status not in services.RETRIABLE:
            raise Conflict(f"Only a failed or cancelled task can be retried; this one is {task.task_status}.")
        payload = s.RetryRequestSerializer(data=request.data or {})
        payload.is_valid(raise_exception=True)
        secrets = payload.validated_data.get("secrets") or {}
        checked_secrets(task.template, secrets)
        try:
            retried = services.retry_task(request.user, task, secrets=secrets)
        except services.TaskInputError as problem:
            return Response({"errors": s.validation_errors(problem.errors)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": str(retried.pk)}, status=status.HTTP_201_CREATED)
