"""A template's form on the server: its pages, its secret fields, and the validation of the values posted.

The form's own rules (pages, ``when:``, conditional parts, messages that never quote a value) live in
:mod:`scaffolder.forms.schema`, shared with the web form, so a form posted by hand gets the same answers as
the form in the page. Here: which fields are secret, the checks of the catalog-aware fields that matter on
the server (RepoUrlPicker's allowed hosts, owners and repositories), defaults, and the cleaned values.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from scaffolder.forms.schema import pages_of, resolve, validate, visible_pages

SECRET_FIELD = "Secret"  # noqa: S105 -- the name of a form field, not a secret
PASSWORD_WIDGET = "password"  # noqa: S105 -- the name of a widget
DEFAULT_REPO_HOSTS = ("github.com",)
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


def _field_properties(template: dict) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for page in pages_of(template):
        found.update(_top_level_properties(page.schema))
    return found


def is_secret_field(schema: dict) -> bool:
    return schema.get("ui:field") == SECRET_FIELD or schema.get("ui:widget") == PASSWORD_WIDGET


def secret_fields(template: dict) -> set[str]:
    """Names of the parameters whose values are secrets: ``ui:field: Secret`` or ``ui:widget: password``."""
    return {name for name, schema in _field_properties(template).items() if is_secret_field(schema)}


def password_fields(template: dict) -> set[str]:
    """The secret fields that are ``ui:widget: password``: Backstage templates read them as parameters too."""
    return {
        name
        for name, schema in _field_properties(template).items()
        if schema.get("ui:widget") == PASSWORD_WIDGET and schema.get("ui:field") != SECRET_FIELD
    }


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
    hosts = _allowed(options, "allowedHosts") or list(DEFAULT_REPO_HOSTS)
    problems = []
    if host not in hosts:
        problems.append(f"Choose a host among {', '.join(hosts)}.")
    owners, repos = _allowed(options, "allowedOwners"), _allowed(options, "allowedRepos")
    if not owner or not _OWNER.match(owner) or (owners and owner not in owners):
        problems.append("Choose one of the allowed owners." if owners else "Enter a valid owner.")
    if not repo or not _NAME.match(repo) or (repos and repo not in repos):
        problems.append("Choose one of the allowed repositories." if repos else "Enter a valid repository name.")
    return problems


def validate_values(template: dict, values: dict) -> dict:
    """Check ``values`` against every page shown for them; the cleaned values, or :class:`TaskInputError`.

    Pages hidden by ``when:`` are neither validated nor kept; missing fields with a ``default`` get it; only
    the fields the shown pages declare are kept (secrets included: :func:`create_task` splits them off).
    """
    if not isinstance(values, dict):
        raise TaskInputError({"": ["The values must be a JSON object."]})
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
    if errors:
        raise TaskInputError(errors)
    return {name: filled[name] for name in declared if name in filled}
