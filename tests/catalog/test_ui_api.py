"""API definitions on the entity page: OpenAPI made readable (catalog.openapi_render), others as text."""

from __future__ import annotations

import json

import pytest
import yaml

from catalog import openapi_render
from tests.catalog.test_ui_support import EXAMPLES, file_writer, load_examples, load_file


@pytest.fixture
def example_org(db, settings):
    return load_examples(settings)


PETSTORE = yaml.safe_load((EXAMPLES / "apis" / "petstore-api.yaml").read_text())["spec"]["definition"]


def tree(node: openapi_render.SchemaNode | None) -> list:
    """A schema tree as nested lists, for exact comparison."""
    assert node is not None
    return [node.name, node.type, node.required, node.facts, node.note, [tree(child) for child in node.children]]


def test_petstore_operations_grouped_by_tag_with_parameters():
    document = openapi_render.parse(PETSTORE)

    assert (document.title, document.version, document.spec_version) == ("Swagger Petstore", "1.0.0", "3.0.0")
    assert document.servers == ["http://petstore.swagger.io/v1"]
    assert [tag.name for tag in document.tags] == ["pets"]
    operations = document.tags[0].operations
    assert [(op.method, op.path, op.summary, op.operation_id) for op in operations] == [
        ("get", "/pets", "List all pets", "listPets"),
        ("post", "/pets", "Create a pet", "createPets"),
        ("get", "/pets/{petId}", "Info for a specific pet", "showPetById"),
    ]
    limit = operations[0].parameters[0]
    assert (limit.name, limit.location, limit.type, limit.required, limit.description) == (
        "limit",
        "query",
        "integer",
        False,
        "How many items to return at one time (max 100)",
    )
    pet_id = operations[2].parameters[0]
    assert (pet_id.name, pet_id.location, pet_id.type, pet_id.required) == ("petId", "path", "string", True)


def test_petstore_response_schemas_resolve_refs_into_trees():
    operations = openapi_render.parse(PETSTORE).tags[0].operations

    listing = operations[0].responses
    assert [(response.status, response.description) for response in listing] == [
        ("200", "A paged array of pets"),
        ("default", "unexpected error"),
    ]
    assert listing[0].bodies[0].media_types == ["application/json"]
    assert tree(listing[0].bodies[0].tree) == [
        "body", "Pets (array of Pet)", False, [], "", [
            ["[item]", "Pet", False, [], "", [
                ["id", "integer", True, ["format: int64"], "", []],
                ["name", "string", True, [], "", []],
                ["tag", "string", False, [], "", []],
            ]],
        ],
    ]  # fmt: skip
    assert operations[1].responses[0].bodies == []  # 201 Null response


NODE = "#/components/schemas/Node"


def test_a_cycle_is_shown_once_and_an_outside_reference_as_written():
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Tree", "version": "2"},
        "paths": {
            "/nodes": {
                "post": {
                    "requestBody": {"$ref": "#/components/requestBodies/NewNode"},
                    "responses": {"200": {"$ref": "#/components/responses/Node"}},
                }
            }
        },
        "components": {
            "requestBodies": {
                "NewNode": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}},
                }
            },
            "responses": {
                "Node": {
                    "description": "The node",
                    "content": {"application/json": {"schema": {"$ref": "other.yaml#/Node"}}},
                }
            },
            "schemas": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                        "parent": {"$ref": "#/components/schemas/Node"},
                    },
                }
            },
        },
    }

    operation = openapi_render.parse(json.dumps(document)).tags[0].operations[0]

    assert operation.request_required is True
    assert [tag.name for tag in openapi_render.parse(json.dumps(document)).tags] == ["Other operations"]
    assert tree(operation.request_body[0].tree) == [
        "body", "Node", False, [], "", [
            ["children", "array of Node", False, [], "", [
                ["[item]", "Node", False, [], "circular: Node again, as above", []],
            ]],
            ["parent", "Node", False, [], "circular: Node again, as above", []],
        ],
    ]  # fmt: skip
    response_tree = operation.responses[0].bodies[0].tree
    assert response_tree is not None
    assert response_tree.note == "reference not followed: other.yaml#/Node"


NAMED = {"type": "object", "properties": {"name": {"type": "string"}}}


def test_swagger_two_body_parameter_becomes_the_request_body():
    document = {
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "host": "api.example.com",
        "basePath": "/v1",
        "paths": {
            "/things": {
                "post": {
                    "tags": ["things"],
                    "parameters": [
                        {
                            "name": "body",
                            "in": "body",
                            "required": True,
                            "schema": {"type": "object", "properties": {"name": {"type": "string"}}},
                        },
                        {"name": "dry_run", "in": "query", "type": "boolean"},
                    ],
                    "responses": {"201": {"description": "Made", "schema": {"type": "string"}}},
                }
            }
        },
    }

    parsed = openapi_render.parse(yaml.safe_dump(document))
    operation = parsed.tags[0].operations[0]

    assert parsed.servers == ["https://api.example.com/v1"]
    assert [(p.name, p.type) for p in operation.parameters] == [("dry_run", "boolean")]
    assert operation.request_required is True
    assert tree(operation.request_body[0].tree) == [
        "body",
        "object",
        False,
        [],
        "",
        [["name", "string", False, [], "", []]],
    ]
    response_tree = operation.responses[0].bodies[0].tree
    assert response_tree is not None
    assert response_tree.type == "string"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [unclosed", "The definition is not valid YAML or JSON"),
        ("type Query { hero: String }", "it is not an OpenAPI document"),
    ],
)
def test_what_is_not_openapi_is_refused_with_the_reason(text, message):
    with pytest.raises(openapi_render.DefinitionError, match=message):
        openapi_render.parse(text)


def test_the_api_page_renders_petstore_readably(signed_in, example_org):
    response = signed_in.get("/catalog/api/default/petstore")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="method method-get">GET</span> <code class="op-path">/pets/{petId}</code>' in html
    assert '<span class="op-summary">Info for a specific pet</span>' in html
    assert (
        '<td><code>petId</code></td><td data-label="in">path</td><td>string</td><td>yes</td>'
        "<td>The id of the pet to retrieve</td>" in html
    )
    assert '<span class="schema-name">id</span><span class="schema-required" title="required">*</span>' in html
    assert "OpenAPI 3.0.0 · 3 operations" in html


def test_other_definitions_are_shown_as_text(signed_in, example_org):
    response = signed_in.get("/catalog/api/default/starwars-graphql")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="api-heading">API definition <span class="badge">graphql</span></h2>' in html
    assert '<pre class="code-block definition"><code>' in html
    assert "type Film implements Node {\n" in html
    assert "method-get" not in html


def test_an_openapi_definition_that_does_not_parse_is_shown_as_written(signed_in, settings, tmp_path):
    load_file(
        file_writer(settings, tmp_path)(
            "bad/catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: broken}\n"
            "spec: {type: openapi, lifecycle: production, owner: team-x, definition: 'not: [valid'}\n",
        )
    )

    html = signed_in.get("/catalog/api/default/broken").content.decode()

    assert "The definition is not valid YAML or JSON" in html
    assert "It is shown as written." in html
    assert (
        '<span class="line" id="def-L1"><span class="nt">not</span><span class="p">:</span><span class="w"> </span>'
        '<span class="p p-Indicator">[</span><span class="nv">valid</span></span>' in html
    )
