"""Backstage's template filters, called directly and from templates."""

import pytest

from scaffolder.templating import TemplateError, render_string
from scaffolder.templating.filters import dump, parse_entity_ref, parse_repo_url, project_slug


def test_parse_repo_url_for_github():
    assert parse_repo_url("github.com?owner=backstage&repo=backstage") == {
        "host": "github.com",
        "owner": "backstage",
        "repo": "backstage",
    }


def test_parse_repo_url_trims_slashes_and_keeps_every_known_parameter_and_the_port():
    assert parse_repo_url("ghe.acme.io:8443?repo=/svc/&owner=team/&organization=acme") == {
        "host": "ghe.acme.io:8443",
        "owner": "team",
        "repo": "svc",
        "organization": "acme",
    }


def test_parse_repo_url_for_other_hosts():
    assert parse_repo_url("dev.azure.com?organization=o&project=p&repo=r") == {
        "host": "dev.azure.com",
        "repo": "r",
        "organization": "o",
        "project": "p",
    }
    assert parse_repo_url("bitbucket.org?workspace=w&project=p&repo=r") == {
        "host": "bitbucket.org",
        "repo": "r",
        "workspace": "w",
        "project": "p",
    }
    assert parse_repo_url("gitlab.com?project=123&repo=r") == {"host": "gitlab.com", "repo": "r", "project": "123"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("github.com?repo=r", "Invalid repo URL passed to parseRepoUrl: github.com?repo=r, missing owner"),
        ("github.com?owner=o", "Invalid repo URL passed to parseRepoUrl: github.com?owner=o, missing repo"),
        ("dev.azure.com?repo=r", "Invalid repo URL passed to parseRepoUrl: dev.azure.com?repo=r, missing project"),
        ("bitbucket.org?project=p&repo=r", "Invalid repo URL passed to parseRepoUrl: bitbucket.org?project=p&repo=r, "
         "missing workspace"),
        ("", "parseRepoUrl needs a repository URL such as github.com?owner=acme&repo=service"),
        ("?owner=o&repo=r", "Invalid repo URL passed to parseRepoUrl, got ?owner=o&repo=r"),
    ],
)  # fmt: skip
def test_parse_repo_url_rejects_incomplete_urls(url, message):
    with pytest.raises(ValueError) as caught:  # noqa: PT011 -- the whole message is compared below
        parse_repo_url(url)
    assert str(caught.value) == message


def test_project_slug():
    assert project_slug("github.com?owner=acme&repo=payments") == "acme/payments"
    with pytest.raises(ValueError) as caught:  # noqa: PT011 -- the whole message is compared below
        project_slug("gitlab.com?project=1&repo=r")
    assert str(caught.value) == "projectSlug needs an owner in the repo URL gitlab.com?project=1&repo=r"


def test_parse_entity_ref_forms():
    assert parse_entity_ref("group:techdocs") == {"kind": "group", "namespace": "default", "name": "techdocs"}
    assert parse_entity_ref("component:prod/api") == {"kind": "component", "namespace": "prod", "name": "api"}
    assert parse_entity_ref("techdocs", {"defaultKind": "group", "defaultNamespace": "another-namespace"}) == {
        "kind": "group",
        "namespace": "another-namespace",
        "name": "techdocs",
    }
    assert parse_entity_ref("ns/name", {"defaultKind": "user"}) == {"kind": "user", "namespace": "ns", "name": "name"}
    assert parse_entity_ref("a/b:c", {"defaultKind": "k"}) == {"kind": "k", "namespace": "a", "name": "b:c"}
    assert parse_entity_ref({"kind": "api", "name": "x"}) == {"kind": "api", "namespace": "default", "name": "x"}


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("techdocs", 'Entity reference "techdocs" had missing or empty kind (e.g. did not start with "component:" '
         "or similar)"),
        ("group:", 'Entity reference "group:" was not on the form [<kind>:][<namespace>/]<name>'),
        (":x", 'Entity reference ":x" was not on the form [<kind>:][<namespace>/]<name>'),
        ("", "Entity reference must not be empty"),
        (5, "Entity reference must be a string or an object with kind, namespace and name"),
    ],
)  # fmt: skip
def test_parse_entity_ref_rejects_bad_references(ref, message):
    with pytest.raises(ValueError) as caught:  # noqa: PT011 -- the whole message is compared below
        parse_entity_ref(ref)
    assert str(caught.value) == message


def test_parse_entity_ref_with_defaults_from_a_template():
    context = {"parameters": {"owner": "techdocs"}}
    template = '${{ parameters.owner | parseEntityRef({ defaultKind: "group", defaultNamespace: "ns" }) }}'
    assert render_string(template, context) == {"kind": "group", "namespace": "ns", "name": "techdocs"}


def test_pick_reads_a_property_path_and_is_undefined_when_absent():
    context = {"entity": {"metadata": {"name": "svc", "tags": ["a", "b"]}}}
    assert render_string("${{ entity | pick('metadata.name') }}", context) == "svc"
    assert render_string("${{ entity | pick('metadata.tags[1]') }}", context) == "b"
    assert render_string("${{ entity | pick('metadata.tags.0') }}", context) == "a"
    assert render_string("${{ entity | pick(\"metadata['name']\") }}", context) == "svc"
    assert render_string("${{ entity | pick('metadata.nothing.here') }}", context) is None
    assert render_string("${{ entity | pick('metadata.nothing') | default('none') }}", context) == "none"


def test_dump_matches_json_stringify():
    assert dump({"a": [1, True, None], "b": "x"}) == '{"a":[1,true,null],"b":"x"}'
    assert dump([1], 2) == "[\n  1\n]"
    assert dump([1], 50) == "[\n" + " " * 10 + "1\n]"
    assert dump("ü") == '"ü"'


def test_a_filter_error_becomes_a_template_error():
    with pytest.raises(TemplateError) as caught:
        render_string("${{ 'github.com?repo=r' | projectSlug }}", {})
    assert str(caught.value) == "Invalid repo URL passed to parseRepoUrl: github.com?repo=r, missing owner"


def test_replace_join_and_indent_refuse_huge_results():
    with pytest.raises(TemplateError) as caught:
        render_string("${{ ('x' * 1000) | replace('x', 'y' * 100000) }}", {})
    assert str(caught.value) == "the expression builds a value larger than 20 MB"
    with pytest.raises(TemplateError) as caught:
        render_string("${{ ('x' * 10000) | list | join('y' * 10000) }}", {})
    assert str(caught.value) == "the expression builds a value larger than 20 MB"
    with pytest.raises(TemplateError) as caught:
        render_string("${{ ([{'a': 'x' * 1000000}] * 100) | join(attribute='a') }}", {})
    assert str(caught.value) == "the expression builds a value larger than 20 MB"
    assert render_string("${{ [{'a': 1}, {'a': 2}] | join('-', attribute='a') }}", {}) == "1-2"
    with pytest.raises(TemplateError) as caught:
        render_string("${{ 'a\nb' | indent(1000000000) }}", {})
    assert str(caught.value) == "indent takes a width of at most 100"
