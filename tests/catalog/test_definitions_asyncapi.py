"""AsyncAPI definitions read by catalog.definitions.asyncapi: servers, channels with their operations
(2.x publish/subscribe, 3.x send/receive), messages with their payload and header schemas, from
Backstage's example and the AsyncAPI files in tests/data/definitions/ (see its NOTICE.md)."""

from __future__ import annotations

import json

import pytest
import yaml

from catalog.definitions import asyncapi
from catalog.openapi_render import DefinitionError
from tests.catalog.definitions_support import data, definition, tree
from tests.catalog.test_ui_support import EXAMPLES


def test_asyncapi_2_channels_with_publish_and_subscribe_and_their_messages():
    document = asyncapi.parse(definition(EXAMPLES / "apis" / "streetlights-api.yaml"))

    assert (document.title, document.version, document.spec_version) == ("Streetlights API", "1.0.0", "2.0.0")
    assert [(s.name, s.address, s.protocol) for s in document.servers] == [
        ("production", "api.streetlights.smartylighting.com:{port}", "mqtt")
    ]
    assert [
        (c.address, [(o.action, o.operation_id, [m.key for m in o.messages]) for o in c.operations])
        for c in document.channels
    ] == [
        (
            "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured",
            [("subscribe", "receiveLightMeasurement", ["lightMeasured"])],
        ),
        ("smartylighting/streetlights/1/0/action/{streetlightId}/turn/on", [("publish", "turnOn", ["turnOnOff"])]),
        ("smartylighting/streetlights/1/0/action/{streetlightId}/turn/off", [("publish", "turnOff", ["turnOnOff"])]),
        ("smartylighting/streetlights/1/0/action/{streetlightId}/dim", [("publish", "dimLight", ["dimLight"])]),
    ]
    parameter = document.channels[0].parameters[0]
    assert (parameter.name, parameter.type, parameter.description) == (
        "streetlightId",
        "string",
        "The ID of the streetlight.",
    )
    assert [(m.key, m.label, m.content_type) for m in document.messages] == [
        ("lightMeasured", "Light measured", "application/json"),
        ("turnOnOff", "Turn on/off", "application/json"),
        ("dimLight", "Dim light", "application/json"),
    ]
    light = document.messages[0]
    assert tree(light.payload) == [
        "payload", "lightMeasuredPayload", [], [
            ["lumens", "integer", ["minimum: 0"], []],
            ["sentAt", "sentAt", ["format: date-time"], []],
        ],
    ]  # fmt: skip
    assert tree(light.headers) == [
        "headers",
        "object",
        [],
        [["my-app-header", "integer", ["minimum: 0", "maximum: 100"], []]],
    ]
    assert [address for address, _ in document.messages[1].used_in] == [
        "smartylighting/streetlights/1/0/action/{streetlightId}/turn/on",
        "smartylighting/streetlights/1/0/action/{streetlightId}/turn/off",
    ]


def test_asyncapi_3_operations_join_their_channels_in_yaml_and_in_json():
    text = data("asyncapi/streetlights-mqtt-asyncapi.yml")

    for written in (text, json.dumps(yaml.safe_load(text), indent=2)):
        document = asyncapi.parse(written)
        assert document.spec_version == "3.1.0"
        assert [(s.name, s.address, s.protocol) for s in document.servers] == [
            ("production", "test.mosquitto.org:{port}", "mqtt")
        ]
        assert [
            (c.key, c.address, [(o.action, o.operation_id, [m.key for m in o.messages]) for o in c.operations])
            for c in document.channels
        ] == [
            (
                "lightingMeasured",
                "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured",
                [("receive", "receiveLightMeasurement", ["lightMeasured"])],
            ),
            (
                "lightTurnOn",
                "smartylighting/streetlights/1/0/action/{streetlightId}/turn/on",
                [("send", "turnOn", ["turnOnOff"])],
            ),
            (
                "lightTurnOff",
                "smartylighting/streetlights/1/0/action/{streetlightId}/turn/off",
                [("send", "turnOff", ["turnOnOff"])],
            ),
            (
                "lightsDim",
                "smartylighting/streetlights/1/0/action/{streetlightId}/dim",
                [("send", "dimLight", ["dimLight"])],
            ),
        ]
        assert document.channels[0].operations[0].summary == (
            "Inform about environmental lighting conditions of a particular streetlight."
        )
        assert document.channels[0].operations[0].meaning == "The application receives these messages from the channel."
        turn = document.messages[1]
        assert tree(turn.payload) == [
            "payload", "turnOnOffPayload", [], [
                ["command", "string", ['one of: "on", "off"'], []],
                ["sentAt", "sentAt", ["format: date-time"], []],
            ],
        ]  # fmt: skip


def test_asyncapi_2_one_of_messages_without_names_and_parameter_schemas():
    document = asyncapi.parse(data("asyncapi/gitter-streaming.yml"))

    [channel] = document.channels
    assert channel.address == "/rooms/{roomId}/{resource}"
    assert [(p.name, p.type, p.facts) for p in channel.parameters] == [
        ("roomId", "string", []),
        ("resource", "string", ["one of: chatMessages, events"]),
    ]
    [operation] = channel.operations
    assert operation.action == "subscribe"
    assert operation.meaning == (
        "The application sends these messages: other applications subscribe to the channel for them."
    )
    assert [(m.key, m.label, m.payload.type if m.payload else None) for m in operation.messages] == [
        ("chatMessage", "chatMessage", "object"),
        ("heartbeat", "heartbeat", "string"),
    ]
    chat = operation.messages[0].payload
    assert chat is not None
    assert [child.name for child in chat.children][:5] == [
        "id",
        "text",
        "html",
        "sent",
        "fromUser",
    ]
    assert document.servers[0].protocol == "https 1.1"


AVRO = """asyncapi: 2.6.0
info: {title: Payments, version: '2'}
channels:
  payments:
    publish:
      message:
        name: PaymentMade
        schemaFormat: application/vnd.apache.avro;version=1.9.0
        payload:
          type: record
          name: PaymentMade
          fields: [{name: amount, type: long}]
components:
  messages:
    Refund:
      payload: {type: object, properties: {amount: {type: integer}}}
"""


def test_a_payload_in_another_schema_format_is_named_and_unused_messages_are_listed():
    document = asyncapi.parse(AVRO)

    paid, refund = document.messages
    assert (paid.key, paid.payload, paid.payload_note) == (
        "PaymentMade",
        None,
        "A application/vnd.apache.avro;version=1.9.0 schema: read it in the definition text below.",
    )
    assert [address for address, _ in paid.used_in] == ["payments"]
    assert (refund.key, refund.used_in, tree(refund.payload)) == (
        "Refund",
        [],
        ["payload", "object", [], [["amount", "integer", [], []]]],
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("asyncapi: [unclosed", "The definition is not valid YAML or JSON"),
        ("openapi: 3.0.0\ninfo: {title: x}", "The definition has no 'asyncapi' field: it is not an AsyncAPI document."),
        (
            "asyncapi: 1.2.0\ntopics: {}",
            "AsyncAPI 1.2.0 is not a version that can be summarised here (2.x and 3.x are).",
        ),
    ],
)
def test_what_is_not_asyncapi_2_or_3_is_refused_with_the_reason(text, message):
    with pytest.raises(DefinitionError) as caught:
        asyncapi.parse(text)

    assert str(caught.value).startswith(message)
