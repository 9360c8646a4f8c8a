"""Resource limits for rendering templates, and the human wording of each one."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator

MIB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one rendering (one step input, one skeleton) may use.

    ``cpu_seconds``, ``memory_bytes`` and ``wall_seconds`` are enforced on the sandbox process; ``output_bytes``
    (everything written), ``file_bytes`` (one file, any single value an expression builds, and a step's or a
    template's output) and ``max_files`` (entries of a skeleton) are checked while rendering, in the sandbox and
    in-process alike.
    """

    cpu_seconds: int = 10
    memory_bytes: int = 512 * MIB
    output_bytes: int = 100 * MIB
    file_bytes: int = 20 * MIB
    wall_seconds: float = 30
    max_files: int = 10_000

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Limits:
        return cls(**{field.name: data[field.name] for field in dataclasses.fields(cls)})


DEFAULT_LIMITS = Limits()

_active: contextvars.ContextVar[Limits] = contextvars.ContextVar("scaffolder_templating_limits", default=DEFAULT_LIMITS)


def current_limits() -> Limits:
    """The limits of the rendering in progress (DEFAULT_LIMITS outside :func:`applying`)."""
    return _active.get()


@contextlib.contextmanager
def applying(limits: Limits) -> Iterator[Limits]:
    token = _active.set(limits)
    try:
        yield limits
    finally:
        _active.reset(token)


def size_text(size: int) -> str:
    """``104857600`` → ``"100 MB"``; the wording every size message uses."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def seconds_text(seconds: float) -> str:
    return f"{seconds:g} s"


def wall_message(limits: Limits) -> str:
    return f"the template took longer than {seconds_text(limits.wall_seconds)} to render"


def cpu_message(limits: Limits) -> str:
    return f"the template used more than {seconds_text(limits.cpu_seconds)} of CPU time to render"


def memory_message(limits: Limits) -> str:
    return f"the template needs more than {size_text(limits.memory_bytes)} of memory to render"


def output_message(limits: Limits) -> str:
    return f"the rendered output exceeds {size_text(limits.output_bytes)}"


def file_message(limits: Limits) -> str:
    return f"the rendered file exceeds {size_text(limits.file_bytes)}"


def value_message(limits: Limits, what: str = "the expression builds a value") -> str:
    """The wording of every value over the limit: "the expression builds a value larger than 20 MB", "the step's
    output is larger than 20 MB" (``what`` is "the step's output is")."""
    return f"{what} larger than {size_text(limits.file_bytes)}"


def entries_message(limits: Limits) -> str:
    return f"the skeleton has more than {limits.max_files} files and folders"


class LimitExceeded(Exception):
    """Raised inside a rendering when it passes one of its limits; the message is the user-facing wording."""
