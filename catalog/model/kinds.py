"""The shapes of the descriptor and of each built-in kind, and the kinds' reference fields.

The shapes follow the JSON Schemas of ``@backstage/catalog-model`` 1.10.1 (``Entity``, ``EntityMeta``
and ``kinds/*.v1alpha1``) and of ``@backstage/plugin-scaffolder-common`` (``Template.v1beta3``),
written here as plain dictionaries in a small subset of JSON Schema that :func:`check` applies:
``type`` (a name or a list of names), ``minLength``, ``enum``, ``required``, ``properties``,
``additionalProperties`` (``False`` or a schema), ``items`` and ``oneOf`` (with ``expected``, the
sentence to say when no alternative fits). Like those schemas, a mapping accepts fields it does not
describe, except at the top level of a descriptor.

The reference fields are those from which Backstage's ``BuiltinKindsEntityProcessor`` (catalog-backend
4.0.0) and ``ScaffolderEntitiesProcessor`` emit relations, in the order they emit them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]
Report = Callable[[str, str], None]

BACKSTAGE_VERSIONS = frozenset({"backstage.io/v1alpha1", "backstage.io/v1beta1"})
TEMPLATE_VERSION = "scaffolder.backstage.io/v1beta3"

#: The fields a descriptor may have at its top level (Backstage's NoForeignRootFieldsEntityPolicy).
ROOT_FIELDS = ("apiVersion", "kind", "metadata", "spec")


def _string() -> Schema:
    return {"type": "string", "minLength": 1}


def _strings() -> Schema:
    return {"type": "array", "items": _string()}


def _dependency_of() -> Schema:
    # ``dependencyOf`` is in no kind schema: Backstage's processor reads a string or a list of them,
    # and ignores an empty value.
    return {"type": ["string", "array", "null"], "items": _string()}


def _profile() -> Schema:
    return {
        "type": "object",
        "properties": {"displayName": _string(), "email": _string(), "picture": _string()},
    }


def _permission_tags() -> Schema:
    return {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}


ROOT_SCHEMA: Schema = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata"],
    "properties": {
        "apiVersion": _string(),
        "kind": _string(),
        "metadata": {"type": "object"},
        "spec": {"type": "object"},
    },
}

METADATA_SCHEMA: Schema = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "uid": _string(),
        "etag": _string(),
        "name": _string(),
        "namespace": _string(),
        "title": _string(),
        "description": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "tags": _strings(),
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["url"],
                "properties": {"url": _string(), "title": _string(), "icon": _string(), "type": _string()},
            },
        },
    },
}

_TEMPLATE_OUTPUT_ITEM = {"if": {"type": ["string", "boolean"]}, "title": _string(), "icon": _string()}

SPEC_SCHEMAS: dict[str, Schema] = {
    "Component": {
        "type": "object",
        "required": ["type", "lifecycle", "owner"],
        "properties": {
            "type": _string(),
            "lifecycle": _string(),
            "owner": _string(),
            "system": _string(),
            "subcomponentOf": _string(),
            "providesApis": _strings(),
            "consumesApis": _strings(),
            "dependsOn": _strings(),
            "dependencyOf": _dependency_of(),
        },
    },
    "API": {
        "type": "object",
        "required": ["type", "lifecycle", "owner", "definition"],
        "properties": {
            "type": _string(),
            "lifecycle": _string(),
            "owner": _string(),
            "system": _string(),
            "definition": _string(),
        },
    },
    "System": {
        "type": "object",
        "required": ["owner"],
        "properties": {"owner": _string(), "domain": _string(), "type": _string()},
    },
    "Domain": {
        "type": "object",
        "required": ["owner"],
        "properties": {"owner": _string(), "subdomainOf": _string(), "type": _string()},
    },
    "Resource": {
        "type": "object",
        "required": ["type", "owner"],
        "properties": {
            "type": _string(),
            "owner": _string(),
            "dependsOn": _strings(),
            "dependencyOf": _dependency_of(),
            "system": _string(),
        },
    },
    "Group": {
        "type": "object",
        "required": ["type", "children"],
        "properties": {
            "type": _string(),
            "profile": _profile(),
            "parent": _string(),
            "children": _strings(),
            "members": _strings(),
        },
    },
    "User": {
        "type": "object",
        "required": ["memberOf"],
        "properties": {"profile": _profile(), "memberOf": _strings()},
    },
    "Location": {
        "type": "object",
        "properties": {
            "type": _string(),
            "target": _string(),
            "targets": _strings(),
            "presence": {"type": "string", "enum": ["required", "optional"]},
        },
    },
    "Template": {
        "type": "object",
        "required": ["type", "steps"],
        "properties": {
            "type": _string(),
            "owner": _string(),
            "lifecycle": _string(),
            "parameters": {
                "oneOf": [
                    {"type": "object", "properties": {"backstage:permissions": _permission_tags()}},
                    {
                        "type": "array",
                        "items": {"type": "object", "properties": {"backstage:permissions": _permission_tags()}},
                    },
                ],
                "expected": "a mapping or a list of mappings",
            },
            "secrets": {"type": "object", "properties": {"schema": {"type": "object"}}},
            "presentation": {
                "type": "object",
                "properties": {
                    "buttonLabels": {
                        "type": "object",
                        "properties": {
                            "backButtonText": {"type": "string"},
                            "createButtonText": {"type": "string"},
                            "reviewButtonText": {"type": "string"},
                        },
                    }
                },
            },
            "EXPERIMENTAL_recovery": {"type": "object", "properties": {"EXPERIMENTAL_strategy": {"type": "string"}}},
            "formDecorators": {
                "type": "array",
                "items": {"type": "object", "properties": {"id": {"type": "string"}, "input": {"type": "object"}}},
            },
            "EXPERIMENTAL_formDecorators": {
                "type": "array",
                "items": {"type": "object", "properties": {"id": {"type": "string"}, "input": {"type": "object"}}},
            },
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["action"],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "action": {"type": "string"},
                        "input": {"type": "object"},
                        "if": {"type": ["string", "boolean"]},
                        "backstage:permissions": _permission_tags(),
                    },
                },
            },
            "output": {
                "type": "object",
                "properties": {
                    "links": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {**_TEMPLATE_OUTPUT_ITEM, "url": _string(), "entityRef": _string()},
                        },
                    },
                    "text": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {**_TEMPLATE_OUTPUT_ITEM, "content": {"type": "string"}},
                        },
                    },
                },
                "additionalProperties": {"type": "string"},
            },
        },
    },
}

#: kind -> the apiVersions accepted for it.
KNOWN_KINDS: dict[str, set[str]] = {
    **{kind: set(BACKSTAGE_VERSIONS) for kind in SPEC_SCHEMAS if kind != "Template"},
    "Template": {TEMPLATE_VERSION},
}


@dataclass(frozen=True)
class RefField:
    """A ``spec`` field that refers to other entities, and the relation it makes."""

    field: str  # the key under spec
    default_kind: str | None  # the kind of a reference written without one (None: it must have one)
    relation: str  # from the entity to the target; the inverse goes back


#: kind -> its reference fields, in the order Backstage's processors emit their relations.
REF_FIELDS: dict[str, tuple[RefField, ...]] = {
    "Component": (
        RefField("owner", "Group", "ownedBy"),
        RefField("subcomponentOf", "Component", "partOf"),
        RefField("providesApis", "API", "providesApi"),
        RefField("consumesApis", "API", "consumesApi"),
        RefField("dependsOn", None, "dependsOn"),
        RefField("dependencyOf", None, "dependencyOf"),
        RefField("system", "System", "partOf"),
    ),
    "API": (RefField("owner", "Group", "ownedBy"), RefField("system", "System", "partOf")),
    "Resource": (
        RefField("owner", "Group", "ownedBy"),
        RefField("dependsOn", None, "dependsOn"),
        RefField("dependencyOf", None, "dependencyOf"),
        RefField("system", "System", "partOf"),
    ),
    "User": (RefField("memberOf", "Group", "memberOf"),),
    "Group": (
        RefField("parent", "Group", "childOf"),
        RefField("children", "Group", "parentOf"),
        RefField("members", "User", "hasMember"),
    ),
    "System": (RefField("owner", "Group", "ownedBy"), RefField("domain", "Domain", "partOf")),
    "Domain": (RefField("owner", "Group", "ownedBy"), RefField("subdomainOf", "Domain", "partOf")),
    "Template": (RefField("owner", "Group", "ownedBy"),),
}


def ref_fields(entity: dict) -> tuple[RefField, ...]:
    """The reference fields of an entity's kind (a Template's only in its v1beta3 form)."""
    kind = entity.get("kind")
    if kind == "Template" and entity.get("apiVersion") != TEMPLATE_VERSION:
        return ()
    return REF_FIELDS.get(kind, ()) if isinstance(kind, str) else ()


# --- applying a schema -------------------------------------------------------------------------

_TYPE_NAMES = {
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
    "boolean": "a boolean",
    "number": "a number",
    "integer": "an integer",
    "null": "null",
}


def describe(value: object) -> str:
    """What a value is, for a message: 'a number (42)', 'a list', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({value})"


def _is_type(value: object, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return name == "null" and value is None


def join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def matches(schema: Schema, value: object) -> bool:
    """Whether a value fits a schema, without reporting anything."""
    found: list[str] = []
    check(schema, value, "", lambda _path, message: found.append(message))
    return not found


def check(schema: Schema, value: object, path: str, report: Report, *, required_by: str = "") -> None:
    """Apply ``schema`` to ``value`` found at ``path``, calling ``report(path, message)`` for each
    problem. ``required_by`` ends the message of a missing required field ('for kind API')."""
    if "oneOf" in schema:
        fitting = sum(1 for alternative in schema["oneOf"] if matches(alternative, value))
        if fitting != 1:
            report(path, f"{path} must be {schema['expected']}, not {describe(value)}")
        return
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, name) for name in names):
            described = [_TYPE_NAMES[name] for name in names]
            expected = " or ".join([", ".join(described[:-1]), described[-1]] if len(described) > 1 else described)
            report(path, f"{path} must be {expected}, not {describe(value)}")
            return
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            report(path, f"{path} must not be empty")
            return
        if "enum" in schema and value not in schema["enum"]:
            expected = ", ".join(schema["enum"])
            report(path, f'{path} "{value}" is not valid; expected one of: {expected}')
        return
    if isinstance(value, list):
        items = schema.get("items")
        if items is not None:
            for index, item in enumerate(value):
                check(items, item, join(path, index), report)
        return
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                where = f" {required_by}" if required_by else ""
                report(join(path, name), f"{join(path, name)} is missing; it is required{where}")
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                check(properties[key], item, join(path, key), report)
            elif extra is False:
                report(join(path, key), f"{join(path, key)} is not an allowed field")
            elif isinstance(extra, dict):
                check(extra, item, join(path, key), report)
