"""OwnerPicker and EntityPicker values name an entity the picker offers: one of its kinds, in the catalog, that
the user may see; any reference only with ``allowArbitraryValues: true``. The form and the server
(``validate_values``, for values sent to the API) give the same answer, and the message names what was
typed and the kinds, never an entity the user cannot see."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from catalog.models import Entity
from portal import permissions
from scaffolder.forms import pickers
from scaffolder.forms.fields import FormContext, parse
from scaffolder.parameters import TaskInputError, validate_values
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
    "ui:options": {"catalogFilter": {"kind": "System"}},
}
FREE = {
    "title": "Upstream",
    "type": "string",
    "ui:field": "EntityPicker",
    "ui:options": {"catalogFilter": {"kind": "Component"}, "allowArbitraryValues": True, "defaultKind": "Component"},
}
TEAM = {"title": "Team", "type": "string", "ui:field": "MyGroupsPicker"}
NO_SUCH_SYSTEM = "There is no System named no-such-system in the catalog; choose one of the listed systems."


def template(properties: dict, required=()) -> dict:
    return {"spec": {"parameters": [{"title": "Catalog", "properties": properties, "required": list(required)}]}}


@pytest.fixture
def janelle(org):
    """Janelle Dawe, a member of team-a."""
    return make_user("janelle-dawe@example.com")


@pytest.fixture
def podcast_hidden(db):
    """A policy under which nobody may see the podcast system in the catalog."""
    original = permissions._rules["catalog.read"]
    permissions.rule("catalog.read")(lambda user, entity: getattr(entity, "ref", None) != "system:default/podcast")
    yield
    permissions.rule("catalog.read")(original)


def read(user, properties: dict, data: str):
    return parse({"properties": properties}, QueryDict(data), FormContext(user))


def refused(properties: dict, values: dict, user=None, required=()) -> dict:
    with pytest.raises(TaskInputError) as raised:
        validate_values(template(properties, required), values, user=user)
    return raised.value.errors


def test_an_unknown_system_is_refused_by_the_form_and_kept_to_show_again(janelle):
    assert read(janelle, {"system": SYSTEM}, "system=no-such-system") == (
        {"system": "no-such-system"},
        {"system": [NO_SUCH_SYSTEM]},
    )
    assert read(janelle, {"system": SYSTEM}, "system=system:default/no-such-system") == (
        {"system": "system:default/no-such-system"},
        {"system": [NO_SUCH_SYSTEM]},
    )


def test_an_unknown_system_is_refused_by_the_server(janelle):
    assert refused({"system": SYSTEM}, {"system": "no-such-system"}) == {"system": [NO_SUCH_SYSTEM]}
    assert refused({"system": SYSTEM}, {"system": "system:default/no-such-system"}, janelle) == {
        "system": [NO_SUCH_SYSTEM]
    }


def test_a_known_entity_is_accepted_by_the_form_and_the_server(janelle):
    assert read(janelle, {"system": SYSTEM, "owner": OWNER}, "system=podcast&owner=group:default/team-b") == (
        {"system": "system:default/podcast", "owner": "group:default/team-b"},
        {},
    )
    for value in ("system:default/podcast", "System:Podcast", "podcast"):
        assert validate_values(template({"system": SYSTEM}), {"system": value}, user=janelle) == {"system": value}
    assert validate_values(template({"owner": OWNER}), {"owner": "group:default/team-b"}) == {
        "owner": "group:default/team-b"
    }


def test_an_entity_of_another_kind_is_refused(janelle):
    # podcast-api is a Component of the catalog, not a System.
    assert read(janelle, {"system": SYSTEM}, "system=podcast-api") == (
        {"system": "podcast-api"},
        {"system": ["There is no System named podcast-api in the catalog; choose one of the listed systems."]},
    )
    assert refused({"system": SYSTEM}, {"system": "component:default/podcast-api"}, janelle) == {
        "system": ["component:default/podcast-api is not a System; choose one of the listed systems."]
    }
    assert refused({"owner": OWNER}, {"owner": "user:default/janelle.dawe"}) == {
        "owner": ["user:default/janelle.dawe is not a Group; choose one of the listed groups."]
    }


def test_an_owner_picker_without_filter_names_groups_and_users(janelle):
    owner = {"type": "string", "ui:field": "OwnerPicker"}

    assert refused({"owner": owner}, {"owner": "nobody"}) == {
        "owner": ["There is no Group or User named nobody in the catalog; choose one of the listed groups or users."]
    }
    assert validate_values(template({"owner": owner}), {"owner": "user:default/janelle.dawe"}) == {
        "owner": "user:default/janelle.dawe"
    }


def test_allow_arbitrary_values_accepts_any_reference(janelle):
    assert read(janelle, {"upstream": FREE}, "upstream=not-in-the-catalog") == (
        {"upstream": "component:default/not-in-the-catalog"},
        {},
    )
    assert validate_values(template({"upstream": FREE}), {"upstream": "component:default/not-in-the-catalog"}) == {
        "upstream": "component:default/not-in-the-catalog"
    }


def test_an_empty_optional_picker_is_accepted(janelle):
    assert read(janelle, {"system": SYSTEM, "owner": OWNER}, "system=&owner=") == ({}, {})
    assert validate_values(template({"system": SYSTEM}), {}, user=janelle) == {}
    assert validate_values(template({"system": SYSTEM}), {"system": ""}, user=janelle) == {"system": ""}


def test_a_required_picker_left_empty_is_required_not_unknown(janelle):
    assert refused({"owner": OWNER}, {}, janelle, ["owner"]) == {"owner": ["This field is required."]}


def test_an_orphaned_entity_counts_as_not_existing(janelle):
    Entity.objects.filter(ref="system:default/podcast").update(orphan=True)

    assert read(janelle, {"system": SYSTEM}, "system=podcast") == (
        {"system": "podcast"},
        {"system": ["There is no System named podcast in the catalog; choose one of the listed systems."]},
    )
    assert refused({"system": SYSTEM}, {"system": "system:default/podcast"}, janelle) == {
        "system": ["There is no System named podcast in the catalog; choose one of the listed systems."]
    }


def test_an_entity_the_user_may_not_see_counts_as_not_existing(janelle, podcast_hidden):
    choices = [choice.value for choice in FormContext(janelle).choices("entity", SYSTEM)]
    hidden = ["There is no System named podcast in the catalog; choose one of the listed systems."]
    unknown = ["There is no System named podcasts in the catalog; choose one of the listed systems."]

    assert choices == ["system:default/artist-engagement-portal", "system:default/audio-playback"]
    assert read(janelle, {"system": SYSTEM}, "system=podcast") == ({"system": "podcast"}, {"system": hidden})
    assert refused({"system": SYSTEM}, {"system": "system:default/podcast"}, janelle) == {"system": hidden}
    assert refused({"system": SYSTEM}, {"system": "podcasts"}, janelle) == {"system": unknown}


def test_my_groups_picker_offers_only_the_users_teams(janelle):
    assert read(janelle, {"team": TEAM}, "team=team-a") == ({"team": "group:default/team-a"}, {})
    assert read(janelle, {"team": TEAM}, "team=group:default/team-b") == (
        {"team": "group:default/team-b"},
        {"team": ["None of your teams is named team-b; choose one of the listed teams."]},
    )
    assert refused({"team": TEAM}, {"team": "group:default/team-b"}, janelle) == {
        "team": ["None of your teams is named team-b; choose one of the listed teams."]
    }


def test_pickers_inside_groups_and_lists_are_checked_on_the_server(janelle):
    properties = {
        "runtime": {"type": "object", "properties": {"system": SYSTEM}},
        "links": {"type": "array", "items": {"type": "object", "properties": {"owner": OWNER}}},
    }
    values = {"runtime": {"system": "no-such-system"}, "links": [{"owner": "team-b"}, {"owner": "team-z"}]}

    assert refused(properties, values, janelle) == {
        "runtime.system": [NO_SUCH_SYSTEM],
        "links.1.owner": ["There is no Group named team-z in the catalog; choose one of the listed groups."],
    }


def test_a_field_with_a_schema_error_keeps_only_that_error(janelle):
    system = {**SYSTEM, "maxLength": 5}

    assert refused({"system": system}, {"system": "no-such-system"}, janelle) == {
        "system": ["Enter at most 5 characters."]
    }


def test_an_entity_beyond_the_listed_ones_is_still_found_in_the_catalog(janelle, monkeypatch):
    monkeypatch.setattr(pickers, "MAX_CHOICES", 2)  # the list is cut short: podcast, sorted last, is not in it

    assert [choice.value for choice in FormContext(janelle).choices("entity", SYSTEM)] == [
        "system:default/artist-engagement-portal",
        "system:default/audio-playback",
    ]
    assert read(janelle, {"system": SYSTEM}, "system=podcast") == ({"system": "system:default/podcast"}, {})
    assert read(janelle, {"system": SYSTEM}, "system=no-such-system") == (
        {"system": "no-such-system"},
        {"system": [NO_SUCH_SYSTEM]},
    )
