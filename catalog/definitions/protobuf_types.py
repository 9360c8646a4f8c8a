"""What a ``.proto`` file declares, as :mod:`catalog.definitions.protobuf` reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a description (of its first paragraph, at most ``limit`` characters)."""
    paragraph = text.split("\n\n", 1)[0].replace("\n", " ")
    sentence = re.split(r"(?<=[.!?])\s", paragraph, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "…"


@dataclass
class Token:
    kind: str  # ident, number, string, symbol, end
    value: str
    line: int


@dataclass
class Comment:
    text: str
    first_line: int
    last_line: int
    own_line: bool  # nothing but space before it on its first line
    block: bool  # /* … */ rather than //


@dataclass
class Field:
    name: str
    type: str
    number: str
    label: str = ""  # optional, repeated, required, map
    oneof: str = ""
    description: str = ""
    options: list[str] = field(default_factory=list)
    reference: str = ""  # the type to look up: the value type of a map
    type_anchor: str = ""  # the message or enum of this file it refers to

    @property
    def deprecated(self) -> bool:
        return "deprecated = true" in self.options


@dataclass
class EnumValue:
    name: str
    number: str
    description: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Type:
    """A message or an enum, named in full (``package.Outer.Inner``)."""

    kind: str  # message, enum
    name: str
    full_name: str
    description: str = ""
    fields: list[Field] = field(default_factory=list)
    values: list[EnumValue] = field(default_factory=list)
    local_name: str = ""  # without the package: Outer.Inner

    @property
    def anchor(self) -> str:
        return f"proto-{self.full_name}"

    @property
    def summary(self) -> str:
        return first_sentence(self.description)


@dataclass
class Method:
    name: str
    request: str
    response: str
    request_stream: bool = False
    response_stream: bool = False
    description: str = ""
    options: list[str] = field(default_factory=list)
    http: list[str] = field(default_factory=list)  # "POST /v1/shelves (body: shelf)"
    request_type: Type | None = None
    response_type: Type | None = None

    @property
    def streaming(self) -> str:
        return {
            (False, False): "",
            (True, False): "client streaming",
            (False, True): "server streaming",
            (True, True): "bidirectional streaming",
        }[(self.request_stream, self.response_stream)]

    @property
    def summary(self) -> str:
        return first_sentence(self.description)

    @property
    def deprecated(self) -> bool:
        return "deprecated = true" in self.options


@dataclass
class Service:
    name: str
    full_name: str
    description: str = ""
    methods: list[Method] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


@dataclass
class ProtoFile:
    syntax: str
    package: str
    imports: list[str]
    options: list[str]
    services: list[Service]
    types: list[Type]

    @property
    def method_count(self) -> int:
        return sum(len(service.methods) for service in self.services)

    @property
    def messages(self) -> list[Type]:
        return [item for item in self.types if item.kind == "message"]

    @property
    def enums(self) -> list[Type]:
        return [item for item in self.types if item.kind == "enum"]
