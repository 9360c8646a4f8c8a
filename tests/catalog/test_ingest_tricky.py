"""The tricky descriptor cases of tests/data/catalog/, imported through the whole pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import services
from catalog.models import Entity, LocationError, LocationStatus, Relation
from tests.catalog.ingest_helpers import captured_writes, register, written_tables

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "catalog"


def imported(relative: str):
    location = register(DATA / relative)
    report = services.process_location(location)
    return location, report


def errors(location) -> list[tuple]:
    return list(
        LocationError.objects.filter(location=location)
        .order_by("line", "id")
        .values_list("kind", "source_url", "document_index", "line", "entity_ref", "message")
    )


def relations_of(ref: str) -> set[tuple[str, str]]:
    return set(Relation.objects.filter(source_ref=ref).values_list("type", "target_ref"))


def test_shorthand_refs_in_every_field_take_the_default_kind_and_the_entitys_namespace():
    _, report = imported("shorthand/catalog-info.yaml")

    assert (report.status, report.stats.added) == (LocationStatus.OK, 7)
    assert relations_of("component:payments/checkout") == {
        ("ownedBy", "group:payments/team-pay"),
        ("partOf", "system:payments/shop"),
        ("partOf", "component:payments/storefront"),
        ("providesApi", "api:payments/checkout-api"),
        ("consumesApi", "api:default/pricing-api"),
        ("dependsOn", "resource:payments/ledger-db"),
        ("dependsOn", "component:default/auth"),
        ("dependencyOf", "component:payments/storefront"),
        ("dependencyOf", "resource:payments/ledger-db"),  # emitted by the resource's dependsOn
    }
    assert ("ownedBy", "user:default/jane") in relations_of("api:payments/checkout-api")
    assert relations_of("system:payments/shop") >= {
        ("ownedBy", "group:payments/team-pay"),
        ("partOf", "domain:payments/commerce"),
    }
    assert ("ownedBy", "group:default/leadership") in relations_of("domain:payments/commerce")
    assert relations_of("group:payments/team-pay") >= {
        ("childOf", "group:default/engineering"),
        ("parentOf", "group:payments/pay-oncall"),
        ("hasMember", "user:payments/jane"),
    }
    assert ("memberOf", "group:payments/team-pay") in relations_of("user:payments/jane")
    checkout = Entity.objects.get(ref="component:payments/checkout")
    assert (checkout.owner_ref, checkout.system_ref) == ("group:payments/team-pay", "system:payments/shop")


def test_two_documents_differing_only_in_case_are_one_entity_and_the_second_is_a_conflict():
    location, report = imported("case/catalog-info.yaml")

    assert report.status == LocationStatus.ERRORS
    service = Entity.objects.get(ref="component:default/my-service")
    assert (service.name, service.title) == ("My-Service", "First spelling")
    assert service.owner_ref == "group:default/team-x"
    assert ("ownerOf", "component:default/my-service") in relations_of("group:default/team-x")
    assert errors(location) == [
        (
            "conflict",
            f"file:{DATA / 'case/catalog-info.yaml'}",
            1,
            11,
            "component:default/my-service",
            f"component:default/my-service is already provided by file:{DATA / 'case/catalog-info.yaml'}:1 "
            "in this location",
        )
    ]


def test_groups_whose_parents_loop_import_fine_with_their_relations_both_ways():
    _, report = imported("groups/org.yaml")

    assert (report.status, report.stats.added) == (LocationStatus.OK, 2)
    assert relations_of("group:default/alpha") == {
        ("childOf", "group:default/beta"),
        ("parentOf", "group:default/beta"),
    }
    assert relations_of("group:default/beta") == {
        ("childOf", "group:default/alpha"),
        ("parentOf", "group:default/alpha"),
    }


def test_a_location_chain_three_deep_is_followed_relative_to_each_file():
    location, report = imported("chain/root.yaml")

    assert report.status == LocationStatus.OK
    assert sorted(Entity.objects.filter(location=location).values_list("ref", flat=True)) == [
        "component:default/deep-leaf",
        "location:default/chain-one",
        "location:default/chain-root",
        "location:default/chain-two",
    ]
    leaf = Entity.objects.get(ref="component:default/deep-leaf")
    assert leaf.body["metadata"]["annotations"] == {
        "backstage.io/managed-by-location": f"file:{DATA / 'chain/leaf.yaml'}",
        "backstage.io/managed-by-origin-location": f"file:{DATA / 'chain/root.yaml'}",
    }


def test_a_file_with_broken_documents_imports_the_good_ones_and_reports_each_error_at_its_line():
    location, report = imported("broken/catalog-info.yaml")
    url = f"file:{DATA / 'broken/catalog-info.yaml'}"

    assert sorted(Entity.objects.filter(location=location).values_list("ref", flat=True)) == [
        "api:default/good-after",
        "component:default/good-before",
    ]
    assert report.status == LocationStatus.ERRORS
    assert errors(location) == [
        (
            "parse",
            url,
            1,
            16,
            "",
            "YAML: did not find expected ',' or ']' (column 5), while parsing a flow sequence that starts on line 15",
        ),
        (
            "validation",
            url,
            2,
            22,
            "component:default/not a valid name!",
            'metadata.name: metadata.name "not a valid name!" is not valid; expected a string of 1-63 characters '
            "of [a-zA-Z0-9], separated by [-_.]",
        ),
        ("parse", url, 4, 44, "", "YAML: the key 'type' appears twice (column 3)"),
    ]


def test_locations_that_target_each_other_are_read_once_and_the_cycle_is_reported():
    location, report = imported("cycle/a.yaml")
    a, b = f"file:{DATA / 'cycle/a.yaml'}", f"file:{DATA / 'cycle/b.yaml'}"

    assert (report.status, report.stats.sources_read) == (LocationStatus.ERRORS, 2)

    assert sorted(Entity.objects.filter(location=location).values_list("ref", flat=True)) == [
        "component:default/in-a",
        "location:default/cycle-a",
        "location:default/cycle-b",
    ]
    assert errors(location) == [
        ("read", b, 0, 1, "location:default/cycle-b", f"Location cycle: {a} is already being read ({a} → {b} → {a})")
    ]


def test_targets_and_placeholders_leaving_the_allowed_folders_are_refused(settings):
    location, report = imported("escape/catalog-info.yaml")
    url = f"file:{DATA / 'escape/catalog-info.yaml'}"
    roots = ", ".join(settings.CATALOG_FILE_ROOTS)

    assert (report.status, report.stats.sources_failed) == (LocationStatus.ERRORS, 2)

    assert sorted(Entity.objects.filter(location=location).values_list("ref", flat=True)) == [
        "component:default/stays-inside",
        "location:default/escape",
    ]
    assert sorted(errors(location), key=lambda error: (error[0], error[1])) == [
        (
            "read",
            "file:/etc/hostname",
            None,
            None,
            "",
            f"/etc/hostname is outside the folders the catalog may read (CATALOG_FILE_ROOTS: {roots}) "
            f"(a target of {url}, line 1)",
        ),
        (
            "read",
            "file:/etc/passwd",
            None,
            None,
            "",
            f"/etc/passwd is outside the folders the catalog may read (CATALOG_FILE_ROOTS: {roots}) "
            f"(a target of {url}, line 1)",
        ),
        (
            "substitution",
            url,
            1,
            19,  # the line of the $text key
            "api:default/leaky",
            f"$text could not be read: /etc/passwd is outside the folders the catalog may read "
            f"(CATALOG_FILE_ROOTS: {roots})",
        ),
    ]


def test_text_json_and_yaml_placeholders_are_read_relative_to_the_descriptor():
    _, report = imported("placeholders/catalog-info.yaml")

    assert report.status == LocationStatus.OK
    api = Entity.objects.get(ref="api:default/placeholder-api")
    assert api.body["spec"]["definition"] == (DATA / "placeholders/defs/openapi.yaml").read_text()
    component = Entity.objects.get(ref="component:default/placeholder-component")
    assert component.body["metadata"]["labels"] == {"tier": "gold", "region": "eu"}
    assert component.body["spec"]["settings"] == {"enabled": True}


def test_refreshing_a_location_with_errors_again_keeps_them_once_and_rewrites_nothing():
    location, _ = imported("cycle/a.yaml")
    before = errors(location)

    with captured_writes() as statements:
        report = services.process_location(location)

    assert errors(location) == before
    assert (report.stats.sources_unchanged, report.status) == (1, LocationStatus.ERRORS)
    assert written_tables(statements) == {"catalog_location"}
