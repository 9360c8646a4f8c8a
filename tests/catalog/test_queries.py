"""catalog.queries: Backstage filters, full-text search, ordering, keyset pages, entity shape."""

import pytest
from django.db import connection

from catalog import queries, services
from catalog.models import Entity
from catalog.queries import QueryError
from tests.catalog.api_support import EXAMPLE, EXAMPLE_REFS, example, ingest


def refs(qs) -> list[str]:
    return [entity.ref for entity in qs]


def filtered(*values: str) -> list[str]:
    return refs(queries.order(queries.apply_filters(Entity.objects.all(), queries.parse_filters(list(values))), []))


# --- parse_filters --------------------------------------------------------------------------------


def test_parse_filters_makes_one_group_per_value_with_lower_cased_keys_and_values():
    groups = queries.parse_filters(["Kind=Component, spec.type=service,spec.type=Website", "metadata.tags.java", " , "])

    assert groups == [{"kind": ["component"], "spec.type": ["service", "website"]}, {"metadata.tags.java": None}]


def test_parse_filters_a_key_with_and_without_value_means_the_value():
    assert queries.parse_filters(["spec.type,spec.type=service"]) == [{"spec.type": ["service"]}]
    assert queries.parse_filters(["spec.type=service,spec.type"]) == [{"spec.type": ["service"]}]


def test_parse_filters_keeps_an_empty_value_and_drops_repeats():
    assert queries.parse_filters(["metadata.title=,kind=api,kind=API"]) == [{"metadata.title": [""], "kind": ["api"]}]


def test_parse_filters_refuses_a_statement_without_a_key():
    with pytest.raises(QueryError) as raised:
        queries.parse_filters(["kind=api,=x"])

    assert str(raised.value) == "Invalid filter 'kind=api,=x': '=x' has no key; expected key=value or key (key exists)."


# --- apply_filters --------------------------------------------------------------------------------


def test_filter_groups_are_alternatives(tmp_path, settings, db):
    example(tmp_path, settings)

    assert filtered("kind=user", "kind=group,metadata.name=team-b") == [
        "group:default/team-b",
        "user:default/alice",
        "user:default/bob",
    ]


def test_filter_conditions_of_a_group_all_hold_and_a_repeated_key_matches_any_value(tmp_path, settings, db):
    example(tmp_path, settings)

    assert filtered("kind=component,spec.lifecycle=production") == [
        "component:default/payments",
        "component:default/web-shop",
    ]
    assert filtered("kind=component,spec.type=website,spec.type=database") == ["component:default/web-shop"]
    assert filtered("spec.type=website,spec.type=database") == [
        "component:default/web-shop",
        "resource:default/orders-db",
    ]


def test_filter_on_an_existing_key_ignores_its_value(tmp_path, settings, db):
    example(tmp_path, settings)

    assert filtered("metadata.title") == [
        "component:default/search",
        "component:default/web-shop",
        "group:default/team-a",
    ]
    assert filtered("kind") == EXAMPLE_REFS
    assert filtered("metadata.tags.java") == ["component:default/payments"]


def test_filter_ignores_letter_case_of_keys_and_values(tmp_path, settings, db):
    example(tmp_path, settings)

    assert filtered("KIND=Component,Metadata.Title") == ["component:default/search", "component:default/web-shop"]
    assert filtered("metadata.namespace=DEFAULT,metadata.name=Payments-API") == ["api:default/payments-api"]
    assert filtered("relations.ownedBy=Group:Default/Team-B") == [
        "component:default/search",
        "component:default/web-shop",
    ]


def test_filter_on_uid_reads_the_column_and_a_malformed_uid_matches_nothing(tmp_path, settings, db):
    example(tmp_path, settings)
    uid = Entity.objects.get(ref="component:default/search").uid

    assert filtered(f"metadata.uid={str(uid).upper()}") == ["component:default/search"]
    assert filtered("metadata.uid=not-a-uid") == []


def test_filter_on_an_unknown_kind_matches_nothing(tmp_path, settings, db):
    example(tmp_path, settings)

    assert filtered("kind=widget") == []


def test_filter_on_the_orphan_annotation_finds_orphans(tmp_path, settings, db):
    location = example(tmp_path, settings)
    (tmp_path / "services" / "shop.yaml").write_text(EXAMPLE["services/shop.yaml"].split("---\n")[0])
    services.process_location(reload(location))

    assert filtered("metadata.annotations.backstage.io/orphan=true") == ["component:default/web-shop"]
    assert filtered("metadata.annotations.backstage.io/orphan") == ["component:default/web-shop"]
    assert filtered("metadata.annotations.backstage.io/orphan=false") == []


def reload(location):
    location.refresh_from_db()
    return location


# --- full text ------------------------------------------------------------------------------------


def test_full_text_needs_every_word_and_matches_the_last_as_a_prefix(tmp_path, settings, db):
    example(tmp_path, settings)

    assert refs(queries.full_text(Entity.objects.all(), "shop pay")) == ["component:default/web-shop"]
    assert refs(queries.full_text(Entity.objects.all(), "   ")) == refs(Entity.objects.all())


def test_full_text_ranks_on_postgresql_and_matches_words_on_sqlite(tmp_path, settings, db):
    example(tmp_path, settings)

    found = queries.full_text(Entity.objects.all(), "payments")

    if connection.vendor == "postgresql":
        # The entity named so first, then name matches, then description, then other text.
        assert refs(found) == [
            "component:default/payments",
            "api:default/payments-api",
            "system:default/payments-platform",
            "component:default/web-shop",
            "resource:default/orders-db",
        ]
        ranks = [entity.rank for entity in found]
        assert ranks == sorted(ranks, reverse=True)
        assert ranks[0] > 1
    else:
        assert sorted(refs(found)) == [
            "api:default/payments-api",
            "component:default/payments",
            "component:default/web-shop",
            "resource:default/orders-db",
            "system:default/payments-platform",
        ]
        assert not queries.ranks(found)


def test_full_text_in_fields_matches_values_of_those_fields_only(tmp_path, settings, db):
    example(tmp_path, settings)

    assert refs(queries.full_text(Entity.objects.all(), "Service", ["metadata.title"])) == ["component:default/search"]
    teams = queries.full_text(Entity.objects.all(), "team", ["metadata.name", "spec.profile.email"])

    assert refs(queries.order(teams, [])) == [
        "group:default/team-a",
        "group:default/team-b",
    ]


# --- order and keyset -----------------------------------------------------------------------------


def test_order_by_default_is_kind_namespace_name(tmp_path, settings, db):
    example(tmp_path, settings)

    assert refs(queries.order(Entity.objects.all(), [])) == EXAMPLE_REFS


def test_order_by_a_field_puts_entities_without_it_last_in_both_directions(tmp_path, settings, db):
    example(tmp_path, settings)
    components = Entity.objects.filter(kind="Component")

    assert refs(queries.order(components, ["metadata.title,desc"])) == [
        "component:default/web-shop",
        "component:default/search",
        "component:default/payments",
    ]
    assert refs(queries.order(components, ["metadata.title"])) == [
        "component:default/search",
        "component:default/web-shop",
        "component:default/payments",
    ]
    assert refs(queries.order(components, ["spec.owner,desc", "metadata.name,desc"])) == [
        "component:default/web-shop",
        "component:default/search",
        "component:default/payments",
    ]


def test_order_refuses_a_direction_other_than_asc_or_desc():
    with pytest.raises(QueryError) as raised:
        queries.parse_order(["metadata.name,up"])

    assert str(raised.value) == "Invalid orderField 'metadata.name,up': the order must be asc or desc, not 'up'."


# --- the entity as served -------------------------------------------------------------------------


def test_relations_for_entities_reads_a_page_in_one_query(tmp_path, settings, db, django_assert_num_queries):
    example(tmp_path, settings)
    page = list(Entity.objects.filter(kind="Component").order_by("name"))

    with django_assert_num_queries(1):
        found = queries.relations_for_entities(page)

    assert {ref: [(r["type"], r["targetRef"]) for r in relations] for ref, relations in found.items()} == {
        "component:default/payments": [
            ("dependencyOf", "component:default/search"),
            ("ownedBy", "group:default/team-a"),
            ("partOf", "system:default/payments-platform"),
            ("providesApi", "api:default/payments-api"),
        ],
        "component:default/search": [("dependsOn", "component:default/payments"), ("ownedBy", "group:default/team-b")],
        "component:default/web-shop": [
            ("consumesApi", "api:default/payments-api"),
            ("ownedBy", "group:default/team-b"),
        ],
    }


def test_serialize_entity_is_the_body_with_relations_and_the_orphan_annotation(tmp_path, settings, db):
    location = ingest(tmp_path, settings, {"root.yaml": EXAMPLE["services/payments.yaml"]})
    (tmp_path / "root.yaml").write_text(EXAMPLE["services/payments.yaml"].split("---\n")[0])
    services.process_location(reload(location))
    database = Entity.objects.get(ref="resource:default/orders-db")

    served = queries.serialize_entity(database, queries.relations_for_entities([database]))

    assert served == {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Resource",
        "metadata": {
            "name": "orders-db",
            "namespace": "default",
            "annotations": {
                "backstage.io/managed-by-location": f"file:{tmp_path}/root.yaml",
                "backstage.io/managed-by-origin-location": f"file:{tmp_path}/root.yaml",
                "backstage.io/orphan": "true",
            },
            "uid": str(database.uid),
            "etag": database.etag,
        },
        "spec": {"type": "database", "owner": "team-a", "system": "payments-platform"},
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


def test_select_fields_keeps_the_listed_paths_with_their_subtrees():
    entity = {
        "kind": "Component",
        "metadata": {
            "name": "payments",
            "annotations": {"backstage.io/source-location": "url:https://example.com/", "team": "a"},
        },
        "spec": {"type": "service", "owner": "team-a"},
        "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}],
    }

    selected = queries.select_fields(
        entity, ["kind", "metadata.name", "metadata.annotations.backstage.io/source-location", "spec", "status.x"]
    )

    assert selected == {
        "kind": "Component",
        "metadata": {"name": "payments", "annotations": {"backstage.io/source-location": "url:https://example.com/"}},
        "spec": {"type": "service", "owner": "team-a"},
    }
    assert queries.select_fields(entity, []) is entity


def test_parse_fields_splits_commas_and_refuses_array_indexes():
    assert queries.parse_fields(["kind, metadata.name", "relations"]) == ["kind", "metadata.name", "relations"]
    with pytest.raises(QueryError) as raised:
        queries.parse_fields(["relations[0]"])
    assert str(raised.value) == "Invalid field 'relations[0]': array indexes are not supported in fields."
