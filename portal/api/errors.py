"""Backstage's error responses, shared by every API that mirrors a Backstage backend.

``{"error": {"name", "message"}, "request": {"method", "url"}, "response": {"statusCode"}}``, with
the error names of ``@backstage/errors``; status codes and ``WWW-Authenticate`` stay DRF's.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

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
