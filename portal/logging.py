"""JSON logs with a request id on every line, for web processes and Celery workers alike.

structlog renders every record, including those of the standard library (Django, Celery, gunicorn),
through one ``ProcessorFormatter``; ``structlog.contextvars`` carries the request id of the current
request, or of the request that enqueued the current task (see ``portal.celery``).
"""

from __future__ import annotations

import logging
import logging.config
import re
import uuid

import structlog
from structlog.typing import Processor

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """Accept a caller's request id only when it is short and harmless; otherwise make one."""
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


def bind_request_id(request_id: str) -> None:
    structlog.contextvars.bind_contextvars(request_id=request_id)


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


def clear_context() -> None:
    structlog.contextvars.clear_contextvars()


_SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.stdlib.ExtraAdder(),
]


def structured_formatter(fmt: str = "json") -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every log line: JSON (one object a line) or, for a terminal, plain text."""
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS[:-1],
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structured": {"()": structured_formatter, "fmt": fmt}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
            "root": {"handlers": ["console"], "level": level},
            "loggers": {
                "django.db.backends": {"level": "INFO"},
                "django.server": {"level": "WARNING"},
                "celery": {"level": level},
            },
        }
    )
