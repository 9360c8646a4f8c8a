"""What an action sees while it runs: :class:`ActionContext`, and the task's log with secrets redacted."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffolder.models import EventType, TaskEvent
from scaffolder.templating.engine import redact

#: Longest message written to the task's log; longer ones are cut.
MAX_MESSAGE = 20_000


class TaskCancelled(Exception):
    """Raised by :meth:`ActionContext.check_cancelled` when the user asked to cancel the task."""


class ClaimLost(Exception):
    """Another worker took the task over (this one was thought dead): stop without writing anything more."""


class Redactor:
    """Replaces every secret value of a task by ``***``, in text and in JSON values."""

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        self.secrets: list[str] = []
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[Any]) -> None:
        found: set[str] = set()

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                for item in value.values():
                    collect(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    collect(item)
            elif value is not None and not isinstance(value, bool) and str(value):
                found.add(str(value))

        collect(list(secrets))
        self.secrets = sorted(found, key=len, reverse=True)

    def text(self, message: str) -> str:
        return redact(message, self.secrets) if self.secrets else message

    def value(self, value: Any) -> Any:
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(key)): self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def data(self, content: bytes) -> bytes:
        for secret in self.secrets:
            content = content.replace(secret.encode("utf-8"), b"***")
        return content


def write_event(task_id: uuid.UUID, body: dict, *, type: str = EventType.LOG) -> TaskEvent:
    return TaskEvent.objects.create(task_id=task_id, type=type, body=body)


class TaskLog:
    """The task's event log: every message is redacted and cut before it is stored."""

    def __init__(self, task_id: uuid.UUID, redactor: Redactor) -> None:
        self.task_id = task_id
        self.redactor = redactor

    def clean(self, message: str) -> str:
        message = self.redactor.text(str(message))
        return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"

    def log(self, message: str, *, step_id: str | None = None, status: str | None = None, **extra: Any) -> None:
        body: dict[str, Any] = {"message": self.clean(message)}
        if step_id is not None:
            body["stepId"] = step_id
        if status is not None:
            body["status"] = status
        body.update(self.redactor.value(extra))
        write_event(self.task_id, body)

    def event(self, type: str, message: str, **extra: Any) -> None:
        write_event(self.task_id, {"message": self.clean(message), **self.redactor.value(extra)}, type=type)


class StepLogger:
    """``ctx.logger``: lines of one step in the task's log (``info``, ``warning``, ``error``)."""

    def __init__(self, log: TaskLog, step_id: str) -> None:
        self._log = log
        self._step_id = step_id

    def info(self, message: str) -> None:
        self._log.log(message, step_id=self._step_id)

    def warning(self, message: str) -> None:
        self._log.log(message, step_id=self._step_id, level="warning")

    def error(self, message: str) -> None:
        self._log.log(message, step_id=self._step_id, level="error")


@dataclass
class ActionContext:
    """Everything an action may use. ``input`` is the step's rendered, validated input."""

    task_id: uuid.UUID
    step_id: str
    workspace: Path
    input: dict
    logger: StepLogger
    is_dry_run: bool
    #: The signed-in user who created the task (a ``User``), or None.
    user: Any
    #: ``{"entity": …, "ref": …}`` of the user's catalog entity, as templates see ``user``.
    user_info: dict
    #: The template entity the task runs (its snapshot): actions resolve relative URLs against its location.
    template: dict
    #: Secret values of the task, to keep out of anything written (``redact``).
    secrets: tuple[str, ...]
    #: The folder of the task on this worker (the workspace is inside it): scratch space for actions.
    task_dir: Path
    _check_cancelled: Callable[[], None] = lambda: None
    _redactor: Redactor = field(default_factory=Redactor)
    outputs: dict = field(default_factory=dict)

    def output(self, name: str, value: Any) -> None:
        self.outputs[name] = value

    def check_cancelled(self) -> None:
        """Raise :class:`TaskCancelled` if the user asked to cancel (cheap: call it between long operations)."""
        self._check_cancelled()

    def redact(self, text: str) -> str:
        return self._redactor.text(text)
