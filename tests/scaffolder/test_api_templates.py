"""``GET /api/scaffolder/v2/templates/{namespace}/{kind}/{name}/parameter-schema`` and ``GET /actions``, and
Backstage conformance: our golden paths and Backstage's samples give their form through the API and render
as an HTML form, page after page, without error."""

from __future__ import annotations

import re

import pytest
import yaml

from portal import tokens
from scaffolder.actions.registry import all_actions
from tests.scaffolder import test_ui_support as support
from tests.scaffolder.test_ui_support import BACKSTAGE_TEMPLATES, BASE, GOLDEN, SAMPLES

# Fixtures of the Create tests.
golden, org, samples = support.golden, support.org, support.samples

API = "/api/scaffolder/v2"


def bearer(user, *, read_only: bool = True) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token(user, name='test', read_only=read_only).plaintext}"}


def source(name: str) -> dict:
    folder = BASE / "templates" / name if name in GOLDEN else BACKSTAGE_TEMPLATES / name
    return yaml.safe_load((folder / "template.yaml").read_text(encoding="utf-8"))


def test_parameter_schema_is_backstages_shape(client, user, golden):
    response = client.get(f"{API}/templates/default/template/python-library/parameter-schema", **bearer(user))

    body = response.json()
    assert response.status_code == 200
    assert body["title"] == "Python library"
    assert body["description"].startswith("A Python library in the src layout")
    assert [step["title"] for step in body["steps"]] == ["Library details", "Repository"]
    first = body["steps"][0]
    assert first["description"] == ""
    assert first["schema"]["required"] == ["name", "description", "owner", "lifecycle"]
    assert first["schema"]["properties"]["owner"] == {
        "title": "Owner",
        "type": "string",
        "description": "The team that maintains the library.",
        "ui:field": "OwnerPicker",
        "ui:options": {"catalogFilter": {"kind": "Group"}},
    }


def test_parameter_schema_of_an_unknown_template_or_kind_is_404(client, user, golden):
    missing = client.get(f"{API}/templates/default/template/nothing/parameter-schema", **bearer(user))
    other_kind = client.get(f"{API}/templates/default/component/python-library/parameter-schema", **bearer(user))

    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"name": "NotFoundError", "message": "No template named template:default/nothing."},
        "request": {"method": "GET", "url": f"{API}/templates/default/template/nothing/parameter-schema"},
        "response": {"statusCode": 404},
    }
    assert other_kind.status_code == 404


def test_the_api_needs_a_signed_in_caller(client, golden):
    response = client.get(f"{API}/templates/default/template/python-library/parameter-schema")

    assert response.status_code == 401
    assert response.json()["error"]["name"] == "AuthenticationError"


@pytest.mark.parametrize("name", GOLDEN + SAMPLES)
def test_golden_paths_and_backstage_samples_give_their_form(client, user, golden, samples, name):
    response = client.get(f"{API}/templates/default/template/{name}/parameter-schema", **bearer(user))

    written = source(name)
    pages = written["spec"]["parameters"]
    pages = pages if isinstance(pages, list) else [pages]
    body = response.json()
    assert response.status_code == 200
    assert body["title"] == written["metadata"].get("title", name)
    assert [step["title"] for step in body["steps"]] == [page["title"] for page in pages]
    for step, page in zip(body["steps"], pages, strict=True):
        assert step["schema"] == page


@pytest.mark.parametrize("name", GOLDEN + SAMPLES)
def test_golden_paths_and_backstage_samples_render_as_html_forms(client, user, golden, samples, org, name):
    client.force_login(user)
    url = f"/create/templates/default/{name}/run"
    pages = source(name)["spec"]["parameters"]
    first = client.get(url)

    html = first.content.decode()
    assert first.status_code == 200
    assert f"<h2>{pages[0]['title']}</h2>" in html
    for field_name in pages[0]["properties"]:
        assert f'data-field="{field_name}"' in html
    found = re.search(r'name="state" value="([^"]+)"', html)
    assert found is not None
    state = found.group(1)
    # Every page shows once reached (Back from the review walks them all, without validating).
    for index, page in enumerate(pages):
        response = client.post(url, {"state": state, "page": "review", "action": f"goto:{index}"})
        shown = response.content.decode()
        if "when" in page:
            continue  # shown only for some answers: the review is what stands in for it
        assert f"<h2>{page['title']}</h2>" in shown
        assert all(f'data-field="{field}"' in shown for field in page.get("properties", {}))


def test_actions_are_listed_with_their_schemas(client, user):
    response = client.get(f"{API}/actions", **bearer(user))

    body = response.json()
    assert response.status_code == 200
    assert [action["id"] for action in body] == [action.id for action in all_actions()]
    debug = next(action for action in body if action["id"] == "debug:log")
    registered = next(action for action in all_actions() if action.id == "debug:log")
    assert debug == {
        "id": "debug:log",
        "description": registered.description,
        "examples": list(registered.examples),
        "schema": {"input": registered.input_schema, "output": registered.output_schema},
    }
    assert set(debug["schema"]["input"]["properties"]) >= {"message", "listWorkspace"}
