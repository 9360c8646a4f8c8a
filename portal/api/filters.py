"""Query parameters of the portal's list endpoints, validated like request bodies (400 when wrong)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from portal.models.audit import AuditAction
from portal.models.runs import RunStatus


class AuditQuery(serializers.Serializer):
    action = serializers.ChoiceField(choices=AuditAction.choices, required=False)
    object_type = serializers.CharField(required=False, max_length=100, help_text="app_label.model")
    object_id = serializers.CharField(required=False, max_length=64)
    actor = serializers.IntegerField(required=False, min_value=1, help_text="Id of the acting user.")
    since = serializers.DateTimeField(required=False, help_text="Entries at or after this time (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Entries before this time (ISO 8601).")

    def validate(self, attrs: dict) -> dict:
        if "since" in attrs and "until" in attrs and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "Must be later than since."})
        return attrs

    def apply(self, queryset: QuerySet) -> QuerySet:
        data = self.validated_data
        lookups = {
            "action": data.get("action"),
            "object_type": data.get("object_type"),
            "object_id": data.get("object_id"),
            "actor_id": data.get("actor"),
            "timestamp__gte": data.get("since"),
            "timestamp__lt": data.get("until"),
        }
        return queryset.filter(**{lookup: value for lookup, value in lookups.items() if value is not None})


class RunQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=RunStatus.choices, required=False)
    kind = serializers.CharField(required=False, max_length=100, help_text="Run kind, e.g. catalog.refresh_location")
    object_type = serializers.CharField(required=False, max_length=100, help_text="app_label.model")
    object_id = serializers.CharField(required=False, max_length=64)
    created_by = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Id of the user who started it."
    )

    def apply(self, queryset: QuerySet) -> QuerySet:
        data = self.validated_data
        lookups = {
            "status": data.get("status"),
            "kind": data.get("kind"),
            "object_type": data.get("object_type"),
            "object_id": data.get("object_id"),
            "created_by_id": data.get("created_by"),
        }
        return queryset.filter(**{lookup: value for lookup, value in lookups.items() if value is not None})
