"""Input read the same way by every API: whole numbers within what a database can hold, and no NUL
character anywhere (in a path, a query parameter or a request body: no database text can hold one).

Each API words the refusal in its own shape (Backstage's catalog says it in a sentence, DRF's validation
errors per field): :class:`ParamError` says which parameter and what was wrong with it. The parsers at
the end (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``) are DRF's, refusing a body with a NUL character
or nested deeper than :data:`MAX_BODY_DEPTH`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from rest_framework import exceptions, parsers

T = TypeVar("T")

#: The largest whole number a parameter may be: a signed 64-bit integer, which is what a database
#: column, an SQL ``LIMIT`` or ``OFFSET`` takes; beyond it the query would fail instead of answering.
MAX_INTEGER = 2**63 - 1

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")

NOT_A_NUMBER = "not-a-number"
TOO_SMALL = "too-small"
TOO_LARGE = "too-large"

#: The character no database text can hold (PostgreSQL refuses it in ``text`` and ``jsonb``).
NUL = "\x00"
#: How deep a request body may nest (arrays and objects within each other): far deeper than any entity,
#: form or template, and shallow enough that code reading it level by level (a deep copy, a validator)
#: never runs out of stack.
MAX_BODY_DEPTH = 100


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


def shown(text: str) -> str:
    """``text`` with its NUL characters written ``\\0``, to name it in a message."""
    return text.replace(NUL, "\\0")


def parameter_with_nul(items: Iterable[tuple[str, str]]) -> str | None:
    """The first parameter (``(name, value)`` pairs, as a query string gives them) whose name or value
    holds a NUL character, its name shown with :func:`shown`; None when none does."""
    for name, value in items:
        if NUL in name or NUL in value:
            return shown(name)
    return None


def path_with_nul(value: Any) -> str | None:
    """The dotted path (``values.name``, ``entityRefs.0``) of the first string in a JSON-like ``value``,
    key or value, that holds a NUL character; ``""`` when ``value`` is such a string itself, None when
    no string in it holds one. Read without recursion: a document nested as deep as a parser allows is
    read to its end."""
    pending: list[tuple[str, bool, Any]] = [("", False, value)]  # (path, its key holds a NUL, value)
    while pending:
        path, bad_key, item = pending.pop()
        if bad_key or (isinstance(item, str) and NUL in item):
            return path
        children: list[tuple[str, bool, Any]] = []
        if isinstance(item, dict):
            for key, child in item.items():
                name = shown(str(key))
                children.append((f"{path}.{name}" if path else name, NUL in str(key), child))
        elif isinstance(item, list | tuple):
            children = [(f"{path}.{index}" if path else str(index), False, child) for index, child in enumerate(item)]
        pending.extend(reversed(children))
    return None


def deeper_than(value: Any, limit: int) -> bool:
    """Whether a JSON-like ``value`` nests arrays and objects more than ``limit`` levels deep (a scalar is
    level 0); read without recursion."""
    pending: list[tuple[int, Any]] = [(0, value)]
    while pending:
        depth, item = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list | tuple) else None
        if children is None:
            continue
        if depth + 1 > limit:
            return True
        pending.extend((depth + 1, child) for child in children)
    return False


def nul_message(subject: str, where: str = "") -> str:
    """``subject`` (``The path``, ``The query parameter q``) holds a NUL character, ``where`` in it."""
    place = f" in {where}" if where else ""
    return f"{subject} holds a NUL character (\\0){place}, which no value may contain."


# --- request bodies -------------------------------------------------------------------------------
# This module is named in DRF's settings: it must not import rest_framework.views, whose APIView reads them.


def _refuse_nul(data: Any) -> None:
    found = path_with_nul(data)
    if found is not None:
        raise exceptions.ParseError(nul_message("The request body", found))


def _refuse_nul_field(fields: Iterable[tuple[str, str]]) -> None:
    found = parameter_with_nul(fields)
    if found is not None:
        raise exceptions.ParseError(nul_message("The request body", found))


def _pairs(multi) -> list[tuple[str, Any]]:
    """Every ``(name, value)`` of a form's fields or files (a name may come several times)."""
    return [(name, value) for name, values in multi.lists() for value in values]


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body with a NUL character in a string (a key or a value) is refused (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = f"The request body nests deeper than {MAX_BODY_DEPTH} levels."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # deeper than Python's JSON decoder reads
            raise exceptions.ParseError(too_deep) from None
        if deeper_than(data, MAX_BODY_DEPTH):
            raise exceptions.ParseError(too_deep)
        _refuse_nul(data)
        return data


class FormParser(parsers.FormParser):
    """DRF's form parser; a field with a NUL character (in its name or value) is refused (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_nul_field(_pairs(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; a field or a file name (not a file's content) with a NUL character is
    refused (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_nul_field(_pairs(parsed.data))
        _refuse_nul_field((name, file.name or "") for name, file in _pairs(parsed.files))
        return parsed
