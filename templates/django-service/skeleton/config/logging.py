"""JSON logs through structlog, each line carrying the id of the request it belongs to."""

import logging
import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

logger = structlog.get_logger(__name__)

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

# A caller's request id is kept when it looks like one (letters, digits, ".", "_", "-"; at most 128).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

# Probes and scrapes arrive every few seconds: logged only when they fail.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def structured_formatter(fmt: str = "json") -> logging.Formatter:
    """The formatter of every handler: one JSON object a line, or aligned text for a terminal."""
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def logging_config(level: str, fmt: str) -> dict:
    """The LOGGING setting: everything, Django's own loggers included, to stderr through the formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": "config.logging.structured_formatter", "fmt": fmt}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
    }


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class RequestIdMiddleware:
    """Gives each request an id, binds it to every log line written meanwhile, logs the request, echoes the id.

    The id is the caller's ``X-Request-ID`` when well formed (so one id follows a request across services),
    otherwise a new random one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if request.path not in QUIET_PATHS or response.status_code >= 400:
            logger.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        return response


def _forget_request_id(**kwargs) -> None:
    """Django logs a failed request after the middleware; the id is dropped only once the response is sent."""
    structlog.contextvars.clear_contextvars()


request_finished.connect(_forget_request_id, dispatch_uid="config.logging.forget_request_id")
