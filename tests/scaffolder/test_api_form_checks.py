"""``POST /api/scaffolder/v2/tasks`` checks values as the form does: a pattern not matched is said in words
(never the regular expression), and an OwnerPicker or EntityPicker value must name an entity of the catalog of
the picker's kinds (any reference with ``allowArbitraryValues: true``). A refused request creates no task."""

from __future__ import annotations

import pytest

from scaffolder.models import Task
from tests.scaffolder import test_ui_support as support
from tests.scaffolder.test_api_templates import bearer

# Fixtures of the Create tests.
golden, org, write = support.golden, support.org, support.write

TASKS = "/api/scaffolder/v2/tasks"
PICKERS = """apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: pickers
  title: Pickers
spec:
  owner: group:default/team-a
  type: service
  parameters:
    - title: Catalog
      required: [name, owner]
      properties:
        name:
          title: Name
          type: string
          description: The component's name.
          pattern: '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options: {catalogFilter: {kind: Group}}
        system:
          title: System
          type: string
          ui:field: EntityPicker
          ui:options: {catalogFilter: {kind: System}}
        upstream:
          title: Upstream
          type: string
          ui:field: EntityPicker
          ui:options: {catalogFilter: {kind: Component}, allowArbitraryValues: true}
  steps:
    - id: log
      action: debug:log
      input: {message: hi}
"""
VALUES = {"name": "orders", "owner": "group:default/team-b"}
NO_SUCH_SYSTEM = "There is no System named no-such-system in the catalog; choose one of the listed systems."


@pytest.fixture
def pickers(write, org):
    from tests.catalog.test_ui_support import load_file

    return load_file(write("pickers/template.yaml", PICKERS))


def scaffold(client, user, values: dict, template: str = "template:default/pickers"):
    body = {"templateRef": template, "values": values}
    return client.post(TASKS, body, content_type="application/json", **bearer(user, read_only=False))


def messages(response) -> list[tuple[str, str]]:
    return [(error["property"], error["message"]) for error in response.json()["errors"]]


def test_an_unknown_system_is_400_and_no_task(client, user, pickers):
    response = scaffold(client, user, {**VALUES, "system": "no-such-system"})

    assert response.status_code == 400
    assert messages(response) == [("instance.system", NO_SUCH_SYSTEM)]
    assert response.json()["errors"][0]["path"] == ["system"]
    assert Task.objects.count() == 0


def test_an_unknown_owner_and_an_entity_of_another_kind_are_400(client, user, pickers):
    response = scaffold(client, user, {**VALUES, "owner": "group:default/nobody", "system": "component:podcast-api"})

    assert response.status_code == 400
    assert messages(response) == [
        ("instance.owner", "There is no Group named nobody in the catalog; choose one of the listed groups."),
        ("instance.system", "component:podcast-api is not a System; choose one of the listed systems."),
    ]
    assert Task.objects.count() == 0


def test_known_entities_are_accepted(client, user, pickers):
    response = scaffold(client, user, {**VALUES, "system": "system:default/podcast"})

    task = Task.objects.get()
    assert response.status_code == 201
    assert task.values == {**VALUES, "system": "system:default/podcast"}


def test_allow_arbitrary_values_accepts_an_entity_not_in_the_catalog(client, user, pickers):
    response = scaffold(client, user, {**VALUES, "upstream": "component:default/not-in-the-catalog"})

    assert response.status_code == 201
    assert Task.objects.get().values == {**VALUES, "upstream": "component:default/not-in-the-catalog"}


def test_an_optional_picker_left_empty_is_accepted(client, user, pickers):
    assert scaffold(client, user, VALUES).status_code == 201
    assert scaffold(client, user, {**VALUES, "system": ""}).status_code == 201
    assert Task.objects.count() == 2


def test_a_pattern_not_matched_is_said_in_words(client, user, pickers):
    response = scaffold(client, user, {**VALUES, "name": "Bad Name"})

    assert response.status_code == 400
    assert messages(response) == [
        (
            "instance.name",
            "Use 3\N{EN DASH}40 characters: lowercase letters, digits and dashes, starting with a letter and "
            "ending with a letter or a digit.",
        )
    ]
    assert Task.objects.count() == 0


def test_a_golden_path_answers_its_help_for_a_name_not_matched(client, user, golden, org):
    values = {
        "name": "Billing Client",
        "description": "A typed client for the billing API.",
        "owner": "group:default/team-a",
        "lifecycle": "production",
    }

    response = scaffold(client, user, values, "template:default/python-library")

    assert response.status_code == 400
    assert [item for item in messages(response) if item[0] == "instance.name"] == [
        (
            "instance.name",
            "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter (e.g. billing-client, "
            "imported as billing_client).",
        )
    ]
    assert Task.objects.count() == 0
