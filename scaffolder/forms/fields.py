"""Form fields of one page: built from the schema and the answers, and read back from a POST.

Each field has a dotted ``path`` (``config.region``, ``services.0.name``) that is its input's ``name``.
Values are JSON: a text left empty is no value (JSON Schema's *undefined*, as in RJSF), a number is a
number, an unticked checkbox is ``false``. A secret field never gets its value back into the page: left
empty, it keeps the value given earlier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from scaffolder.forms import pickers
from scaffolder.forms.patterns import as_sentence
from scaffolder.forms.schema import CONDITIONAL_KEYS, MAX_ROUNDS, MISSING, ordered_properties, resolve

#: ``ui:field`` values read as pickers; other custom fields fall back to the widget of their type.
#: (Keyed by strings, looked up with whatever a template's schema holds.)
PICKER_KINDS: dict[object, str] = {
    "OwnerPicker": "owner",
    "MyGroupsPicker": "owner",
    "EntityPicker": "entity",
    "OwnedEntityPicker": "entity",
    "RepoUrlPicker": "repo",
    "EntityNamePicker": "entity-name",
    "Secret": "secret",
}
SECRET_KINDS = frozenset({"secret", "password"})
#: Items of an array of objects shown at most (each is a group of fields).
MAX_ITEMS = 50
COUNT_SUFFIX = ".__count"


def schema_type(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), None)
    if kind is None and isinstance(schema.get("properties"), dict):
        return "object"
    return kind if isinstance(kind, str) else "string"


def field_kind(schema: dict) -> str:
    """Which widget a property gets."""
    picker = PICKER_KINDS.get(schema.get("ui:field"))
    if picker:
        return picker
    widget = schema.get("ui:widget")
    kind = schema_type(schema)
    if isinstance(schema.get("enum"), list) and kind != "array":
        return "radio" if widget == "radio" else "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("number", "integer"):
        return kind
    if kind == "array":
        items = found if isinstance(found := schema.get("items"), dict) else {}
        if isinstance(items.get("enum"), list):
            return "checkboxes"
        return "array" if schema_type(items) == "object" else "lines"
    if kind == "object":
        return "object"
    if widget in ("textarea", "password", "hidden"):
        return widget
    return "text"


def enum_text(value: Any) -> str:
    """How an enum value travels in a form: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class Field:
    name: str
    path: str
    schema: dict
    kind: str
    required: bool = False
    value: Any = MISSING
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    items: list[list[Field]] = field(default_factory=list)
    choices: list[pickers.Choice] = field(default_factory=list)
    secret: bool = False
    #: A secret whose value was given earlier (kept, never shown).
    secret_set: bool = False
    autofocus: bool = False
    #: Other fields depend on this one's value: the form is refreshed when it changes.
    refresh: bool = False

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")

    @property
    def title(self) -> str:
        title = self.schema.get("title")
        return title if isinstance(title, str) and title else self.name

    @property
    def description(self) -> str:
        return self._note("description")

    @property
    def help(self) -> str:
        return self._note("ui:help")

    def _note(self, key: str) -> str:
        """A text of the schema shown with the field; none when it is also the field's error (a pattern's
        message is the help that explains the format: it is said once, as the error)."""
        text = self.schema.get(key)
        if not isinstance(text, str):
            return ""
        return "" if text and as_sentence(text) in self.errors else text

    @property
    def options(self) -> dict:
        options = self.schema.get("ui:options")
        return options if isinstance(options, dict) else {}

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()
        for item in self.items:
            for child in item:
                yield from child.walk()


@dataclass
class FormContext:
    """What building and reading fields needs besides the schema: the user (pickers) and the secrets."""

    user: Any
    secret_paths: frozenset[str] = frozenset()
    _choices: dict = field(default_factory=dict)

    def is_secret(self, path: str, schema: dict) -> bool:
        return field_kind(schema) in SECRET_KINDS or path in self.secret_paths

    def choices(self, kind: str, schema: dict) -> list[pickers.Choice]:
        options = found if isinstance(found := schema.get("ui:options"), dict) else {}
        key = (kind, json.dumps(options, sort_keys=True, default=str), schema.get("ui:field"))
        if key not in self._choices:
            self._choices[key] = pickers.entity_choices(self.user, kind, schema.get("ui:field"), options)
        return self._choices[key]


# --- building ---------------------------------------------------------------------------------------


def build(
    schema: dict, values: Any, errors: dict[str, list[str]], context: FormContext, prefix: str = ""
) -> list[Field]:
    """The fields of an object schema for ``values``, with ``errors`` (by path) next to them."""
    values = values if isinstance(values, dict) else {}
    resolved = resolve(schema, values)
    required = {name for name in resolved.get("required") or [] if isinstance(name, str)}
    fields = []
    for name, child in ordered_properties(resolved):
        path = f"{prefix}{name}"
        kind = field_kind(child)
        item = Field(name, path, child, kind, required=name in required, errors=list(errors.get(path, [])))
        value = values.get(name, MISSING)
        if context.is_secret(path, child):
            item.secret, item.secret_set = True, value is not MISSING and value not in ("", None)
        else:
            item.value = value
        if kind == "object":
            item.children = build(child, value, errors, context, f"{path}.")
        elif kind == "array":
            item_schema = child.get("items") or {}
            entries = value if isinstance(value, list) else []
            item.items = [
                build(item_schema, entry, errors, context, f"{path}.{index}.")
                for index, entry in enumerate(entries[:MAX_ITEMS])
            ]
        elif kind in ("owner", "entity"):
            item.choices = context.choices(kind, child)
        fields.append(item)
    return fields


def autofocus(fields: list[Field]) -> None:
    """The first field with an error gets the cursor; else the first asking for it (``ui:autofocus``)."""
    flat = [item for top in fields for item in top.walk() if item.kind not in ("object", "array", "hidden")]
    target = next((item for item in flat if item.errors), None)
    if target is None:
        target = next((item for item in flat if item.schema.get("ui:autofocus") is True), None)
    if target is not None:
        target.autofocus = True


def defaults(schema: dict, values: dict) -> dict:
    """``values`` with the page's ``default``s filled in where there is no value (nested objects too)."""
    result = dict(values)
    resolved = resolve(schema, result)
    for name, child in ordered_properties(resolved):
        if name not in result and "default" in child:
            result[name] = child["default"]
        if field_kind(child) == "object":
            nested = defaults(child, found if isinstance(found := result.get(name), dict) else {})
            if nested:
                result[name] = nested
    return result


def page_names(schema: Any) -> set[str]:
    """Every property name a page may have, whatever its conditions decide."""
    names: set[str] = set()
    if not isinstance(schema, dict):
        return names
    names.update(name for name in (schema.get("properties") or {}) if isinstance(name, str))
    dependencies = found if isinstance(found := schema.get("dependencies"), dict) else {}
    for dependency in dependencies.values():
        names |= page_names(dependency)
        for branch in dependency.get("oneOf") or [] if isinstance(dependency, dict) else []:
            names |= page_names(branch)
    for key in ("if", "then", "else"):
        names |= page_names(schema.get(key))
    for part in schema.get("allOf") or []:
        names |= page_names(part)
    return names


# --- reading a POST ---------------------------------------------------------------------------------


def _number(text: str, kind: str) -> int | float:
    if kind == "integer":
        number = float(text)
        if not number.is_integer():
            raise ValueError(text)
        return int(number)
    return int(text) if text.lstrip("+-").isdigit() else float(text)


def _enum_value(schema: dict, text: str) -> Any:
    for option in schema.get("enum") or []:
        if enum_text(option) == text:
            return option
    return MISSING


def _read(name: str, child: dict, path: str, data, previous: dict, context: FormContext, errors: dict) -> Any:
    kind = field_kind(child)
    raw = data.get(path)
    if context.is_secret(path, child):
        return raw if raw else previous.get(name, MISSING)
    if kind == "checkbox":
        return data.get(path) == "true"
    if kind in ("select", "radio"):
        if not raw:
            return MISSING
        value = _enum_value(child, raw)
        if value is MISSING:
            errors.setdefault(path, []).append("Choose one of the offered values.")
        return value
    if kind == "checkboxes":
        items = child.get("items") or {}
        chosen = set(data.getlist(path))
        return [option for option in items.get("enum") or [] if enum_text(option) in chosen]
    if kind == "lines":
        lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
        item_kind = schema_type(found if isinstance(found := child.get("items"), dict) else {})
        if item_kind in ("number", "integer"):
            try:
                return [_number(line, item_kind) for line in lines]
            except ValueError:
                errors.setdefault(path, []).append("Enter one number per line.")
                return MISSING
        return lines
    if kind == "object":
        nested = previous.get(name) if isinstance(previous.get(name), dict) else {}
        value, nested_errors = parse(child, data, context, nested, f"{path}.")
        errors.update(nested_errors)
        return value
    if kind == "array":
        return _read_items(child, path, data, previous.get(name), context, errors)
    if kind in ("owner", "entity", "repo", "entity-name"):
        choices = context.choices(kind, child) if kind in ("owner", "entity") else []
        return pickers.read(kind, child, path, data, choices, errors, context.user)
    if raw is None or raw == "":
        return MISSING
    if kind in ("number", "integer"):
        try:
            return _number(raw.strip(), kind)
        except ValueError:
            errors.setdefault(path, []).append("Enter a whole number." if kind == "integer" else "Enter a number.")
            return MISSING
    return raw.replace("\r\n", "\n") if kind == "textarea" else raw


def _read_items(child: dict, path: str, data, previous: Any, context: FormContext, errors: dict) -> Any:
    try:
        count = min(max(int(data.get(path + COUNT_SUFFIX, "0")), 0), MAX_ITEMS)
    except ValueError:
        count = 0
    earlier = previous if isinstance(previous, list) else []
    item_schema = child.get("items") or {}
    items = []
    for index in range(count):
        before = earlier[index] if index < len(earlier) and isinstance(earlier[index], dict) else {}
        value, item_errors = parse(item_schema, data, context, before, f"{path}.{index}.")
        errors.update(item_errors)
        items.append(value)
    return items


def parse(
    schema: dict, data, context: FormContext, previous: dict | None = None, prefix: str = ""
) -> tuple[dict, dict[str, list[str]]]:
    """The values a POST gives for the fields of ``schema`` (and errors of fields it cannot read).

    Which fields exist depends on the values (conditions): the page is read with the schema resolved
    for the earlier values, then again with what was read, until the set of fields no longer changes.
    """
    previous = previous if isinstance(previous, dict) else {}
    current: dict = dict(previous)
    seen: list[str] | None = None
    values: dict = {}
    errors: dict[str, list[str]] = {}
    for _round in range(MAX_ROUNDS):
        properties = ordered_properties(resolve(schema, current))
        names = [name for name, _ in properties]
        if names == seen:
            break
        values, errors = {}, {}
        for name, child in properties:
            value = _read(name, child, f"{prefix}{name}", data, previous, context, errors)
            if value is not MISSING:
                values[name] = value
        current, seen = values, names
    return values, errors


def has_conditions(schema: Any) -> bool:
    """Whether fields of this schema appear or disappear with the answers (the form then refreshes)."""
    if not isinstance(schema, dict):
        return False
    if any(key in schema for key in CONDITIONAL_KEYS):
        return True
    return any(has_conditions(child) for child in (schema.get("properties") or {}).values())


def controlling_names(schema: dict) -> set[str]:
    """The top-level properties whose value decides which other fields are shown."""
    names: set[str] = set()
    dependencies = found if isinstance(found := schema.get("dependencies"), dict) else {}
    names.update(dependencies)
    for clause in [schema, *(schema.get("allOf") or [])]:
        condition = clause.get("if") if isinstance(clause, dict) else None
        if isinstance(condition, dict):
            names.update((condition.get("properties") or {}).keys())
            names.update(name for name in condition.get("required") or [] if isinstance(name, str))
    return names


def add_item(values: dict, path: str) -> dict:
    """``values`` with one more (empty) item in the array at ``path``."""
    return _change_list(values, path.split("."), lambda items: [*items, {}][:MAX_ITEMS])


def remove_item(values: dict, path: str, index: int) -> dict:
    return _change_list(values, path.split("."), lambda items: items[:index] + items[index + 1 :])


def _change_list(value: Any, parts: list[str], change) -> Any:
    if not parts:
        return change(value if isinstance(value, list) else [])
    head, rest = parts[0], parts[1:]
    if isinstance(value, list) and head.isdigit():
        index = int(head)
        copy = list(value)
        if index < len(copy):
            copy[index] = _change_list(copy[index], rest, change)
        return copy
    result = dict(value) if isinstance(value, dict) else {}
    result[head] = _change_list(result.get(head), rest, change)
    return result
