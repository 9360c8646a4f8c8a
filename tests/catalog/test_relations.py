from pathlib import Path

import pytest
import yaml

from catalog.model.refs import entity_ref
from catalog.model.relations import RELATION_PAIRS, field_refs, relations_for

DATA = Path(__file__).resolve().parent.parent / "data" / "backstage"


def descriptor(kind, spec, *, name="my-svc", namespace=None, api_version="backstage.io/v1alpha1"):
    metadata = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec}


def load(*parts):
    path = DATA.joinpath(*parts)
    return [document for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]


def example_entities():
    documents = []
    for path in sorted((DATA / "examples").rglob("*.yaml")):
        if path.name != "petstore-webhook.oas.yaml":
            documents += load(path.relative_to(DATA))
    return documents


def test_relation_pairs_are_backstages_well_known_relations_both_ways():
    assert RELATION_PAIRS == {
        "ownedBy": "ownerOf",
        "ownerOf": "ownedBy",
        "consumesApi": "apiConsumedBy",
        "apiConsumedBy": "consumesApi",
        "providesApi": "apiProvidedBy",
        "apiProvidedBy": "providesApi",
        "dependsOn": "dependencyOf",
        "dependencyOf": "dependsOn",
        "parentOf": "childOf",
        "childOf": "parentOf",
        "memberOf": "hasMember",
        "hasMember": "memberOf",
        "partOf": "hasPart",
        "hasPart": "partOf",
    }


FIELDS = [
    # kind, spec field, value written, relation, target key, inverse
    ("Component", "owner", "team-a", "ownedBy", "group:payments/team-a", "ownerOf"),
    ("Component", "owner", "user:alice", "ownedBy", "user:payments/alice", "ownerOf"),
    ("Component", "owner", "user:default/alice", "ownedBy", "user:default/alice", "ownerOf"),
    ("Component", "owner", "ops/team-b", "ownedBy", "group:ops/team-b", "ownerOf"),
    ("Component", "subcomponentOf", "parent-svc", "partOf", "component:payments/parent-svc", "hasPart"),
    ("Component", "providesApis", ["orders-api"], "providesApi", "api:payments/orders-api", "apiProvidedBy"),
    ("Component", "consumesApis", ["default/search-api"], "consumesApi", "api:default/search-api", "apiConsumedBy"),
    ("Component", "dependsOn", ["resource:orders-db"], "dependsOn", "resource:payments/orders-db", "dependencyOf"),
    ("Component", "dependencyOf", ["component:checkout"], "dependencyOf", "component:payments/checkout", "dependsOn"),
    ("Component", "dependencyOf", "component:checkout", "dependencyOf", "component:payments/checkout", "dependsOn"),
    ("Component", "system", "shop", "partOf", "system:payments/shop", "hasPart"),
    ("API", "owner", "team-a", "ownedBy", "group:payments/team-a", "ownerOf"),
    ("API", "system", "system:default/shop", "partOf", "system:default/shop", "hasPart"),
    ("Resource", "owner", "user:bob", "ownedBy", "user:payments/bob", "ownerOf"),
    ("Resource", "dependsOn", ["resource:disk"], "dependsOn", "resource:payments/disk", "dependencyOf"),
    ("Resource", "dependencyOf", ["component:checkout"], "dependencyOf", "component:payments/checkout", "dependsOn"),
    ("Resource", "system", "shop", "partOf", "system:payments/shop", "hasPart"),
    ("Group", "parent", "org", "childOf", "group:payments/org", "parentOf"),
    ("Group", "children", ["team-b"], "parentOf", "group:payments/team-b", "childOf"),
    ("Group", "members", ["alice"], "hasMember", "user:payments/alice", "memberOf"),
    ("Group", "members", ["user:default/bob"], "hasMember", "user:default/bob", "memberOf"),
    ("User", "memberOf", ["team-a"], "memberOf", "group:payments/team-a", "hasMember"),
    ("User", "memberOf", ["group:default/team-a"], "memberOf", "group:default/team-a", "hasMember"),
    ("System", "owner", "team-a", "ownedBy", "group:payments/team-a", "ownerOf"),
    ("System", "domain", "commerce", "partOf", "domain:payments/commerce", "hasPart"),
    ("Domain", "owner", "team-a", "ownedBy", "group:payments/team-a", "ownerOf"),
    ("Domain", "subdomainOf", "commerce", "partOf", "domain:payments/commerce", "hasPart"),
]


@pytest.mark.parametrize(("kind", "field", "value", "relation", "target", "inverse"), FIELDS)
def test_each_reference_field_makes_a_relation_and_its_inverse(kind, field, value, relation, target, inverse):
    source = f"{kind.lower()}:payments/my-svc"
    assert relations_for(descriptor(kind, {field: value}, namespace="payments")) == [
        (source, relation, target),
        (target, inverse, source),
    ]


@pytest.mark.parametrize(("kind", "field", "value", "relation", "target", "inverse"), FIELDS)
def test_field_refs_name_the_same_targets(kind, field, value, relation, target, inverse):
    assert field_refs(descriptor(kind, {field: value}, namespace="payments")) == {f"spec.{field}": [target]}


def test_in_the_default_namespace_short_references_land_in_default():
    component = descriptor("Component", {"owner": "team-a", "system": "shop", "providesApis": ["orders-api"]})
    assert relations_for(component) == [
        ("component:default/my-svc", "ownedBy", "group:default/team-a"),
        ("group:default/team-a", "ownerOf", "component:default/my-svc"),
        ("component:default/my-svc", "providesApi", "api:default/orders-api"),
        ("api:default/orders-api", "apiProvidedBy", "component:default/my-svc"),
        ("component:default/my-svc", "partOf", "system:default/shop"),
        ("system:default/shop", "hasPart", "component:default/my-svc"),
    ]


def test_a_full_component_follows_backstages_field_order():
    spec = {
        "type": "service",
        "lifecycle": "production",
        "system": "shop",
        "dependencyOf": ["component:checkout"],
        "dependsOn": ["resource:db"],
        "consumesApis": ["search-api"],
        "providesApis": ["orders-api"],
        "subcomponentOf": "platform",
        "owner": "team-a",
    }
    assert [(relation, target) for source, relation, target in relations_for(descriptor("Component", spec))] == [
        ("ownedBy", "group:default/team-a"),
        ("ownerOf", "component:default/my-svc"),
        ("partOf", "component:default/platform"),
        ("hasPart", "component:default/my-svc"),
        ("providesApi", "api:default/orders-api"),
        ("apiProvidedBy", "component:default/my-svc"),
        ("consumesApi", "api:default/search-api"),
        ("apiConsumedBy", "component:default/my-svc"),
        ("dependsOn", "resource:default/db"),
        ("dependencyOf", "component:default/my-svc"),
        ("dependencyOf", "component:default/checkout"),
        ("dependsOn", "component:default/my-svc"),
        ("partOf", "system:default/shop"),
        ("hasPart", "component:default/my-svc"),
    ]


def test_keys_are_lower_cased_on_both_sides():
    component = descriptor("Component", {"owner": "User:Ops/Alice"}, name="My-Svc", namespace="Payments")
    assert relations_for(component) == [
        ("component:payments/my-svc", "ownedBy", "user:ops/alice"),
        ("user:ops/alice", "ownerOf", "component:payments/my-svc"),
    ]


def test_list_targets_are_sorted_and_repeats_dropped():
    component = descriptor("Component", {"providesApis": ["zeta", "alpha", "zeta", "API:default/Alpha"]})
    assert relations_for(component) == [
        ("component:default/my-svc", "providesApi", "api:default/alpha"),
        ("api:default/alpha", "apiProvidedBy", "component:default/my-svc"),
        ("component:default/my-svc", "providesApi", "api:default/zeta"),
        ("api:default/zeta", "apiProvidedBy", "component:default/my-svc"),
    ]


def test_field_refs_keep_the_written_order_without_repeats():
    component = descriptor("Component", {"owner": "team-a", "providesApis": ["zeta", "alpha", "Zeta"]})
    assert field_refs(component) == {
        "spec.owner": ["group:default/team-a"],
        "spec.providesApis": ["api:default/zeta", "api:default/alpha"],
    }


def test_a_v1beta3_template_is_owned():
    template = descriptor(
        "Template",
        {"owner": "backstage/techdocs-core", "type": "service", "steps": []},
        name="docs-template",
        api_version="scaffolder.backstage.io/v1beta3",
    )
    assert relations_for(template) == [
        ("template:default/docs-template", "ownedBy", "group:backstage/techdocs-core"),
        ("group:backstage/techdocs-core", "ownerOf", "template:default/docs-template"),
    ]


def test_a_template_of_another_api_version_makes_no_relation():
    template = descriptor("Template", {"owner": "team-a"}, api_version="backstage.io/v1beta2")
    assert relations_for(template) == []
    assert field_refs(template) == {}


@pytest.mark.parametrize(
    "document",
    [
        descriptor("Location", {"target": "./a.yaml", "owner": "team-a"}),
        descriptor("Widget", {"owner": "team-a"}),
        descriptor("API", {"dependsOn": ["resource:db"]}),
        descriptor("Component", {}),
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "no-spec"}},
    ],
)
def test_fields_without_relations_make_none(document):
    assert relations_for(document) == []
    assert field_refs(document) == {}


def test_a_reference_that_does_not_parse_is_left_out():
    component = descriptor("Component", {"owner": "team-a", "dependsOn": ["db", "resource:db", ""]})
    assert relations_for(component) == [
        ("component:default/my-svc", "ownedBy", "group:default/team-a"),
        ("group:default/team-a", "ownerOf", "component:default/my-svc"),
        ("component:default/my-svc", "dependsOn", "resource:default/db"),
        ("resource:default/db", "dependencyOf", "component:default/my-svc"),
    ]
    assert field_refs(component) == {"spec.owner": ["group:default/team-a"], "spec.dependsOn": ["resource:default/db"]}


# --- the example organisation --------------------------------------------------------------------


def test_artist_lookup_is_owned_by_team_a_both_ways():
    [component] = load("examples", "components", "artist-lookup-component.yaml")
    assert relations_for(component) == [
        ("component:default/artist-lookup", "ownedBy", "group:default/team-a"),
        ("group:default/team-a", "ownerOf", "component:default/artist-lookup"),
        ("component:default/artist-lookup", "dependsOn", "resource:default/artists-db"),
        ("resource:default/artists-db", "dependencyOf", "component:default/artist-lookup"),
        ("component:default/artist-lookup", "partOf", "system:default/artist-engagement-portal"),
        ("system:default/artist-engagement-portal", "hasPart", "component:default/artist-lookup"),
    ]
    assert field_refs(component) == {
        "spec.owner": ["group:default/team-a"],
        "spec.dependsOn": ["resource:default/artists-db"],
        "spec.system": ["system:default/artist-engagement-portal"],
    }


def test_team_a_is_a_child_of_backstage_and_has_its_members():
    team_a, *users = load("examples", "acme", "team-a-group.yaml")
    assert relations_for(team_a) == [
        ("group:default/team-a", "childOf", "group:default/backstage"),
        ("group:default/backstage", "parentOf", "group:default/team-a"),
    ]
    members = sorted(entity_ref(user).key() for user in users)
    assert members == [
        "user:default/breanna.davison",
        "user:default/guest",
        "user:default/janelle.dawe",
        "user:default/nigel.manning",
        "user:development/guest",
    ]
    for user in users:
        key = entity_ref(user).key()
        assert relations_for(user) == [
            (key, "memberOf", "group:default/team-a"),
            ("group:default/team-a", "hasMember", key),
        ]


def test_backstage_group_lists_team_a_among_its_children():
    [backstage] = load("examples", "acme", "backstage-group.yaml")
    assert ("group:default/backstage", "parentOf", "group:default/team-a") in relations_for(backstage)
    assert ("group:default/team-a", "childOf", "group:default/backstage") in relations_for(backstage)


def test_every_example_relation_names_an_example_entity_and_has_its_inverse():
    entities = example_entities()
    keys = {entity_ref(entity).key() for entity in entities}
    relations = {triple for entity in entities for triple in relations_for(entity)}
    assert len(relations) == 148
    for source, relation, target in relations:
        assert source in keys
        assert target in keys
        assert (target, RELATION_PAIRS[relation], source) in relations


def test_what_team_a_owns_in_the_example_organisation():
    relations = {triple for entity in example_entities() for triple in relations_for(entity)}
    owned = sorted(
        target for source, relation, target in relations if (source, relation) == ("group:default/team-a", "ownerOf")
    )
    assert owned == [
        "api:default/spotify",
        "api:default/wayback-archive",
        "api:default/wayback-search",
        "component:default/artist-lookup",
        "component:default/wayback-archive",
        "component:default/wayback-archive-storage",
        "component:default/wayback-search",
        "component:default/www-artist",
        "domain:default/artists",
        "resource:default/artists-db",
        "system:default/artist-engagement-portal",
    ]
