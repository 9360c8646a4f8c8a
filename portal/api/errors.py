"""The APIs' error responses: their shapes, and the 400 the schema describes on every operation.

Under the APIs that mirror a Backstage backend (``/api/catalog/``, ``/api/scaffolder/``) an error is
Backstage's body, ``{"error": {"name", "message"}, "request": {"method", "url"}, "response":
{"statusCode"}}``, with the error names of ``@backstage/errors``; status codes and ``WWW-Authenticate``
stay DRF's. ``/api/portal/`` answers DRF's own bodies: ``{"detail": message}``, or
``{parameter: [messages]}`` for a parameter it cannot use.

:class:`ApiSchema` describes a 400 in that shape on every operation: any request can carry a NUL
character, which ``portal.middleware.ApiGuardMiddleware`` (path, query) and the parsers of
``portal.params`` (bodies) refuse.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import Http404, HttpRequest, JsonResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from portal.api_schema import ErrorResponseSerializer

#: The APIs that answer errors in Backstage's shape, and the one that answers DRF's.
BACKSTAGE_APIS = ("/api/catalog/", "/api/scaffolder/")
PORTAL_API = "/api/portal/"

#: Backstage's error names (``@backstage/errors``) by status code.
ERROR_NAMES = {
    400: "InputError",
    401: "AuthenticationError",
    403: "NotAllowedError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    406: "NotAcceptableError",
    409: "ConflictError",
    415: "UnsupportedMediaTypeError",
    429: "TooManyRequestsError",
    504: "TimeoutError",
}


class InputError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid input."
    default_code = "invalid"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


def error_body(request, status_code: int, message: str, name: str | None = None) -> dict:
    return {
        "error": {"name": name or ERROR_NAMES.get(status_code, "Error"), "message": message},
        "request": {"method": request.method, "url": request.get_full_path()},
        "response": {"statusCode": status_code},
    }


def is_api(path: str) -> bool:
    """Whether ``path`` is an endpoint of one of the APIs (not the schema nor its documentation page)."""
    return path.startswith((*BACKSTAGE_APIS, PORTAL_API))


def error_response(request: HttpRequest, status_code: int, message: str, *, parameter: str | None = None):
    """A JSON error of the API ``request`` is for, in that API's shape; ``parameter`` names the query
    parameter at fault (DRF's shape files the message under it)."""
    if request.path_info.startswith(BACKSTAGE_APIS):
        body: dict = error_body(request, status_code, message)
    else:
        body = {parameter: [message]} if parameter is not None else {"detail": message}
    # Written as DRF's JSONRenderer writes (compact, not ASCII-escaped).
    return JsonResponse(body, status=status_code, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False})


def status_message(request: HttpRequest, status_code: int) -> str:
    """What an error answered without a message of its own says; a server error says nothing of its
    cause (which the log holds, with the request id) and gives the request id to quote."""
    if status_code >= 500:
        request_id = getattr(request, "request_id", "")
        return f"Something went wrong on the server; it was logged with request id {request_id}."
    if status_code == 404:
        return f"No API endpoint at {request.path}."
    try:
        return f"{HTTPStatus(status_code).phrase}."
    except ValueError:
        return "The request failed."


def _flatten(detail, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [line for key, value in detail.items() for line in _flatten(value, f"{prefix}{key}.")]
    if isinstance(detail, list):
        return [line for value in detail for line in _flatten(value, prefix)]
    where = prefix.rstrip(".")
    return [str(detail)] if where in ("", "non_field_errors") else [f"{where}: {detail}"]


def backstage_exception_handler(exc, context):
    """DRF's handler (status, ``WWW-Authenticate``), with the body in Backstage's shape."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message = "; ".join(_flatten(exc.detail)) or "Invalid input."
    elif isinstance(exc, Http404):
        message = str(exc) or "Not found."
    else:
        message = str(getattr(exc, "detail", exc))
    response.data = error_body(context["request"], response.status_code, message)
    return response


# --- the schema -----------------------------------------------------------------------------------

#: DRF's error bodies, as ``/api/portal/`` answers them.
PORTAL_ERROR_SCHEMA = {
    "type": "object",
    "description": "{detail: message}, or {parameter: [messages]} for each parameter that cannot be used.",
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}
BAD_REQUEST = "Bad input: a parameter or body that cannot be used, or a NUL character (\\0) anywhere in it."


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the 400 every operation of the APIs can answer: the API's error
    body, alongside (``oneOf``) any other 400 body the operation declares."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not is_api(self.path):
            return responses
        error = self._error_schema()
        declared = responses.get("400")
        if declared is None:
            responses["400"] = {"content": {"application/json": {"schema": error}}, "description": BAD_REQUEST}
        else:
            for media in declared.setdefault("content", {}).values():
                schema = media.get("schema")
                if schema is None:
                    media["schema"] = error
                elif schema != error and error not in schema.get("oneOf", []):
                    media["schema"] = {"oneOf": [schema, error]}
            if not declared["content"]:
                declared["content"] = {"application/json": {"schema": error}}
        return dict(sorted(responses.items()))

    def _error_schema(self) -> dict:
        if self.path.startswith(BACKSTAGE_APIS):
            return self.resolve_serializer(ErrorResponseSerializer, "response").ref
        component = ResolvedComponent(
            name="PortalError", type=ResolvedComponent.SCHEMA, object="PortalError", schema=PORTAL_ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref
