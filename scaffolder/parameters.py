"""A template's form on the server: its pages, its secret fields, and the validation of the values posted.

The form's own rules (pages, ``when:``, conditional parts, messages that never quote a value) live in
:mod:`scaffolder.forms.schema`, shared with the web form, so a form posted by hand gets the same answers as
the form in the page. Here: which fields are secret, the checks of the catalog-aware fields that matter on
the server (RepoUrlPicker's allowed hosts, owners and repositories; OwnerPicker and EntityPicker naming an
entity the picker offers, see :func:`scaffolder.forms.pickers.ref_problem`), defaults, and the cleaned values.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from scaffolder import hosts as repo_hosts
from scaffolder.forms import pickers
from scaffolder.forms.schema import pages_of, resolve, resolve_deep, validate, visible_pages

#: A field's place in the values: ``("database", "password")``.
Path = tuple[str, ...]
MISSING = object()

SECRET_FIELD = "Secret"  # noqa: S105 -- the name of a form field, not a secret
PASSWORD_WIDGET = "password"  # noqa: S105 -- the name of a widget
_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_OWNER = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
_CONDITIONAL = ("dependencies", "allOf", "anyOf", "oneOf", "then", "else")


class TaskInputError(ValueError):
    """Values a template refuses: ``errors`` maps a field path (``""`` for the whole form) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {path: list(messages) for path, messages in errors.items()}
        first = next(iter(self.errors.items()), ("", ["invalid values"]))
        super().__init__(f"{first[0] or 'form'}: {first[1][0]}" if first[1] else "invalid values")


def parameter_pages(template: dict) -> list[dict]:
    """``spec.parameters`` as Backstage's form steps: ``[{"title", "description", "schema"}]``."""
    return [
        {"title": page.title, "description": page.description, "schema": page.schema} for page in pages_of(template)
    ]


def _top_level_properties(schema: Any) -> dict[str, dict]:
    """The properties a page can give its top level, including those of its conditional parts."""
    found: dict[str, dict] = {}
    if not isinstance(schema, dict):
        return found
    properties = schema.get("properties")
    if isinstance(properties, dict):
        found.update({name: value for name, value in properties.items() if isinstance(value, dict)})
    for key in _CONDITIONAL:
        part = schema.get(key)
        if isinstance(part, list):
            parts = part
        elif key == "dependencies" and isinstance(part, dict):
            parts = list(part.values())
        else:
            parts = [part]
        for item in parts:
            if isinstance(item, dict) and isinstance(item.get("oneOf"), list):
                for branch in item["oneOf"]:
                    found.update(_top_level_properties(branch))
            found.update(_top_level_properties(item))
    return found


def is_secret_field(schema: dict) -> bool:
    return schema.get("ui:field") == SECRET_FIELD or schema.get("ui:widget") == PASSWORD_WIDGET


def _secret_leaves(schema: Any, prefix: Path, required: bool) -> dict[Path, tuple[dict, bool]]:
    """Secret fields at any depth of an object schema: ``{path: (schema, required)}``, ``required``
    when the field and every object above it are required."""
    found: dict[Path, tuple[dict, bool]] = {}
    listed = set(schema.get("required") or []) if isinstance(schema, dict) else set()
    for name, child in _top_level_properties(schema).items():
        path, needed = (*prefix, name), required and name in listed
        if is_secret_field(child):
            found[path] = (child, needed)
        elif child.get("type") == "object" or "properties" in child:
            found.update(_secret_leaves(child, path, needed))
    return found


def secret_paths(template: dict) -> dict[Path, tuple[dict, bool]]:
    """The template's secret fields (``ui:field: Secret`` or ``ui:widget: password``), inside objects
    too: ``{("database", "password"): (schema, required)}``."""
    found: dict[Path, tuple[dict, bool]] = {}
    for page in pages_of(template):
        found.update(_secret_leaves(page.schema, (), True))
    return found


def secret_fields(template: dict) -> set[str]:
    """The secret fields as the form names them (``database.password`` inside an object)."""
    return {".".join(path) for path in secret_paths(template)}


def password_paths(template: dict) -> set[Path]:
    """The secret fields that are ``ui:widget: password``: Backstage templates read them as parameters too."""
    return {
        path
        for path, (schema, _required) in secret_paths(template).items()
        if schema.get("ui:widget") == PASSWORD_WIDGET and schema.get("ui:field") != SECRET_FIELD
    }


def required_secret_paths(template: dict) -> list[tuple[Path, dict]]:
    return [(path, schema) for path, (schema, required) in secret_paths(template).items() if required]


def value_at(values: Any, path: Path) -> Any:
    """The value at ``path`` in ``values``, or ``MISSING``."""
    for name in path:
        if not isinstance(values, dict) or name not in values:
            return MISSING
        values = values[name]
    return values


def _put(values: dict, path: Path, value: Any) -> None:
    for name in path[:-1]:
        child = values.get(name)
        if not isinstance(child, dict):
            child = values[name] = {}
        values = child
    values[path[-1]] = value


def merge(values: dict, extra: dict) -> dict:
    """``values`` with ``extra`` laid over it, objects merged key by key."""
    merged = dict(values)
    for name, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = merge(merged[name], value)
        else:
            merged[name] = value
    return merged


def split_secrets(values: dict, paths: Iterable[Path]) -> tuple[dict, dict]:
    """``(values without the secret fields, the secret fields alone)``, both shaped like the form."""
    public = copy.deepcopy(values)
    secrets: dict[str, Any] = {}
    for path in paths:
        value = value_at(public, path)
        if value is MISSING:
            continue
        _put(secrets, path, value)
        parent = value_at(public, path[:-1]) if len(path) > 1 else public
        del parent[path[-1]]
    return public, secrets


def pick(values: dict, paths: Iterable[Path]) -> dict:
    """Only the fields at ``paths`` of ``values`` (shaped like the form)."""
    return split_secrets(values, paths)[1]


def given_secrets(template: dict, given: dict) -> tuple[dict, list[str]]:
    """Secrets given apart from the values (the API's ``secrets``, a retry's form), by name, by
    dotted path or shaped like the form: ``(the secrets, shaped like the form; the names given that
    are no secret field of the template)``."""
    paths = secret_paths(template)
    secrets: dict = {}
    unknown: list[str] = []

    def visit(value: Any, prefix: Path) -> None:
        if prefix in paths:
            _put(secrets, prefix, value)
        elif isinstance(value, dict) and value and any(path[: len(prefix)] == prefix for path in paths):
            for name, item in value.items():
                visit(item, (*prefix, str(name)))
        else:
            unknown.append(".".join(prefix))

    for name, value in given.items():
        visit(value, tuple(str(name).split(".")))
    return secrets, sorted(unknown)


def _with_defaults(pages, values: dict) -> dict:
    filled = dict(values)
    for page in pages:
        for name, schema in (page.schema.get("properties") or {}).items():
            if isinstance(schema, dict) and "default" in schema and name not in filled:
                filled[name] = schema["default"]
    return filled


def _options(schema: dict) -> dict:
    options = schema.get("ui:options")
    return options if isinstance(options, dict) else {}


def _allowed(options: dict, key: str) -> list[str]:
    values = options.get(key)
    return [value for value in values if isinstance(value, str) and value] if isinstance(values, list) else []


def _repo_url_problems(schema: dict, value: Any) -> list[str]:
    """RepoUrlPicker on the server: ``host?owner=o&repo=r`` on an allowed host, owner and repository."""
    if not isinstance(value, str) or not value:
        return []
    options = _options(schema)
    host, _, query = value.partition("?")
    params = parse_qs(query)
    owner = (params.get("owner") or params.get("organization") or [""])[0]
    repo = (params.get("repo") or [""])[0]
    hosts = repo_hosts.names(options)
    problems = []
    if host not in hosts:
        problems.append(f"Choose a host among {', '.join(hosts)}.")
    owners, repos = _allowed(options, "allowedOwners"), _allowed(options, "allowedRepos")
    if not owner or not _OWNER.match(owner) or (owners and owner not in owners):
        problems.append("Choose one of the allowed owners." if owners else "Enter a valid owner.")
    if not repo or not _NAME.match(repo) or (repos and repo not in repos):
        problems.append("Choose one of the allowed repositories." if repos else "Enter a valid repository name.")
    return problems


#: The pickers whose value must name an entity of the catalog (unless ``allowArbitraryValues: true``).
ENTITY_PICKERS = {
    "OwnerPicker": "owner",
    "MyGroupsPicker": "owner",
    "EntityPicker": "entity",
    "OwnedEntityPicker": "entity",
}


def _entity_problems(schema: dict, value: Any, path: str, user, errors: dict[str, list[str]]) -> None:
    """The entity pickers of ``schema`` (at any depth of objects and lists of objects) whose value names no
    entity they offer ``user``, added to ``errors`` (a field that has an error already keeps only that)."""
    field = schema.get("ui:field")
    kind = ENTITY_PICKERS.get(field) if isinstance(field, str) else None
    if kind is not None:
        if path not in errors:
            problem = pickers.ref_problem(user, kind, schema["ui:field"], _options(schema), value)
            if problem:
                errors[path] = [problem]
        return
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        for name, child in schema["properties"].items():
            if isinstance(child, dict) and name in value:
                _entity_problems(child, value[name], f"{path}.{name}" if path else name, user, errors)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            item_schema = resolve_deep(schema["items"], item) if isinstance(item, dict) else schema["items"]
            _entity_problems(item_schema, item, f"{path}.{index}", user, errors)


def _paths_with_nul(value: Any, path: str = "") -> list[str]:
    """The dotted paths of the values (or keys) that hold a NUL character, which no database text may."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key).replace("\x00", "\\0")
            where = f"{path}.{name}" if path else name
            found += [where] if "\x00" in str(key) else _paths_with_nul(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths_with_nul(item, f"{path}.{index}" if path else str(index))
    return found


def validate_values(template: dict, values: dict, *, user=None) -> dict:
    """Check ``values`` against every page shown for them; the cleaned values, or :class:`TaskInputError`.

    Pages hidden by ``when:`` are neither validated nor kept; missing fields with a ``default`` get it; only
    the fields the shown pages declare are kept (secrets included: :func:`create_task` splits them off).
    Entity pickers are checked against the catalog as ``user`` sees it (without a user: as every signed-in
    user sees it, a MyGroupsPicker then taking any group).
    """
    if not isinstance(values, dict):
        raise TaskInputError({"": ["The values must be a JSON object."]})
    with_nul = sorted(_paths_with_nul(values))
    if with_nul:
        message = "Remove the NUL character (\\0): no value may contain one."
        raise TaskInputError({path: [message] for path in with_nul})
    pages = pages_of(template)
    filled = _with_defaults(pages, values)
    shown = visible_pages(pages, filled)
    filled = _with_defaults(shown, values)
    errors: dict[str, list[str]] = {}
    declared: dict[str, dict] = {}
    for page in shown:
        for path, messages in validate(page.schema, filled).items():
            bucket = errors.setdefault(path, [])
            bucket.extend(message for message in messages if message not in bucket)
        resolved = resolve(page.schema, filled)
        declared.update(
            {name: schema for name, schema in (resolved.get("properties") or {}).items() if isinstance(schema, dict)}
        )
    for name, schema in declared.items():
        if schema.get("ui:field") == "RepoUrlPicker" and name not in errors:
            problems = _repo_url_problems(schema, filled.get(name))
            if problems:
                errors[name] = problems
    for page in shown:
        _entity_problems(resolve_deep(page.schema, filled), filled, "", user, errors)
    if errors:
        raise TaskInputError(errors)
    return {name: filled[name] for name in declared if name in filled}
