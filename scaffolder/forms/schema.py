"""A template's ``spec.parameters`` read the way Backstage's form (react-jsonschema-form) reads it.

Pages are JSON Schema objects; a page with ``when:`` is shown only when its expression is true for the
answers so far. Within a page, ``dependencies`` (a list of required names, or a schema, or ``oneOf``
branches chosen by the value of the key, as RJSF does) and ``if``/``then``/``else`` (also inside ``allOf``)
add fields once the answers they depend on are known: :func:`resolve` merges the parts that apply, so the
form shows exactly the fields the values call for, and :func:`validate` checks a page with jsonschema,
with messages written for people (never quoting the value, which may be a secret).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from scaffolder.forms.patterns import pattern_message
from scaffolder.templating import TemplateError, render_value_sandboxed
from scaffolder.templating.engine import is_truthy

#: How many rounds of conditional parts are merged (a branch may bring conditions of its own).
MAX_ROUNDS = 8
CONDITIONAL_KEYS = ("dependencies", "if", "then", "else", "allOf")


class _Missing:
    """No value (JSON Schema's *undefined*): a field left empty."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclass(frozen=True)
class Page:
    index: int
    title: str
    description: str
    schema: dict

    @property
    def when(self) -> Any:
        return self.schema.get("when")


def pages_of(template: dict) -> list[Page]:
    """``spec.parameters`` as pages: one object, or a list of them (anything else is no page)."""
    spec = template.get("spec") if isinstance(template, dict) else None
    parameters = spec.get("parameters") if isinstance(spec, dict) else None
    if isinstance(parameters, dict):
        parameters = [parameters]
    if not isinstance(parameters, list):
        return []
    pages: list[Page] = []
    for schema in parameters:
        if not isinstance(schema, dict):
            continue
        number = len(pages)
        title = found if isinstance(found := schema.get("title"), str) else ""
        description = found if isinstance(found := schema.get("description"), str) else ""
        pages.append(Page(number, title or f"Step {number + 1}", description, schema))
    return pages


def visible_pages(pages: list[Page], parameters: dict) -> list[Page]:
    """The pages whose ``when:`` holds for ``parameters`` (all conditions in one sandboxed rendering).

    A condition that cannot be evaluated shows its page: hiding it would skip questions silently.
    """
    conditions = {str(page.index): page.when for page in pages if "when" in page.schema}
    if not conditions:
        return list(pages)
    try:
        rendered = render_value_sandboxed(conditions, {"parameters": parameters})
    except TemplateError:
        return list(pages)
    rendered = rendered if isinstance(rendered, dict) else {}
    return [page for page in pages if "when" not in page.schema or is_truthy(rendered.get(str(page.index)))]


# --- conditional parts ------------------------------------------------------------------------------


def _is_valid(schema: Any, instance: Any) -> bool:
    try:
        return Draft7Validator(schema, format_checker=FormatChecker()).is_valid(instance)
    except SchemaError:
        return False


def _merge(target: dict, part: Any, *, skip: str | None = None) -> None:
    """Add ``part``'s properties (all but ``skip``), required names and conditions to ``target``."""
    if not isinstance(part, dict):
        return
    properties = target.setdefault("properties", {})
    for name, schema in (part.get("properties") or {}).items():
        if name == skip and name in properties:
            continue
        if name in properties and isinstance(properties[name], dict) and isinstance(schema, dict):
            properties[name] = {**properties[name], **schema}
        else:
            properties[name] = schema
    required = target.setdefault("required", [])
    for name in part.get("required") or []:
        if name not in required:
            required.append(name)
    for key in CONDITIONAL_KEYS:
        if key in part:
            target.setdefault("_pending", []).append({key: part[key]} if key != "if" else _if_clause(part))


def _if_clause(part: dict) -> dict:
    return {key: part[key] for key in ("if", "then", "else") if key in part}


def _present(values: dict, key: str) -> bool:
    return key in values and values[key] is not None and values[key] != ""


def _dependency_branch(branches: list, key: str, values: dict) -> dict | None:
    """RJSF's choice among ``oneOf`` branches: the first whose schema for ``key`` accepts its value."""
    for branch in branches:
        if not isinstance(branch, dict):
            continue
        condition = (branch.get("properties") or {}).get(key)
        if condition is None:
            continue
        if _is_valid({"type": "object", "properties": {key: condition}}, {key: values[key]}):
            return branch
    return None


def _apply(target: dict, clause: dict, values: dict) -> None:
    if "dependencies" in clause:
        for key, dependency in (clause["dependencies"] or {}).items():
            if not _present(values, key):
                continue
            if isinstance(dependency, list):
                _merge(target, {"required": [name for name in dependency if isinstance(name, str)]})
            elif isinstance(dependency, dict):
                branches = dependency.get("oneOf")
                rest = {name: value for name, value in dependency.items() if name != "oneOf"}
                _merge(target, rest)
                if isinstance(branches, list):
                    _merge(target, _dependency_branch(branches, key, values), skip=key)
    if "if" in clause:
        branch = clause.get("then") if _is_valid(clause["if"], values) else clause.get("else")
        _merge(target, branch)
    for part in clause.get("allOf") or []:
        if isinstance(part, dict):
            _merge(target, {name: value for name, value in part.items() if name not in ("if", "then", "else")})
            if "if" in part:
                target.setdefault("_pending", []).append(_if_clause(part))


def resolve(schema: dict, values: dict | None) -> dict:
    """``schema`` (an object schema) with the conditional parts that apply to ``values`` merged in.

    The result has no ``dependencies``, ``if``, ``then``, ``else`` or ``allOf`` left at its top level;
    nested objects are resolved when their own fields are built.
    """
    values = values if isinstance(values, dict) else {}
    result = {key: copy.deepcopy(value) for key, value in schema.items() if key not in CONDITIONAL_KEYS}
    result["properties"] = dict(result.get("properties") or {})
    result["required"] = list(result.get("required") or [])
    pending = [{key: schema[key] for key in CONDITIONAL_KEYS if key in schema}]
    for _round in range(MAX_ROUNDS):
        if not pending:
            break
        for clause in pending:
            _apply(result, clause, values)
        pending = result.pop("_pending", [])
    result.pop("_pending", None)
    return result


def ordered_properties(schema: dict) -> list[tuple[str, dict]]:
    """An object's properties in display order: ``ui:order`` (with ``*`` for the rest), else as written
    (templates and tasks keep their JSON as written, see ``portal.fields.OrderedJSONField``)."""
    properties = {name: value for name, value in (schema.get("properties") or {}).items() if isinstance(value, dict)}
    names = list(properties)
    order = schema.get("ui:order")
    if isinstance(order, list) and order:
        listed = [name for name in order if isinstance(name, str) and name in properties]
        rest = [name for name in names if name not in listed]
        if "*" in order:
            star = order.index("*")
            before = [name for name in order[:star] if name in listed]
            after = [name for name in order[star + 1 :] if name in listed]
            names = before + [name for name in rest if name not in after] + after
        else:
            names = listed + rest
    return [(name, properties[name]) for name in names]


# --- validation -------------------------------------------------------------------------------------


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


TYPE_MESSAGES = {
    "string": "Enter text.",
    "number": "Enter a number.",
    "integer": "Enter a whole number.",
    "boolean": "Choose yes or no.",
    "array": "Enter a list of values.",
    "object": "Fill in the group of fields.",
    "null": "Leave this empty.",
}
FORMAT_MESSAGES = {
    "email": "Enter a valid e-mail address.",
    "uri": "Enter a valid URL.",
    "url": "Enter a valid URL.",
    "date": "Enter a date as YYYY-MM-DD.",
    "date-time": "Enter a date and time.",
    "ipv4": "Enter a valid IPv4 address.",
    "ipv6": "Enter a valid IPv6 address.",
}


def message_for(error) -> str:
    """A message for one jsonschema error that never repeats the value (it may be a secret), nor a pattern
    (people do not read regular expressions: :func:`~scaffolder.forms.patterns.pattern_message`)."""
    kind, limit = error.validator, error.validator_value
    if kind == "pattern":
        return pattern_message(error.schema if isinstance(error.schema, dict) else {"pattern": limit})
    messages = {
        "required": "This field is required.",
        "minLength": f"Enter at least {_plural(limit, 'character')}.",
        "maxLength": f"Enter at most {_plural(limit, 'character')}.",
        "minimum": f"Enter a number of at least {limit}.",
        "maximum": f"Enter a number of at most {limit}.",
        "exclusiveMinimum": f"Enter a number greater than {limit}.",
        "exclusiveMaximum": f"Enter a number less than {limit}.",
        "multipleOf": f"Enter a multiple of {limit}.",
        "enum": "Choose one of the offered values.",
        "const": "This value is not the one expected.",
        "minItems": f"Give at least {_plural(limit, 'value')}.",
        "maxItems": f"Give at most {_plural(limit, 'value')}.",
        "uniqueItems": "Give each value only once.",
        "type": TYPE_MESSAGES.get(limit if isinstance(limit, str) else "", "This value has the wrong type."),
        "format": FORMAT_MESSAGES.get(limit if isinstance(limit, str) else "", f"Enter a valid {limit}."),
    }
    return messages.get(kind, "This value is not valid.")


def _missing_name(error) -> str | None:
    instance = error.instance if isinstance(error.instance, dict) else {}
    for name in error.validator_value or []:
        if name not in instance and error.message.startswith(repr(name)):
            return name
    return None


def error_path(error) -> str:
    """The dotted field path an error belongs to (a missing property is its own path)."""
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        missing = _missing_name(error)
        if missing is not None:
            parts.append(missing)
    return ".".join(parts)


def resolve_deep(schema: dict, values: Any) -> dict:
    """:func:`resolve` at every level of objects, for validating the fields that are shown."""
    if not isinstance(schema, dict):
        return schema
    values = values if isinstance(values, dict) else {}
    resolved = resolve(schema, values) if _is_object(schema) else dict(schema)
    if _is_object(resolved):
        resolved["properties"] = {
            name: resolve_deep(child, values.get(name)) if _is_object(child) else child
            for name, child in resolved["properties"].items()
        }
    return resolved


def _is_object(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "object" or "properties" in schema)


def _collect(schema: dict, values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    validator = Draft7Validator(schema, format_checker=FormatChecker())
    for error in sorted(validator.iter_errors(values), key=lambda error: list(map(str, error.absolute_path))):
        messages = errors.setdefault(error_path(error), [])
        text = message_for(error)
        if text not in messages:
            messages.append(text)
    return errors


def validate(schema: dict, values: dict) -> dict[str, list[str]]:
    """The errors of ``values`` against a page's schema, by field path (``""`` for the page itself).

    The resolved schema gives each shown field its own errors; when it finds none, the original schema is
    checked too, so a rule only the conditions express is not lost.
    """
    page_schema = {key: value for key, value in schema.items() if key not in ("title", "description", "when")}
    try:
        return _collect(resolve_deep(page_schema, values), values) or _collect(page_schema, values)
    except SchemaError as problem:
        return {"": [f"The template's form is not valid JSON Schema: {problem.message}"]}
