"""A run's live log: events written through a :class:`Redactor` that knows the run's secrets.

Every message, output and error the engine writes passes through the redactor first, so a secret
value never reaches the database, the API or the page. Every event is bounded: its message is cut to
:data:`MAX_MESSAGE` characters, and an event whose body would be larger than :data:`MAX_EVENT` keeps
only its message, step, status and level (a completion's large output is left out, and its key named
in ``omitted``; the run's output holds it).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import structlog

from portal.models.runs import EventType, RunEvent
from portal.redaction import Redactor, redact

__all__ = [
    "MAX_EVENT",
    "MAX_MESSAGE",
    "MAX_OUTPUT",
    "Redactor",
    "RunLog",
    "bounded_body",
    "cut",
    "json_prefix",
    "redact",
]

log = structlog.get_logger("portal.runs")

#: Longest message written to a run's log; longer ones are cut.
MAX_MESSAGE = 20_000
#: Largest body of an event, in characters of its JSON text.
MAX_EVENT = 64 * 1024
#: Largest output a step or a run may store, in characters of its JSON text.
MAX_OUTPUT = 20 * 1024 * 1024
LEVELS = ("debug", "info", "warning", "error")
#: What an event keeps when the rest of its body is too large.
_CORE = ("message", "stepId", "status", "level")


def cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def json_prefix(value: Any, limit: int, **options: Any) -> tuple[str, bool]:
    """The start of ``value``'s JSON text (at most ``limit`` characters) and whether it is the whole text.

    The text is encoded piece by piece, and encoding stops once it passes ``limit``: a long value is never
    encoded whole to show or to measure its beginning.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, default=str, **options)
    parts: list[str] = []
    size = 0
    for part in encoder.iterencode(value):
        parts.append(part)
        size += len(part)
        if size > limit:
            return "".join(parts)[:limit], False
    return "".join(parts), True


def bounded_body(body: dict[str, Any]) -> dict[str, Any]:
    """``body``, or, when its JSON text is larger than :data:`MAX_EVENT`, its message, step, status and level
    with the names of the keys left out in ``omitted`` (and the message shortened if it is still too large)."""
    if json_prefix(body, MAX_EVENT)[1]:
        return body
    kept = {key: body[key] for key in _CORE if key in body}
    omitted = [key for key in body if key not in kept]
    if omitted:
        kept["omitted"] = omitted
    message = str(kept.get("message", ""))
    while len(message) > 1 and not json_prefix(kept, MAX_EVENT)[1]:  # a message of escaped characters
        message = message[: len(message) // 2]
        kept["message"] = message[:-1] + "…"
    return kept


class RunLog:
    """The run's event log: every message is redacted and cut, and every body bounded, before it is stored."""

    def __init__(self, run_id: uuid.UUID, redactor: Redactor | None = None) -> None:
        self.run_id = run_id
        self.redactor = redactor or Redactor()

    def clean(self, message: str) -> str:
        return cut(self.redactor.text(str(message)))

    def line(
        self,
        message: str,
        *,
        step: str | None = None,
        status: str | None = None,
        level: str | None = None,
        **extra: Any,
    ) -> RunEvent:
        """A log line, of one step when ``step`` (its key) is given; ``status``: the step's new status."""
        body: dict[str, Any] = {"message": self.clean(message)}
        if step is not None:
            body["stepId"] = step
        if status is not None:
            body["status"] = status
        if level is not None and level != "info":
            if level not in LEVELS:
                raise ValueError(f"Unknown log level {level!r}; use one of {', '.join(LEVELS)}.")
            body["level"] = level
        body.update(self.redactor.value(extra))
        return self.write(EventType.LOG, body)

    def event(self, type: str, message: str, **extra: Any) -> RunEvent:
        return self.write(type, {"message": self.clean(message), **self.redactor.value(extra)})

    def write(self, type: str, body: dict[str, Any]) -> RunEvent:
        return RunEvent.objects.create(run_id=self.run_id, type=type, body=bounded_body(body))
