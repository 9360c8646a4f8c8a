"""The entity endpoints of /api/catalog/: GET /entities, by-name, by-uid, by-refs, delete, refresh,
validate-entity, ancestry; sign-in and API token rules."""

import base64
import json

from catalog.models import Entity, Relation, SearchEntry
from portal import tokens
from portal.models import Run
from tests.catalog.api_support import EXAMPLE_REFS, example, generated_ref
from tests.conftest import make_user

API = "/api/catalog"


def streamed(response) -> list:
    return json.loads(b"".join(response.streaming_content))


def ref_of(item: dict) -> str:
    return f"{item['kind']}:{item['metadata']['namespace']}/{item['metadata']['name']}".lower()


def error(status: int, name: str, message: str, method: str, url: str) -> dict:
    return {
        "error": {"name": name, "message": message},
        "request": {"method": method, "url": url},
        "response": {"statusCode": status},
    }


def bearer(user, *, read_only: bool) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token(user, name='test', read_only=read_only).plaintext}"}


def post_json(client, url: str, body: dict, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def served(ref: str) -> dict:
    """What the API serves for ``ref``: the stored body and the entity's relations."""
    entity = Entity.objects.get(ref=ref)
    rows = sorted(set(Relation.objects.filter(source_ref=ref).values_list("type", "target_ref")))
    relations = []
    for type_, target in rows:
        kind, rest = target.split(":")
        namespace, name = rest.split("/")
        relations.append(
            {"type": type_, "targetRef": target, "target": {"kind": kind, "namespace": namespace, "name": name}}
        )
    return {**entity.body, "relations": relations}


# --- GET /entities --------------------------------------------------------------------------------


def test_entities_filters_are_or_between_parameters_and_and_within_one(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    response = signed_in.get(
        f"{API}/entities",
        {"filter": ["kind=user", "kind=group,metadata.name=team-b"], "fields": "kind,metadata.name"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert not response.has_header("Link")
    assert streamed(response) == [
        {"kind": "Group", "metadata": {"name": "team-b"}},
        {"kind": "User", "metadata": {"name": "alice"}},
        {"kind": "User", "metadata": {"name": "bob"}},
    ]


def test_entities_without_filter_are_every_entity_in_full(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    items = streamed(signed_in.get(f"{API}/entities"))

    assert [ref_of(item) for item in items] == EXAMPLE_REFS
    assert items[1] == served("component:default/payments")


def test_entities_limit_offset_and_backstage_after_cursor(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    after = base64.b64encode(json.dumps({"limit": 2, "offset": 3}).encode()).decode()

    page = signed_in.get(f"{API}/entities", {"limit": 2, "offset": 1, "fields": "metadata.name"}).json()
    following = signed_in.get(f"{API}/entities", {"after": after, "fields": "metadata.name"}).json()

    assert page == [{"metadata": {"name": "payments"}}, {"metadata": {"name": "search"}}]
    assert following == [{"metadata": {"name": "web-shop"}}, {"metadata": {"name": "team-a"}}]


def test_entities_order_parameter(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    response = signed_in.get(
        f"{API}/entities", {"filter": "kind=component", "order": "desc:metadata.name", "fields": "metadata.name"}
    )

    assert [item["metadata"]["name"] for item in streamed(response)] == ["web-shop", "search", "payments"]


def test_entities_bad_parameters_answer_400_with_the_reason(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    bad_order = signed_in.get(f"{API}/entities?order=sideways:metadata.name")
    bad_after = signed_in.get(f"{API}/entities?after=!!!")
    bad_filter = signed_in.get(f"{API}/entities?filter=kind=api,=x")
    bad_limit = signed_in.get(f"{API}/entities?limit=ten")

    assert (bad_order.status_code, bad_order.json()) == (
        400,
        error(
            400,
            "InputError",
            "Invalid order 'sideways:metadata.name': expected asc:<field> or desc:<field>.",
            "GET",
            f"{API}/entities?order=sideways:metadata.name",
        ),
    )
    assert bad_after.json()["error"] == {
        "name": "InputError",
        "message": "Malformed after cursor, could not be parsed.",
    }
    assert bad_filter.json()["error"]["message"] == (
        "Invalid filter 'kind=api,=x': '=x' has no key; expected key=value or key (key exists)."
    )
    assert (bad_limit.status_code, bad_limit.json()["error"]["message"]) == (
        400,
        "limit must be a whole number, not 'ten'.",
    )


# --- by name, by uid ------------------------------------------------------------------------------


def test_entity_by_name_ignores_letter_case(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    response = signed_in.get(f"{API}/entities/by-name/COMPONENT/Default/Payments")

    assert response.status_code == 200
    assert response.json() == served("component:default/payments")
    assert [relation["targetRef"] for relation in response.json()["relations"]] == [
        "component:default/search",
        "group:default/team-a",
        "system:default/payments-platform",
        "api:default/payments-api",
    ]


def test_entity_by_name_unknown_answers_404(tmp_path, settings, signed_in):
    example(tmp_path, settings)

    response = signed_in.get(f"{API}/entities/by-name/component/default/nothing")

    assert (response.status_code, response.json()) == (
        404,
        error(
            404,
            "NotFoundError",
            "No entity named component:default/nothing.",
            "GET",
            f"{API}/entities/by-name/component/default/nothing",
        ),
    )


def test_entity_by_uid(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    uid = Entity.objects.get(ref="api:default/payments-api").uid

    found = signed_in.get(f"{API}/entities/by-uid/{uid}")
    unknown = signed_in.get(f"{API}/entities/by-uid/00000000-0000-4000-8000-000000000000")
    malformed = signed_in.get(f"{API}/entities/by-uid/nope")

    assert (found.status_code, found.json()) == (200, served("api:default/payments-api"))
    assert (unknown.status_code, unknown.json()["error"]) == (
        404,
        {"name": "NotFoundError", "message": "No entity with uid 00000000-0000-4000-8000-000000000000."},
    )
    assert (malformed.status_code, malformed.json()["error"]["message"]) == (404, "No entity with uid nope.")


# --- DELETE ---------------------------------------------------------------------------------------


def test_delete_by_name_removes_the_entity_its_relations_and_search_rows(tmp_path, settings, client, staff_user):
    example(tmp_path, settings)
    client.force_login(staff_user)
    entity = Entity.objects.get(ref="component:default/search")

    response = client.delete(f"{API}/entities/by-name/component/default/search")

    assert response.status_code == 204
    assert not Entity.objects.filter(ref="component:default/search").exists()
    assert not Relation.objects.filter(origin_id=entity.pk).exists()
    assert not SearchEntry.objects.filter(entity_id=entity.pk).exists()
    assert client.get(f"{API}/entities/by-name/component/default/search").status_code == 404
    assert Entity.objects.count() == len(EXAMPLE_REFS) - 1


def test_delete_by_uid_by_an_owner_of_the_entity(tmp_path, settings, client, db):
    example(tmp_path, settings)
    alice = make_user("alice@example.com")  # the User entity alice, a member of team-a
    client.force_login(alice)
    uid = Entity.objects.get(ref="component:default/payments").uid

    response = client.delete(f"{API}/entities/by-uid/{uid}")

    assert response.status_code == 204
    assert not Entity.objects.filter(uid=uid).exists()


def test_delete_by_someone_else_is_denied_and_the_entity_stays(tmp_path, settings, client, other_user):
    example(tmp_path, settings)
    client.force_login(other_user)  # no User entity: a member of no group

    response = client.delete(f"{API}/entities/by-name/component/default/payments")

    assert (response.status_code, response.json()["error"]) == (
        403,
        {"name": "NotAllowedError", "message": "Only administrators and the entity's owners can delete it."},
    )
    assert Entity.objects.filter(ref="component:default/payments").exists()


def test_delete_with_a_read_only_token_is_denied(tmp_path, settings, client, staff_user):
    example(tmp_path, settings)

    response = client.delete(f"{API}/entities/by-name/component/default/search", **bearer(staff_user, read_only=True))

    assert (response.status_code, response.json()["error"]) == (
        403,
        {"name": "NotAllowedError", "message": "A read-only API token cannot change anything."},
    )
    assert Entity.objects.filter(ref="component:default/search").exists()


# --- by refs --------------------------------------------------------------------------------------


def test_by_refs_answers_in_request_order_with_null_for_unknown_refs(tmp_path, settings, client, user):
    example(tmp_path, settings)
    refs = ["component:default/web-shop", "component:default/nothing", "Component:Default/Payments", "a:b:c"]

    response = post_json(client, f"{API}/entities/by-refs", {"entityRefs": refs}, **bearer(user, read_only=True))

    assert response.status_code == 200
    assert response.json() == {
        "items": [served("component:default/web-shop"), None, served("component:default/payments"), None]
    }


def test_by_refs_with_fields_and_filter(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    body = {"entityRefs": ["component:default/search", "component:default/payments"], "fields": ["metadata.name"]}

    response = post_json(signed_in, f"{API}/entities/by-refs?filter=spec.lifecycle=production", body)

    assert response.json() == {"items": [None, {"metadata": {"name": "payments"}}]}


def test_by_refs_refuses_predicate_queries_and_bad_bodies(signed_in):
    predicate = post_json(signed_in, f"{API}/entities/by-refs", {"entityRefs": [], "query": {"kind": "api"}})
    missing = post_json(signed_in, f"{API}/entities/by-refs", {"fields": ["kind"]})

    assert predicate.json()["error"] == {
        "name": "InputError",
        "message": "Predicate queries (query) are not supported; use the filter parameter.",
    }
    assert (missing.status_code, missing.json()["error"]) == (
        400,
        {"name": "InputError", "message": "entityRefs: This field is required."},
    )


# --- refresh --------------------------------------------------------------------------------------


def test_refresh_queues_a_refresh_of_the_entity_location(tmp_path, settings, signed_in, user):
    location = example(tmp_path, settings)

    response = post_json(signed_in, f"{API}/refresh", {"entityRef": "component:default/search"})

    assert (response.status_code, response.content) == (200, b"")
    assert list(Run.objects.values_list("kind", "object_id", "status", "created_by_id")) == [
        ("catalog.refresh_location", str(location.pk), "pending", user.pk)
    ]


def test_refresh_of_an_unknown_or_malformed_ref(signed_in):
    unknown = post_json(signed_in, f"{API}/refresh", {"entityRef": "component:default/nothing"})
    malformed = post_json(signed_in, f"{API}/refresh", {"entityRef": "nothing"})

    assert (unknown.status_code, unknown.json()["error"]) == (
        404,
        {"name": "NotFoundError", "message": "No entity named component:default/nothing."},
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["message"].startswith('Entity reference "nothing" has no kind')
    assert not Run.objects.exists()


# --- validate-entity ------------------------------------------------------------------------------


def test_validate_entity_accepts_a_valid_descriptor(signed_in):
    entity = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "checkout"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    }

    response = post_json(
        signed_in, f"{API}/validate-entity", {"entity": entity, "location": "url:https://x.test/c.yaml"}
    )

    assert (response.status_code, response.content) == (200, b"")


def test_validate_entity_lists_the_problems(signed_in):
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "bad name"}, "spec": {}}

    response = post_json(
        signed_in, f"{API}/validate-entity", {"entity": entity, "location": "url:https://x.test/c.yaml"}
    )
    no_location = post_json(signed_in, f"{API}/validate-entity", {"entity": entity, "location": "nowhere"})

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "name": "InputError",
                "message": 'metadata.name: metadata.name "bad name" is not valid; expected a string of 1-63 '
                "characters of [a-zA-Z0-9], separated by [-_.]",
            },
            {"name": "InputError", "message": "spec.type: spec.type is missing; it is required for kind Component"},
            {
                "name": "InputError",
                "message": "spec.lifecycle: spec.lifecycle is missing; it is required for kind Component",
            },
            {"name": "InputError", "message": "spec.owner: spec.owner is missing; it is required for kind Component"},
        ]
    }
    assert (no_location.status_code, no_location.json()) == (
        400,
        {
            "errors": [
                {
                    "name": "InputError",
                    "message": "Invalid location ref 'nowhere': expected <type>:<target>, e.g. url:https://host/path",
                }
            ]
        },
    )


# --- ancestry -------------------------------------------------------------------------------------


def test_ancestry_is_the_entity_its_location_entity_and_the_registered_location(tmp_path, settings, signed_in):
    location = example(tmp_path, settings)
    root = generated_ref("file", location.target)

    response = signed_in.get(f"{API}/entities/by-name/component/default/search/ancestry")

    body = response.json()
    assert response.status_code == 200
    assert body["rootEntityRef"] == "component:default/search"
    assert [(ref_of(item["entity"]), item["parentEntityRefs"]) for item in body["items"]] == [
        ("component:default/search", ["location:default/example-root"]),
        ("location:default/example-root", [root]),
        (root, []),
    ]
    assert body["items"][0]["entity"] == served("component:default/search")
    assert body["items"][2]["entity"] == {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": root.split("/")[1],
            "namespace": "default",
            "annotations": {
                "backstage.io/managed-by-location": f"file:{location.target}",
                "backstage.io/managed-by-origin-location": f"file:{location.target}",
            },
        },
        "spec": {"type": "file", "target": location.target},
        "relations": [],
    }


# --- sign-in --------------------------------------------------------------------------------------


def test_anonymous_requests_answer_401(client):
    response = client.get(f"{API}/entities/by-query")
    posted = post_json(client, f"{API}/entities/by-refs", {"entityRefs": []})

    assert (response.status_code, response.json()) == (
        401,
        error(
            401,
            "AuthenticationError",
            "Authentication credentials were not provided.",
            "GET",
            f"{API}/entities/by-query",
        ),
    )
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert posted.status_code == 401


def test_an_invalid_token_answers_401(client):
    response = client.get(f"{API}/entities", HTTP_AUTHORIZATION="Bearer atr_nope")

    assert (response.status_code, response.json()["error"]) == (
        401,
        {"name": "AuthenticationError", "message": "Invalid or expired API token."},
    )
