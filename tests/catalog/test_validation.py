import copy
import datetime
from pathlib import Path

import pytest
import yaml

from catalog.model.validation import KNOWN_KINDS, Problem, validate_entity

DATA = Path(__file__).resolve().parent.parent / "data" / "backstage"

NAME_RULE = "a string of 1-63 characters of [a-zA-Z0-9], separated by [-_.]"
NAMESPACE_RULE = "a string of 1-63 characters of [a-z0-9], separated by [-]"
TAG_RULE = "a string of 1-63 characters of [a-z0-9:+#], separated by [-]"
KEY_RULE = f"an optional DNS subdomain prefix (e.g. example.com) and '/', then {NAME_RULE}"
KNOWN = "API, Component, Domain, Group, Location, Resource, System, Template, User"

V1 = "backstage.io/v1alpha1"
SPECS: dict[str, dict[str, object]] = {
    "Component": {"type": "service", "lifecycle": "production", "owner": "team-a"},
    "API": {"type": "openapi", "lifecycle": "production", "owner": "team-a", "definition": "openapi: 3.0.0"},
    "System": {"owner": "team-a"},
    "Domain": {"owner": "team-a"},
    "Resource": {"type": "database", "owner": "team-a"},
    "Group": {"type": "team", "children": []},
    "User": {"memberOf": []},
    "Location": {"target": "./a.yaml"},
    "Template": {"type": "service", "steps": [{"action": "debug:log"}]},
}


def entity(kind="Component", *, spec=None, api_version=None, **metadata):
    """A valid descriptor of ``kind``, with ``metadata`` fields and ``spec`` fields replaced."""
    if api_version is None:
        api_version = "scaffolder.backstage.io/v1beta3" if kind == "Template" else V1
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "my-entity", **metadata},
        "spec": {**SPECS[kind], **(spec or {})},
    }


def without(document, path):
    """A copy of ``document`` without the field at the dotted ``path``."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = document
    for part in parents:
        target = target[part]
    del target[last]
    return document


def paths(problems):
    return [problem.path for problem in problems]


# --- the Backstage example data -----------------------------------------------------------------


def substitute_text(value):
    """Stand-in for the pipeline's substitution: a {"$text": ...} mapping becomes a string."""
    if isinstance(value, dict):
        if set(value) == {"$text"}:
            return f"(text of {value['$text']})"
        return {key: substitute_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute_text(item) for item in value]
    return value


def example_documents():
    files = [
        *sorted((DATA / "examples").rglob("*.yaml")),
        *sorted((DATA / "create-app-examples").glob("*.yaml")),
        DATA / "create-app-examples" / "template" / "template.yaml",
        *sorted((DATA / "templates").glob("*/template.yaml")),
    ]
    for path in files:
        if path.name == "petstore-webhook.oas.yaml":  # a $text target, not an entity file
            continue
        for index, document in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            if document is not None:
                yield pytest.param(document, id=f"{path.relative_to(DATA)}#{index}")


EXAMPLES = list(example_documents())


def test_the_example_set_has_every_document():
    # 35 reachable from all.yaml, 27 from acme-corp.yaml, 5 + 1 create-app examples, 3 templates.
    assert len(EXAMPLES) == 71
    kinds = sorted(param.values[0]["kind"] for param in EXAMPLES)
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "API": 10,
        "Component": 14,
        "Domain": 3,
        "Group": 9,
        "Location": 8,
        "Resource": 1,
        "System": 4,
        "Template": 4,
        "User": 18,
    }


@pytest.mark.parametrize("document", EXAMPLES)
def test_every_example_entity_is_valid(document):
    assert validate_entity(substitute_text(document)) == []


@pytest.mark.parametrize("name", ["backstage-mcp-server-api.yaml", "local-ai-model-server-api.yaml"])
def test_experimental_apis_lack_only_their_definition(name):
    document = yaml.safe_load((DATA / "experimental" / name).read_text(encoding="utf-8"))
    assert validate_entity(document) == [
        Problem("spec.definition", "spec.definition is missing; it is required for kind API")
    ]


def test_an_unsubstituted_text_placeholder_is_not_a_definition():
    document = yaml.safe_load((DATA / "examples" / "apis" / "petstore-webhook-api.yaml").read_text(encoding="utf-8"))
    assert validate_entity(document) == [Problem("spec.definition", "spec.definition must be a string, not a mapping")]


# --- the document -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "found"),
    [
        ([entity()], "a list"),
        ("apiVersion: backstage.io/v1alpha1", "a string"),
        (None, "null"),
        (42, "a number (42)"),
        (True, "a boolean (true)"),
    ],
)
def test_a_document_that_is_not_a_mapping_has_one_problem_for_the_whole(document, found):
    assert validate_entity(document) == [
        Problem("", f"the document must be a mapping with apiVersion, kind, metadata and spec, not {found}")
    ]


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_a_minimal_entity_of_each_kind_is_valid(kind):
    assert validate_entity(entity(kind)) == []


@pytest.mark.parametrize("field", ["apiVersion", "kind", "metadata"])
def test_required_top_level_fields(field):
    problems = validate_entity(without(entity(), field))
    assert problems[0] == Problem(field, f"{field} is missing; it is required")


def test_a_document_without_anything_has_each_required_field_missing():
    assert validate_entity({}) == [
        Problem("apiVersion", "apiVersion is missing; it is required"),
        Problem("kind", "kind is missing; it is required"),
        Problem("metadata", "metadata is missing; it is required"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("apiVersion", 1, "apiVersion must be a string, not a number (1)"),
        ("apiVersion", "", "apiVersion must not be empty"),
        ("kind", ["Component"], "kind must be a string, not a list"),
        ("kind", "", "kind must not be empty"),
        ("metadata", None, "metadata must be a mapping, not null"),
        ("metadata", "my-entity", "metadata must be a mapping, not a string"),
        ("spec", [], "spec must be a mapping, not a list"),
        ("spec", None, "spec must be a mapping, not null"),
    ],
)
def test_top_level_field_types(field, value, message):
    document = entity()
    document[field] = value
    assert validate_entity(document) == [Problem(field, message)]


@pytest.mark.parametrize("field", ["relations", "status", "specification", "Kind"])
def test_unknown_top_level_fields_are_refused(field):
    document = entity()
    document[field] = {}
    assert validate_entity(document) == [
        Problem(
            field, f"{field} is not a known top-level field; a descriptor has only apiVersion, kind, metadata and spec"
        )
    ]


# --- kind and apiVersion ------------------------------------------------------------------------


def test_known_kinds_and_their_api_versions():
    backstage = {"backstage.io/v1alpha1", "backstage.io/v1beta1"}
    assert dict(KNOWN_KINDS) == {
        "API": backstage,
        "Component": backstage,
        "Domain": backstage,
        "Group": backstage,
        "Location": backstage,
        "Resource": backstage,
        "System": backstage,
        "User": backstage,
        "Template": {"scaffolder.backstage.io/v1beta3"},
    }


@pytest.mark.parametrize(("kind", "api_version"), [(k, v) for k, vs in sorted(KNOWN_KINDS.items()) for v in sorted(vs)])
def test_each_kind_is_valid_with_each_of_its_api_versions(kind, api_version):
    assert validate_entity(entity(kind, api_version=api_version)) == []


@pytest.mark.parametrize(
    ("kind", "api_version", "expected"),
    [
        ("Component", "backstage.io/v1", "backstage.io/v1alpha1 or backstage.io/v1beta1"),
        ("Component", "scaffolder.backstage.io/v1beta3", "backstage.io/v1alpha1 or backstage.io/v1beta1"),
        ("Group", "v1alpha1", "backstage.io/v1alpha1 or backstage.io/v1beta1"),
        ("Location", "backstage.io/v1beta2", "backstage.io/v1alpha1 or backstage.io/v1beta1"),
        ("Template", "backstage.io/v1beta2", "scaffolder.backstage.io/v1beta3"),
        ("Template", "scaffolder.backstage.io/v1beta2", "scaffolder.backstage.io/v1beta3"),
    ],
)
def test_a_known_kind_with_another_api_version_has_one_problem(kind, api_version, expected):
    assert validate_entity(entity(kind, api_version=api_version)) == [
        Problem("apiVersion", f'apiVersion "{api_version}" is not valid for kind {kind}; expected {expected}')
    ]


@pytest.mark.parametrize("kind", ["Widget", "Service", "Team", "AiResource"])
def test_an_unknown_kind_has_one_clear_problem(kind):
    document = entity()
    document["kind"] = kind
    assert validate_entity(document) == [
        Problem("kind", f'kind "{kind}" is not a kind the catalog knows; expected one of: {KNOWN}')
    ]


@pytest.mark.parametrize(("kind", "meant"), [("component", "Component"), ("api", "API"), ("GROUP", "Group")])
def test_a_kind_in_the_wrong_case_is_unknown_with_a_hint(kind, meant):
    document = entity()
    document["kind"] = kind
    assert validate_entity(document) == [
        Problem(
            "kind",
            f'kind "{kind}" is not a kind the catalog knows (kinds are case-sensitive: did you mean {meant}?); '
            f"expected one of: {KNOWN}",
        )
    ]


@pytest.mark.parametrize("kind", ["my kind", "1Component", "Com-ponent", "K" * 64])
def test_a_kind_of_the_wrong_format(kind):
    document = entity()
    document["kind"] = kind
    assert validate_entity(document) == [
        Problem(
            "kind",
            f'kind "{kind}" is not valid; expected a letter followed by letters and digits, at most 63 characters '
            "(e.g. Component)",
        )
    ]


@pytest.mark.parametrize("api_version", ["backstage.io/v1/alpha", "Backstage.io/v1", "backstage.io/v1-alpha", "/v1"])
def test_an_api_version_of_the_wrong_format(api_version):
    assert validate_entity(entity(api_version=api_version)) == [
        Problem(
            "apiVersion",
            f"apiVersion \"{api_version}\" is not valid; expected an optional DNS subdomain prefix and '/', "
            "then 1-63 characters of [a-zA-Z0-9] (e.g. backstage.io/v1alpha1)",
        )
    ]


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["a", "my-service", "My_Service.v2", "a-b_c.d", "A1", "x" * 63, "1", "team--a", "a..b"]
)
def test_good_names(name):
    assert validate_entity(entity(name=name)) == []


@pytest.mark.parametrize(
    "name", ["My Service", "-svc", "svc-", "_svc", "svc.", "x" * 64, "a/b", "a:b", "ünicode", "a@b"]
)
def test_bad_names(name):
    assert validate_entity(entity(name=name)) == [
        Problem("metadata.name", f'metadata.name "{name}" is not valid; expected {NAME_RULE}')
    ]


def test_the_name_message_reads_as_a_sentence():
    assert validate_entity(entity(name="My Service")) == [
        Problem(
            "metadata.name",
            'metadata.name "My Service" is not valid; expected a string of 1-63 characters of [a-zA-Z0-9], '
            "separated by [-_.]",
        )
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "metadata.name must be a string, not null"),
        (123, "metadata.name must be a string, not a number (123)"),
        ("", "metadata.name must not be empty"),
    ],
)
def test_name_types(value, message):
    assert validate_entity(entity(name=value)) == [Problem("metadata.name", message)]


def test_a_name_is_required():
    assert validate_entity(without(entity(), "metadata.name")) == [
        Problem("metadata.name", "metadata.name is missing; it is required")
    ]


@pytest.mark.parametrize("namespace", ["default", "payments", "team-a", "a1", "x" * 63, "a--b"])
def test_good_namespaces(namespace):
    assert validate_entity(entity(namespace=namespace)) == []


@pytest.mark.parametrize("namespace", ["Payments", "team_a", "team.a", "-a", "a-", "x" * 64, "a b"])
def test_bad_namespaces(namespace):
    assert validate_entity(entity(namespace=namespace)) == [
        Problem("metadata.namespace", f'metadata.namespace "{namespace}" is not valid; expected {NAMESPACE_RULE}')
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("namespace", "", "metadata.namespace must not be empty"),
        ("namespace", 5, "metadata.namespace must be a string, not a number (5)"),
        ("title", "", "metadata.title must not be empty"),
        ("title", 5, "metadata.title must be a string, not a number (5)"),
        ("description", ["x"], "metadata.description must be a string, not a list"),
        ("uid", "", "metadata.uid must not be empty"),
        ("etag", 7, "metadata.etag must be a string, not a number (7)"),
        ("labels", ["a"], "metadata.labels must be a mapping, not a list"),
        ("annotations", "a=b", "metadata.annotations must be a mapping, not a string"),
        ("tags", "java", "metadata.tags must be a list, not a string"),
        ("links", {"url": "https://a.example"}, "metadata.links must be a list, not a mapping"),
    ],
)
def test_metadata_field_types(field, value, message):
    path = message.split(" ", 1)[0]
    assert validate_entity(entity(**{field: value})) == [Problem(path, message)]


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "My Service", "description": ""},
        {"description": "Anything at all, of any length. Even 'quotes' and ünicode."},
        {"uid": "e01199ab-08cc-44c2-8e19-5c29ded82521", "etag": "lsndfkjsndfkjnsdfkjnsd=="},
        {"someOtherField": {"any": "thing"}},
    ],
)
def test_good_metadata_fields(fields):
    assert validate_entity(entity(**fields)) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("team", "payments"),
        ("example.com/team", "payments"),
        ("a.b-c.example.com/Some_Key.1", "Value_1.x"),
        ("tier", ""),
        ("backstage.io/custom", "ValueStuff"),
        ("k", "x" * 63),
    ],
)
def test_good_labels(key, value):
    assert validate_entity(entity(labels={key: value})) == []


@pytest.mark.parametrize(
    "key", ["Example.com/team", "example.com/", "/team", "a/b/c", "team name", "-team", "x" * 64, "ex_ample.com/team"]
)
def test_bad_label_keys(key):
    assert validate_entity(entity(labels={key: "x"})) == [
        Problem(f"metadata.labels.{key}", f'metadata.labels key "{key}" is not valid; expected {KEY_RULE}')
    ]


@pytest.mark.parametrize("value", ["two words", "-x", "x" * 64, "a/b"])
def test_bad_label_values(value):
    assert validate_entity(entity(labels={"team": value})) == [
        Problem(
            "metadata.labels.team",
            f'metadata.labels.team "{value}" is not valid; expected an empty string or {NAME_RULE}',
        )
    ]


@pytest.mark.parametrize(
    ("value", "found"), [(5, "a number (5)"), (True, "a boolean (true)"), (None, "null"), (["a"], "a list")]
)
def test_label_values_must_be_strings(value, found):
    assert validate_entity(entity(labels={"team": value})) == [
        Problem("metadata.labels.team", f"metadata.labels.team must be a string, not {found}")
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("backstage.io/techdocs-ref", "dir:."),
        ("github.com/project-slug", "backstage/backstage"),
        ("example.com/anything", "Any text at all: spaces, 'quotes', ünicode, " + "x" * 500),
        ("plain", ""),
    ],
)
def test_good_annotations(key, value):
    assert validate_entity(entity(annotations={key: value})) == []


@pytest.mark.parametrize("key", ["GitHub.com/slug", "github.com/", "a/b/c", "with space", "x" * 64])
def test_bad_annotation_keys(key):
    assert validate_entity(entity(annotations={key: "x"})) == [
        Problem(f"metadata.annotations.{key}", f'metadata.annotations key "{key}" is not valid; expected {KEY_RULE}')
    ]


@pytest.mark.parametrize(
    ("value", "found"), [(123456, "a number (123456)"), (True, "a boolean (true)"), (None, "null"), ({}, "a mapping")]
)
def test_annotation_values_must_be_strings(value, found):
    assert validate_entity(entity(annotations={"github.com/user-id": value})) == [
        Problem(
            "metadata.annotations.github.com/user-id",
            f"metadata.annotations.github.com/user-id must be a string, not {found}",
        )
    ]


@pytest.mark.parametrize("tag", ["java", "c++", "c#", "k8s", "lang:python", "a-b-c", "x" * 63, "node:18-lts"])
def test_good_tags(tag):
    assert validate_entity(entity(tags=[tag])) == []


@pytest.mark.parametrize("tag", ["Java", "tier_gold", "ato.1", "a--b", "-a", "a-", "two words", "x" * 64, "ü"])
def test_bad_tags(tag):
    assert validate_entity(entity(tags=["ok", tag])) == [
        Problem("metadata.tags.1", f'metadata.tags.1 "{tag}" is not valid; expected {TAG_RULE}')
    ]


@pytest.mark.parametrize(
    ("tag", "message"),
    [("", "metadata.tags.0 must not be empty"), (5, "metadata.tags.0 must be a string, not a number (5)")],
)
def test_tag_types(tag, message):
    assert validate_entity(entity(tags=[tag])) == [Problem("metadata.tags.0", message)]


@pytest.mark.parametrize(
    "link",
    [
        {"url": "https://example.com"},
        {"url": "http://www.acme.com/", "title": "Website", "icon": "dashboard", "type": "runbook"},
        {"url": "mailto:team-a@example.com"},
        {"url": "slack://channel?id=C1"},
        {"url": "https://example.com/a path?q=1#frag"},
        {"url": "http://localhost:7007/api"},
        {"url": "http://[::1]:3000/"},
        {"url": "https://user:secret@example.com/"},
        {"url": "file:///etc/hosts"},
        {"url": "https://example.com", "extra": "allowed"},
        {"url": "https://bücher.example/"},
        {"url": "https://xn--bcher-kva.example/"},
        {"url": "http://10.0.0.1:8080/"},
        {"url": "http://0x7f.1/"},
        {"url": "https://a%2eb/"},
        {"url": "localhost:3000"},
        {"url": "foo://host%20name/x"},
        {"url": "  https://example.com  "},
    ],
)
def test_good_links(link):
    assert validate_entity(entity(links=[link])) == []


@pytest.mark.parametrize(
    "url",
    [
        "example.com",
        "/docs",
        "https://",
        "http://exa mple.com",
        "https://example.com:99999",
        "https://example.com:ab",
        "://x",
        "http://1.2.3.256/",
        "http://1.2.3.4.5/",
        "http://09.1/",
        "http://xn--a/",
        "http://a%20b/",
        "foo://a b",
        "foo://:80",
        "file://host:1/",
        "https://user@/",
    ],
)
def test_bad_link_urls(url):
    assert validate_entity(entity(links=[{"url": url}])) == [
        Problem(
            "metadata.links.0.url",
            f'metadata.links.0.url "{url}" is not valid; expected an absolute URL (e.g. https://example.com/docs)',
        )
    ]


@pytest.mark.parametrize(
    ("link", "path", "message"),
    [
        ({"title": "Docs"}, "metadata.links.0.url", "metadata.links.0.url is missing; it is required"),
        ({"url": 5}, "metadata.links.0.url", "metadata.links.0.url must be a string, not a number (5)"),
        ({"url": ""}, "metadata.links.0.url", "metadata.links.0.url must not be empty"),
        (
            {"url": "https://a.example", "title": ""},
            "metadata.links.0.title",
            "metadata.links.0.title must not be empty",
        ),
        (
            {"url": "https://a.example", "title": "  "},
            "metadata.links.0.title",
            "metadata.links.0.title must not be blank",
        ),
        ({"url": "https://a.example", "icon": " "}, "metadata.links.0.icon", "metadata.links.0.icon must not be blank"),
        (
            {"url": "https://a.example", "icon": 1},
            "metadata.links.0.icon",
            "metadata.links.0.icon must be a string, not a number (1)",
        ),
        ({"url": "https://a.example", "type": ""}, "metadata.links.0.type", "metadata.links.0.type must not be empty"),
        ("https://a.example", "metadata.links.0", "metadata.links.0 must be a mapping, not a string"),
    ],
)
def test_bad_links(link, path, message):
    assert validate_entity(entity(links=[link])) == [Problem(path, message)]


# --- spec, per kind ------------------------------------------------------------------------------

REQUIRED = [
    ("Component", "type"),
    ("Component", "lifecycle"),
    ("Component", "owner"),
    ("API", "type"),
    ("API", "lifecycle"),
    ("API", "owner"),
    ("API", "definition"),
    ("System", "owner"),
    ("Domain", "owner"),
    ("Resource", "type"),
    ("Resource", "owner"),
    ("Group", "type"),
    ("Group", "children"),
    ("User", "memberOf"),
    ("Template", "type"),
    ("Template", "steps"),
]


@pytest.mark.parametrize(("kind", "field"), REQUIRED)
def test_required_spec_fields(kind, field):
    assert validate_entity(without(entity(kind), f"spec.{field}")) == [
        Problem(f"spec.{field}", f"spec.{field} is missing; it is required for kind {kind}")
    ]


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_spec_is_required_for_every_kind(kind):
    assert validate_entity(without(entity(kind), "spec")) == [
        Problem("spec", f"spec is missing; it is required for kind {kind}")
    ]


def test_an_unknown_kind_needs_no_spec():
    document = without(entity(), "spec")
    document["kind"] = "Widget"
    assert paths(validate_entity(document)) == ["kind"]


SPEC_TYPES = [
    ("Component", "type", 5, "must be a string, not a number (5)"),
    ("Component", "lifecycle", "", "must not be empty"),
    ("Component", "owner", None, "must be a string, not null"),
    ("Component", "owner", ["team-a"], "must be a string, not a list"),
    ("Component", "system", {}, "must be a string, not a mapping"),
    ("Component", "subcomponentOf", "", "must not be empty"),
    ("Component", "providesApis", "api-a", "must be a list, not a string"),
    ("Component", "consumesApis", {"a": 1}, "must be a list, not a mapping"),
    ("Component", "dependsOn", "resource:db", "must be a list, not a string"),
    ("Component", "dependencyOf", 5, "must be a string, a list or null, not a number (5)"),
    ("Resource", "dependencyOf", {}, "must be a string, a list or null, not a mapping"),
    ("API", "definition", {"$text": "./openapi.yaml"}, "must be a string, not a mapping"),
    ("API", "definition", "", "must not be empty"),
    ("API", "system", 1, "must be a string, not a number (1)"),
    ("System", "domain", 1, "must be a string, not a number (1)"),
    ("System", "type", "", "must not be empty"),
    ("Domain", "subdomainOf", [], "must be a string, not a list"),
    ("Resource", "dependsOn", "component:a", "must be a list, not a string"),
    ("Resource", "system", False, "must be a string, not a boolean (false)"),
    ("Group", "children", "team-b", "must be a list, not a string"),
    ("Group", "members", None, "must be a list, not null"),
    ("Group", "parent", ["a"], "must be a string, not a list"),
    ("Group", "profile", "x", "must be a mapping, not a string"),
    ("User", "memberOf", "team-a", "must be a list, not a string"),
    ("User", "profile", [], "must be a mapping, not a list"),
    ("Location", "type", 1, "must be a string, not a number (1)"),
    ("Location", "target", "", "must not be empty"),
    ("Location", "targets", "./a.yaml", "must be a list, not a string"),
    ("Location", "presence", "sometimes", '"sometimes" is not valid; expected one of: required, optional'),
    ("Location", "presence", True, "must be a string, not a boolean (true)"),
    ("Template", "type", "", "must not be empty"),
    ("Template", "owner", 5, "must be a string, not a number (5)"),
    ("Template", "steps", {"action": "x"}, "must be a list, not a mapping"),
    ("Template", "parameters", "x", "must be a mapping or a list of mappings, not a string"),
    ("Template", "parameters", ["x"], "must be a mapping or a list of mappings, not a list"),
    ("Template", "output", [], "must be a mapping, not a list"),
    ("Template", "secrets", "x", "must be a mapping, not a string"),
]


@pytest.mark.parametrize(("kind", "field", "value", "message"), SPEC_TYPES)
def test_spec_field_types(kind, field, value, message):
    problems = validate_entity(entity(kind, spec={field: value}))
    assert problems == [Problem(f"spec.{field}", f"spec.{field} {message}")]


@pytest.mark.parametrize(
    ("kind", "field", "value", "path", "message"),
    [
        ("Component", "providesApis", ["a", ""], "spec.providesApis.1", "must not be empty"),
        ("Component", "dependsOn", [5], "spec.dependsOn.0", "must be a string, not a number (5)"),
        ("Group", "children", [None], "spec.children.0", "must be a string, not null"),
        ("Group", "profile", {"email": 5}, "spec.profile.email", "must be a string, not a number (5)"),
        ("User", "profile", {"displayName": ""}, "spec.profile.displayName", "must not be empty"),
        ("User", "memberOf", ["team-a", ["x"]], "spec.memberOf.1", "must be a string, not a list"),
        ("Location", "targets", ["./a.yaml", ""], "spec.targets.1", "must not be empty"),
    ],
)
def test_spec_list_items_and_nested_fields(kind, field, value, path, message):
    assert validate_entity(entity(kind, spec={field: value})) == [Problem(path, f"{path} {message}")]


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("Component", {"system": "s", "subcomponentOf": "c", "providesApis": ["a"], "consumesApis": ["b"]}),
        ("Component", {"dependsOn": ["resource:db"], "dependencyOf": ["component:c"]}),
        ("Component", {"dependencyOf": "component:c"}),
        ("Component", {"dependencyOf": None}),
        ("Resource", {"dependencyOf": ""}),
        ("Component", {"anyOtherField": {"deep": [1, 2]}}),
        ("API", {"system": "s"}),
        ("System", {"domain": "d", "type": "product"}),
        ("Domain", {"subdomainOf": "d", "type": "area"}),
        ("Resource", {"system": "s", "dependsOn": ["resource:b"], "dependencyOf": ["component:c"]}),
        ("Group", {"parent": "p", "children": ["c"], "members": ["u"], "profile": {"displayName": "G"}}),
        ("User", {"memberOf": ["g"], "profile": {"displayName": "U", "email": "u@example.com", "picture": "p"}}),
        ("Location", {"type": "url", "target": "https://example.com/catalog-info.yaml", "presence": "optional"}),
        ("Location", {"targets": ["./a.yaml", "./b.yaml"], "presence": "required"}),
    ],
)
def test_optional_spec_fields(kind, spec):
    assert validate_entity(entity(kind, spec=spec)) == []


def test_a_location_needs_neither_target_nor_targets():
    # Backstage's Location schema requires no spec field; such a location simply reads nothing.
    assert validate_entity(without(entity("Location"), "spec.target")) == []


@pytest.mark.parametrize(
    "spec",
    [
        {"parameters": {"properties": {"name": {"type": "string"}}}},
        {"parameters": [{"title": "A"}, {"title": "B", "backstage:permissions": {"tags": ["x"]}}]},
        {"steps": [{"id": "a", "name": "A", "action": "fetch:template", "input": {"url": "./x"}, "if": True}]},
        {"steps": [{"action": "debug:log", "if": "${{ parameters.x }}"}]},
        {"steps": []},
        {"owner": "group:default/team-a", "lifecycle": "production"},
        {"output": {"links": [{"url": "https://x.example", "if": False}], "text": [{"title": "T", "content": "c"}]}},
        {"output": {"remoteUrl": "${{ steps.publish.output.remoteUrl }}"}},
        {"presentation": {"buttonLabels": {"createButtonText": "Go"}}},
        {"formDecorators": [{"id": "x", "input": {}}], "EXPERIMENTAL_recovery": {"EXPERIMENTAL_strategy": "none"}},
    ],
)
def test_good_templates(spec):
    assert validate_entity(entity("Template", spec=spec)) == []


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        ({"steps": [{"id": "a"}]}, "spec.steps.0.action", "spec.steps.0.action is missing; it is required"),
        ({"steps": ["debug:log"]}, "spec.steps.0", "spec.steps.0 must be a mapping, not a string"),
        ({"steps": [{"action": 5}]}, "spec.steps.0.action", "spec.steps.0.action must be a string, not a number (5)"),
        (
            {"steps": [{"action": "a", "if": 1}]},
            "spec.steps.0.if",
            "spec.steps.0.if must be a string or a boolean, not a number (1)",
        ),
        (
            {"steps": [{"action": "a", "input": "x"}]},
            "spec.steps.0.input",
            "spec.steps.0.input must be a mapping, not a string",
        ),
        (
            {"output": {"remoteUrl": 5}},
            "spec.output.remoteUrl",
            "spec.output.remoteUrl must be a string, not a number (5)",
        ),
        ({"output": {"links": [{"url": ""}]}}, "spec.output.links.0.url", "spec.output.links.0.url must not be empty"),
        (
            {"output": {"text": [{"content": 1}]}},
            "spec.output.text.0.content",
            "spec.output.text.0.content must be a string, not a number (1)",
        ),
        (
            {"presentation": {"buttonLabels": {"backButtonText": 1}}},
            "spec.presentation.buttonLabels.backButtonText",
            "spec.presentation.buttonLabels.backButtonText must be a string, not a number (1)",
        ),
    ],
)
def test_bad_templates(spec, path, message):
    assert validate_entity(entity("Template", spec=spec)) == [Problem(path, message)]


# --- references ---------------------------------------------------------------------------------

NO_KIND = (
    "has no kind and there is no default kind here; "
    'write it with its kind, e.g. "component:my-service" or "resource:default/my-db"'
)
FORM = "expected the form [<kind>:][<namespace>/]<name>"


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        ("Component", "owner", "team-a"),
        ("Component", "owner", "user:alice"),
        ("Component", "owner", "payments/team-a"),
        ("Component", "owner", "group:payments/team-a"),
        ("Component", "system", "sys"),
        ("Component", "subcomponentOf", "parent-svc"),
        ("Component", "providesApis", ["api-a", "api:ns/api-b"]),
        ("Component", "consumesApis", ["api-a"]),
        ("Component", "dependsOn", ["resource:db", "component:payments/other"]),
        ("Component", "dependencyOf", ["component:other"]),
        ("Resource", "dependsOn", ["resource:other"]),
        ("Resource", "dependencyOf", "component:c"),
        ("Group", "parent", "org"),
        ("Group", "children", ["a", "group:b"]),
        ("Group", "members", ["alice", "user:ops/bob"]),
        ("User", "memberOf", ["team-a", "group:default/team-b"]),
        ("System", "domain", "audio"),
        ("Domain", "subdomainOf", "audio"),
        ("Template", "owner", "backstage/techdocs-core"),
    ],
)
def test_good_references(kind, field, value):
    assert validate_entity(entity(kind, spec={field: value})) == []


@pytest.mark.parametrize(
    ("kind", "field", "value", "path", "reason"),
    [
        ("Component", "dependsOn", ["db"], "spec.dependsOn.0", f'Entity reference "db" {NO_KIND}'),
        ("Component", "dependsOn", ["resource:db", "ns/db"], "spec.dependsOn.1", f'Entity reference "ns/db" {NO_KIND}'),
        ("Component", "dependencyOf", ["other"], "spec.dependencyOf.0", f'Entity reference "other" {NO_KIND}'),
        ("Component", "dependencyOf", "other", "spec.dependencyOf", f'Entity reference "other" {NO_KIND}'),
        ("Resource", "dependsOn", ["db"], "spec.dependsOn.0", f'Entity reference "db" {NO_KIND}'),
        ("Resource", "dependencyOf", ["c"], "spec.dependencyOf.0", f'Entity reference "c" {NO_KIND}'),
        ("Component", "owner", "a:b:c", "spec.owner", f"Entity reference \"a:b:c\" has more than one ':'; {FORM}"),
        ("Component", "system", ":sys", "spec.system", f'Entity reference ":sys" has an empty kind; {FORM}'),
        (
            "Component",
            "subcomponentOf",
            "component:",
            "spec.subcomponentOf",
            f'Entity reference "component:" has an empty name; {FORM}',
        ),
        (
            "Component",
            "providesApis",
            ["api:/x"],
            "spec.providesApis.0",
            f'Entity reference "api:/x" has an empty namespace; {FORM}',
        ),
        (
            "Component",
            "consumesApis",
            ["a/b/c"],
            "spec.consumesApis.0",
            f"Entity reference \"a/b/c\" has more than one '/'; {FORM}",
        ),
        ("API", "owner", "/team", "spec.owner", f'Entity reference "/team" has an empty namespace; {FORM}'),
        ("API", "system", "s/", "spec.system", f'Entity reference "s/" has an empty name; {FORM}'),
        ("Group", "parent", "g:", "spec.parent", f'Entity reference "g:" has an empty name; {FORM}'),
        ("Group", "children", ["ok", ":x"], "spec.children.1", f'Entity reference ":x" has an empty kind; {FORM}'),
        ("Group", "members", ["a:b:c"], "spec.members.0", f"Entity reference \"a:b:c\" has more than one ':'; {FORM}"),
        ("User", "memberOf", ["x/y/z"], "spec.memberOf.0", f"Entity reference \"x/y/z\" has more than one '/'; {FORM}"),
        ("System", "owner", "group:", "spec.owner", f'Entity reference "group:" has an empty name; {FORM}'),
        ("System", "domain", "d:e:f", "spec.domain", f"Entity reference \"d:e:f\" has more than one ':'; {FORM}"),
        ("Domain", "subdomainOf", ":d", "spec.subdomainOf", f'Entity reference ":d" has an empty kind; {FORM}'),
        ("Template", "owner", "a:b:c", "spec.owner", f"Entity reference \"a:b:c\" has more than one ':'; {FORM}"),
    ],
)
def test_bad_references(kind, field, value, path, reason):
    written = value if isinstance(value, str) else value[int(path.rsplit(".", 1)[1])]
    assert validate_entity(entity(kind, spec={field: value})) == [
        Problem(path, f'{path} "{written}" is not a valid entity reference: {reason}')
    ]


def test_fields_that_are_not_references_of_the_kind_are_not_parsed():
    # An API has no dependsOn in Backstage's model: nothing reads it as references.
    assert validate_entity(entity("API", spec={"dependsOn": ["db"]})) == []


# --- collecting every problem --------------------------------------------------------------------


def test_every_problem_of_a_document_is_reported_once_per_path():
    document = {
        "apiVersion": V1,
        "kind": "Component",
        "metadata": {
            "name": "My Service",
            "namespace": "Payments",
            "labels": {"bad key": "x", "team": "two words"},
            "annotations": {"example.com/id": 5},
            "tags": ["Java", "ok"],
            "links": [{"url": "nowhere"}],
        },
        "spec": {"type": "service", "owner": "a:b:c", "dependsOn": ["db"]},
        "relations": [],
    }
    assert paths(validate_entity(document)) == [
        "relations",
        "metadata.annotations.example.com/id",
        "metadata.name",
        "metadata.namespace",
        "metadata.labels.bad key",
        "metadata.labels.team",
        "metadata.tags.0",
        "metadata.links.0.url",
        "spec.lifecycle",
        "spec.owner",
        "spec.dependsOn.0",
    ]


def test_yaml_values_json_cannot_hold_are_reported():
    document = entity(spec={"since": datetime.date(2021, 1, 1), 5: "five"})
    assert validate_entity(document) == [
        Problem(
            "spec.since",
            "spec.since is a date (2021-01-01), which JSON cannot hold; quote it in the YAML to keep it as text",
        ),
        Problem("spec.5", "spec.5: the key 5 is not a string; quote it in the YAML"),
    ]


def test_a_nul_character_in_a_value_or_a_key_is_reported():
    document = entity(spec={"owner": "team-a", "note": "a\x00b", "k\x00": "v", "list": ["ok", "\x00"]})
    assert validate_entity(document) == [
        Problem("spec.note", "spec.note contains a NUL character (\\0), which the catalog cannot store"),
        Problem("spec.k\\0", "spec.k\\0: the key contains a NUL character (\\0), which the catalog cannot store"),
        Problem("spec.list.1", "spec.list.1 contains a NUL character (\\0), which the catalog cannot store"),
    ]


def test_a_descriptor_with_a_nul_character_is_refused_with_its_line(tmp_path, settings, db):
    from catalog import services
    from catalog.models import Entity, Location

    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    path = tmp_path / "catalog-info.yaml"
    path.write_text(
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\n  description: "a\\0b"\n'
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
    )
    location = services.register_location(type="file", target=str(path), refresh=False)

    services.process_location(location)

    assert Entity.objects.count() == 0
    [error] = Location.objects.get(pk=location.pk).errors.all()
    assert (error.line, error.entity_ref) == (5, "component:default/svc")
    assert "metadata.description contains a NUL character (\\0), which the catalog cannot store" in error.message


def test_non_finite_numbers_are_reported():
    assert validate_entity(entity(spec={"ratio": float("nan")})) == [
        Problem("spec.ratio", "spec.ratio is nan, which JSON cannot hold")
    ]


@pytest.mark.parametrize(
    ("fields", "path", "other"),
    [
        ({"labels": {"team": "a", "Team": "b"}}, "metadata.labels.Team", "metadata.labels.team"),
        (
            {"annotations": {"example.com/ID": "a", "example.com/id": "b"}},
            "metadata.annotations.example.com/id",
            "metadata.annotations.example.com/ID",
        ),
        ({"Name": "other"}, "metadata.name", "metadata.Name"),
    ],
)
def test_keys_differing_only_in_case_are_refused(fields, path, other):
    assert validate_entity(entity(**fields)) == [
        Problem(path, f"{path} differs from {other} only in letter case; keys are compared without case, keep one")
    ]


def test_list_items_differing_in_case_are_not_a_conflict():
    assert validate_entity(entity(spec={"dependsOn": ["component:a", "Component:A"]})) == []
