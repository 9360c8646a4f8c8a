"""OpenAPI definitions made readable: operations grouped by tag, parameters, schemas as trees.

Reads OpenAPI 3.x and Swagger 2.0 documents (YAML or JSON). ``$ref`` pointers inside the document
(``#/components/schemas/Pet``) are followed; a reference back to a schema already being expanded is
shown as such instead of being expanded again, and trees stop at a depth and a size, so no
document, however cyclic or large, makes the page run away. References to other files are shown
as they are written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_DEPTH = 8
MAX_NODES = 300


class DefinitionError(ValueError):
    """The text is not an OpenAPI document this module can read; the message says why."""


@dataclass
class SchemaNode:
    name: str
    type: str = ""
    required: bool = False
    description: str = ""
    ref: str = ""  # the name of the schema a $ref pointed to
    facts: list[str] = field(default_factory=list)  # format, enum, default, nullable, …
    note: str = ""  # circular, cut, external
    children: list[SchemaNode] = field(default_factory=list)


@dataclass
class Body:
    media_types: list[str]
    tree: SchemaNode | None


@dataclass
class Parameter:
    name: str
    location: str
    required: bool
    type: str
    description: str
    deprecated: bool = False


@dataclass
class Response:
    status: str
    description: str
    bodies: list[Body]


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    description: str
    operation_id: str
    deprecated: bool
    parameters: list[Parameter]
    request_body: list[Body]
    request_required: bool
    responses: list[Response]

    @property
    def anchor(self) -> str:
        slug = "".join(char if char.isalnum() else "-" for char in f"{self.method}-{self.path}").strip("-")
        return f"op-{slug.lower()}"


@dataclass
class Tag:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Document:
    title: str
    version: str
    description: str
    spec_version: str
    servers: list[str]
    tags: list[Tag]

    @property
    def operation_count(self) -> int:
        return sum(len(tag.operations) for tag in self.tags)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class SchemaReader:
    """Follows local references of a document and turns its (JSON) schemas into trees."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.budget = MAX_NODES

    def pointer(self, ref: str) -> tuple[str, Any]:
        """(name, target) of a local ``#/…`` reference; target None when it cannot be followed."""
        if not ref.startswith("#/"):
            return ref, None
        current: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(current, dict) and part in current:
                current = current[part]
            elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
                current = current[int(part)]
            else:
                return ref.rsplit("/", 1)[-1], None
        return ref.rsplit("/", 1)[-1], current

    def deref(self, value: Any, seen: tuple[str, ...] = ()) -> dict:
        """A parameter, body or response object with its ``$ref`` (chain) followed."""
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if ref in seen:
                return {}
            seen = (*seen, ref)
            value = self.pointer(ref)[1]
        return _mapping(value)

    # --- schemas --------------------------------------------------------------------------------

    def type_label(self, schema: Any, seen: tuple[str, ...] = ()) -> str:
        schema = _mapping(schema)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self.pointer(ref)[0]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = " | ".join(str(item) for item in kind)
        if kind == "array" or (not kind and "items" in schema):
            return f"array of {self.type_label(schema.get('items'), seen) or 'any'}"
        for combinator, word in (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")):
            if isinstance(schema.get(combinator), list):
                return word
        if not kind and "properties" in schema:
            kind = "object"
        return str(kind or "")

    def tree(
        self, schema: Any, name: str, *, required: bool = False, stack: tuple[str, ...] = (), depth: int = 0
    ) -> SchemaNode:
        node = SchemaNode(name=name, required=required)
        self.budget -= 1
        schema = _mapping(schema)
        ref = schema.get("$ref")
        if isinstance(ref, str):
            ref_name, target = self.pointer(ref)
            node.ref = ref_name
            if ref in stack:
                node.type, node.note = ref_name, f"circular: {ref_name} again, as above"
                return node
            if target is None:
                node.type, node.note = ref_name, f"reference not followed: {ref}"
                return node
            stack, schema = (*stack, ref), _mapping(target)
        node.type = node.ref or self.type_label(schema)
        if node.ref and self.type_label(schema).startswith("array"):
            node.type = f"{node.ref} ({self.type_label(schema)})"
        node.description = _text(schema.get("description")) or _text(schema.get("title"))
        node.facts = _facts(schema)
        if depth >= MAX_DEPTH or self.budget <= 0:
            if _has_children(schema):
                node.note = "… (deeper levels not shown)"
            return node
        self._children(node, schema, stack, depth)
        return node

    def _children(self, node: SchemaNode, schema: dict, stack: tuple[str, ...], depth: int) -> None:
        required = found if isinstance(found := schema.get("required"), list) else []
        for key, value in _mapping(schema.get("properties")).items():
            if self.budget <= 0:
                node.note = "… (more properties not shown)"
                return
            node.children.append(self.tree(value, str(key), required=key in required, stack=stack, depth=depth + 1))
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            node.children.append(self.tree(extra, "[any key]", stack=stack, depth=depth + 1))
        items = schema.get("items")
        if isinstance(items, dict):
            item = self.tree(items, "[item]", stack=stack, depth=depth + 1)
            if item.children or item.note:
                node.children.append(item)
        for combinator, word in (("allOf", "all of"), ("oneOf", "option"), ("anyOf", "option")):
            parts = schema.get(combinator)
            if not isinstance(parts, list):
                continue
            for index, part in enumerate(parts, 1):
                child = self.tree(part, f"{word} {index}", stack=stack, depth=depth + 1)
                if combinator == "allOf" and not child.ref and child.children:
                    node.children.extend(child.children)  # an inline part: merge its properties
                else:
                    node.children.append(child)


def _has_children(schema: dict) -> bool:
    return any(key in schema for key in ("properties", "items", "allOf", "oneOf", "anyOf", "additionalProperties"))


def _facts(schema: dict) -> list[str]:
    facts = []
    if schema.get("format"):
        facts.append(f"format: {schema['format']}")
    if isinstance(schema.get("enum"), list):
        facts.append("one of: " + ", ".join(json.dumps(item, default=str) for item in schema["enum"][:20]))
    if "default" in schema:
        facts.append(f"default: {json.dumps(schema['default'], default=str)}")
    for flag in ("nullable", "readOnly", "writeOnly", "deprecated"):
        if schema.get(flag) is True:
            facts.append(flag)
    for bound in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern"):
        if bound in schema:
            facts.append(f"{bound}: {schema[bound]}")
    return facts


def _bodies(reader: SchemaReader, content: Any, label: str) -> list[Body]:
    """One body per distinct schema, listing the media types that share it."""
    bodies: list[Body] = []
    by_schema: dict[str, Body] = {}
    for media_type, media in _mapping(content).items():
        schema = _mapping(media).get("schema")
        key = json.dumps(schema, sort_keys=True, default=str)
        if key in by_schema:
            by_schema[key].media_types.append(str(media_type))
            continue
        tree = reader.tree(schema, label) if isinstance(schema, dict) else None
        body = Body([str(media_type)], tree)
        by_schema[key] = body
        bodies.append(body)
    return bodies


def _operation(reader: SchemaReader, path: str, method: str, item: dict, operation: dict, swagger: bool) -> Operation:
    parameters: list[Parameter] = []
    request: list[Body] = []
    request_required = False
    merged: dict[tuple[str, str], dict] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = reader.deref(raw)
        merged[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
    for parameter in merged.values():
        if swagger and parameter.get("in") == "body":
            tree = reader.tree(parameter.get("schema"), "body")
            consumes = operation.get("consumes") or reader.document.get("consumes") or ["application/json"]
            request.append(Body([str(media) for media in consumes], tree))
            request_required = bool(parameter.get("required"))
            continue
        schema = parameter.get("schema") if isinstance(parameter.get("schema"), dict) else parameter
        parameters.append(
            Parameter(
                name=str(parameter.get("name", "")),
                location=str(parameter.get("in", "")),
                required=bool(parameter.get("required")),
                type=reader.type_label(schema),
                description=_text(parameter.get("description")),
                deprecated=bool(parameter.get("deprecated")),
            )
        )
    if not swagger and "requestBody" in operation:
        body = reader.deref(operation["requestBody"])
        request = _bodies(reader, body.get("content"), "body")
        request_required = bool(body.get("required"))
    responses = []
    for status, raw in _mapping(operation.get("responses")).items():
        response = reader.deref(raw)
        if swagger:
            produces = operation.get("produces") or reader.document.get("produces") or ["application/json"]
            schema = response.get("schema")
            bodies = [Body([str(media) for media in produces], reader.tree(schema, "body"))] if schema else []
        else:
            bodies = _bodies(reader, response.get("content"), "body")
        responses.append(Response(str(status), _text(response.get("description")), bodies))
    return Operation(
        method=method,
        path=path,
        summary=_text(operation.get("summary")),
        description=_text(operation.get("description")),
        operation_id=_text(operation.get("operationId")),
        deprecated=bool(operation.get("deprecated")),
        parameters=parameters,
        request_body=request,
        request_required=request_required,
        responses=responses,
    )


def load(text: str) -> dict:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"The definition is not valid YAML or JSON: {exc}") from None
    if not isinstance(document, dict) or not ("openapi" in document or "swagger" in document):
        raise DefinitionError("The definition has no 'openapi' or 'swagger' field: it is not an OpenAPI document.")
    return document


def parse(text: str) -> Document:
    """The readable form of an OpenAPI document, or :class:`DefinitionError`."""
    document = load(text)
    swagger = "swagger" in document and "openapi" not in document
    reader = SchemaReader(document)
    info = _mapping(document.get("info"))
    tags: dict[str, Tag] = {}
    for declared in document.get("tags") or []:
        declared = _mapping(declared)
        if declared.get("name"):
            tags[str(declared["name"])] = Tag(str(declared["name"]), _text(declared.get("description")))
    for path, raw_item in _mapping(document.get("paths")).items():
        item = reader.deref(raw_item)
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parsed = _operation(reader, str(path), method, item, operation, swagger)
            for tag_name in [str(tag) for tag in operation.get("tags") or []] or ["Other operations"]:
                tags.setdefault(tag_name, Tag(tag_name, "")).operations.append(parsed)
    if swagger:
        base = f"{document.get('host', '')}{document.get('basePath', '')}"
        schemes = document.get("schemes") or ["https"]
        servers = [f"{schemes[0]}://{base}"] if base else []
    else:
        servers = [str(_mapping(server).get("url")) for server in document.get("servers") or [] if _mapping(server)]
    return Document(
        title=_text(info.get("title")),
        version=_text(str(info.get("version", ""))),
        description=_text(info.get("description")),
        spec_version=str(document.get("openapi") or document.get("swagger")),
        servers=servers,
        tags=[tag for tag in tags.values() if tag.operations],
    )
