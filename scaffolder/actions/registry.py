"""The actions a template's steps can run, by id (``fetch:template``, ``publish:github`` …).

An action is a handler with JSON Schemas for its input and output, as in Backstage. The task engine renders a
step's ``input``, validates it against ``input_schema`` (draft 7) and calls the handler with an
:class:`~scaffolder.engine.context.ActionContext`; the handler writes into the workspace, logs through the
context and returns its outputs (or calls ``ctx.output(name, value)``).

A handler signals a failure the user should read with :class:`ActionError`: its message becomes the step's
error (secret values replaced by ``***``). Every handler must be idempotent: a task whose worker died runs
the unfinished step again, so an action checks whether its effect already exists before making it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jsonschema import Draft7Validator

from portal.runs import PermanentError, TransientError

if TYPE_CHECKING:
    from scaffolder.engine.context import ActionContext


class ActionError(PermanentError):
    """A failure of an action, with a message to show the user (it is redacted before it is stored)."""


class TransientActionError(TransientError):
    """A failure that may pass (GitHub answering 503, a timeout): the engine retries the step with backoff."""


@dataclass(frozen=True)
class Action:
    id: str
    description: str
    input_schema: dict
    output_schema: dict
    handler: Callable[[ActionContext], dict | None]
    #: Backstage's shape: ``[{"description": …, "example": <YAML of a step>}]``.
    examples: Sequence[dict] = ()


_registry: dict[str, Action] = {}


def register(action: Action) -> None:
    """Add an action (again under the same id: the newer one wins, as a module reload does)."""
    Draft7Validator.check_schema(action.input_schema)
    Draft7Validator.check_schema(action.output_schema)
    _registry[action.id] = action


def unregister(action_id: str) -> None:
    """Remove an action (a plugin unloaded, a test's own action); unknown ids are ignored."""
    _registry.pop(action_id, None)


def get_action(action_id: str) -> Action:
    """The action registered under ``action_id``; KeyError if there is none."""
    return _registry[action_id]


def all_actions() -> list[Action]:
    return sorted(_registry.values(), key=lambda action: action.id)


def _path(error) -> str:
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        parts.append(missing[0] if missing else "")
    return ".".join(["input", *filter(None, parts)])


def input_errors(action: Action, value: object) -> list[str]:
    """What is wrong with a step's rendered input, one line a problem (``input.url: … is not of type …``)."""
    validator = Draft7Validator(action.input_schema)
    found = sorted(validator.iter_errors(value), key=lambda error: [str(part) for part in error.absolute_path])
    lines = []
    for error in found:
        message = f"{_path(error)} is required" if error.validator == "required" else error.message
        lines.append(message if error.validator == "required" else f"{_path(error)}: {message}")
    return lines


def object_schema(properties: dict, required: Iterable[str] = (), **extra) -> dict:
    """A JSON Schema of an object with these properties (a shorthand for the actions' schemas)."""
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema
