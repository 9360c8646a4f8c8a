"""/api/catalog/ on odd input: a NUL character anywhere (query, path, body, cursor), numbers beyond 64
bits, bodies nested without end — each a 400 in Backstage's error shape, never a 500 nor a 200 cut short;
the streamed entity list reads its first chunk before the answer starts."""

from __future__ import annotations

import base64
import json

import pytest

from catalog.api import views
from tests.catalog.api_support import EXAMPLE_REFS, example

API = "/api/catalog"
NUL_IN = "holds a NUL character (\\0), which no value may contain."


def error(status: int, message: str, method: str, url: str) -> dict:
    return {
        "error": {"name": "InputError", "message": message},
        "request": {"method": method, "url": url},
        "response": {"statusCode": status},
    }


def streamed(response) -> list:
    return json.loads(b"".join(response.streaming_content))


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


def cursor(position: list | str, **query) -> str:
    """A by-query cursor as a client could forge it; ``position`` as a list, or as JSON text (which may
    hold what ``json.dumps`` never writes, such as ``Infinity``)."""
    fields = {"v": 1, "filter": [], "orderField": [], "fullTextFilterTerm": "", "fullTextFilterFields": [], **query}
    raw = position if isinstance(position, str) else json.dumps(position)
    text = json.dumps(fields)[:-1] + f', "position": {raw}}}'
    return base64.b64encode(text.encode()).decode()


# --- NUL characters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/entity-facets?facet=kind&filter=%00", "filter"),
        ("/entity-facets?facet=a%00", "facet"),
        ("/entities/by-query?fullTextFilterTerm=a%00b", "fullTextFilterTerm"),
        ("/entities?filter=kind=a%00b", "filter"),
        ("/entities?fields=metadata.name%00", "fields"),
        ("/entities?order=asc:metadata.%00", "order"),
        ("/entities/by-query?orderField=metadata.name%00,asc", "orderField"),
        ("/locations?x=%00", "x"),
    ],
)
def test_a_nul_character_in_a_query_parameter_is_a_400_naming_it(tmp_path, settings, signed_in, url, parameter):
    example(tmp_path, settings)

    response = signed_in.get(f"{API}{url}")

    assert (response.status_code, response.streaming) == (400, False)
    assert response.json() == error(400, f"The query parameter {parameter} {NUL_IN}", "GET", f"{API}{url}")


def test_a_nul_character_in_an_entity_name_of_the_path_is_a_400(signed_in, db):
    response = signed_in.get(f"{API}/entities/by-name/component/default/a%00b")

    assert response.json() == error(400, f"The path {NUL_IN}", "GET", f"{API}/entities/by-name/component/default/a%00b")


@pytest.mark.parametrize(
    ("url", "body", "where"),
    [
        ("/entities/by-refs", {"entityRefs": ["component:default/ok", "component:default/a\x00"]}, "entityRefs.1"),
        ("/entities/by-refs", {"entityRefs": ["component:default/ok"], "fields": ["metadata.\x00"]}, "fields.0"),
        (
            "/validate-entity",
            {"location": "url:https://example.com/x.yaml", "entity": {"metadata": {"na\x00me": "x"}}},
            "entity.metadata.na\\0me",
        ),
        ("/refresh", {"entityRef": "component:default/\x00"}, "entityRef"),
        ("/analyze-location", {"location": {"type": "url", "target": "https://example.com/\x00"}}, "location.target"),
    ],
)
def test_a_nul_character_in_a_json_body_is_a_400_naming_where(signed_in, db, url, body, where):
    response = signed_in.post(f"{API}{url}", data=json.dumps(body), content_type="application/json")

    message = f"The request body holds a NUL character (\\0) in {where}, which no value may contain."
    assert response.json() == error(400, message, "POST", f"{API}{url}")


def test_a_nul_character_in_a_form_field_is_a_400_naming_it(staff_client):
    response = staff_client.post(f"{API}/locations", {"type": "url", "target": ["https://example.com/a", "b\x00"]})

    message = "The request body holds a NUL character (\\0) in target, which no value may contain."
    assert response.json() == error(400, message, "POST", f"{API}/locations")


# --- bodies nested without end --------------------------------------------------------------------


def test_a_body_nested_deeper_than_100_levels_is_a_400(signed_in, db):
    at_limit = f'{{"entityRefs": ["component:default/a"], "unused": {nested(99)}}}'
    beyond = f'{{"entityRefs": ["component:default/a"], "unused": {nested(100)}}}'
    far_beyond = f'{{"entityRefs": {nested(100_000)}}}'

    answers = [
        signed_in.post(f"{API}/entities/by-refs", data=body, content_type="application/json")
        for body in (at_limit, beyond, far_beyond)
    ]

    assert (answers[0].status_code, answers[0].json()) == (200, {"items": [None]})
    message = "The request body nests deeper than 100 levels."
    assert [answer.json() for answer in answers[1:]] == [error(400, message, "POST", f"{API}/entities/by-refs")] * 2


# --- cursors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        cursor(["component", "default", "a", 2**63]),
        cursor(["component", "default", "a", -(2**63) - 1]),
        cursor(["component", "default", "a", 1e300]),
        cursor('["component", "default", "a", 1e400]'),
        cursor('["component", "default", "a", Infinity]'),
        cursor('["component", "default", "a", NaN]'),
        cursor(["component", "default", "a\x00", 1]),
        cursor(["component", "default", "a", 1], filter=["kind=a\x00"]),
        cursor(["component", "default", "a", 1], fullTextFilterTerm="a\x00"),
    ],
)
def test_a_forged_cursor_is_a_400_not_a_database_error(tmp_path, settings, signed_in, forged):
    example(tmp_path, settings)

    response = signed_in.get(f"{API}/entities/by-query", {"cursor": forged})

    assert (response.status_code, response.json()["error"]) == (
        400,
        {"name": "InputError", "message": "Malformed cursor, could not be parsed."},
    )


def test_a_cursor_at_the_largest_64_bit_id_still_pages(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    response = signed_in.get(f"{API}/entities/by-query", {"cursor": cursor(["zzz", "default", "a", 2**63 - 1])})

    assert (response.status_code, response.json()) == (200, {"items": [], "totalItems": 11, "pageInfo": {}})


# --- numbers beyond 64 bits -----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["limit=10&offset=9223372036854775808", "offset=9223372036854775808"])
def test_an_offset_beyond_64_bits_is_a_400_on_both_lists(signed_in, db, query):
    response = signed_in.get(f"{API}/entities?{query}")

    assert (response.status_code, response.streaming) == (400, False)
    assert response.json()["error"]["message"] == "offset must be at most 9223372036854775807."


# --- the streamed list ----------------------------------------------------------------------------


def test_the_streamed_list_reads_its_first_chunk_before_the_answer_starts(
    tmp_path, settings, signed_in, django_assert_num_queries
):
    example(tmp_path, settings)
    response = signed_in.get(f"{API}/entities")

    with django_assert_num_queries(0):
        items = streamed(response)

    assert [f"{item['kind']}:{item['metadata']['namespace']}/{item['metadata']['name']}".lower() for item in items] == (
        EXAMPLE_REFS
    )


def test_the_streamed_list_reads_the_chunks_after_the_first_as_it_goes(
    tmp_path, settings, signed_in, monkeypatch, django_assert_num_queries
):
    example(tmp_path, settings)
    monkeypatch.setattr(views, "STREAM_CHUNK", 4)

    response = signed_in.get(f"{API}/entities", {"offset": 1, "fields": "metadata.name"})
    with django_assert_num_queries(2):  # the two chunks after the first: four entities, then two
        items = streamed(response)

    assert [item["metadata"]["name"] for item in items] == [ref.split("/")[1] for ref in EXAMPLE_REFS[1:]]
