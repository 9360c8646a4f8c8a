"""catalog.facets: counts per value, from columns and from search rows alike; cached per revision."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import facets, queries, revision, services
from catalog.facets import _from_columns, _from_search
from catalog.models import Entity
from tests.catalog.api_support import example, ingest


def test_facets_count_original_values_among_the_filtered_entities(tmp_path, settings, db):
    example(tmp_path, settings)
    components = queries.apply_filters(Entity.objects.all(), [{"kind": ["component"]}])

    found = facets.count(components, ["spec.lifecycle", "metadata.tags", "Kind", "spec.nothing"])

    assert found == {
        "spec.lifecycle": [{"value": "production", "count": 2}, {"value": "experimental", "count": 1}],
        "metadata.tags": [
            {"value": "java", "count": 1},
            {"value": "javascript", "count": 1},
            {"value": "payments", "count": 1},
            {"value": "python", "count": 1},
        ],
        "Kind": [{"value": "Component", "count": 3}],
        "spec.nothing": [],
    }


def test_facets_of_every_entity(tmp_path, settings, db):
    example(tmp_path, settings)

    assert facets.count(Entity.objects.all(), ["kind"]) == {
        "kind": [
            {"value": "Component", "count": 3},
            {"value": "Group", "count": 2},
            {"value": "User", "count": 2},
            {"value": "API", "count": 1},
            {"value": "Location", "count": 1},
            {"value": "Resource", "count": 1},
            {"value": "System", "count": 1},
        ]
    }


def test_facets_of_a_filter_nothing_can_match_are_empty(tmp_path, settings, db, signed_in):
    example(tmp_path, settings)

    assert facets.count(Entity.objects.filter(pk__in=[]), ["kind", "metadata.tags"]) == {
        "kind": [],
        "metadata.tags": [],
    }
    response = signed_in.get(
        "/api/catalog/entity-facets?facet=kind&facet=spec.type&filter=metadata.annotations.backstage.io/orphan=false"
    )
    assert response.status_code == 200
    assert response.json() == {"facets": {"kind": [], "spec.type": []}}


ODD = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: {name}, namespace: {namespace}}}
spec: {{type: {type}, lifecycle: {lifecycle}, owner: {owner}}}
"""


@pytest.fixture
def odd_catalog(tmp_path, settings, db):
    """Spellings that differ in case, a value too long for a search row, an owner by shorthand and
    by full reference, a second namespace, a System with no type and a boolean lifecycle, a User
    with a numeric type (neither kind's rules say what those fields hold)."""
    documents = [
        ODD.format(name="a", namespace="default", type="Service", lifecycle="Production", owner="team-a"),
        ODD.format(name="b", namespace="default", type="service", lifecycle="production", owner="group:Team-A"),
        ODD.format(name="c", namespace="ops", type="'7'", lifecycle="'true'", owner="group:default/team-a"),
        ODD.format(name="d", namespace="ops", type="x" * 201, lifecycle="experimental", owner="user:alice"),
        ODD.format(name="e", namespace="ops", type="'7'", lifecycle="'true'", owner="team-b"),
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: platform}\n"
        "spec: {owner: team-a, lifecycle: true}\n",
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: carol}\nspec: {type: 7, memberOf: []}\n",
    ]
    ingest(tmp_path, settings, {"root.yaml": "---\n".join(documents)})


@pytest.mark.parametrize("key", sorted(facets.COLUMNS))
@pytest.mark.parametrize("scope", ["all", "components", "search"])
def test_a_facet_served_from_columns_counts_exactly_what_its_search_rows_count(odd_catalog, key, scope):
    qs = Entity.objects.all()
    if scope == "components":
        qs = queries.apply_filters(qs, [{"kind": ["component"]}])
    elif scope == "search":
        qs = queries.full_text(qs, "b")

    def ordered(found):
        return sorted(found[key], key=lambda facet: (facet["value"].lower(), facet["count"]))

    from_columns = ordered(_from_columns(qs, [key]))
    from_search = ordered(_from_search(qs, {key}))

    assert [facet["value"].lower() for facet in from_columns] == [facet["value"].lower() for facet in from_search]
    assert [facet["count"] for facet in from_columns] == [facet["count"] for facet in from_search]


def test_column_facets_show_a_written_spelling(odd_catalog):
    found = facets.count(
        queries.apply_filters(Entity.objects.all(), [{"kind": ["component"]}]),
        ["spec.type", "spec.lifecycle", "metadata.namespace", "relations.ownedBy"],
    )

    assert found == {
        "spec.type": [{"value": "7", "count": 2}, {"value": "Service", "count": 2}],
        "spec.lifecycle": [
            {"value": "Production", "count": 2},
            {"value": "true", "count": 2},
            {"value": "experimental", "count": 1},
        ],
        "metadata.namespace": [{"value": "ops", "count": 3}, {"value": "default", "count": 2}],
        "relations.ownedBy": [
            {"value": "group:default/team-a", "count": 3},
            {"value": "group:ops/team-b", "count": 1},
            {"value": "user:ops/alice", "count": 1},
        ],
    }


def test_facet_counts_are_cached_until_the_catalog_changes(tmp_path, settings, db, django_assert_num_queries):
    location = example(tmp_path, settings)

    def kinds():
        return revision.cached("test", ["kind"], lambda: facets.count(Entity.objects.all(), ["kind"]))["kind"]

    first = kinds()
    with django_assert_num_queries(1):  # the revision only
        assert kinds() == first

    services.delete_entity(Entity.objects.get(ref="component:default/payments"), orphans_only=False)

    assert {"value": "Component", "count": 2} in kinds()
    services.delete_location(location)
    assert kinds() == []


def test_a_refresh_that_changes_nothing_keeps_the_revision(tmp_path, settings, db):
    location = example(tmp_path, settings)
    before = revision.current()

    services.process_location(location)
    assert revision.current() == before

    (tmp_path / "services" / "payments.yaml").unlink()
    services.process_location(location)
    assert revision.current() == before + 1


def test_the_list_and_the_facets_api_answer_when_the_cache_is_down(tmp_path, settings, db, signed_in, log_lines):
    example(tmp_path, settings)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }

    page = signed_in.get("/catalog/?kind=Component")
    api = signed_in.get("/api/catalog/entity-facets?facet=kind")

    assert page.status_code == 200
    assert "1\u20133 of 3 entities" in page.content.decode()
    assert api.json()["facets"]["kind"][0] == {"value": "Component", "count": 3}
    warnings = [line for line in log_lines() if line.get("event") == "catalog.cache_unavailable"]
    # The list's own cache, its two per-field lookups (unticked fields, the ticked kind), the API's.
    assert [line["error"] for line in warnings] == ["ConnectionError"] * 4


def test_list_selections_share_the_counts_they_have_in_common(tmp_path, settings, db, signed_in):
    example(tmp_path, settings)
    signed_in.get("/catalog/?kind=all")  # counts every field of the whole catalog

    with CaptureQueriesContext(connection) as ticked:
        signed_in.get("/catalog/?kind=Component")

    # The kind counts of the whole catalog were reused: session, user, revision, the other fields'
    # counts among components (columns, then tags), the page.
    assert len(ticked) == 6
    facet_queries = [query["sql"] for query in ticked if "COUNT(" in query["sql"]]
    assert len(facet_queries) == 2
    assert all("Component" in sql or "component" in sql for sql in facet_queries)
