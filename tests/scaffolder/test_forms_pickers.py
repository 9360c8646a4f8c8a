"""OwnerPicker, EntityPicker, RepoUrlPicker and EntityNamePicker: what they offer from the catalog, how
they render, and the values they give back (Backstage's shapes)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from scaffolder.forms.fields import FormContext, build, parse
from scaffolder.forms.pickers import complete_ref, entity_choices, filter_groups, repo_url, split_repo_url
from scaffolder.forms.widgets import render_fields
from tests.conftest import make_user
from tests.scaffolder import test_ui_support as support

# Fixtures of the Create tests.
org = support.org

OWNER = {
    "title": "Owner",
    "type": "string",
    "ui:field": "OwnerPicker",
    "ui:options": {"catalogFilter": {"kind": "Group"}},
}
SYSTEM = {
    "title": "System",
    "type": "string",
    "ui:field": "EntityPicker",
    "ui:options": {"catalogFilter": {"kind": "System"}, "defaultKind": "System"},
}
ANY_SYSTEM = {
    **SYSTEM,
    "ui:options": {"catalogFilter": {"kind": "System"}, "defaultKind": "System", "allowArbitraryValues": True},
}
API_ONLY_LISTED = {
    "title": "API",
    "type": "string",
    "ui:field": "EntityPicker",
    "ui:options": {"catalogFilter": [{"kind": "API", "spec.type": "openapi"}], "allowArbitraryValues": False},
}
REPO = {
    "title": "Repository",
    "type": "string",
    "ui:field": "RepoUrlPicker",
    "ui:options": {"allowedHosts": ["github.com", "gitlab.example.com"], "allowedOwners": ["acme", "platform"]},
}


@pytest.fixture
def janelle(org):
    """Janelle Dawe, a member of team-a (under backstage, under infrastructure, under acme-corp)."""
    return make_user("janelle-dawe@example.com")


def render(user, properties: dict, values: dict | None = None, required=()) -> str:
    page = {"properties": properties, "required": list(required)}
    return str(render_fields(build(page, values or {}, {}, FormContext(user))))


def read(user, properties: dict, data: str, required=()):
    return parse({"properties": properties, "required": list(required)}, QueryDict(data), FormContext(user))


def test_catalog_filter_becomes_catalog_filters():
    assert filter_groups({"catalogFilter": {"kind": ["Group", "User"], "spec.type": "team"}}) == [
        "kind=Group,kind=User,spec.type=team"
    ]
    assert filter_groups({"catalogFilter": [{"kind": "API"}, {"kind": "System"}]}) == ["kind=API", "kind=System"]
    assert filter_groups({"catalogFilter": {"metadata.annotations.x": {"exists": True}}}) == ["metadata.annotations.x"]
    assert filter_groups({"allowedKinds": ["Group"]}) == ["kind=Group"]
    assert filter_groups({}, ("Group", "User")) == ["kind=Group,kind=User"]
    assert filter_groups({}) == []


def test_owner_picker_offers_groups_with_the_users_teams_first(janelle):
    html = render(janelle, {"owner": OWNER}, {"owner": "group:default/team-a"}, required=["owner"])

    assert html == (
        '<div class="field" data-field="owner">\n'
        '<label for="f-owner">Owner<span class="required-mark" aria-hidden="true">*</span></label>\n'
        '<select id="f-owner" name="owner" required>\n'
        '<optgroup label="Your teams">\n'
        '<option value="group:default/acme-corp">acme-corp</option>\n'
        '<option value="group:default/backstage">backstage</option>\n'
        '<option value="group:default/infrastructure">infrastructure</option>\n'
        '<option value="group:default/team-a" selected>team-a</option>\n'
        "</optgroup>\n"
        '<optgroup label="Groups">\n'
        '<option value="group:default/boxoffice">boxoffice</option>\n'
        '<option value="group:default/team-b">team-b</option>\n'
        '<option value="group:default/team-c">team-c</option>\n'
        '<option value="group:default/team-d">team-d</option>\n'
        "</optgroup>\n"
        "</select>\n"
        "</div>"
    )


def test_owner_picker_without_filter_offers_groups_and_users(janelle):
    values = [choice.value for choice in entity_choices(janelle, "owner", "OwnerPicker", {})]

    assert "group:default/team-b" in values
    assert "user:default/breanna.davison" in values
    assert {value.split(":")[0] for value in values} == {"group", "user"}


def test_owner_picker_reads_one_query_for_its_choices(janelle):
    FormContext(janelle).choices("owner", OWNER)  # the user's groups, once per request
    with CaptureQueriesContext(connection) as queries:
        FormContext(janelle).choices("owner", OWNER)

    assert len(queries) == 1


def test_owner_picker_accepts_only_a_listed_owner(janelle):
    assert read(janelle, {"owner": OWNER}, "owner=group:default/team-b") == ({"owner": "group:default/team-b"}, {})
    assert read(janelle, {"owner": OWNER}, "owner=group:default/nobody") == (
        {"owner": "group:default/nobody"},
        {"owner": ["There is no Group named nobody in the catalog; choose one of the listed groups."]},
    )
    assert read(janelle, {"owner": OWNER}, "owner=user:default/janelle.dawe") == (
        {"owner": "user:default/janelle.dawe"},
        {"owner": ["user:default/janelle.dawe is not a Group; choose one of the listed groups."]},
    )
    assert read(janelle, {"owner": OWNER}, "owner=") == ({}, {})


def test_entity_picker_is_a_text_input_with_suggestions(janelle):
    html = render(janelle, {"system": SYSTEM})

    assert html == (
        '<div class="field" data-field="system">\n'
        '<label for="f-system">System</label>\n'
        '<input type="text" id="f-system" name="system" list="f-system-choices" autocomplete="off"'
        ' spellcheck="false">\n'
        '<datalist id="f-system-choices">\n'
        '<option value="system:default/artist-engagement-portal">artist-engagement-portal</option>\n'
        '<option value="system:default/audio-playback">audio-playback</option>\n'
        '<option value="system:default/podcast">podcast</option>\n'
        "</datalist>\n"
        "</div>"
    )


def test_entity_picker_completes_a_typed_reference_with_its_defaults(janelle):
    assert read(janelle, {"system": SYSTEM}, "system=podcast") == ({"system": "system:default/podcast"}, {})
    assert read(janelle, {"system": SYSTEM}, "system=System:Podcast") == ({"system": "system:default/podcast"}, {})
    assert read(janelle, {"system": ANY_SYSTEM}, "system=not-in-the-catalog") == (
        {"system": "system:default/not-in-the-catalog"},
        {},
    )
    assert complete_ref("other/thing", {"defaultKind": "System"}) == "system:other/thing"
    assert complete_ref("thing", {}) == "thing"


def test_entity_picker_without_arbitrary_values_is_a_choice(janelle):
    html = render(janelle, {"api": API_ONLY_LISTED}, {"api": "api:default/petstore"})

    assert '<select id="f-api" name="api">\n<option value="">(none)</option>\n' in html
    assert '<option value="api:default/petstore" selected>petstore</option>' in html
    assert "starwars-graphql" not in html  # a graphql API: not an openapi one
    assert read(janelle, {"api": API_ONLY_LISTED}, "api=api:default/starwars-graphql") == (
        {"api": "api:default/starwars-graphql"},
        {
            "api": [
                "There is no API named starwars-graphql among those this field offers; choose one of the listed APIs."
            ]
        },
    )


def test_repo_url_picker_renders_host_owner_and_repository(janelle):
    html = render(janelle, {"repoUrl": REPO}, {"repoUrl": "gitlab.example.com?owner=platform&repo=orders"}, ["repoUrl"])

    assert html == (
        '<fieldset class="field field-repo" data-field="repoUrl">\n'
        '<legend>Repository<span class="required-mark" aria-hidden="true">*</span></legend>\n'
        '<div class="repo-parts">\n'
        '<div class="field"><label for="f-repoUrl-host">Host</label>'
        '<select id="f-repoUrl-host" name="repoUrl.host" required>\n'
        '<option value="github.com">github.com (not configured)</option>\n'
        '<option value="gitlab.example.com" selected>gitlab.example.com (not configured)</option>\n'
        "</select></div>\n"
        '<p class="help field-warning">Atrium is not connected to github.com, gitlab.example.com: a task will fail '
        "when it publishes there, until an administrator connects it (for GitHub: GITHUB_TOKEN).</p>\n"
        '<div class="field"><label for="f-repoUrl-owner">Owner</label>'
        '<select id="f-repoUrl-owner" name="repoUrl.owner" required>\n'
        '<option value="">Choose…</option>\n'
        '<option value="acme">acme</option>\n'
        '<option value="platform" selected>platform</option>\n'
        "</select></div>\n"
        '<div class="field"><label for="f-repoUrl-repo">Repository</label>'
        '<input type="text" id="f-repoUrl-repo" name="repoUrl.repo" required value="orders"'
        ' pattern="[A-Za-z0-9_.\\-]+" autocomplete="off" spellcheck="false"></div>\n'
        "</div>\n"
        "</fieldset>"
    )


def test_repo_url_picker_offers_the_local_git_host_when_github_is_not_configured(janelle):
    html = render(janelle, {"repoUrl": {"type": "string", "ui:field": "RepoUrlPicker"}})

    assert (
        '<select id="f-repoUrl-host" name="repoUrl.host" required>\n'
        '<option value="local" selected>local (Atrium&#x27;s git host)</option>\n</select>'
    ) in html
    assert "field-warning" not in html
    assert (
        '<input type="text" id="f-repoUrl-owner" name="repoUrl.owner" pattern="[A-Za-z0-9_.\\-]+(/[A-Za-z0-9_.\\-]+)*"'
        ' autocomplete="off" spellcheck="false">'
    ) in html


def test_repo_url_picker_value_is_backstages(janelle):
    values, errors = read(
        janelle, {"repoUrl": REPO}, "repoUrl.host=github.com&repoUrl.owner=acme&repoUrl.repo=orders-api"
    )

    assert (values, errors) == ({"repoUrl": "github.com?owner=acme&repo=orders-api"}, {})
    assert split_repo_url("github.com?owner=acme&repo=orders-api") == {
        "host": "github.com",
        "owner": "acme",
        "repo": "orders-api",
    }
    assert repo_url("github.com", "acme", "a b") == "github.com?owner=acme&repo=a+b"


def test_repo_url_picker_refuses_hosts_owners_and_names_not_allowed(janelle):
    data = "repoUrl.host=evil.example.com&repoUrl.owner=someone&repoUrl.repo=bad name"

    assert read(janelle, {"repoUrl": REPO}, data) == (
        {"repoUrl": "evil.example.com?owner=someone&repo=bad+name"},
        {
            "repoUrl": [
                "Choose a host among github.com, gitlab.example.com.",
                "Choose one of the allowed owners.",
                "The repository's name may use letters, digits, '-', '_' and '.' only.",
            ]
        },
    )
    assert read(janelle, {"repoUrl": REPO}, "repoUrl.host=github.com&repoUrl.owner=acme") == (
        {"repoUrl": "github.com?owner=acme&repo="},
        {"repoUrl": ["Enter the repository's name."]},
    )
    assert read(janelle, {"repoUrl": REPO}, "repoUrl.host=github.com") == ({}, {})


def test_entity_name_picker(janelle):
    name = {"title": "Name", "type": "string", "ui:field": "EntityNamePicker"}

    assert (
        '<input type="text" id="f-name" name="name" required pattern="([A-Za-z0-9][A-Za-z0-9_.\\-]*)?[A-Za-z0-9]"'
        ' maxlength="63" autocomplete="off" spellcheck="false">'
    ) in render(janelle, {"name": name}, required=["name"])
    assert read(janelle, {"name": name}, "name=my-service") == ({"name": "my-service"}, {})
    assert read(janelle, {"name": name}, "name=-bad-") == (
        {"name": "-bad-"},
        {
            "name": [
                "Use letters, digits, '-', '_' and '.', starting and ending with a letter or a digit, at most 63 "
                "characters."
            ]
        },
    )


def test_repo_url_picker_offers_github_too_once_it_is_configured(janelle, settings):
    settings.GITHUB_TOKEN = "ghp_configured"
    html = render(janelle, {"repoUrl": {"type": "string", "ui:field": "RepoUrlPicker"}})

    assert (
        '<select id="f-repoUrl-host" name="repoUrl.host" required>\n'
        '<option value="local" selected>local (Atrium&#x27;s git host)</option>\n'
        '<option value="github.com">github.com</option>\n</select>'
    ) in html


def test_repo_url_picker_offers_the_enterprise_host_of_the_configured_api(janelle, settings):
    settings.SCAFFOLDER_GITHUB_API_URL = "https://ghe.example.com/api/v3"
    settings.SCAFFOLDER_GITHUB_TOKEN = "ghp_enterprise"
    options = {"allowedHosts": ["ghe.example.com", "github.com"]}
    html = render(janelle, {"repoUrl": {"type": "string", "ui:field": "RepoUrlPicker", "ui:options": options}})

    assert (
        '<select id="f-repoUrl-host" name="repoUrl.host" required>\n'
        '<option value="ghe.example.com" selected>ghe.example.com</option>\n</select>'
    ) in html
    assert "field-warning" not in html
