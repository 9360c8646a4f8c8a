"""AsyncAPI definitions made readable: servers, channels with their operations, and messages with
their payload schemas.

Reads AsyncAPI 2.x (``publish`` and ``subscribe`` inside each channel) and 3.x (``operations`` of
their own, pointing at a channel with ``$ref``), YAML or JSON. Local ``$ref`` pointers are followed
as in :mod:`catalog.openapi_render`, whose schema trees show the payloads; a payload in another
schema format (Avro, RAML, Protobuf) is named with its format and left to the definition text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from catalog.openapi_render import DefinitionError, SchemaNode, SchemaReader

#: Schema formats whose payloads are JSON Schema (AsyncAPI's own format is a superset).
JSON_SCHEMA_FORMATS = (
    "application/vnd.aai.asyncapi",
    "application/schema+json",
    "application/schema+yaml",
    "application/vnd.oai.openapi",
)
#: Schema nodes drawn for one message, and for the whole document.
MESSAGE_NODES, DOCUMENT_NODES = 300, 3000
MEANING = {
    "publish": "The application receives these messages: other applications publish them to the channel.",
    "subscribe": "The application sends these messages: other applications subscribe to the channel for them.",
    "send": "The application sends these messages to the channel.",
    "receive": "The application receives these messages from the channel.",
}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _slug(text: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in text).strip("-").lower()


@dataclass
class Server:
    name: str
    address: str
    protocol: str
    description: str


@dataclass
class Message:
    key: str  # the name it has in components, or in its channel
    name: str
    title: str
    summary: str
    description: str
    content_type: str
    payload: SchemaNode | None = None
    payload_note: str = ""
    headers: SchemaNode | None = None
    used_in: list[tuple[str, str]] = field(default_factory=list)  # (address, anchor) of the channels using it

    @property
    def label(self) -> str:
        return self.title or self.name or self.key

    @property
    def anchor(self) -> str:
        return f"msg-{_slug(self.key)}"


@dataclass
class Operation:
    action: str  # publish, subscribe (2.x); send, receive (3.x)
    operation_id: str
    summary: str
    description: str
    messages: list[Message]

    @property
    def meaning(self) -> str:
        return MEANING.get(self.action, "")


@dataclass
class Parameter:
    name: str
    description: str
    type: str
    facts: list[str]


@dataclass
class Channel:
    key: str  # its address in 2.x, its id in 3.x
    address: str
    description: str
    parameters: list[Parameter] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # 3.x: the messages it declares
    note: str = ""

    @property
    def anchor(self) -> str:
        return f"ch-{_slug(self.key)}"

    @property
    def summary(self) -> str:
        return next((operation.summary for operation in self.operations if operation.summary), self.description)


@dataclass
class Document:
    title: str
    version: str
    description: str
    spec_version: str
    default_content_type: str
    servers: list[Server]
    channels: list[Channel]
    messages: list[Message]


class _Reader(SchemaReader):
    def __init__(self, document: dict) -> None:
        super().__init__(document)
        self.default_content_type = _text(document.get("defaultContentType"))
        self.messages: dict[int, Message] = {}  # by the id() of the message object in the document
        self.keys: set[str] = set()
        self.left = DOCUMENT_NODES

    def schema_tree(self, schema: Any, name: str) -> SchemaNode:
        """A payload or headers tree, with a budget of nodes of its own, taken from the document's."""
        self.budget = allowed = min(MESSAGE_NODES, max(self.left, 1))
        node = self.tree(schema, name)
        self.left -= allowed - self.budget
        return node

    def follow(self, value: Any) -> tuple[str, dict]:
        """The object behind a ``$ref`` chain, and the name the last reference gives it ("" for none)."""
        name, seen = "", set()
        while isinstance(value, dict) and isinstance(value.get("$ref"), str) and value["$ref"] not in seen:
            seen.add(value["$ref"])
            name, value = self.pointer(value["$ref"])
        return name, _mapping(value)

    def message(self, value: Any, fallback: str, channel: Channel | None) -> Message:
        """The message ``value`` is or refers to, known by its reference's name, its own name or ``fallback``."""
        key, found = self.follow(value)
        key = key or _text(found.get("name")) or fallback
        message = self.messages.get(id(found))
        if message is None:
            message = self._read_message(key, found)
            self.messages[id(found)] = message
        used = (channel.address or channel.key, channel.anchor) if channel else None
        if used and used not in message.used_in:
            message.used_in.append(used)
        return message

    def _read_message(self, key: str, found: dict) -> Message:
        merged = dict(found)
        for trait in found.get("traits") or []:
            for name, value in self.deref(trait).items():
                merged.setdefault(name, value)
        unique, counter = key or "message", 2
        while unique in self.keys:
            unique, counter = f"{key}-{counter}", counter + 1
        self.keys.add(unique)
        message = Message(
            key=unique,
            name=_text(merged.get("name")),
            title=_text(merged.get("title")),
            summary=_text(merged.get("summary")),
            description=_text(merged.get("description")),
            content_type=_text(merged.get("contentType")) or self.default_content_type,
        )
        payload, schema_format = merged.get("payload"), _text(merged.get("schemaFormat"))
        if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:  # 3.x multi-format
            payload, schema_format = payload["schema"], _text(payload["schemaFormat"])
        if payload is not None:
            if schema_format and not schema_format.lower().startswith(JSON_SCHEMA_FORMATS):
                message.payload_note = f"A {schema_format} schema: read it in the definition text below."
            else:
                message.payload = self.schema_tree(payload, "payload")
        if isinstance(merged.get("headers"), dict):
            message.headers = self.schema_tree(merged["headers"], "headers")
        return message

    def parameters(self, raw: Any) -> list[Parameter]:
        parameters = []
        for name, value in _mapping(raw).items():
            parameter = self.deref(value)
            schema = _mapping(parameter.get("schema")) or parameter  # 3.x: enum and default on the parameter
            facts = _facts(schema)
            parameters.append(
                Parameter(str(name), _text(parameter.get("description")), self.type_label(schema) or "string", facts)
            )
        return parameters


def _facts(schema: dict) -> list[str]:
    facts = []
    if isinstance(schema.get("enum"), list):
        facts.append("one of: " + ", ".join(str(item) for item in schema["enum"][:20]))
    if "default" in schema:
        facts.append(f"default: {schema['default']}")
    return facts


def _servers(document: dict, major: str) -> list[Server]:
    servers = []
    for name, raw in _mapping(document.get("servers")).items():
        server = _mapping(raw)
        if major == "2":
            address = _text(server.get("url"))
        else:
            address = _text(server.get("host")) + _text(server.get("pathname"))
        protocol = " ".join(
            part for part in (_text(server.get("protocol")), str(server.get("protocolVersion") or "")) if part
        )
        servers.append(Server(str(name), address, protocol, _text(server.get("description"))))
    return servers


def _channels_v2(reader: _Reader, document: dict) -> list[Channel]:
    channels = []
    for address, raw in _mapping(document.get("channels")).items():
        item = reader.deref(raw)
        channel = Channel(
            str(address), str(address), _text(item.get("description")), reader.parameters(item.get("parameters"))
        )
        for action in ("publish", "subscribe"):
            operation = _mapping(item.get(action))
            if not operation:
                continue
            raw_message = operation.get("message")
            listed = _mapping(raw_message).get("oneOf")
            candidates = listed if isinstance(listed, list) else [raw_message] if raw_message is not None else []
            operation_id = _text(operation.get("operationId"))
            messages = [
                reader.message(candidate, f"{operation_id or f'{address} {action}'} {index}", channel)
                for index, candidate in enumerate(candidates, 1)
            ]
            channel.operations.append(
                Operation(
                    action, operation_id, _text(operation.get("summary")), _text(operation.get("description")), messages
                )
            )
        channels.append(channel)
    return channels


def _channels_v3(reader: _Reader, document: dict) -> list[Channel]:
    channels: dict[str, Channel] = {}
    for key, raw in _mapping(document.get("channels")).items():
        item = reader.deref(raw)
        address = item.get("address")
        channel = Channel(
            str(key),
            str(address) if address is not None else "",
            _text(item.get("description")) or _text(item.get("summary")),
            reader.parameters(item.get("parameters")),
            note="" if address is not None else "No address: it is known only at run time.",
        )
        channel.messages = [
            reader.message(value, str(name), channel) for name, value in _mapping(item.get("messages")).items()
        ]
        channels[f"#/channels/{str(key).replace('~', '~0').replace('/', '~1')}"] = channel
    for operation_id, raw in _mapping(document.get("operations")).items():
        operation = reader.deref(raw)
        ref = str(_mapping(operation.get("channel")).get("$ref", ""))
        if ref not in channels:
            channels[ref] = Channel(ref, ref, "", note="This channel reference could not be followed.")
        channel = channels[ref]
        listed = operation.get("messages")
        if isinstance(listed, list):
            messages = [
                reader.message(value, f"{operation_id} {index}", channel) for index, value in enumerate(listed, 1)
            ]
        else:
            messages = list(channel.messages)
        channel.operations.append(
            Operation(
                _text(operation.get("action")),
                str(operation_id),
                _text(operation.get("summary")) or _text(operation.get("title")),
                _text(operation.get("description")),
                messages,
            )
        )
    return list(channels.values())


def load(text: str) -> dict:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"The definition is not valid YAML or JSON: {exc}") from None
    if not isinstance(document, dict) or "asyncapi" not in document:
        raise DefinitionError("The definition has no 'asyncapi' field: it is not an AsyncAPI document.")
    version = str(document["asyncapi"])
    if version.split(".")[0] not in ("2", "3"):
        raise DefinitionError(f"AsyncAPI {version} is not a version that can be summarised here (2.x and 3.x are).")
    return document


def parse(text: str) -> Document:
    """The readable form of an AsyncAPI 2.x or 3.x document, or :class:`DefinitionError`."""
    document = load(text)
    spec_version = str(document["asyncapi"])
    major = spec_version.split(".")[0]
    reader = _Reader(document)
    channels = _channels_v2(reader, document) if major == "2" else _channels_v3(reader, document)
    components = _mapping(_mapping(document.get("components")).get("messages"))
    for name, value in components.items():
        reader.message(value, str(name), None)
    info = _mapping(document.get("info"))
    return Document(
        title=_text(info.get("title")),
        version=_text(str(info.get("version", ""))),
        description=_text(info.get("description")),
        spec_version=spec_version,
        default_content_type=reader.default_content_type,
        servers=_servers(document, major),
        channels=channels,
        messages=list(reader.messages.values()),
    )
