"""What an action sees while it runs: :class:`ActionContext`, writing to the task's (redacted) run log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.runs import ClaimLost, RunCancelled
from portal.runs.log import Redactor, RunLog

__all__ = ["ActionContext", "ClaimLost", "Redactor", "RunLog", "StepLogger", "TaskCancelled"]


#: What ``ctx.check_cancelled()`` raises when the user asked to cancel the task (the engine's).
TaskCancelled = RunCancelled


class StepLogger:
    """``ctx.logger``: lines of one step in the task's log (``info``, ``warning``, ``error``)."""

    def __init__(self, log: RunLog, step_id: str) -> None:
        self._log = log
        self._step_id = step_id

    def info(self, message: str) -> None:
        self._log.line(message, step=self._step_id)

    def warning(self, message: str) -> None:
        self._log.line(message, step=self._step_id, level="warning")

    def error(self, message: str) -> None:
        self._log.line(message, step=self._step_id, level="error")


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
    #: What a dry run found would fail in the step's real run (:meth:`would_fail`).
    problems: list[str] = field(default_factory=list)

    def output(self, name: str, value: Any) -> None:
        self.outputs[name] = value

    def would_fail(self, reason: str) -> None:
        """In a dry run: the real run of this step would fail for ``reason``. The step is recorded as
        failed with it once the action returns (its outputs kept for the steps after it), and the dry run
        goes on, so one dry run lists every step that would fail."""
        self.problems.append(reason)

    def check_cancelled(self) -> None:
        """Raise :class:`TaskCancelled` if the user asked to cancel (cheap: call it between long operations)."""
        self._check_cancelled()

    def redact(self, text: str) -> str:
        return self._redactor.text(text)
