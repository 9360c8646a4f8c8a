"""Installed actions: every action a step can run, with its input and output described property by property."""

from __future__ import annotations

import re

from django.shortcuts import render

from scaffolder.actions.registry import all_actions
from scaffolder.views.common import tabs

#: Nested objects are described this deep at most.
MAX_DEPTH = 4


def type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = " | ".join(str(item) for item in kind)
    if not kind:
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list):
                kind = " | ".join(type_of(option) for option in schema[key] if isinstance(option, dict))
    if kind == "array" and isinstance(schema.get("items"), dict):
        kind = f"array of {type_of(schema['items'])}"
    if isinstance(schema.get("enum"), list):
        kind = f"{kind or 'value'}: {', '.join(str(item) for item in schema['enum'])}"
    return str(kind or "any")


def properties(schema: dict, depth: int = 0, prefix: str = "") -> list[dict]:
    """``[{name, type, required, description, depth}]`` for an object schema, nested objects indented."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return []
    required = {name for name in schema.get("required") or [] if isinstance(name, str)}
    rows = []
    for name, child in (schema.get("properties") or {}).items():
        if not isinstance(child, dict):
            continue
        description = child.get("description") or child.get("title") or ""
        rows.append(
            {
                "name": f"{prefix}{name}",
                "type": type_of(child),
                "required": name in required,
                "description": description if isinstance(description, str) else "",
                "default": child.get("default"),
                "has_default": "default" in child,
                "depth": depth,
            }
        )
        nested = child.get("items") if child.get("type") == "array" else child
        if isinstance(nested, dict) and isinstance(nested.get("properties"), dict):
            marker = "[]." if child.get("type") == "array" else "."
            rows.extend(properties(nested, depth + 1, f"{prefix}{name}{marker}"))
    return rows


def actions_page(request):
    actions = [
        {
            "id": action.id,
            "anchor": "action-" + re.sub(r"[^a-z0-9]+", "-", action.id.lower()).strip("-"),
            "description": action.description,
            "input": properties(action.input_schema),
            "output": properties(action.output_schema),
            "examples": [example for example in action.examples or [] if isinstance(example, dict)],
        }
        for action in all_actions()
    ]
    return render(request, "scaffolder/actions.html", {**tabs(request, "actions"), "actions": actions})
