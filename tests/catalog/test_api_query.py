"""GET /api/catalog/entities/by-query (cursor pages), /entity-facets, and the query counts of the lists."""

import base64
import json

import pytest

from catalog import queries
from catalog.api import pagination
from catalog.models import Entity
from tests.catalog.api_support import EXAMPLE_REFS, components, example, ingest

API = "/api/catalog"
NAMES = ["kind", "metadata.namespace", "metadata.name"]


def ref_of(item: dict) -> str:
    return f"{item['kind']}:{item['metadata']['namespace']}/{item['metadata']['name']}".lower()


def page(client, **params) -> dict:
    response = client.get(f"{API}/entities/by-query", {"fields": ",".join(NAMES), **params})
    assert response.status_code == 200, response.content
    return response.json()


def message(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["message"]


def test_cursor_walk_over_three_pages_gives_every_entity_once(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    first = page(signed_in, limit=4)
    second = page(signed_in, limit=4, cursor=first["pageInfo"]["nextCursor"])
    third = page(signed_in, limit=4, cursor=second["pageInfo"]["nextCursor"])

    assert [ref_of(item) for item in first["items"] + second["items"] + third["items"]] == EXAMPLE_REFS
    assert [len(first["items"]), len(second["items"]), len(third["items"])] == [4, 4, 3]
    assert [first["totalItems"], second["totalItems"], third["totalItems"]] == [11, 11, 11]
    assert sorted(first["pageInfo"]) == ["nextCursor"]
    assert sorted(second["pageInfo"]) == ["nextCursor", "prevCursor"]
    assert sorted(third["pageInfo"]) == ["prevCursor"]


def test_prev_cursor_gives_the_previous_page(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    first = page(signed_in, limit=4)
    second = page(signed_in, limit=4, cursor=first["pageInfo"]["nextCursor"])
    third = page(signed_in, limit=4, cursor=second["pageInfo"]["nextCursor"])

    back_to_second = page(signed_in, limit=4, cursor=third["pageInfo"]["prevCursor"])
    back_to_first = page(signed_in, limit=4, cursor=back_to_second["pageInfo"]["prevCursor"])

    assert back_to_second["items"] == second["items"]
    assert back_to_first["items"] == first["items"]
    assert sorted(back_to_first["pageInfo"]) == ["nextCursor"]
    assert page(signed_in, limit=4, cursor=back_to_first["pageInfo"]["nextCursor"])["items"] == second["items"]


def test_the_cursor_keeps_filter_order_and_search_of_the_first_page(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    first = page(signed_in, limit=2, filter=["kind=component", "kind=api"], orderField="metadata.name,desc")

    second = page(signed_in, limit=2, cursor=first["pageInfo"]["nextCursor"], filter="kind=user")

    assert [ref_of(item) for item in first["items"] + second["items"]] == [
        "component:default/web-shop",
        "component:default/search",
        "api:default/payments-api",
        "component:default/payments",
    ]
    assert (first["totalItems"], second["totalItems"], second["pageInfo"].keys() == {"prevCursor"}) == (4, 4, True)


def test_order_by_a_field_some_entities_lack_walks_every_entity(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    items, cursor = [], None
    while True:
        params = {"limit": 3, "cursor": cursor} if cursor else {"limit": 3, "orderField": "spec.lifecycle,desc"}
        found = page(signed_in, fields=",".join([*NAMES, "spec.lifecycle"]), **params)
        items.extend(found["items"])
        cursor = found["pageInfo"].get("nextCursor")
        if cursor is None:
            break

    assert [item.get("spec", {}).get("lifecycle") for item in items] == ["production"] * 3 + ["experimental"] + [
        None
    ] * 7
    assert sorted(ref_of(item) for item in items) == sorted(EXAMPLE_REFS)


def test_full_text_term_and_fields(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    words = page(signed_in, fullTextFilterTerm="shop pay")
    titles = page(signed_in, fullTextFilterTerm="service", fullTextFilterFields="metadata.title,metadata.name")

    assert ([ref_of(item) for item in words["items"]], words["totalItems"]) == (["component:default/web-shop"], 1)
    assert [ref_of(item) for item in titles["items"]] == ["component:default/search"]


def test_offset_on_the_first_page_then_cursors(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    found = page(signed_in, limit=4, offset=9)
    before = page(signed_in, limit=4, cursor=found["pageInfo"]["prevCursor"])

    assert [ref_of(item) for item in found["items"]] == EXAMPLE_REFS[9:]
    assert sorted(found["pageInfo"]) == ["prevCursor"]
    assert [ref_of(item) for item in before["items"]] == EXAMPLE_REFS[5:9]


def test_limit_zero_only_counts_and_total_items_can_be_left_out(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    counted = page(signed_in, limit=0, filter="kind=group")
    uncounted = page(signed_in, limit=2, totalItems="exclude")
    following = page(signed_in, limit=2, cursor=uncounted["pageInfo"]["nextCursor"])

    assert counted == {"items": [], "totalItems": 2, "pageInfo": {}}
    assert "totalItems" not in uncounted
    assert "totalItems" not in following


def test_full_entities_with_relations_by_default(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    found = signed_in.get(f"{API}/entities/by-query", {"filter": "metadata.name=orders-db"}).json()

    database = Entity.objects.get(ref="resource:default/orders-db")
    assert found["items"] == [
        {
            **database.body,
            "relations": [
                {
                    "type": "ownedBy",
                    "targetRef": "group:default/team-a",
                    "target": {"kind": "group", "namespace": "default", "name": "team-a"},
                },
                {
                    "type": "partOf",
                    "targetRef": "system:default/payments-platform",
                    "target": {"kind": "system", "namespace": "default", "name": "payments-platform"},
                },
            ],
        }
    ]


def test_numbers_beyond_64_bits_answer_400_not_a_server_error(signed_in, db):
    huge = str(2**63)
    after = base64.b64encode(json.dumps({"limit": 2, "offset": 2**64}).encode()).decode()

    assert message(signed_in.get(f"{API}/entities?offset={huge}")) == (
        400,
        "offset must be at most 9223372036854775807.",
    )
    assert message(signed_in.get(f"{API}/entities/by-query?limit={'9' * 5000}")) == (
        400,
        "limit must be at most 9223372036854775807.",
    )
    assert message(signed_in.get(f"{API}/entities", {"after": after})) == (
        400,
        "Malformed after cursor, offset was not a number.",
    )
    assert signed_in.get(f"{API}/entities?offset={2**63 - 1}&limit=5").json() == []


def test_bad_parameters_answer_400_with_the_reason(signed_in, db):
    not_json = base64.b64encode(b"[1, 2]").decode()

    assert message(signed_in.get(f"{API}/entities/by-query?filter==x")) == (
        400,
        "Invalid filter '=x': '=x' has no key; expected key=value or key (key exists).",
    )
    assert message(signed_in.get(f"{API}/entities/by-query?orderField=metadata.name,up")) == (
        400,
        "Invalid orderField 'metadata.name,up': the order must be asc or desc, not 'up'.",
    )
    assert message(signed_in.get(f"{API}/entities/by-query?cursor=!!!")) == (
        400,
        "Malformed cursor, could not be parsed.",
    )
    assert message(signed_in.get(f"{API}/entities/by-query", {"cursor": not_json})) == (
        400,
        "Malformed cursor, could not be parsed.",
    )
    assert message(signed_in.get(f"{API}/entities/by-query?limit=-1")) == (400, "limit must be at least 0, not -1.")
    assert message(signed_in.get(f"{API}/entities/by-query?totalItems=some")) == (
        400,
        "totalItems must be include or exclude, not 'some'.",
    )
    assert message(signed_in.get(f"{API}/entities/by-query?fields=relations[0]")) == (
        400,
        "Invalid field 'relations[0]': array indexes are not supported in fields.",
    )


def test_a_cursor_of_another_order_is_refused(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    cursor = page(signed_in, limit=2)["pageInfo"]["nextCursor"]
    data = json.loads(base64.b64decode(cursor))
    data["orderField"] = ["metadata.name,asc"]
    forged = base64.b64encode(json.dumps(data).encode()).decode()

    data["orderField"], data["position"] = [], [*data["position"][:-1], "not a number"]
    wrong_type = base64.b64encode(json.dumps(data).encode()).decode()

    response = signed_in.get(f"{API}/entities/by-query", {"cursor": forged})

    assert message(response) == (400, "The cursor does not belong to this query.")
    assert message(signed_in.get(f"{API}/entities/by-query", {"cursor": wrong_type})) == (
        400,
        "Malformed cursor, could not be parsed.",
    )


# --- keyset pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_fields",
    [[], ["spec.type,asc"], ["spec.type,desc"], ["metadata.name,desc"], ["spec.owner,asc", "metadata.uid,desc"]],
)
def test_keyset_pages_forward_and_backward_give_every_entity_once(tmp_path, settings, db, order_fields):
    example(tmp_path, settings)
    terms = queries.order_terms(queries.parse_order(order_fields))
    everything = [entity.ref for entity in pagination.keyset(Entity.objects.all(), terms)]

    forward: list[str] = []
    after = None
    while True:
        page = list(pagination.keyset(Entity.objects.all(), terms, after=after)[:3])
        forward.extend(entity.ref for entity in page)
        if len(page) < 3:
            break
        after = pagination.order_values(page[-1], terms)
    last = pagination.keyset(Entity.objects.all(), terms)[len(everything) - 1]
    backward, before = [last.ref], pagination.order_values(last, terms)
    while True:
        page = list(pagination.keyset(Entity.objects.all(), terms, after=before, backwards=True)[:4])
        backward[:0] = [entity.ref for entity in reversed(page)]
        if len(page) < 4:
            break
        before = pagination.order_values(page[-1], terms)

    assert forward == everything
    assert backward == everything
    assert sorted(everything) == sorted(EXAMPLE_REFS)


# --- facets ---------------------------------------------------------------------------------------


def test_facets_count_the_filtered_entities(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    response = signed_in.get(
        f"{API}/entity-facets", {"facet": ["kind", "spec.lifecycle"], "filter": ["kind=component", "kind=api"]}
    )

    assert response.status_code == 200
    assert response.json() == {
        "facets": {
            "kind": [{"value": "Component", "count": 3}, {"value": "API", "count": 1}],
            "spec.lifecycle": [{"value": "production", "count": 3}, {"value": "experimental", "count": 1}],
        }
    }


def test_facets_need_a_facet(signed_in, db):
    assert message(signed_in.get(f"{API}/entity-facets")) == (400, "At least one facet is required, e.g. facet=kind.")


# --- query counts ---------------------------------------------------------------------------------


def test_a_page_of_50_entities_with_relations_takes_at_most_5_queries(
    tmp_path, settings, signed_in, django_assert_max_num_queries
):
    ingest(tmp_path, settings, {"root.yaml": components(60)})
    signed_in.get(f"{API}/entities/by-query")  # the session is read once before counting

    with django_assert_max_num_queries(5):
        first = signed_in.get(f"{API}/entities/by-query", {"limit": 50, "filter": "kind=component,spec.owner=team-a"})
    with django_assert_max_num_queries(4):
        second = signed_in.get(
            f"{API}/entities/by-query", {"limit": 50, "cursor": first.json()["pageInfo"]["nextCursor"]}
        )

    assert (len(first.json()["items"]), len(second.json()["items"]), first.json()["totalItems"]) == (50, 10, 60)
    assert all(len(item["relations"]) == 3 for item in first.json()["items"])


def test_entities_and_by_refs_of_50_take_at_most_4_queries(
    tmp_path, settings, signed_in, django_assert_max_num_queries
):
    ingest(tmp_path, settings, {"root.yaml": components(60)})
    refs = [f"component:default/service-{index:03d}" for index in range(50)]

    with django_assert_max_num_queries(4):
        listed = signed_in.get(f"{API}/entities", {"limit": 50, "filter": "kind=component"})
    with django_assert_max_num_queries(4):
        batch = signed_in.post(f"{API}/entities/by-refs", {"entityRefs": refs}, content_type="application/json")
    with django_assert_max_num_queries(5):
        streamed = b"".join(signed_in.get(f"{API}/entities").streaming_content)

    assert [len(listed.json()), len(batch.json()["items"]), len(json.loads(streamed))] == [50, 50, 60]
    assert all(len(item["relations"]) == 3 for item in batch.json()["items"])
