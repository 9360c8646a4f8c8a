"""``POST /api/scaffolder/v2/dry-run``: try a template (given inline, as Backstage's template editor sends it)
with values, in a dry-run task, and answer with its log, files, output and steps once it has ended.

The template's ``backstage.io/managed-by-location`` annotation is never taken from the request (it would
let a template read the server's folders): with ``directoryContents`` the files travel in the task's row
(``scaffolder.engine.request_files``) and the worker runs the template next to them, so that ``./skeleton``
resolves there; without, relative URLs cannot be read.
"""

from __future__ import annotations

import base64
import binascii
import copy
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from catalog.model.refs import DEFAULT_NAMESPACE, RefError, parse_ref
from catalog.model.validation import validate_entity
from catalog.models import Entity
from portal.api_schema import ErrorResponseSerializer
from scaffolder import services
from scaffolder.api import serializers as s
from scaffolder.api.base import ScaffolderView, Timeout
from scaffolder.api.views import TAGS, secret_values
from scaffolder.engine import request_files
from scaffolder.models import Task

LOCATION_ANNOTATION = "backstage.io/managed-by-location"
#: How often the answer checks whether the task has ended.
POLL_SECONDS = 0.2


def timeout() -> float:
    return float(getattr(settings, "SCAFFOLDER_DRY_RUN_TIMEOUT", 30))


def packed_files(entries: list[dict]) -> bytes:
    """The request's ``directoryContents`` as the task carries them, or a 400 naming the file."""
    files = []
    for entry in entries:
        try:
            path = request_files.clean_path(entry["path"])
            data = base64.b64decode(entry["base64Content"], validate=True)
        except request_files.FilesError as problem:
            raise exceptions.ValidationError({"directoryContents": str(problem)}) from None
        except (binascii.Error, ValueError):
            raise exceptions.ValidationError({"directoryContents": f"{entry['path']}: not base64."}) from None
        files.append((path, data, bool(entry.get("executable"))))
    try:
        return request_files.pack(files)
    except request_files.FilesError as problem:
        raise exceptions.ValidationError({"directoryContents": str(problem)}) from None


def inline_template(template: dict, *, with_files: bool) -> Entity:
    """An unsaved Template entity for the template given, located next to the request's files (or nowhere)."""
    template = copy.deepcopy(template)
    if str(template.get("kind", "")).lower() != "template":
        raise exceptions.ValidationError({"template": "must be an entity of kind Template."})
    problems = validate_entity(template)
    if problems:
        raise exceptions.ValidationError({"template": [f"{p.path}: {p.message}" for p in problems][:20]})
    metadata = template["metadata"]
    annotations = found if isinstance(found := metadata.get("annotations"), dict) else {}
    annotations = {key: value for key, value in annotations.items() if key != LOCATION_ANNOTATION}
    if with_files:
        annotations[LOCATION_ANNOTATION] = request_files.PENDING_LOCATION
    metadata["annotations"] = annotations
    namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
    spec = found if isinstance(found := template.get("spec"), dict) else {}
    try:
        owner = parse_ref(spec.get("owner") or "", default_kind="group", default_namespace=namespace).key()
    except RefError:
        owner = ""
    return Entity(
        kind="Template",
        namespace=namespace,
        name=metadata["name"],
        ref=f"template:{namespace}/{metadata['name']}".lower(),
        api_version=str(template.get("apiVersion", "")),
        body=template,
        title=metadata.get("title") or "",
        owner_ref=owner,
        spec_type=str(spec.get("type") or ""),
    )


def wait(task: Task) -> Task:
    deadline = time.monotonic() + timeout()
    while True:
        task.refresh_from_db()
        if task.is_terminal or time.monotonic() >= deadline:
            return task
        time.sleep(POLL_SECONDS)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class DryRunView(ScaffolderView):
    """Try a template."""

    @extend_schema(
        operation_id="DryRun",
        tags=TAGS,
        summary="Try a template given inline, with values, without publishing anything.",
        description="Runs a dry-run task (fetch:*, catalog:write and debug:log run; the other actions only log "
        "what they would do) and answers once it has ended, within 30 seconds (504 otherwise, and the task is "
        "cancelled). directoryContents are the template's files (skeleton/…), read by relative URLs.",
        request=s.DryRunRequestSerializer,
        responses={
            200: s.DryRunResultSerializer,
            400: s.ValidationErrorsSerializer,
            401: ErrorResponseSerializer,
            403: ErrorResponseSerializer,
            504: ErrorResponseSerializer,
        },
    )
    def post(self, request):
        payload = s.DryRunRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        files = packed_files(data["directoryContents"]) if data.get("directoryContents") else b""
        entity = inline_template(data["template"], with_files=bool(files))
        values = secret_values(entity.body, data["values"], data.get("secrets"))
        try:
            task = services.create_task(request.user, entity, values, dry_run=True, files=files)
        except services.TaskInputError as problem:
            return Response({"errors": s.validation_errors(problem.errors)}, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from None
        task = wait(task)
        if not task.is_terminal:
            services.cancel_task(request.user, task)
            raise Timeout(f"The dry run did not finish within {timeout():g} seconds; it was cancelled.")
        result = services.dry_run_result(task)
        return Response(
            {
                "log": result["log"],
                "directoryContents": result["directoryContents"],
                "output": result["output"],
                "steps": result["steps"],
                "status": result["status"],
                "error": result["error"],
            }
        )
