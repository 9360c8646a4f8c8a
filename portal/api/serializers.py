"""Read-only representations of the portal's jobs and audit entries."""

from __future__ import annotations

from rest_framework import serializers

from portal.models import AuditEntry, Job


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


class JobLogLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField(read_only=True)
    level = serializers.ChoiceField(choices=["debug", "info", "warning", "error"], read_only=True)
    message = serializers.CharField(read_only=True)


class JobSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True, read_only=True)
    user_email = serializers.EmailField(source="user.email", allow_null=True, read_only=True)
    duration = serializers.FloatField(
        source="duration_seconds", allow_null=True, read_only=True, help_text="Seconds, once finished."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "name",
            "status",
            "params",
            "user",
            "user_email",
            "object_type",
            "object_id",
            "created",
            "started",
            "completed",
            "duration",
            "attempts",
            "error",
            "result",
        ]
        read_only_fields = fields


class JobDetailSerializer(JobSerializer):
    log = JobLogLineSerializer(many=True, read_only=True)

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "log"]
        read_only_fields = fields
