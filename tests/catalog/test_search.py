from pathlib import Path

import pytest
import yaml

from catalog.model.relations import relations_for
from catalog.model.search import search_entries, search_text

DATA = Path(__file__).resolve().parent.parent / "data" / "backstage"


def component(metadata=None, spec=None, **top):
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "My-Svc", **(metadata or {})},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a", **(spec or {})},
        **top,
    }


def rows_for(entity, key):
    return [(value, original) for row_key, value, original in search_entries(entity, []) if row_key == key]


def test_a_component_with_its_relations():
    entity = component(
        metadata={
            "uid": "0c9c5c8e-3f3e-4e0b-9a2a-1f0f4d5e6a7b",
            "etag": "abc",
            "namespace": "Payments",
            "title": "My Service",
            "labels": {"Team": "Payments"},
            "annotations": {"github.com/project-slug": "acme/My-Svc"},
            "tags": ["java", "data"],
            "links": [{"url": "https://Example.com/x", "title": "Docs"}],
        },
        spec={"system": "shop", "providesApis": ["orders-api"]},
    )
    assert search_entries(entity, relations_for(entity)) == [
        ("apiversion", "backstage.io/v1alpha1", "backstage.io/v1alpha1"),
        ("kind", "component", "Component"),
        ("metadata.title", "my service", "My Service"),
        ("metadata.labels.team", "payments", "Payments"),
        ("metadata.annotations.github.com/project-slug", "acme/my-svc", "acme/My-Svc"),
        ("metadata.tags", "java", "java"),
        ("metadata.tags.java", "true", "true"),
        ("metadata.tags", "data", "data"),
        ("metadata.tags.data", "true", "true"),
        ("metadata.links.url", "https://example.com/x", "https://Example.com/x"),
        ("metadata.links.title", "docs", "Docs"),
        ("spec.type", "service", "service"),
        ("spec.lifecycle", "production", "production"),
        ("spec.owner", "team-a", "team-a"),
        ("spec.system", "shop", "shop"),
        ("spec.providesapis", "orders-api", "orders-api"),
        ("spec.providesapis.orders-api", "true", "true"),
        ("metadata.name", "my-svc", "My-Svc"),
        ("metadata.namespace", "payments", "Payments"),
        ("metadata.uid", "0c9c5c8e-3f3e-4e0b-9a2a-1f0f4d5e6a7b", "0c9c5c8e-3f3e-4e0b-9a2a-1f0f4d5e6a7b"),
        ("relations.ownedby", "group:payments/team-a", "group:payments/team-a"),
        ("relations.partof", "system:payments/shop", "system:payments/shop"),
        ("relations.providesapi", "api:payments/orders-api", "api:payments/orders-api"),
    ]


def test_namespace_defaults_and_a_missing_uid_gives_no_row():
    rows = search_entries(component(), [])
    assert ("metadata.namespace", "default", "default") in rows
    assert [row for row in rows if row[0] == "metadata.uid"] == []


@pytest.mark.parametrize("field", ["relations", "status", "attachments"])
def test_fields_backstage_does_not_walk(field):
    entity = component(**{field: {"items": [{"type": "x", "level": "error"}]}})
    assert [row for row in search_entries(entity, []) if row[0].startswith(field)] == []


def test_etag_is_not_a_search_row_but_uid_is():
    keys = [row[0] for row in search_entries(component({"uid": "u-1", "etag": "e-1"}), [])]
    assert "metadata.uid" in keys
    assert "metadata.etag" not in keys


def test_only_the_entitys_own_outgoing_relations_are_rows_sorted_by_type_and_target():
    relations = [
        ("component:default/my-svc", "partOf", "system:default/shop"),
        ("system:default/shop", "hasPart", "component:default/my-svc"),
        ("component:default/my-svc", "ownedBy", "group:default/team-b"),
        ("component:default/my-svc", "ownedBy", "group:default/team-a"),
        ("component:default/my-svc", "ownedBy", "group:default/team-a"),
        ("component:default/other", "dependsOn", "component:default/my-svc"),
    ]
    rows = [row for row in search_entries(component(), relations) if row[0].startswith("relations.")]
    assert rows == [
        ("relations.ownedby", "group:default/team-a", "group:default/team-a"),
        ("relations.ownedby", "group:default/team-b", "group:default/team-b"),
        ("relations.partof", "system:default/shop", "system:default/shop"),
    ]


@pytest.mark.parametrize(
    ("value", "row"),
    [
        (True, ("true", "true")),
        (False, ("false", "false")),
        (3, ("3", "3")),
        (2.0, ("2", "2")),
        (2.5, ("2.5", "2.5")),
        (None, (None, None)),
        ("MiXeD", ("mixed", "MiXeD")),
        ("", ("", "")),
    ],
)
def test_scalars_are_written_as_javascript_writes_them(value, row):
    assert rows_for(component(spec={"replicas": value}), "spec.replicas") == [row]


def test_values_longer_than_200_characters_are_kept_without_a_value():
    assert rows_for(component(spec={"long": "x" * 201}), "spec.long") == [(None, None)]
    assert rows_for(component(spec={"edge": "x" * 200}), "spec.edge") == [("x" * 200, "x" * 200)]


def test_lengths_are_counted_in_utf16_units_as_backstage_does():
    emoji = "\N{ROCKET}"  # one code point, two UTF-16 units
    assert rows_for(component(spec={"a": emoji * 100}), "spec.a") == [(emoji * 100, emoji * 100)]
    assert rows_for(component(spec={"b": emoji * 100 + "x"}), "spec.b") == [(None, None)]


def test_keys_longer_than_200_characters_are_left_out():
    long_key = "k" * 196  # "spec." + 196 = 201 characters
    entity = component(spec={long_key: "v", "k" * 195: "w"})
    keys = [row[0] for row in search_entries(entity, [])]
    assert f"spec.{long_key}" not in keys
    assert f"spec.{'k' * 195}" in keys


def test_nested_mappings_and_lists_of_mappings_flatten_to_dotted_keys():
    entity = component(spec={"deploy": {"Regions": ["EU", "us"], "targets": [{"name": "a"}, {"name": "b"}]}})
    rows = [row for row in search_entries(entity, []) if row[0].startswith("spec.deploy")]
    assert rows == [
        ("spec.deploy.regions", "eu", "EU"),
        ("spec.deploy.regions.eu", "true", "true"),
        ("spec.deploy.regions", "us", "us"),
        ("spec.deploy.regions.us", "true", "true"),
        ("spec.deploy.targets.name", "a", "a"),
        ("spec.deploy.targets.name", "b", "b"),
    ]


def test_repeated_key_value_pairs_are_dropped():
    entity = component(metadata={"tags": ["java", "java"]}, spec={"dependsOn": ["component:a", "Component:A"]})
    rows = search_entries(entity, [])
    assert [row for row in rows if row[0].startswith("metadata.tags")] == [
        ("metadata.tags", "java", "java"),
        ("metadata.tags.java", "true", "true"),
    ]
    # Backstage sorts spec.dependsOn before storing, so "Component:A" is the spelling kept.
    assert [row for row in rows if row[0].startswith("spec.dependson")] == [
        ("spec.dependson", "component:a", "Component:A"),
        ("spec.dependson.component:a", "true", "true"),
    ]


def test_an_empty_list_gives_no_row():
    assert rows_for({"kind": "Group", "metadata": {"name": "g"}, "spec": {"children": []}}, "spec.children") == []


def test_the_artist_lookup_example():
    entity = yaml.safe_load(
        (DATA / "examples" / "components" / "artist-lookup-component.yaml").read_text(encoding="utf-8")
    )
    rows = search_entries(entity, relations_for(entity))
    assert len(rows) == 43
    assert rows[:6] == [
        ("apiversion", "backstage.io/v1alpha1", "backstage.io/v1alpha1"),
        ("kind", "component", "Component"),
        ("metadata.description", "artist lookup", "Artist Lookup"),
        ("metadata.tags", "java", "java"),
        ("metadata.tags.java", "true", "true"),
        ("metadata.tags", "data", "data"),
    ]
    assert rows[-7:] == [
        ("spec.apiconsumedby", "component:www-artist", "component:www-artist"),
        ("spec.apiconsumedby.component:www-artist", "true", "true"),
        ("metadata.name", "artist-lookup", "artist-lookup"),
        ("metadata.namespace", "default", "default"),
        ("relations.dependson", "resource:default/artists-db", "resource:default/artists-db"),
        ("relations.ownedby", "group:default/team-a", "group:default/team-a"),
        ("relations.partof", "system:default/artist-engagement-portal", "system:default/artist-engagement-portal"),
    ]
    assert rows.count(("metadata.links.icon", "dashboard", "dashboard")) == 1


def test_search_text_of_a_component():
    entity = component(
        metadata={"title": "My  Service", "description": "Takes\nOrders", "tags": ["java", "data"]},
        spec={"system": "Shop"},
    )
    assert search_text(entity) == "my-svc my service takes orders java data component service team-a shop production"


@pytest.mark.parametrize(
    ("entity", "text"),
    [
        (
            {"kind": "Group", "metadata": {"name": "team-a"}, "spec": {"type": "team", "children": []}},
            "team-a group team",
        ),
        (
            {"kind": "User", "metadata": {"name": "alice", "title": None, "tags": "x"}, "spec": {"memberOf": []}},
            "alice user",
        ),
        ({"kind": "Location", "metadata": {"name": "l"}}, "l location"),
        ({"metadata": "broken", "spec": ["x"]}, ""),
    ],
)
def test_search_text_takes_only_strings(entity, text):
    assert search_text(entity) == text
