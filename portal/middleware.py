"""Request-wide middleware: request id, the APIs' guard, audit context, sign-in requirement."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from rest_framework.response import Response

from portal import audit, params
from portal.api import errors
from portal.logging import REQUEST_ID_HEADER, bind_request_id, clean_request_id, clear_context

log = structlog.get_logger("portal.request")

#: Paths open to anonymous visitors. Everything else requires sign-in (the API answers 401 itself).
PUBLIC_PREFIXES = ("/accounts/", "/healthz", "/readyz", "/metrics", "/static/", "/favicon.ico")
API_PREFIX = "/api/"
#: API pages meant for a browser: they send anonymous visitors to the sign-in page.
BROWSER_API_PAGES = ("/api/docs/",)


class RequestIdMiddleware:
    """Accept ``X-Request-ID`` (or make one), bind it to every log line, echo it in the response.

    A caller's id is kept only when it is 1 to 128 characters of ``A-Za-z0-9._:-``; anything else is
    replaced by a fresh one. Probes and static files are served without a "request" log line.
    """

    QUIET_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        clear_context()
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]  # ours: read back with getattr (errors, audit)
        bind_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if not request.path.startswith(self.QUIET_PREFIXES):
                log.info(
                    "request",
                    method=request.method,
                    path=request.path,
                    status=response.status_code,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            return response
        finally:
            clear_context()


class ApiGuardMiddleware:
    """What every API answers alike, whatever its view (``portal.api.errors`` words it in the API's shape).

    A NUL character in the path or in a query parameter (its name or a value) is refused with a 400 that
    names the parameter, before any view reads it: no database text can hold one (PostgreSQL fails the
    query). Request bodies are checked where they are parsed (``portal.params.JSONParser`` …).

    An error answered as an HTML page (Django's 404 for a path no endpoint has, its 500 for an exception,
    which Django has logged with the request id, its 400 for a suspicious request) is answered in the
    API's JSON error shape instead, with a message that says nothing of the cause.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not errors.is_api(request.path_info):
            return self.get_response(request)
        if params.NUL in request.path_info:
            return errors.error_response(request, 400, params.nul_message("The path"))
        parameter = params.parameter_with_nul((name, value) for name, values in request.GET.lists() for value in values)
        if parameter is not None:
            message = params.nul_message(f"The query parameter {parameter}")
            return errors.error_response(request, 400, message, parameter=parameter)
        response = self.get_response(request)
        if response.status_code < 400 or response.streaming or isinstance(response, Response):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        status = response.status_code
        answer = errors.error_response(request, status, errors.status_message(request, status))
        # The page's own response keeps its headers and cookies; only the body and its type change.
        response.content = answer.content
        response["Content-Type"] = answer["Content-Type"]
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


class AuditContextMiddleware:
    """Make the acting user and request known to the audit trail for the request's duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The user is read from the request when an entry is written: DRF authenticates API tokens
        # inside the view, after this middleware has run.
        with audit.actor_context(
            request=request,
            ip=request.META.get("REMOTE_ADDR"),
            request_id=getattr(request, "request_id", None),
        ):
            return self.get_response(request)


class LoginRequiredMiddleware:
    """Deny by default: every page needs a signed-in user except the public ones."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if (
            request.user.is_authenticated
            or path.startswith(PUBLIC_PREFIXES)
            or (path.startswith(API_PREFIX) and not path.startswith(BROWSER_API_PAGES))
        ):
            return self.get_response(request)
        response: HttpResponse = redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if getattr(request, "htmx", False):
            # A partial request from a page whose session expired: send the whole page to sign-in.
            response = HttpResponse(status=204, headers={"HX-Redirect": response["Location"]})
        return response
