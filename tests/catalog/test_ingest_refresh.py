"""Refreshing a location: what is written, what is skipped, orphans, conflicts, errors, atomicity."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from catalog import services
from catalog.ingest.apply import apply_plan
from catalog.ingest.errors import ConcurrentRefresh
from catalog.ingest.processing import read_location
from catalog.ingest.state import Snapshot
from catalog.models import Entity, Location, LocationError, LocationStatus, Relation, SearchEntry, Source
from tests.catalog.ingest_helpers import captured_writes, component, location, register, write, written_tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    return tmp_path


def refs(location_: Location, **filters) -> list[str]:
    return sorted(Entity.objects.filter(location=location_, **filters).values_list("ref", flat=True))


def test_an_entity_gets_its_annotations_a_uid_an_etag_and_its_columns(folder):
    path = write(folder / "catalog-info.yaml", component("shop", owner="team-x", description="The shop", tags=["web"]))
    loc = register(path)

    report = services.process_location(loc)

    entity = Entity.objects.get(ref="component:default/shop")
    metadata = entity.body["metadata"]
    assert report.status == LocationStatus.OK
    assert metadata["annotations"] == {
        "backstage.io/managed-by-location": f"file:{path}",
        "backstage.io/managed-by-origin-location": f"file:{path}",
    }
    assert (metadata["uid"], metadata["etag"], metadata["namespace"]) == (str(entity.uid), entity.etag, "default")
    assert (entity.kind, entity.namespace, entity.name, entity.api_version) == (
        "Component",
        "default",
        "shop",
        "backstage.io/v1alpha1",
    )
    assert (entity.title, entity.description, entity.spec_type, entity.lifecycle) == (
        "",
        "The shop",
        "service",
        "production",
    )
    assert (entity.owner_ref, entity.system_ref, entity.orphan) == ("group:default/team-x", "", False)
    assert entity.search_text == "shop the shop web component service team-x production"
    assert entity.source is not None
    assert (entity.source.url, entity.document_index, entity.line) == (f"file:{path}", 0, 1)
    assert set(Relation.objects.filter(origin=entity).values_list("source_ref", "type", "target_ref")) == {
        ("component:default/shop", "ownedBy", "group:default/team-x"),
        ("group:default/team-x", "ownerOf", "component:default/shop"),
    }
    assert ("metadata.tags", "web", "web") in set(
        SearchEntry.objects.filter(entity=entity).values_list("key", "value", "original_value")
    )


def test_a_second_refresh_of_unchanged_content_writes_only_the_last_refreshed_time(folder):
    # Given a location with a Location entity and two entity files, read once
    write(folder / "a.yaml", component("a"))
    write(folder / "b.yaml", component("b"), component("b2"))
    loc = register(write(folder / "all.yaml", location("all", "./a.yaml", "./b.yaml")))
    services.process_location(loc)
    loc.refresh_from_db()
    before = loc.last_refreshed

    # When it is refreshed with nothing changed
    with captured_writes() as statements:
        report = services.process_location(loc)

    # Then nothing was parsed or written but the location's timestamp
    assert (report.stats.sources_read, report.stats.sources_unchanged, report.stats.documents) == (3, 3, 0)
    assert (report.stats.added, report.stats.updated, report.stats.unchanged, report.stats.orphaned) == (0, 0, 4, 0)
    assert len(statements) == 1
    assert statements[0].startswith('UPDATE "catalog_location" SET "last_refreshed" = ')
    loc.refresh_from_db()
    assert loc.last_refreshed > before
    assert refs(loc) == ["component:default/a", "component:default/b", "component:default/b2", "location:default/all"]


def test_a_changed_file_rewrites_only_its_changed_entity_and_keeps_its_uid(folder):
    write(folder / "a.yaml", component("a"))
    b = write(folder / "b.yaml", component("b", description="old"), component("b2"))
    loc = register(write(folder / "all.yaml", location("all", "./a.yaml", "./b.yaml")))
    services.process_location(loc)
    old = {entity.ref: entity for entity in Entity.objects.all()}

    write(b, component("b", description="new"), component("b2"))
    with captured_writes() as statements:
        report = services.process_location(loc)

    new = {entity.ref: entity for entity in Entity.objects.all()}
    changed = new["component:default/b"]
    assert (report.stats.sources_unchanged, report.stats.updated, report.stats.unchanged) == (2, 1, 3)
    assert changed.description == "new"
    assert changed.uid == old["component:default/b"].uid
    assert changed.body["metadata"]["uid"] == str(changed.uid)
    assert changed.etag != old["component:default/b"].etag
    for ref in ("component:default/a", "component:default/b2", "location:default/all"):
        assert (new[ref].etag, new[ref].updated) == (old[ref].etag, old[ref].updated)
    assert Source.objects.get(url=f"file:{b}").content_hash != ""
    assert written_tables(statements) <= {
        "catalog_entity",
        "catalog_source",
        "catalog_location",
        "catalog_relation",
        "catalog_searchentry",
        "catalog_revision",
    }


def test_moving_an_entity_down_its_file_changes_its_line_but_not_its_etag(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    loc = register(path)
    services.process_location(loc)
    etag = Entity.objects.get().etag

    path.write_text("# a comment\n\n" + component("a"))
    report = services.process_location(loc)

    entity = Entity.objects.get()
    assert (report.stats.moved, report.stats.updated) == (1, 0)
    assert (entity.line, entity.etag) == (3, etag)


def test_an_entity_that_disappears_becomes_an_orphan_and_comes_back_when_it_reappears(folder):
    path = write(folder / "catalog-info.yaml", component("stays"), component("goes"))
    loc = register(path)
    services.process_location(loc)
    uid = Entity.objects.get(ref="component:default/goes").uid

    write(path, component("stays"))
    gone = services.process_location(loc)
    orphaned = Entity.objects.get(ref="component:default/goes")
    write(path, component("stays"), component("goes"))
    back = services.process_location(loc)

    assert gone.stats.orphaned == 1
    assert orphaned.orphan is True
    assert back.stats.orphaned == 0
    returned = Entity.objects.get(ref="component:default/goes")
    assert (returned.orphan, returned.uid) == (False, uid)


def test_a_deleted_target_file_orphans_its_entities_and_records_why(folder):
    write(folder / "a.yaml", component("a"))
    b = write(folder / "b.yaml", component("b"))
    loc = register(write(folder / "all.yaml", location("all", "./a.yaml", "./b.yaml")))
    services.process_location(loc)

    b.unlink()
    report = services.process_location(loc)

    assert refs(loc, orphan=True) == ["component:default/b"]
    assert not Source.objects.filter(url=f"file:{b}").exists()
    assert report.status == LocationStatus.ERRORS
    error = LocationError.objects.get(location=loc)
    assert (error.kind, error.source_url) == ("read", f"file:{b}")
    assert error.message == f"{b} does not exist (a target of file:{folder / 'all.yaml'}, line 1)"


def test_an_entity_provided_by_two_locations_stays_with_the_first_and_the_second_records_a_conflict(folder):
    first = register(write(folder / "one" / "catalog-info.yaml", component("shared", description="first")))
    second_path = write(
        folder / "two" / "catalog-info.yaml", component("Shared", description="second"), component("own")
    )
    second = register(second_path)
    services.process_location(first)

    report = services.process_location(second)

    shared = Entity.objects.get(ref="component:default/shared")
    assert (shared.location, shared.description) == (first, "first")
    assert refs(second) == ["component:default/own"]
    assert (report.status, report.stats.added, report.stats.conflicts) == (LocationStatus.ERRORS, 1, 1)
    error = LocationError.objects.get(location=second)
    assert (error.kind, error.source_url, error.document_index, error.line, error.entity_ref) == (
        "conflict",
        f"file:{second_path}",
        0,
        1,
        "component:default/shared",
    )
    assert (
        error.message
        == f"component:default/shared is already provided by location file:{folder / 'one' / 'catalog-info.yaml'}"
    )


def test_errors_are_replaced_when_the_file_is_fixed(folder):
    path = write(folder / "catalog-info.yaml", component("good"), "kind: [broken\n")
    loc = register(path)
    services.process_location(loc)
    assert list(LocationError.objects.values_list("kind", "line", "message")) == [
        (
            "parse",
            11,
            "YAML: did not find expected ',' or ']' (column 1), while parsing a flow sequence that starts on line 10",
        )
    ]

    write(path, component("good"), component("fixed"))
    report = services.process_location(loc)

    loc.refresh_from_db()
    assert LocationError.objects.count() == 0
    assert (report.status, loc.status) == (LocationStatus.OK, LocationStatus.OK)
    assert refs(loc) == ["component:default/fixed", "component:default/good"]


def _explode_on_tag(value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION test_explode() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.value = '{value}' THEN RAISE EXCEPTION 'exploded'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_explode BEFORE INSERT ON catalog_searchentry "
                "FOR EACH ROW EXECUTE FUNCTION test_explode()"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TRIGGER test_explode BEFORE INSERT ON catalog_searchentry "
                f"WHEN NEW.value = '{value}' BEGIN SELECT RAISE(ABORT, 'exploded'); END"
            )


def test_a_failure_in_the_middle_of_writing_leaves_the_previous_state(folder):
    # Given an imported file
    path = write(folder / "catalog-info.yaml", component("a", description="before"), component("b"))
    loc = register(path)
    services.process_location(loc)
    loc.refresh_from_db()
    source_hash = Source.objects.get().content_hash

    # When a refresh fails while writing the search rows of its second entity
    write(path, component("a", description="after"), component("b", tags=["explode"]), component("c"))
    _explode_on_tag("explode")
    with pytest.raises(DatabaseError):
        services.process_location(loc)

    # Then nothing of that refresh was written
    assert refs(loc) == ["component:default/a", "component:default/b"]
    assert Entity.objects.get(ref="component:default/a").description == "before"
    assert Source.objects.get().content_hash == source_hash
    assert Location.objects.get(pk=loc.pk).last_refreshed == loc.last_refreshed


def test_a_location_whose_file_is_gone_fails_and_keeps_its_entities(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    loc = register(path)
    services.process_location(loc)

    path.unlink()
    report = services.process_location(loc)

    loc.refresh_from_db()
    assert report.failure == f"{path} does not exist"
    assert (loc.status, loc.last_error) == (LocationStatus.FAILED, f"{path} does not exist")
    assert refs(loc, orphan=False) == ["component:default/a"]


def test_relations_and_search_rows_are_replaced_when_the_entity_changes(folder):
    path = write(folder / "catalog-info.yaml", component("a", owner="team-x"))
    loc = register(path)
    services.process_location(loc)

    write(path, component("a", owner="team-y"))
    services.process_location(loc)

    entity = Entity.objects.get()
    assert set(Relation.objects.values_list("source_ref", "type", "target_ref")) == {
        ("component:default/a", "ownedBy", "group:default/team-y"),
        ("group:default/team-y", "ownerOf", "component:default/a"),
    }
    assert list(SearchEntry.objects.filter(key="spec.owner").values_list("value", flat=True)) == ["team-y"]
    assert entity.owner_ref == "group:default/team-y"


def test_the_search_vector_is_weighted_on_postgresql(folder):
    path = write(folder / "catalog-info.yaml", component("vector-shop", description="sells things"))
    services.process_location(register(path))

    vector = Entity.objects.values_list("search_vector", flat=True).get()
    if connection.vendor == "postgresql":
        # name (and title) weigh A, the description B, the rest of the search text C
        assert vector == (
            "'component':11C 'production':16C 'sells':4B,9C 'service':12C 'shop':3A,8C 'team':14C "
            "'team-x':13C 'things':5B,10C 'vector':2A,7C 'vector-shop':1A,6C 'x':15C"
        )
    else:
        assert vector is None


def test_a_refresh_that_raced_another_writes_nothing(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    loc = register(path)
    snapshot = Snapshot.load(loc)
    plan = read_location(loc.type, loc.target, loc.options, snapshot, location_id=loc.pk)
    services.process_location(loc)  # the other refresh finishes first

    with pytest.raises(ConcurrentRefresh):
        apply_plan(plan)

    assert Entity.objects.count() == 1


def test_a_placeholder_file_that_changed_updates_the_entity_though_its_descriptor_did_not(folder):
    (folder / "definition.yaml").write_text("openapi: 3.0.0\n")
    api = (
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: pets\nspec:\n  type: openapi\n"
        "  lifecycle: production\n  owner: team-x\n  definition:\n    $text: ./definition.yaml\n"
    )
    loc = register(write(folder / "catalog-info.yaml", api))
    services.process_location(loc)

    (folder / "definition.yaml").write_text("openapi: 3.1.0\n")
    report = services.process_location(loc)

    assert report.stats.updated == 1
    assert Entity.objects.get().body["spec"]["definition"] == "openapi: 3.1.0\n"


def test_locations_nested_deeper_than_the_limit_are_not_read_and_the_error_says_where(folder):
    # Given a chain of Location files twelve deep, ending in a component
    for level in range(12):
        write(folder / f"level-{level}.yaml", location(f"level-{level}", f"./level-{level + 1}.yaml"))
    write(folder / "level-12.yaml", component("too-deep"))
    loc = register(folder / "level-0.yaml")

    report = services.process_location(loc)

    # Then levels 0 to 10 are read (the limit is 10 below the registered file), the rest is not
    assert report.stats.sources_read == 11
    assert not Entity.objects.filter(ref="component:default/too-deep").exists()
    error = LocationError.objects.get()
    assert (error.kind, error.source_url, error.line, error.entity_ref) == (
        "read",
        f"file:{folder / 'level-10.yaml'}",
        1,
        "location:default/level-10",
    )
    assert error.message == f"Locations nested deeper than 10 levels: file:{folder / 'level-11.yaml'} is not read"
