"""A run's live log: events written through a :class:`Redactor` that knows the run's secrets.

Every message, output and error the engine writes passes through the redactor first, so a secret
value never reaches the database, the API or the page; messages are cut to :data:`MAX_MESSAGE`.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from portal.models.runs import EventType, RunEvent
from portal.redaction import Redactor, redact

__all__ = ["MAX_MESSAGE", "Redactor", "RunLog", "cut", "redact"]

log = structlog.get_logger("portal.runs")

#: Longest message written to a run's log; longer ones are cut.
MAX_MESSAGE = 20_000
LEVELS = ("debug", "info", "warning", "error")


def cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


class RunLog:
    """The run's event log: every message is redacted and cut before it is stored."""

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
        return RunEvent.objects.create(run_id=self.run_id, type=type, body=body)
