"""gRPC definitions read by catalog.definitions.protobuf: services, methods with their types, HTTP
rules and streaming, messages, enums and comments, from Backstage's example and the gRPC and Google
API files in tests/data/definitions/ (see its NOTICE.md); and the line a file that cannot be read
stops at."""

from __future__ import annotations

import pytest

from catalog.definitions import protobuf
from catalog.openapi_render import DefinitionError
from tests.catalog.definitions_support import data


def test_a_google_api_lists_its_methods_with_types_http_rules_and_comments():
    parsed = protobuf.parse(data("protobuf/library.proto"))

    assert (parsed.syntax, parsed.package) == ("proto3", "google.example.library.v1")
    assert parsed.imports[:2] == ["google/api/annotations.proto", "google/api/client.proto"]
    [service] = parsed.services
    assert service.full_name == "google.example.library.v1.LibraryService"
    assert service.description == (
        "This API represents a simple digital library. It lets you manage Shelf resources and Book resources in "
        "the library. It defines the following resource model:\n\n"
        "- The API has a collection of [Shelf][google.example.library.v1.Shelf] resources, named `shelves/*`\n\n"
        "- Each Shelf has a collection of [Book][google.example.library.v1.Book] resources, named `shelves/*/books/*`"
    )
    assert [(m.name, m.request, m.response, m.http) for m in service.methods] == [
        ("CreateShelf", "CreateShelfRequest", "Shelf", ["POST /v1/shelves (body: shelf)"]),
        ("GetShelf", "GetShelfRequest", "Shelf", ["GET /v1/{name=shelves/*}"]),
        ("ListShelves", "ListShelvesRequest", "ListShelvesResponse", ["GET /v1/shelves"]),
        ("DeleteShelf", "DeleteShelfRequest", "google.protobuf.Empty", ["DELETE /v1/{name=shelves/*}"]),
        ("MergeShelves", "MergeShelvesRequest", "Shelf", ["POST /v1/{name=shelves/*}:merge (body: *)"]),
        ("CreateBook", "CreateBookRequest", "Book", ["POST /v1/{parent=shelves/*}/books (body: book)"]),
        ("GetBook", "GetBookRequest", "Book", ["GET /v1/{name=shelves/*/books/*}"]),
        ("ListBooks", "ListBooksRequest", "ListBooksResponse", ["GET /v1/{parent=shelves/*}/books"]),
        ("DeleteBook", "DeleteBookRequest", "google.protobuf.Empty", ["DELETE /v1/{name=shelves/*/books/*}"]),
        ("UpdateBook", "UpdateBookRequest", "Book", ["PATCH /v1/{book.name=shelves/*/books/*} (body: book)"]),
        ("MoveBook", "MoveBookRequest", "Book", ["POST /v1/{name=shelves/*/books/*}:move (body: *)"]),
    ]
    update = service.methods[9]
    assert update.summary == "Updates a book."
    assert update.options == [
        '(google.api.http) = { patch: "/v1/{book.name=shelves/*/books/*}" body: "book" }',
        '(google.api.method_signature) = "book,update_mask"',
    ]
    assert update.request_type is not None
    assert update.request_type.full_name == "google.example.library.v1.UpdateBookRequest"
    assert service.methods[3].response_type is None  # google.protobuf.Empty is declared in another file
    assert len(parsed.messages) == 15
    get_shelf = parsed.messages[3]
    assert [(f.name, f.type, f.number, f.options, f.description) for f in get_shelf.fields] == [
        (
            "name",
            "string",
            "1",
            [
                "(google.api.field_behavior) = REQUIRED",
                '(google.api.resource_reference).type = "library-example.googleapis.com/Shelf"',
            ],
            "The name of the shelf to retrieve.",
        )
    ]


def test_comments_extend_blocks_and_escaped_strings_do_not_break_the_reader():
    parsed = protobuf.parse(data("protobuf/operations.proto"))

    assert parsed.options[-1] == 'php_namespace = "Google\\\\LongRunning"'
    [service] = parsed.services
    assert service.options == ['(google.api.default_host) = "longrunning.googleapis.com"']
    assert [(m.name, m.http) for m in service.methods] == [
        ("ListOperations", ["GET /v1/{name=operations}"]),
        ("GetOperation", ["GET /v1/{name=operations/**}"]),
        ("DeleteOperation", ["DELETE /v1/{name=operations/**}"]),
        ("CancelOperation", ["POST /v1/{name=operations/**}:cancel (body: *)"]),
        ("WaitOperation", []),
    ]
    # The example rpc in OperationInfo's comment is a comment, not a method.
    assert [item.local_name for item in parsed.types] == [
        "Operation",
        "GetOperationRequest",
        "ListOperationsRequest",
        "ListOperationsResponse",
        "CancelOperationRequest",
        "DeleteOperationRequest",
        "WaitOperationRequest",
        "OperationInfo",
    ]
    operation = parsed.types[0]
    assert [(f.name, f.oneof) for f in operation.fields] == [
        ("name", ""),
        ("metadata", ""),
        ("done", ""),
        ("error", "result"),
        ("response", "result"),
    ]


def test_streaming_methods_oneofs_maps_and_nested_enums():
    reflection = protobuf.parse(data("protobuf/reflection.proto"))
    health = protobuf.parse(data("protobuf/health.proto"))

    assert [(m.name, m.request_stream, m.response_stream, m.streaming) for m in reflection.services[0].methods] == [
        ("ServerReflectionInfo", True, True, "bidirectional streaming")
    ]
    request = reflection.types[0]
    assert [(f.name, f.type, f.oneof, f.type_anchor) for f in request.fields] == [
        ("host", "string", "", ""),
        ("file_by_filename", "string", "message_request", ""),
        ("file_containing_symbol", "string", "message_request", ""),
        (
            "file_containing_extension",
            "ExtensionRequest",
            "message_request",
            "proto-grpc.reflection.v1.ExtensionRequest",
        ),
        ("all_extension_numbers_of_type", "string", "message_request", ""),
        ("list_services", "string", "message_request", ""),
    ]
    assert [(m.name, m.streaming) for m in health.services[0].methods] == [
        ("Check", ""),
        ("List", ""),
        ("Watch", "server streaming"),
    ]
    status = health.types[2]
    assert (status.kind, status.local_name) == ("enum", "HealthCheckResponse.ServingStatus")
    assert [(v.name, v.number, v.description) for v in status.values] == [
        ("UNKNOWN", "0", ""),
        ("SERVING", "1", ""),
        ("NOT_SERVING", "2", ""),
        ("SERVICE_UNKNOWN", "3", "Used only by the Watch method."),
    ]
    statuses = health.types[4].fields[0]
    assert (statuses.label, statuses.type, statuses.type_anchor) == (
        "map",
        "map<string, HealthCheckResponse>",
        "proto-grpc.health.v1.HealthCheckResponse",
    )


PROTO2 = """syntax = "proto2";

package shop.v1;

import public "shop/common.proto";

/*
 * An order, as the till records it.
 */
message Order {
  option deprecated = false;
  reserved 4, 9 to 11;
  reserved "legacy_total";
  extensions 100 to max;

  required string id = 1;  // Assigned by the till.
  optional int64 total_cents = 2 [default = -1, (shop.v1.sensitive) = true];
  repeated group Line = 3 {
    required string sku = 1;
    optional uint32 quantity = 2 [default = 1];
  }
  optional .shop.v1.Order.Status status = 6 [deprecated = true];

  enum Status {
    option allow_alias = true;
    OPEN = 1;
    PAID = 2 [(shop.v1.label) = "paid in full"];
    SETTLED = 2;
    reserved 5;
  }
}

extend Order {
  optional string note = 100;
}

service Till {
  // Opens an order; '{' and "}" in comments and strings are not syntax.
  rpc Open (Order) returns (Order) { option idempotency_level = IDEMPOTENT; };
  rpc Watch (Order) returns (stream Order.Status);
}
"""


def test_proto2_groups_labels_reserved_ranges_extensions_and_field_options():
    parsed = protobuf.parse(PROTO2)

    assert (parsed.syntax, parsed.imports) == ("proto2", ["shop/common.proto"])
    assert [(item.kind, item.local_name, item.description) for item in parsed.types] == [
        ("message", "Order", "An order, as the till records it."),
        ("message", "Order.Line", ""),
        ("enum", "Order.Status", ""),
    ]
    order = parsed.types[0]
    assert [(f.label, f.type, f.name, f.number, f.options, f.type_anchor, f.description) for f in order.fields] == [
        ("required", "string", "id", "1", [], "", "Assigned by the till."),
        ("optional", "int64", "total_cents", "2", ["default = -1", "(shop.v1.sensitive) = true"], "", ""),
        ("repeated", "Line", "line", "3", [], "proto-shop.v1.Order.Line", ""),
        ("optional", ".shop.v1.Order.Status", "status", "6", ["deprecated = true"], "proto-shop.v1.Order.Status", ""),
    ]
    assert order.fields[3].deprecated is True
    assert [(v.name, v.number, v.options) for v in parsed.types[2].values] == [
        ("OPEN", "1", []),
        ("PAID", "2", ['(shop.v1.label) = "paid in full"']),
        ("SETTLED", "2", []),
    ]
    open_order, watch = parsed.services[0].methods
    assert (open_order.options, open_order.description) == (
        ["idempotency_level = IDEMPOTENT"],
        "Opens an order; '{' and \"}\" in comments and strings are not syntax.",
    )
    assert watch.response_type is parsed.types[2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('syntax = "proto3";\n/* never closed\nmessage A {}', "Line 2: a /* comment is not closed."),
        ("service S {\n  rpc Get (A) returns B;\n}", "Line 2: expected '(' and the message type, found 'B'."),
        ("message A {\n  string name = 1;\n", "Line 3: expected '}', found the end of the file."),
        ('message A {\n  string name = 1 [default = "x];\n}', "Line 2: a string is not closed on its line."),
        ("message A { string name = 1; }\n# a shell comment", "Line 2: unexpected character '#'."),
        ("type Query { hero: String }", "Line 1: expected a declaration (syntax, package, import, option, message"),
    ],
)
def test_a_proto_that_cannot_be_read_names_the_line(text, message):
    with pytest.raises(DefinitionError) as caught:
        protobuf.parse(text)

    assert str(caught.value).startswith(message)


def test_messages_nested_too_deep_are_refused_not_recursed_into():
    text = "message A { " * 40 + "}" * 40

    with pytest.raises(DefinitionError, match=r"^Line 1: messages nested more than 32 deep\.$"):
        protobuf.parse(text)
