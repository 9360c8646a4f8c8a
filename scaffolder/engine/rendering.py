"""Rendering of a template's expressions for the engine: always in the sandbox process when there is any.

A value without template syntax (``${{``, ``{%``, ``{#``) runs no expression, so it is rendered in-process
(which only applies Backstage's rules on empty values) and spares the sandbox process's start-up. A template's
output is stored as it is rendered: all of it together may be no larger than one value (``Limits.file_bytes``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings

from scaffolder.templating import (
    Limits,
    evaluate_condition,
    evaluate_condition_sandboxed,
    render_value,
    render_value_sandboxed,
)
from scaffolder.templating.engine import has_template_syntax, is_truthy


def limits() -> Limits:
    seconds = int(settings.SCAFFOLDER_RENDER_TIME_LIMIT)
    return Limits(cpu_seconds=seconds, wall_seconds=seconds * 3)


def has_syntax(value: Any) -> bool:
    if isinstance(value, str):
        return has_template_syntax(value)
    if isinstance(value, dict):
        return any(has_syntax(key) or has_syntax(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_syntax(item) for item in value)
    return False


def output_limits() -> Limits:
    """The limits of rendering a template's output: the whole output as large as one value at most."""
    base = limits()
    return dataclasses.replace(base, output_bytes=base.file_bytes)


def render(value: Any, context: dict, bounds: Limits | None = None) -> Any:
    """A step's ``input`` (or any value) rendered the way Backstage renders it."""
    if not has_syntax(value):
        return render_value(value, {})
    return render_value_sandboxed(value, context, bounds or limits())


def condition(value: Any, context: dict) -> bool:
    """An ``if:`` decided (Backstage's truthiness, plus the string ``"false"``)."""
    if not has_syntax(value):
        return evaluate_condition(value, {})
    return evaluate_condition_sandboxed(value, context, limits())


def render_output(output: Any, context: dict) -> dict:
    """``spec.output`` rendered: items of its lists (``links``, ``text``) whose ``if:`` is false are left out."""
    if not isinstance(output, dict):
        return {}
    conditions = {
        f"{key}.{index}": item["if"]
        for key, items in output.items()
        if isinstance(items, list)
        for index, item in enumerate(items)
        if isinstance(item, dict) and "if" in item
    }
    decided = {}
    if conditions:
        rendered = render(conditions, context, output_limits())
        decided = {name: is_truthy(rendered.get(name)) if isinstance(rendered, dict) else False for name in conditions}
    kept: dict[str, Any] = {}
    for key, items in output.items():
        if not isinstance(items, list):
            kept[key] = items
            continue
        kept[key] = [
            {name: value for name, value in item.items() if name != "if"} if isinstance(item, dict) else item
            for index, item in enumerate(items)
            if decided.get(f"{key}.{index}", True)
        ]
    rendered = render(kept, context, output_limits())
    return rendered if isinstance(rendered, dict) else {}
