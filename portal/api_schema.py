"""OpenAPI descriptions shared by the APIs: Backstage's error body, as ``portal.api.errors`` writes it.

``{"error": {"name", "message"}, "request": {"method", "url"}, "response": {"statusCode"}}`` — one
component of the schema, which every endpoint that answers with it refers to in ``extend_schema``.
"""

from __future__ import annotations

from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="InputError, AuthenticationError, NotAllowedError, NotFoundError…")
    message = serializers.CharField()

    class Meta:
        ref_name = "ErrorDetail"


class ErrorRequestSerializer(serializers.Serializer):
    method = serializers.CharField()
    url = serializers.CharField()

    class Meta:
        ref_name = "ErrorRequest"


class ErrorStatusSerializer(serializers.Serializer):
    statusCode = serializers.IntegerField()

    class Meta:
        ref_name = "ErrorStatus"


class ErrorResponseSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
    request = ErrorRequestSerializer()
    response = ErrorStatusSerializer()

    class Meta:
        ref_name = "ErrorResponse"
