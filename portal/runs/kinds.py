"""Kinds of runs: what an app declares, and the errors its steps raise.

An app declares a kind in its ``runs.py`` (imported at start-up)::

    class RefreshLocation(RunKind):
        name = "catalog.refresh"
        steps = (Step("read", "Read the location", read_location),)

    register(RefreshLocation())

A step function takes the :class:`~portal.runs.context.RunContext` and returns its output (a JSON
dict, or None). **Steps are idempotent by contract**: a step may run again after its worker died
mid-way, so it checks whether its effect already exists before making it. Kinds whose steps are
not known in advance (a golden-path template's) give them to :func:`portal.runs.start` and
override :meth:`RunKind.run_step`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from portal.models.runs import Run, RunStep
    from portal.runs.context import RunContext

StepFunction = Callable[["RunContext"], "dict[str, Any] | None"]


class RunError(Exception):
    """A failure of a step; its message is shown to the user."""


class PermanentError(RunError):
    """The step cannot succeed as things are (a 404, invalid input): it fails at once, with the reason."""


class TransientError(RunError):
    """The step may succeed later (a timeout, a 503): it is retried with backoff, up to the kind's limit.

    ``retry_in`` overrides the backoff (a server's ``Retry-After``).
    """

    def __init__(self, message: str, *, retry_in: float | None = None) -> None:
        super().__init__(message)
        self.retry_in = retry_in


class SkipStep(Exception):
    """Raised by a step to record itself as skipped; the message says why."""


class StepFailed(Exception):
    """Raised by a step to record itself as failed while the run goes on to its next step (a dry run
    that lists every step that would fail). ``output`` is kept with the step; the kind's ``finish``
    decides how the run ends."""

    def __init__(self, message: str, output: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.output = output or {}


class RunCancelled(Exception):
    """Raised by :meth:`RunContext.check_cancelled` when someone asked to cancel the run."""


class ClaimLost(Exception):
    """Another worker took the run over (this one was thought dead): stop without writing anything."""


class UnknownRunKind(LookupError):
    """No run kind is registered under the name."""


@dataclass(frozen=True)
class Step:
    """A step of a kind with fixed steps: ``key`` names it in the run (and in ``ctx.outputs``)."""

    key: str
    name: str
    function: StepFunction
    #: Shown in the step list (default: the function's name).
    action: str = ""


class RunKind:
    """A kind of background run. Subclass it, set ``name`` (and ``steps``), and :func:`register` it."""

    name: ClassVar[str] = ""
    #: The steps of every run of the kind, in order (empty when :func:`start` is given them).
    steps: ClassVar[Sequence[Step]] = ()
    #: How many times one step may begin in all before a transient error fails it.
    max_attempts: ClassVar[int] = 5
    #: Backoff: the n-th retry waits ``retry_base * 2**(n-1)`` seconds (±20 % jitter), at most ``retry_cap``.
    retry_base: ClassVar[float] = 10.0
    retry_cap: ClassVar[float] = 600.0
    #: A run whose worker stopped this many times is failed rather than resumed again.
    max_recoveries: ClassVar[int] = 3
    #: Finished runs are deleted RUN_RETENTION_DAYS after they end, unless the kind keeps them.
    keep_finished: ClassVar[bool] = False
    #: Shown in the admin's filter and on run pages.
    label: ClassVar[str] = ""
    #: Record the start of each run in the audit trail (runs people start; not scheduled refreshes).
    audited: ClassVar[bool] = False

    # --- what the engine calls ------------------------------------------------------------------

    def check_params(self, params: dict[str, Any]) -> None:
        """Raise ValueError for params the kind cannot run with (called before anything is written)."""

    def check_retry(self, run: Run, secrets: dict[str, Any] | None) -> None:
        """Raise ``portal.runs.RunStateError`` when the run cannot be retried as asked (a secret that
        must be given again is missing); called before anything is written."""

    def begin(self, ctx: RunContext) -> None:
        """Called each time a worker takes the run (first start, retry, recovery), before its next step:
        build what the steps share in memory (a workspace, a client). Raise PermanentError to fail the run."""

    def run_step(self, ctx: RunContext, step: RunStep) -> dict[str, Any] | None:
        """Run one step and return its output; by default the function of the declared :class:`Step`."""
        declared = {item.key: item for item in self.steps}.get(step.key)
        if declared is None:
            raise PermanentError(f"The kind {self.name} has no step {step.key!r}.")
        return declared.function(ctx)

    def finish(self, ctx: RunContext) -> dict[str, Any] | None:
        """Once every step is done: the run's output (by default, each step's output under its key)."""
        return {key: value for key, value in ctx.outputs.items() if value}

    def conclude(self, ctx: RunContext, status: str, output: dict[str, Any]) -> dict[str, Any]:
        """Just before the run's end is written (``status``: succeeded, failed or cancelled): the output
        to store. The place for what must be read from the worker before it lets the run go."""
        return output

    def end(self, ctx: RunContext, status: str | None) -> None:
        """Called when the worker leaves the run, however it ends (``status`` None: the run is not over,
        e.g. it waits for a retry): release what :meth:`begin` built."""

    def ended(self, run: Run, status: str) -> None:
        """Once the run has ended, by a worker or cancelled while it waited: drop what is kept only
        while a run lives (the engine itself empties the run's secrets)."""

    #: The words of the link to :meth:`url` on the run's page.
    url_label: ClassVar[str] = ""

    def url(self, run: Run) -> str | None:
        """The page of what the run is about (a task page, a location page), if the app has one."""
        return None

    def describe(self, run: Run) -> str:
        """A line naming the run for people (lists, the admin)."""
        return self.label or self.name

    # --- helpers --------------------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Seconds before the retry that follows ``attempt`` failed attempts, with jitter."""
        delay: float = min(self.retry_cap, self.retry_base * 2 ** max(attempt - 1, 0))
        return max(1.0, delay * random.uniform(0.8, 1.2))  # noqa: S311  (jitter, not a secret)

    def planned_steps(self) -> list[dict[str, str]]:
        return [
            {"key": step.key, "name": step.name, "action": step.action or step.function.__name__} for step in self.steps
        ]


_registry: dict[str, RunKind] = {}


def register(kind: RunKind) -> RunKind:
    """Make ``kind`` runnable under its name (again for the same class: harmless)."""
    if not kind.name:
        raise ImproperlyConfigured(f"{type(kind).__qualname__} has no name.")
    if kind.max_attempts < 1:
        raise ImproperlyConfigured(f"Run kind {kind.name!r}: max_attempts must be at least 1.")
    keys = [step.key for step in kind.steps]
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured(f"Run kind {kind.name!r}: two steps have the same key.")
    existing = _registry.get(kind.name)
    if existing is not None and type(existing).__qualname__ != type(kind).__qualname__:
        raise ImproperlyConfigured(f"Run kind {kind.name!r} is already registered by {type(existing).__qualname__}.")
    _registry[kind.name] = kind
    return kind


def get_kind(name: str) -> RunKind:
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise UnknownRunKind(f"Unknown run kind {name!r}; registered kinds: {known}.") from None


def registered() -> dict[str, RunKind]:
    return dict(_registry)
