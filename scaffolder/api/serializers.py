"""The scaffolder API's shapes (Backstage's ``scaffolder-openapi.yaml``): request bodies are validated with
these serializers; responses are built by the functions below and the serializers only document them."""

from __future__ import annotations

from rest_framework import serializers

from scaffolder.models import EventType, TaskStatus
from scaffolder.services import backstage_body

# --- building responses ---------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def task_spec(task) -> dict:
    """Backstage's TaskSpec of a task: the template's steps and output, the parameters (secrets are never
    among them: the services keep them apart, encrypted), and where the template came from."""
    template = task.template if isinstance(task.template, dict) else {}
    spec = found if isinstance(found := template.get("spec"), dict) else {}
    metadata = found if isinstance(found := template.get("metadata"), dict) else {}
    return {
        "apiVersion": template.get("apiVersion", ""),
        "parameters": task.values if isinstance(task.values, dict) else {},
        "steps": [step for step in spec.get("steps") or [] if isinstance(step, dict)],
        "output": spec.get("output") if isinstance(spec.get("output"), dict) else {},
        "templateInfo": {"entityRef": task.template_ref, "entity": {"metadata": metadata}},
    }


def task_data(task) -> dict:
    """Backstage's SerializedTask."""
    creator = task.created_by
    return {
        "id": str(task.pk),
        "spec": task_spec(task),
        "status": task.task_status,
        "createdAt": _iso(task.created),
        "lastHeartbeatAt": _iso(task.heartbeat),
        "createdBy": (creator.get_username() if creator is not None else ""),
    }


def event_data(event) -> dict:
    """Backstage's SerializedTaskEvent."""
    return {
        "id": event.pk,
        "taskId": str(event.run_id),
        "body": backstage_body(event.body),
        "type": event.type,
        "createdAt": _iso(event.created),
    }


def validation_errors(errors: dict[str, list[str]]) -> list[dict]:
    """``TaskInputError.errors`` as Backstage's ValidationError list (jsonschema's shape, without values)."""
    items: list[dict] = []
    for path, messages in errors.items():
        parts = [int(part) if part.isdigit() else part for part in path.split(".") if part]
        prop = "instance" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
        for message in messages:
            items.append(
                {
                    "path": parts,
                    "property": prop,
                    "message": message,
                    "name": "validation",
                    "argument": path,
                    "stack": f"{prop} {message}",
                    "instance": None,
                    "schema": {},
                }
            )
    return items


# --- documentation and requests --------------------------------------------------------------------


class TaskStatusField(serializers.CharField):
    """A task's status: open, processing, completed, failed or cancelled.

    Documented as text, not as an enum: other components of the API have ``status`` enums of their own, and
    the schema generator cannot name several enums after one property.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", f"One of: {', '.join(TaskStatus.values)}.")
        super().__init__(**kwargs)


class ParameterStepSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField(required=False)
    schema = serializers.DictField(help_text="The page's JSON Schema, with its ui: keys.")


class TemplateParameterSchemaSerializer(serializers.Serializer):
    title = serializers.CharField()
    description = serializers.CharField(required=False)
    steps = ParameterStepSerializer(many=True)


class ActionExampleSerializer(serializers.Serializer):
    description = serializers.CharField()
    example = serializers.CharField()


class ActionSchemaSerializer(serializers.Serializer):
    input = serializers.DictField(help_text="JSON Schema of the step's input.")
    output = serializers.DictField(help_text="JSON Schema of the step's output.")


class ActionSerializer(serializers.Serializer):
    id = serializers.CharField()
    description = serializers.CharField()
    examples = ActionExampleSerializer(many=True)
    schema = ActionSchemaSerializer()


class TemplateInfoSerializer(serializers.Serializer):
    entityRef = serializers.CharField()
    entity = serializers.DictField(help_text="{metadata} of the template as it was when the task was created.")


class TaskSpecSerializer(serializers.Serializer):
    apiVersion = serializers.CharField()
    parameters = serializers.DictField(help_text="The form's values, without secrets.")
    steps = serializers.ListField(child=serializers.DictField())
    output = serializers.DictField()
    templateInfo = TemplateInfoSerializer()


class SerializedTaskSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    spec = TaskSpecSerializer()
    status = TaskStatusField()
    createdAt = serializers.DateTimeField()
    lastHeartbeatAt = serializers.DateTimeField(allow_null=True)
    createdBy = serializers.CharField(help_text="The account (user name) that created the task.")


class ListTasksResponseSerializer(serializers.Serializer):
    tasks = SerializedTaskSerializer(many=True)
    totalTasks = serializers.IntegerField()


class TaskEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    taskId = serializers.UUIDField()
    body = serializers.DictField(help_text="{message, stepId?, status?, …}")
    type = serializers.CharField(help_text=f"One of: {', '.join(EventType.values)}.")
    createdAt = serializers.DateTimeField()


class ScaffoldRequestSerializer(serializers.Serializer):
    templateRef = serializers.CharField(max_length=400, help_text="template:<namespace>/<name>")
    values = serializers.DictField(help_text="The form's values.")
    secrets = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Values of the template's secret fields (ui:field Secret, ui:widget password): "
        "encrypted at rest, never shown again.",
    )


class TaskIdSerializer(serializers.Serializer):
    id = serializers.UUIDField()


class ValidationErrorSerializer(serializers.Serializer):
    path = serializers.ListField(child=serializers.JSONField())
    property = serializers.CharField()
    message = serializers.CharField()
    name = serializers.CharField()
    argument = serializers.JSONField()
    stack = serializers.CharField()
    instance = serializers.JSONField(allow_null=True)
    schema = serializers.DictField()


class ValidationErrorsSerializer(serializers.Serializer):
    errors = ValidationErrorSerializer(many=True)  # type: ignore[assignment]  # Backstage's name; DRF moves fields off the class


class CancelResponseSerializer(serializers.Serializer):
    status = TaskStatusField()


class DirectoryEntrySerializer(serializers.Serializer):
    path = serializers.CharField(max_length=1000)
    base64Content = serializers.CharField(allow_blank=True)
    executable = serializers.BooleanField(required=False)


class DryRunRequestSerializer(serializers.Serializer):
    template = serializers.DictField(help_text="The Template entity (template.yaml as JSON).")
    values = serializers.DictField()
    secrets = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    directoryContents = DirectoryEntrySerializer(many=True, required=False)


class DryRunLogSerializer(serializers.Serializer):
    body = serializers.DictField()


class DryRunStepSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    action = serializers.CharField()
    status = serializers.CharField(help_text="completed, skipped, or failed (a step that would fail says why)")
    output = serializers.DictField()
    error = serializers.CharField(help_text='Why the step failed; "Would fail: …" for a step a real run would fail')


class DryRunResultSerializer(serializers.Serializer):
    log = DryRunLogSerializer(many=True)
    directoryContents = DirectoryEntrySerializer(many=True)
    output = serializers.DictField()
    steps = DryRunStepSerializer(many=True)
    status = serializers.CharField(help_text="completed, or failed when a step failed or would fail")
    error = serializers.CharField(help_text="Why the dry run failed, naming each step that would fail")


class RetryRequestSerializer(serializers.Serializer):
    secrets = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="The template's required secret fields, given again (they were forgotten when the task ended).",
    )
