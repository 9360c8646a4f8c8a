"""The location endpoints of /api/catalog/, analyze-location, and the catalog health endpoints."""

import json

import pytest

from catalog import services
from catalog.models import Entity, Location, LocationError
from portal import tokens
from portal.models import Run
from tests.catalog.api_support import EXAMPLE_REFS, SHOP, example, generated_ref, ingest
from tests.conftest import make_user

API = "/api/catalog"

BROKEN = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: good
spec:
  type: service
  lifecycle: production
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: bad
spec:
  type: service
"""


@pytest.fixture
def user(db):
    """Most tests register files on the server, which is for administrators."""
    return make_user("dev@example.com", staff=True)


def location_json(location: Location) -> dict:
    return {
        "id": str(location.pk),
        "type": location.type,
        "target": location.target,
        "entityRef": generated_ref(location.type, location.target),
    }


def post_json(client, url: str, body: dict, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def bearer(user, *, read_only: bool) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token(user, name='test', read_only=read_only).plaintext}"}


def broken_location(tmp_path, settings) -> Location:
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    (tmp_path / "broken.yaml").write_text(BROKEN)
    location = services.register_location(type="file", target=str(tmp_path / "broken.yaml"), refresh=False)
    services.process_location(location)
    return location


# --- GET ------------------------------------------------------------------------------------------


def test_locations_lists_every_location(tmp_path, settings, signed_in):
    Location.objects.filter(managed=True).delete()
    first = example(tmp_path / "one", settings)
    second = ingest(tmp_path / "two", settings, {"root.yaml": BROKEN.split("---\n")[0]})

    response = signed_in.get(f"{API}/locations")

    assert response.status_code == 200
    assert response.json() == [{"data": location_json(first)}, {"data": location_json(second)}]


def test_location_by_id_and_unknown_ids(tmp_path, settings, signed_in):
    location = example(tmp_path, settings)

    found = signed_in.get(f"{API}/locations/{location.pk}")
    unknown = signed_in.get(f"{API}/locations/00000000-0000-4000-8000-000000000000")
    malformed = signed_in.get(f"{API}/locations/42")

    assert (found.status_code, found.json()) == (200, location_json(location))
    assert (unknown.status_code, unknown.json()["error"]) == (
        404,
        {"name": "NotFoundError", "message": "No location with id 00000000-0000-4000-8000-000000000000."},
    )
    assert (malformed.status_code, malformed.json()["error"]["message"]) == (404, "No location with id 42.")


def test_location_by_entity(tmp_path, settings, signed_in):
    location = example(tmp_path, settings)

    response = signed_in.get(f"{API}/locations/by-entity/Component/default/search")

    assert (response.status_code, response.json()) == (200, location_json(location))


# --- POST -----------------------------------------------------------------------------------------


def test_post_registers_the_location_and_queues_its_refresh(tmp_path, settings, signed_in, user):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    (tmp_path / "catalog-info.yaml").write_text(SHOP)

    response = post_json(signed_in, f"{API}/locations", {"type": "file", "target": str(tmp_path / "catalog-info.yaml")})

    location = Location.objects.get(target=str(tmp_path / "catalog-info.yaml"))
    assert (response.status_code, response.json()) == (201, {"location": location_json(location), "entities": []})
    assert (location.type, location.created_by, location.managed) == ("file", user, False)
    assert list(Run.objects.values_list("kind", "object_id", "status")) == [
        ("catalog.refresh_location", str(location.pk), "pending")
    ]


def test_post_of_a_registered_location_answers_409_or_refreshes_it(tmp_path, settings, signed_in):
    location = example(tmp_path, settings)
    body = {"type": "file", "target": location.target}

    rejected = post_json(signed_in, f"{API}/locations", body)
    refreshed = post_json(signed_in, f"{API}/locations?onConflict=refresh", body)

    assert (rejected.status_code, rejected.json()) == (
        409,
        {
            "error": {"name": "ConflictError", "message": f"Location file:{location.target} already exists."},
            "request": {"method": "POST", "url": f"{API}/locations"},
            "response": {"statusCode": 409},
        },
    )
    assert (refreshed.status_code, refreshed.json()) == (
        201,
        {"location": location_json(location), "entities": [], "exists": True},
    )
    assert Location.objects.filter(target=location.target).count() == 1
    assert list(Run.objects.values_list("object_id", flat=True)) == [str(location.pk)]


def test_dry_run_says_what_would_be_added_and_writes_nothing(tmp_path, settings, client, user):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    (tmp_path / "catalog-info.yaml").write_text(SHOP)
    before = Location.objects.count()
    target = str(tmp_path / "catalog-info.yaml")

    response = post_json(
        client, f"{API}/locations?dryRun=true", {"type": "file", "target": target}, **bearer(user, read_only=True)
    )

    body = response.json()
    assert response.status_code == 201
    assert body["exists"] is False
    assert {key: value for key, value in body["location"].items() if key != "id"} == {
        "type": "file",
        "target": target,
        "entityRef": generated_ref("file", target),
    }
    assert [(item["kind"], item["metadata"]["name"]) for item in body["entities"]] == [
        ("Component", "search"),
        ("Component", "web-shop"),
    ]
    assert body["entities"][0]["spec"] == {
        "type": "service",
        "lifecycle": "experimental",
        "owner": "team-b",
        "dependsOn": ["component:payments"],
    }
    assert (Location.objects.count(), Entity.objects.count(), Run.objects.count()) == (before, 0, 0)


def test_dry_run_of_a_location_with_errors_answers_400(tmp_path, settings, signed_in):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    (tmp_path / "broken.yaml").write_text(BROKEN)

    response = post_json(
        signed_in, f"{API}/locations?dryRun=true", {"type": "file", "target": str(tmp_path / "broken.yaml")}
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"The location has errors: file:{tmp_path}/broken.yaml:14: [validation] spec.lifecycle: spec.lifecycle is "
        "missing; it is required for kind Component; "
        f"file:{tmp_path}/broken.yaml:14: [validation] spec.owner: spec.owner is missing; it is required for kind "
        "Component"
    )


def test_post_of_a_bad_target_or_type_answers_400_and_writes_nothing(tmp_path, settings, signed_in):
    before = Location.objects.count()

    relative = post_json(signed_in, f"{API}/locations", {"type": "file", "target": "catalog-info.yaml"})
    unknown = post_json(signed_in, f"{API}/locations", {"type": "ftp", "target": "ftp://x.test/a.yaml"})

    assert (relative.status_code, relative.json()["error"]["message"]) == (
        400,
        "A file location needs an absolute path, not 'catalog-info.yaml'.",
    )
    assert (unknown.status_code, unknown.json()["error"]["message"]) == (400, 'type: "ftp" is not a valid choice.')
    assert Location.objects.count() == before


def test_post_with_a_read_only_token_is_denied_and_creates_nothing(tmp_path, settings, client, user):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    (tmp_path / "catalog-info.yaml").write_text(SHOP)
    before = Location.objects.count()

    response = post_json(
        client,
        f"{API}/locations",
        {"type": "file", "target": str(tmp_path / "catalog-info.yaml")},
        **bearer(user, read_only=True),
    )

    assert (response.status_code, response.json()["error"]) == (
        403,
        {"name": "NotAllowedError", "message": "A read-only API token cannot change anything."},
    )
    assert (Location.objects.count(), Run.objects.count()) == (before, 0)


def test_post_anonymously_answers_401(client, db):
    response = post_json(client, f"{API}/locations", {"type": "file", "target": "/tmp/x.yaml"})

    assert (response.status_code, response.json()["error"]["name"]) == (401, "AuthenticationError")


# --- DELETE ---------------------------------------------------------------------------------------


def test_its_creator_deletes_a_location_with_its_entities(tmp_path, settings, client, user):
    location = example(tmp_path, settings, user=user)

    response = client.delete(f"{API}/locations/{location.pk}", **bearer(user, read_only=False))

    assert (response.status_code, response.content) == (204, b"")
    assert not Location.objects.filter(pk=location.pk).exists()
    assert Entity.objects.count() == 0


def test_another_user_cannot_delete_a_location(tmp_path, settings, client, user, other_user):
    location = example(tmp_path, settings, user=user)
    client.force_login(other_user)

    response = client.delete(f"{API}/locations/{location.pk}")

    assert (response.status_code, response.json()["error"]) == (
        403,
        {
            "name": "NotAllowedError",
            "message": "Only the user who registered this location and administrators can delete it.",
        },
    )
    assert Location.objects.filter(pk=location.pk).exists()
    assert Entity.objects.count() == len(EXAMPLE_REFS)


def test_an_administrator_deletes_any_location(tmp_path, settings, client, user, staff_user):
    location = example(tmp_path, settings, user=user)
    client.force_login(staff_user)

    assert client.delete(f"{API}/locations/{location.pk}").status_code == 204
    assert not Location.objects.filter(pk=location.pk).exists()


def test_no_one_deletes_a_managed_location(client, staff_user):
    managed = services.ensure_templates_location()
    client.force_login(staff_user)

    response = client.delete(f"{API}/locations/{managed.pk}")

    assert (response.status_code, response.json()["error"]["message"]) == (
        403,
        "This location is managed by Atrium and cannot be deleted.",
    )
    assert Location.objects.filter(pk=managed.pk).exists()


# --- analyze-location -----------------------------------------------------------------------------


def test_analyze_location_lists_the_entity_files_and_the_errors(tmp_path, settings, signed_in):
    example(tmp_path, settings)
    (tmp_path / "broken.yaml").write_text(BROKEN)
    (tmp_path / "both.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: both\n"
        "spec:\n  targets: [./broken.yaml, ./services/shop.yaml]\n"
    )

    response = post_json(
        signed_in, f"{API}/analyze-location", {"location": {"type": "file", "target": str(tmp_path / "both.yaml")}}
    )

    body = response.json()
    assert response.status_code == 200
    assert [
        (item["entity"]["metadata"]["name"], item["isRegistered"], item["location"])
        for item in body["existingEntityFiles"]
    ] == [
        ("both", False, {"type": "file", "target": f"{tmp_path}/both.yaml"}),
        ("good", False, {"type": "file", "target": f"{tmp_path}/broken.yaml"}),
        ("search", True, {"type": "file", "target": f"{tmp_path}/services/shop.yaml"}),
        ("web-shop", True, {"type": "file", "target": f"{tmp_path}/services/shop.yaml"}),
    ]
    assert body["generateEntities"] == []
    assert body["errors"] == [
        {
            "file": f"file:{tmp_path}/broken.yaml",
            "document": 1,
            "line": 14,
            "entityRef": "component:default/bad",
            "kind": "validation",
            "message": "spec.lifecycle: spec.lifecycle is missing; it is required for kind Component",
        },
        {
            "file": f"file:{tmp_path}/broken.yaml",
            "document": 1,
            "line": 14,
            "entityRef": "component:default/bad",
            "kind": "validation",
            "message": "spec.owner: spec.owner is missing; it is required for kind Component",
        },
    ]


def test_analyze_an_unreadable_location_answers_400(tmp_path, settings, signed_in):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]

    response = post_json(
        signed_in, f"{API}/analyze-location", {"location": {"type": "file", "target": str(tmp_path / "none.yaml")}}
    )

    assert (response.status_code, response.json()["error"]["message"]) == (
        400,
        f"{tmp_path}/none.yaml does not exist or is not a file.",
    )


# --- errors ---------------------------------------------------------------------------------------


def test_errors_list_every_problem_with_file_document_and_line(tmp_path, settings, signed_in):
    example(tmp_path / "fine", settings)
    location = broken_location(tmp_path, settings)
    created = list(LocationError.objects.order_by("id").values_list("created", flat=True))

    every = signed_in.get(f"{API}/errors")
    own = signed_in.get(f"{API}/locations/{location.pk}/errors", {"limit": 1, "offset": 1})

    expected = [
        {
            "location": location_json(location),
            "file": f"file:{tmp_path}/broken.yaml",
            "document": 1,
            "line": 14,
            "entityRef": "component:default/bad",
            "kind": "validation",
            "message": f"spec.{field}: spec.{field} is missing; it is required for kind Component",
            "created": when.isoformat().replace("+00:00", "Z"),
        }
        for field, when in zip(["lifecycle", "owner"], created, strict=True)
    ]
    assert (every.status_code, every.json()) == (200, {"items": expected, "totalItems": 2})
    assert own.json() == {"items": expected[1:], "totalItems": 2}
    assert signed_in.get(f"{API}/locations/00000000-0000-4000-8000-000000000000/errors").status_code == 404


def test_someone_not_an_administrator_cannot_register_or_analyze_server_files(tmp_path, settings, client, other_user):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    (tmp_path / "catalog-info.yaml").write_text(SHOP)
    target = str(tmp_path / "catalog-info.yaml")
    client.force_login(other_user)

    registered = post_json(client, f"{API}/locations", {"type": "file", "target": target})
    analyzed = post_json(client, f"{API}/analyze-location", {"location": {"type": "file", "target": target}})

    assert registered.status_code == 403
    assert analyzed.status_code == 403
    assert registered.json()["error"]["message"] == (
        "Only administrators can read files on the server or discover GitHub organisations."
    )
    assert not Location.objects.filter(target=target).exists()
