"""Backstage's example organisation (tests/data/backstage/, see its SOURCE.md) imports as Backstage's does."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from django.db.models import Count

from catalog import services
from catalog.models import Entity, LocationError, LocationStatus, Relation
from tests.catalog.ingest_helpers import register

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "backstage" / "examples"
OPENAPI = "openapi: 3.0.0\ninfo:\n  title: Served by the fake GitHub\n  version: 1.0.0\npaths: {}\n"
#: The three github.com ``$text`` targets of the examples (SOURCE.md), as (ref, path).
REMOTE_DEFINITIONS = [
    ("dab6854d4d599aafb0eb36e6c7ae1fe0c37509b7", "APIs/spotify.com/2021.4.2/openapi.yaml"),
    ("main", "APIs/archive.org/wayback/1.0.0/openapi.yaml"),
    ("main", "APIs/archive.org/search/1.0.0/openapi.yaml"),
]
ALL_COUNTS = {
    "API": 9,
    "Component": 13,
    "Domain": 3,
    "Group": 8,
    "Location": 8,
    "Resource": 1,
    "System": 3,
    "User": 17,
}


def import_examples():
    reports = []
    for name in ("all.yaml", "acme-corp.yaml"):
        reports.append(services.process_location(register(EXAMPLES / name)))
    return reports


def counts() -> dict[str, int]:
    return dict(Entity.objects.values_list("kind").annotate(n=Count("id")).order_by("kind"))


def has_relation(source: str, type_: str, target: str) -> bool:
    return Relation.objects.filter(source_ref=source, type=type_, target_ref=target).exists()


def test_the_example_organisation_imports_with_zero_errors_and_the_exact_counts(fake_github):
    # Given the fake GitHub serving the three remote definitions
    for ref, path in REMOTE_DEFINITIONS:
        fake_github.add_file("APIs-guru/openapi-directory", path, OPENAPI, ref=ref)

    # When both roots are imported
    reports = import_examples()

    # Then everything is there, without a single error
    assert [report.status for report in reports] == [LocationStatus.OK, LocationStatus.OK]
    assert LocationError.objects.count() == 0
    assert counts() == ALL_COUNTS
    assert Entity.objects.get(ref="api:default/spotify").body["spec"]["definition"] == OPENAPI
    petstore_webhook = Entity.objects.get(ref="api:default/petstore-webhook").body["spec"]["definition"]
    assert petstore_webhook == (EXAMPLES / "apis" / "petstore-webhook.oas.yaml").read_text()
    assert Entity.objects.filter(name="guest", kind="User").count() == 2
    assert {"/repos/APIs-guru/openapi-directory/contents/" + path for _, path in REMOTE_DEFINITIONS} <= set(
        fake_github.paths_requested()
    )


def test_the_example_organisation_has_its_relations_both_ways(fake_github):
    for ref, path in REMOTE_DEFINITIONS:
        fake_github.add_file("APIs-guru/openapi-directory", path, OPENAPI, ref=ref)

    import_examples()

    pairs = [
        ("component:default/artist-lookup", "ownedBy", "ownerOf", "group:default/team-a"),
        ("component:default/artist-lookup", "partOf", "hasPart", "system:default/artist-engagement-portal"),
        ("component:default/artist-lookup", "dependsOn", "dependencyOf", "resource:default/artists-db"),
        ("system:default/audio-playback", "partOf", "hasPart", "domain:default/playback"),
        ("domain:default/playback", "ownedBy", "ownerOf", "user:default/frank.tiernan"),
        ("group:default/backstage", "childOf", "parentOf", "group:default/infrastructure"),
        ("group:default/team-a", "childOf", "parentOf", "group:default/backstage"),
        ("user:default/breanna.davison", "memberOf", "hasMember", "group:default/team-a"),
    ]
    for source, forward, inverse, target in pairs:
        assert has_relation(source, forward, target), (source, forward, target)
        assert has_relation(target, inverse, source), (target, inverse, source)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_github_exactly_the_three_remote_definitions_fail_and_the_rest_imports(settings):
    # Given no GitHub reachable
    settings.CATALOG_GITHUB_API_URL = f"http://127.0.0.1:{_closed_port()}"

    reports = import_examples()

    assert [report.status for report in reports] == [LocationStatus.ERRORS, LocationStatus.OK]
    assert counts() == {**ALL_COUNTS, "API": 6}
    failed = LocationError.objects.order_by("entity_ref")
    assert [(error.kind, error.entity_ref, error.line) for error in failed] == [
        ("substitution", "api:default/spotify", 17),
        ("substitution", "api:default/wayback-archive", 11),
        ("substitution", "api:default/wayback-search", 11),
    ]
    for error in failed:
        assert error.message.startswith("$text could not be read: https://github.com/APIs-guru/openapi-directory/")
        assert error.message.endswith(f"cannot reach GitHub at {settings.CATALOG_GITHUB_API_URL} (ConnectionError)")
