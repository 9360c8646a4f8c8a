"""The size of a value, and the guards that keep every value a template builds within ``Limits.file_bytes``.

A value's size is counted in characters, close to the length of its JSON text: a string counts its length, a
number, a boolean or null the length of its text, a list one per item plus its items, a mapping one per key plus its
keys and values. Counting stops as soon as it passes the limit, so measuring a huge value (or one that holds the
same list many times over) stops early; a list of plain strings or numbers is counted at C speed.

Each operation that could build a large value checks the result's size before building it where it can be known
first (joining strings, ``~``, encoding JSON), and right after it otherwise, so no value larger than the limit ever
reaches the rest of the template.
"""

from __future__ import annotations

import json
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any

from jinja2 import Undefined

from .limits import LimitExceeded, current_limits, value_message

_CONTAINERS = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)


def _scalar_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if value is None or isinstance(value, bool):
        return 4
    if isinstance(value, int):
        return value.bit_length() // 3 + 1  # about its decimal digits, without printing a huge number
    if isinstance(value, float):
        return 8
    if isinstance(value, Undefined):
        return 0
    return 1


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _flat_size(items: Any) -> int | None:
    """The size of a list whose items are all strings, numbers, booleans or nulls (None for any other list)."""
    kinds = set(map(type, items))
    if kinds <= {str}:
        return len(items) + sum(map(len, items))
    if kinds <= {int}:
        return len(items) + len(items) + sum(map(int.bit_length, items)) // 3
    if kinds <= _SCALARS:
        return len(items) + sum(map(_scalar_size, items))
    return None


def size_of(value: Any, budget: int) -> int:
    """The size of ``value`` (see the module's description), or a number over ``budget`` once it passes it."""
    total = 0
    pending: list[Iterator[Any]] = [iter((value,))]
    while pending:
        for item in pending[-1]:
            opened: Iterator[Any] | None = None
            if isinstance(item, Mapping):
                total += 2 * len(item)
                opened = (part for pair in item.items() for part in pair)
            elif isinstance(item, _CONTAINERS):
                flat = _flat_size(item)
                if flat is None:
                    total += len(item)
                    opened = iter(item)
                else:
                    total += flat
            else:
                total += _scalar_size(item)
            if total > budget:
                return total
            if opened is not None:
                pending.append(opened)
                break
        else:
            pending.pop()
    return total


def too_large(size: int, what: str = "the expression builds a value") -> None:
    """Refuse a value of ``size`` characters when it is larger than the active limit."""
    limits = current_limits()
    if size > limits.file_bytes:
        raise LimitExceeded(value_message(limits, what))


def checked(value: Any, what: str = "the expression builds a value") -> Any:
    """``value`` itself, once its size is known to be within the active limit (an iterator is not measured)."""
    if isinstance(value, str):
        too_large(len(value), what)
    elif isinstance(value, (Mapping, *_CONTAINERS)):
        limit = current_limits().file_bytes
        too_large(size_of(value, limit), what)
    return value


def text_of(value: Any) -> str:
    """``str(value)`` (a list prints as Python prints it), refused before printing when it would be too large."""
    if isinstance(value, str):
        return value
    checked(value)
    text = str(value)
    too_large(len(text))
    return text


def joined(parts: Iterable[str], glue: str = "") -> str:
    """The strings joined, refused before joining when the result would be larger than the limit."""
    limit = current_limits().file_bytes
    kept: list[str] = []
    size = 0
    for part in parts:
        size += len(part) + (len(glue) if kept else 0)
        if size > limit:
            too_large(size)
        kept.append(part)
    return glue.join(kept)


def json_text(value: Any, *, default: Callable[[Any], Any], **options: Any) -> str:
    """``json.dumps(value, **options)``, encoded piece by piece and refused as soon as it passes the limit."""
    encoder = json.JSONEncoder(ensure_ascii=False, default=default, **options)
    return joined(encoder.iterencode(value))
