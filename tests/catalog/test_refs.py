import pytest

from catalog.model.refs import DEFAULT_NAMESPACE, EntityRef, RefError, entity_ref, parse_ref

FORM = "expected the form [<kind>:][<namespace>/]<name>"
NO_KIND = (
    "has no kind and there is no default kind here; "
    'write it with its kind, e.g. "component:my-service" or "resource:default/my-db"'
)


def test_default_namespace_is_default():
    assert DEFAULT_NAMESPACE == "default"


@pytest.mark.parametrize(
    ("ref", "defaults", "expected"),
    [
        ("component:payments/my-svc", {}, EntityRef("component", "payments", "my-svc")),
        ("component:my-svc", {}, EntityRef("component", "default", "my-svc")),
        ("component:my-svc", {"default_namespace": "payments"}, EntityRef("component", "payments", "my-svc")),
        ("payments/team-a", {"default_kind": "Group"}, EntityRef("Group", "payments", "team-a")),
        ("team-a", {"default_kind": "Group"}, EntityRef("Group", "default", "team-a")),
        (
            "team-a",
            {"default_kind": "Group", "default_namespace": "payments"},
            EntityRef("Group", "payments", "team-a"),
        ),
        (
            "user:alice",
            {"default_kind": "Group", "default_namespace": "payments"},
            EntityRef("user", "payments", "alice"),
        ),
        (
            "user:default/alice",
            {"default_kind": "Group", "default_namespace": "payments"},
            EntityRef("user", "default", "alice"),
        ),
        ("Component:Default/My-Svc", {}, EntityRef("Component", "Default", "My-Svc")),
        ("team-a", {"default_kind": "Group", "default_namespace": ""}, EntityRef("Group", "default", "team-a")),
        ("api:petstore", {"default_kind": "Component"}, EntityRef("api", "default", "petstore")),
        ("resource:default/artists-db", {}, EntityRef("resource", "default", "artists-db")),
        ("group:default/team.a_b", {}, EntityRef("group", "default", "team.a_b")),
    ],
)
def test_parse_ref_strings(ref, defaults, expected):
    assert parse_ref(ref, **defaults) == expected


@pytest.mark.parametrize(
    ("ref", "defaults", "expected"),
    [
        ({"kind": "Component", "namespace": "ns", "name": "n"}, {}, EntityRef("Component", "ns", "n")),
        ({"kind": "Component", "name": "n"}, {}, EntityRef("Component", "default", "n")),
        ({"name": "n"}, {"default_kind": "User"}, EntityRef("User", "default", "n")),
        ({"namespace": "ns", "name": "n"}, {"default_kind": "User"}, EntityRef("User", "ns", "n")),
        ({"name": "n"}, {"default_kind": "User", "default_namespace": "ops"}, EntityRef("User", "ops", "n")),
    ],
)
def test_parse_ref_mappings(ref, defaults, expected):
    assert parse_ref(ref, **defaults) == expected


@pytest.mark.parametrize(
    ("ref", "defaults", "message"),
    [
        ("", {}, "Entity reference must not be empty"),
        ({}, {}, "Entity reference must not be empty"),
        (
            "my-svc",
            {},
            f'Entity reference "my-svc" {NO_KIND}',
        ),
        (
            "payments/my-svc",
            {},
            f'Entity reference "payments/my-svc" {NO_KIND}',
        ),
        (
            ":my-svc",
            {},
            f'Entity reference ":my-svc" has an empty kind; {FORM}',
        ),
        (
            "component:",
            {},
            f'Entity reference "component:" has an empty name; {FORM}',
        ),
        (
            "component:/my-svc",
            {},
            f'Entity reference "component:/my-svc" has an empty namespace; {FORM}',
        ),
        (
            "/my-svc",
            {"default_kind": "Group"},
            f'Entity reference "/my-svc" has an empty namespace; {FORM}',
        ),
        (
            "ns/",
            {"default_kind": "Group"},
            f'Entity reference "ns/" has an empty name; {FORM}',
        ),
        (
            "a:b:c",
            {},
            f"Entity reference \"a:b:c\" has more than one ':'; {FORM}",
        ),
        (
            "a/b/c",
            {"default_kind": "Group"},
            f"Entity reference \"a/b/c\" has more than one '/'; {FORM}",
        ),
        (
            "k:ns/n/x",
            {},
            f"Entity reference \"k:ns/n/x\" has more than one '/'; {FORM}",
        ),
        (
            "ns/name:x",
            {"default_kind": "Group"},
            f"Entity reference \"ns/name:x\" has more than one ':'; {FORM}",
        ),
        ({"kind": "Component"}, {}, 'Entity reference {"kind": "Component"} has a missing or empty name'),
        (
            {"kind": "Component", "name": ""},
            {},
            'Entity reference {"kind": "Component", "name": ""} has a missing or empty name',
        ),
        (
            {"kind": "", "name": "n"},
            {"default_kind": "Group"},
            f'Entity reference {{"kind": "", "name": "n"}} {NO_KIND}',
        ),
        (
            {"kind": "Component", "namespace": "", "name": "n"},
            {},
            'Entity reference {"kind": "Component", "name": "n", "namespace": ""} has a missing or empty namespace',
        ),
        ({"kind": 5, "name": "n"}, {}, 'Entity reference {"kind": 5, "name": "n"} has a kind that is not a string'),
        (
            {"kind": "Component", "name": "a/b"},
            {},
            'Entity reference {"kind": "Component", "name": "a/b"} has a name containing \':\' or \'/\'',
        ),
        (5, {}, "Entity reference must be a string or a mapping, not 5"),
        (None, {}, "Entity reference must be a string or a mapping, not null"),
        (["component:a"], {}, 'Entity reference must be a string or a mapping, not ["component:a"]'),
    ],
)
def test_parse_ref_refuses(ref, defaults, message):
    with pytest.raises(RefError) as raised:
        parse_ref(ref, **defaults)
    assert str(raised.value) == message


def test_ref_error_is_a_value_error():
    assert issubclass(RefError, ValueError)


@pytest.mark.parametrize(
    ("ref", "key", "text"),
    [
        (EntityRef("Component", "default", "My-Svc"), "component:default/my-svc", "component:default/My-Svc"),
        (EntityRef("Group", "Payments", "Team-A"), "group:payments/team-a", "group:Payments/Team-A"),
        (EntityRef("API", "default", "petstore"), "api:default/petstore", "api:default/petstore"),
        (EntityRef("user", "development", "guest"), "user:development/guest", "user:development/guest"),
    ],
)
def test_key_is_lower_cased_and_str_keeps_namespace_and_name(ref, key, text):
    assert ref.key() == key
    assert str(ref) == text


def test_refs_differing_in_case_share_a_key_but_are_not_equal():
    given = parse_ref("Component:Default/My-Svc")
    other = parse_ref("component:default/my-svc")
    assert given != other
    assert given.key() == other.key() == "component:default/my-svc"


def test_entity_ref_is_frozen():
    ref = EntityRef("Component", "default", "a")
    with pytest.raises(AttributeError):
        ref.name = "b"  # type: ignore[misc]  # assigning to a frozen field is the point


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        ({"kind": "Component", "metadata": {"name": "My-Svc"}}, EntityRef("Component", "default", "My-Svc")),
        (
            {"kind": "Component", "metadata": {"name": "a", "namespace": "payments"}},
            EntityRef("Component", "payments", "a"),
        ),
        ({"kind": "Group", "metadata": {"name": "a", "namespace": ""}}, EntityRef("Group", "default", "a")),
        ({"kind": "User", "metadata": {"name": "guest", "namespace": None}}, EntityRef("User", "default", "guest")),
    ],
)
def test_entity_ref_of_a_descriptor(entity, expected):
    assert entity_ref(entity) == expected


def test_entity_ref_key_of_a_mixed_case_component():
    assert entity_ref({"kind": "Component", "metadata": {"name": "My-Svc"}}).key() == "component:default/my-svc"


@pytest.mark.parametrize(
    ("entity", "message"),
    [
        ([], "An entity must be a mapping to have a reference"),
        ({"metadata": {"name": "a"}}, "The entity has no kind"),
        ({"kind": "", "metadata": {"name": "a"}}, "The entity has no kind"),
        ({"kind": "Component"}, "The entity has no metadata"),
        ({"kind": "Component", "metadata": {}}, "The entity has no metadata.name"),
        ({"kind": "Component", "metadata": {"name": 5}}, "The entity has no metadata.name"),
        (
            {"kind": "Component", "metadata": {"name": "a", "namespace": 5}},
            "The entity's metadata.namespace is not a string",
        ),
    ],
)
def test_entity_ref_refuses(entity, message):
    with pytest.raises(RefError) as raised:
        entity_ref(entity)
    assert str(raised.value) == message
