"""Query parameters read the same way by every API: whole numbers, within what a database can hold.

Each API words the refusal in its own shape (Backstage's catalog says it in a sentence, DRF's validation
errors per field): :class:`ParamError` says which parameter and what was wrong with it.
"""

from __future__ import annotations

import re
from typing import TypeVar

T = TypeVar("T")

#: The largest whole number a parameter may be: a signed 64-bit integer, which is what a database
#: column, an SQL ``LIMIT`` or ``OFFSET`` takes; beyond it the query would fail instead of answering.
MAX_INTEGER = 2**63 - 1

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")

NOT_A_NUMBER = "not-a-number"
TOO_SMALL = "too-small"
TOO_LARGE = "too-large"


class ParamError(ValueError):
    """A parameter's value cannot be used: ``problem`` is :data:`NOT_A_NUMBER`, :data:`TOO_SMALL` or
    :data:`TOO_LARGE`; the message says it in a sentence that names the parameter."""

    def __init__(self, name: str, problem: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.problem = problem


def integer(name: str, raw: str | None, default: T, *, minimum: int = 0, cap: int | None = None) -> int | T:
    """The whole number ``raw`` (a parameter's value, surrounding spaces allowed), or ``default`` when it is
    missing or blank.

    Refused with :class:`ParamError`: anything but ASCII digits (with a leading ``-``), a value below
    ``minimum``, and one above :data:`MAX_INTEGER`. A value above ``cap`` becomes ``cap`` (a page larger
    than allowed is the largest page).
    """
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if _WHOLE_NUMBER.fullmatch(text) is None:
        raise ParamError(name, NOT_A_NUMBER, f"{name} must be a whole number, not {text!r}.")
    if len(text.lstrip("-").lstrip("0")) > len(str(MAX_INTEGER)):  # thousands of digits are never converted
        if text.startswith("-"):
            raise ParamError(name, TOO_SMALL, f"{name} must be at least {minimum}.")
        raise ParamError(name, TOO_LARGE, f"{name} must be at most {MAX_INTEGER}.")
    value = int(text)
    if value < minimum:
        raise ParamError(name, TOO_SMALL, f"{name} must be at least {minimum}, not {value}.")
    if value > MAX_INTEGER:
        raise ParamError(name, TOO_LARGE, f"{name} must be at most {MAX_INTEGER}.")
    return min(value, cap) if cap is not None else value


def page_number(raw: str | None) -> int:
    """A page number from a query string (``?page=``): 1 for anything that is not a whole number of at
    least 1; callers cap it at their last page."""
    try:
        return integer("page", raw, 1, minimum=1, cap=MAX_INTEGER)
    except ParamError:
        return 1
