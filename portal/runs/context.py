"""What a step sees while it runs: :class:`RunContext`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from portal.models.runs import Run, RunStep
from portal.runs.log import Redactor, RunLog


class RunContext:
    """The run being executed, for the kind's hooks and steps.

    ``params``: the run's arguments; ``secrets``: its decrypted secret values (in memory only);
    ``outputs``: the outputs of the steps done so far, by key; ``state``: what :meth:`RunKind.begin`
    builds for the steps of this claim (lost with the worker: rebuild it in ``begin``).
    """

    def __init__(
        self,
        run: Run,
        *,
        token: int,
        recovered: bool,
        secrets: dict[str, Any],
        redactor: Redactor,
        log: RunLog,
        checkpoint: Callable[[], None],
    ) -> None:
        self.run = run
        self.token = token
        self.recovered = recovered
        self.secrets = secrets
        self.redactor = redactor
        self.log = log
        self.outputs: dict[str, dict[str, Any]] = {}
        self.state: dict[str, Any] = {}
        self.step: RunStep | None = None
        self._checkpoint = checkpoint
        self._last_poll = 0.0

    @property
    def params(self) -> dict[str, Any]:
        return self.run.params if isinstance(self.run.params, dict) else {}

    @property
    def user(self) -> Any:
        """The user who started the run (the actor of what it changes), or None."""
        return self.run.created_by

    def info(self, message: str) -> None:
        self._line(message, "info")

    def warning(self, message: str) -> None:
        self._line(message, "warning")

    def error(self, message: str) -> None:
        self._line(message, "error")

    def _line(self, message: str, level: str) -> None:
        self.log.line(message, step=self.step.key if self.step is not None else None, level=level)

    def redact(self, text: str) -> str:
        return self.redactor.text(text)

    def check_cancelled(self) -> None:
        """Raise RunCancelled if someone asked to cancel, ClaimLost if another worker took the run.

        Cheap (at most one query every half second): call it between the parts of a long step.
        """
        if time.monotonic() - self._last_poll >= 0.5:
            self.checkpoint()

    def checkpoint(self) -> None:
        self._last_poll = time.monotonic()
        self._checkpoint()
