"""The API definition of an API entity, as its page shows it: highlighted text for every type, and a
readable summary for OpenAPI (:mod:`catalog.openapi_render`), AsyncAPI (:mod:`.asyncapi`) and gRPC
(:mod:`.protobuf`) definitions.

A definition that cannot be summarised is still shown as highlighted text, with the reason; the
page never fails because of what a definition holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import structlog
from django.utils.safestring import SafeString

from catalog import openapi_render
from catalog.definitions import asyncapi, highlight, protobuf

logger = structlog.get_logger("catalog.definitions")


@dataclass(frozen=True)
class Kind:
    summary: str  # the template showing the summary, "" for none
    label: str
    language: str  # the lexer of catalog.definitions.highlight, "" for plain text


#: ``spec.type`` of an API entity → how its definition is shown. Backstage's own types first.
KINDS = {
    "openapi": Kind("openapi", "OpenAPI", "yaml"),
    "asyncapi": Kind("asyncapi", "AsyncAPI", "yaml"),
    "graphql": Kind("", "GraphQL", "graphql"),
    "grpc": Kind("protobuf", "gRPC", "protobuf"),
    "protobuf": Kind("protobuf", "Protocol Buffers", "protobuf"),
    "proto": Kind("protobuf", "Protocol Buffers", "protobuf"),
    "trpc": Kind("", "tRPC", "typescript"),
}
PLAIN = Kind("", "", "")
LANGUAGE_NAMES = {
    "yaml": "YAML",
    "json": "JSON",
    "graphql": "GraphQL",
    "protobuf": "Protocol Buffers",
    "typescript": "TypeScript",
    "": "plain text",
}
READERS = {"openapi": openapi_render.parse, "asyncapi": asyncapi.parse, "protobuf": protobuf.parse}


@dataclass
class Definition:
    type: str  # spec.type as written, lower case
    label: str
    summary: str  # which summary template, "" for none
    language: str
    text: str
    highlighted: SafeString
    document: object | None = None
    error: str = ""

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES[self.language]

    @property
    def line_count(self) -> int:
        return highlight.line_count(self.text)

    @property
    def error_line(self) -> int | None:
        """The line a reader stopped at, when its message names one (``Line 12: …``)."""
        found = re.match(r"Line (\d+):", self.error)
        return int(found.group(1)) if found and int(found.group(1)) <= self.line_count else None

    @property
    def caption(self) -> str:
        """What the text is, for the line above it."""
        lines = f"{self.line_count} line{'' if self.line_count == 1 else 's'}"
        if not self.label:
            return f"Plain text · {lines}"
        if self.language_name == self.label:
            return f"{self.label} definition · {lines}"
        return f"{self.label} definition, highlighted as {self.language_name} · {lines}"

    @property
    def gutter(self) -> int:
        """Characters the line numbers need."""
        return len(str(self.line_count))


def _language(kind: Kind, text: str) -> str:
    """YAML-based types may be written as JSON too; JSON is valid YAML, but reads better highlighted as JSON."""
    if kind.language == "yaml" and text.lstrip().startswith(("{", "[")):
        return "json"
    return kind.language


def read(api_type: str, text: str) -> Definition:
    """How the definition of an API entity of ``spec.type`` ``api_type`` is shown."""
    api_type = api_type.strip().lower()
    kind = KINDS.get(api_type, PLAIN)
    language = _language(kind, text)
    definition = Definition(
        type=api_type,
        label=kind.label,
        summary=kind.summary,
        language=language,
        text=text,
        highlighted=highlight.highlight(text, language),
    )
    reader = READERS.get(kind.summary)
    if reader is None:
        return definition
    try:
        definition.document = reader(text)
    except openapi_render.DefinitionError as exc:
        definition.error = str(exc)
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError):
        # A shape of document the reader did not foresee: the text is still worth showing.
        logger.warning("api definition could not be summarised", api_type=api_type, exc_info=True)
        definition.error = f"This {kind.label} definition could not be summarised."
    return definition
