"""API definitions on the entity page: highlighted text for every type, AsyncAPI channels and
messages, gRPC services and messages (the readers have tests of their own: test_definitions_*.py).
The definitions are real ones: Backstage's examples and the AsyncAPI, gRPC and Google API files in
tests/data/definitions/ (see its NOTICE.md)."""

from __future__ import annotations

import pytest

from catalog.definitions import read
from tests.catalog.definitions_support import DEFINITIONS
from tests.catalog.test_ui_support import file_writer, load_examples, load_file


@pytest.fixture
def example_org(db, settings):
    return load_examples(settings)


@pytest.fixture
def definitions_org(db, settings):
    return load_file(DEFINITIONS / "catalog-info.yaml")


# --- highlighting ------------------------------------------------------------------------------------


def test_each_type_is_highlighted_line_by_line_and_unknown_types_are_plain_text():
    graphql = read("GraphQL", '"""A film."""\ntype Film implements Node {\n  title: String\n}\n')
    proto = read("grpc", 'syntax = "proto3"; // three\n')
    unknown = read("wsdl", '<definitions name="Hello">\n&amp;</definitions>')
    json_asyncapi = read("asyncapi", '{"asyncapi": "3.0.0"}')

    assert (graphql.type, graphql.language, graphql.caption) == ("graphql", "graphql", "GraphQL definition · 4 lines")
    assert str(graphql.highlighted) == (
        '<span class="line" id="def-L1"><span class="sd">"""A film."""</span></span>\n'
        '<span class="line" id="def-L2"><span class="kd">type</span><span class="w"> </span>'
        '<span class="nc">Film</span><span class="w"> </span><span class="k">implements</span><span class="w"> </span>'
        '<span class="nc">Node</span>'
        '<span class="w"> </span><span class="p">{</span></span>\n'
        '<span class="line" id="def-L3"><span class="w">  </span><span class="na">title</span><span class="p">:</span>'
        '<span class="w"> </span><span class="kt">String</span></span>\n'
        '<span class="line" id="def-L4"><span class="p">}</span></span>'
    )
    assert str(proto.highlighted) == (
        '<span class="line" id="def-L1"><span class="k">syntax</span><span class="w"> </span><span class="o">=</span>'
        '<span class="w"> </span><span class="s">"proto3"</span><span class="p">;</span><span class="w"> </span>'
        '<span class="c1">// three</span></span>'
    )
    assert (unknown.caption, unknown.language_name) == ("Plain text · 2 lines", "plain text")
    assert str(unknown.highlighted) == (
        '<span class="line" id="def-L1">&lt;definitions name=&quot;Hello&quot;&gt;</span>\n'
        '<span class="line" id="def-L2">&amp;amp;&lt;/definitions&gt;</span>'
    )
    assert (json_asyncapi.language, json_asyncapi.error) == ("json", "")


# --- the pages ----------------------------------------------------------------------------------------


def test_the_page_of_an_asyncapi_entity_lists_channels_operations_and_messages(signed_in, example_org):
    response = signed_in.get("/catalog/api/default/streetlights")

    html = response.content.decode()
    assert response.status_code == 200
    assert "AsyncAPI 2.0.0 · 4 channels · 3 messages" in html
    assert (
        '<summary><span class="method action action-subscribe">SUBSCRIBE</span> <code class="op-path">'
        "smartylighting/streetlights/1/0/event/{streetlightId}/lighting/measured</code> "
        '<span class="op-summary">Receive information about environmental lighting conditions of a particular '
        "streetlight.</span></summary>" in html
    )
    assert (
        '<p class="async-message-title"><span class="muted">Message</span> <strong>Turn on/off</strong> '
        '<code>turnOnOff</code> <span class="badge">application/json</span></p>' in html
    )
    assert '<span class="schema-name">percentage</span> <span class="schema-type">integer</span>' in html
    assert (
        '<tr id="msg-dimlight"><td><strong>Dim light</strong> <code>dimLight</code></td>'
        "<td>Command a particular streetlight to dim the lights.</td>"
        '<td><code>dimLightPayload</code> <span class="muted">application/json</span></td>'
        '<td><a href="#ch-smartylighting-streetlights-1-0-action--streetlightid--dim">'
        "<code>smartylighting/streetlights/1/0/action/{streetlightId}/dim</code></a></td></tr>" in html
    )
    assert '<summary>Show the definition as written <span class="muted">(YAML, 209 lines)</span></summary>' in html
    assert '<span class="line" id="def-L1"><span class="nt">asyncapi</span><span class="p">:</span>' in html
    assert '<link rel="stylesheet" href="/static/catalog/definitions.css">' in html


def test_the_page_of_a_grpc_entity_lists_services_methods_and_messages(signed_in, definitions_org):
    response = signed_in.get("/catalog/api/default/grpc-health")

    html = response.content.decode()
    assert response.status_code == 200
    assert "proto3 · 1 service · 3 methods · 4 messages · 1 enum" in html
    assert (
        '<details class="operation" id="rpc-Health-Watch">\n    <summary><span class="method method-rpc">RPC</span> '
        '<code class="op-path">Watch</code> <code class="rpc-signature">(HealthCheckRequest) → stream '
        'HealthCheckResponse</code> <span class="badge">server streaming</span> <span class="op-summary">Performs a '
        "watch for the serving status of the requested service.</span></summary>" in html
    )
    assert (
        '<h4>Response <span class="badge">stream</span> <a href="#proto-grpc.health.v1.HealthCheckResponse">'
        "<code>HealthCheckResponse</code></a>" in html
    )
    assert (
        "<tr><td><code>SERVICE_UNKNOWN</code></td><td>3</td>"
        '<td><span class="proto-doc">Used only by the Watch method.</span></td></tr>' in html
    )
    assert (
        '<td class="proto-type"><a href="#proto-grpc.health.v1.HealthCheckResponse">'
        "<code>map&lt;string, HealthCheckResponse&gt;</code></a></td>" in html
    )
    assert '<summary>Show the definition as written <span class="muted">(Protocol Buffers, 92 lines)</span>' in html


def test_the_grpc_example_of_backstage_shows_its_comments_as_descriptions(signed_in, example_org):
    html = signed_in.get("/catalog/api/default/hello-world").content.decode()

    assert (
        '<h3 id="service-1">service Greeter</h3>\n  <p class="muted proto-doc">The greeting service definition.</p>'
        in html
    )
    assert '<span class="op-summary">Sends a greeting</span>' in html
    assert '<span class="op-summary">The request message containing the user&#x27;s name.</span>' in html


def test_a_grpc_definition_that_cannot_be_read_is_still_shown_highlighted_with_the_line(signed_in, settings, tmp_path):
    load_file(
        file_writer(settings, tmp_path)(
            "broken/catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: broken-grpc}\n"
            "spec:\n  type: grpc\n  lifecycle: production\n  owner: team-x\n  definition: |\n"
            '    syntax = "proto3";\n    service Broken {\n      rpc Get (GetRequest) returns GetReply;\n    }\n',
        )
    )

    response = signed_in.get("/catalog/api/default/broken-grpc")

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<div class="message message-warning definition-error" role="status">Line 3: expected &#x27;(&#x27; and the '
        "message type, found &#x27;GetReply&#x27;. It is shown as written. "
        '<a href="#def-L3">Go to line 3</a></div>' in html
    )
    assert '<p class="muted definition-meta">gRPC definition, highlighted as Protocol Buffers · 4 lines</p>' in html
    assert (
        '<span class="line" id="def-L3"><span class="w">  </span><span class="k">rpc</span><span class="w"> </span>'
        in html
    )
    assert "method-rpc" not in html


def test_graphql_and_unknown_types_are_shown_as_highlighted_text(signed_in, example_org, settings, tmp_path):
    load_file(
        file_writer(settings, tmp_path)(
            "soap/catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: soap}\n"
            "spec: {type: wsdl, lifecycle: production, owner: team-x, definition: '<definitions/>'}\n",
        )
    )

    graphql = signed_in.get("/catalog/api/default/starwars-graphql").content.decode()
    soap = signed_in.get("/catalog/api/default/soap").content.decode()

    assert '<p class="muted definition-meta">GraphQL definition · 1166 lines</p>' in graphql
    assert (
        '<div class="definition-code" data-language="graphql" style="--gutter: 4ch"><pre class="code-block definition">'
        '<code><span class="line" id="def-L1"><span class="k">schema</span>' in graphql
    )
    assert '<span class="kd">type</span><span class="w"> </span><span class="nc">Film</span>' in graphql
    assert '<p class="muted definition-meta">Plain text · 1 line</p>' in soap
    assert (
        '<div class="definition-code" data-language="text" style="--gutter: 1ch"><pre class="code-block definition">'
        '<code><span class="line" id="def-L1">&lt;definitions/&gt;</span></code></pre></div>' in soap
    )


def test_an_openapi_page_keeps_its_summary_and_offers_the_highlighted_source(signed_in, example_org):
    html = signed_in.get("/catalog/api/default/petstore").content.decode()

    assert "OpenAPI 3.0.0 · 3 operations" in html
    assert '<summary>Show the definition as written <span class="muted">(YAML, 111 lines)</span></summary>' in html
    assert '<span class="line" id="def-L1"><span class="nt">openapi</span><span class="p">:</span>' in html
