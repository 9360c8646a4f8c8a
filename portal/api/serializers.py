"""Read-only representations of the portal's runs and audit entries."""

from __future__ import annotations

from rest_framework import serializers

from portal.models import AuditEntry, Run, RunEvent, RunStep


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.IntegerField(source="actor_id", allow_null=True, read_only=True)
    changes = serializers.JSONField(read_only=True, help_text='{field: [before, after]}; secrets show as "[redacted]".')

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "timestamp",
            "action",
            "actor",
            "actor_label",
            "object_type",
            "object_id",
            "object_label",
            "changes",
            "ip",
            "request_id",
        ]
        read_only_fields = fields


class RunStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunStep
        fields = ["key", "name", "action", "status", "attempts", "started", "completed", "output", "error"]
        read_only_fields = fields


class RunEventSerializer(serializers.ModelSerializer):
    type = serializers.CharField(read_only=True, help_text="log, completion, cancelled or recovered.")
    body = serializers.JSONField(read_only=True, help_text="{message, stepId, status, level, …}; never secrets.")

    class Meta:
        model = RunEvent
        fields = ["id", "type", "body", "created"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True, read_only=True)
    created_by_email = serializers.EmailField(source="created_by.email", allow_null=True, read_only=True)
    duration = serializers.FloatField(
        source="duration_seconds", allow_null=True, read_only=True, help_text="Seconds, once finished."
    )

    class Meta:
        model = Run
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "created_by",
            "created_by_email",
            "object_type",
            "object_id",
            "created",
            "started",
            "completed",
            "heartbeat",
            "not_before",
            "duration",
            "attempts",
            "recoveries",
            "cancel_requested",
            "error",
            "output",
        ]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    steps = RunStepSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "steps"]
        read_only_fields = fields
