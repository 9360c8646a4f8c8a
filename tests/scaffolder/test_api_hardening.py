"""/api/scaffolder/v2/ on odd input: numbers beyond 64 bits, a NUL character in a parameter or a body, a
body nested without end — each a 400 in Backstage's error shape that names what is wrong, with nothing
written; never a 500."""

from __future__ import annotations

import json

import pytest

from scaffolder.models import RunStatus, Task
from tests.scaffolder import test_ui_support as support
from tests.scaffolder.test_api_templates import bearer
from tests.scaffolder.test_ui_support import make_task

golden, org = support.golden, support.org

API = "/api/scaffolder/v2"
VALUES = {
    "name": "billing-client",
    "description": "A typed client for the billing API.",
    "owner": "group:default/team-a",
    "lifecycle": "production",
    "repoUrl": "local?owner=acme&repo=billing-client",
}


def error(status: int, message: str, method: str, url: str) -> dict:
    return {
        "error": {"name": "InputError", "message": message},
        "request": {"method": method, "url": url},
        "response": {"statusCode": status},
    }


def nul_in(subject: str, where: str = "") -> str:
    place = f" in {where}" if where else ""
    return f"{subject} holds a NUL character (\\0){place}, which no value may contain."


def post(client, user, path: str, body: str):
    return client.post(f"{API}{path}", data=body, content_type="application/json", **bearer(user, read_only=False))


# --- the task list's parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("offset=9223372036854775808", "offset: must be at most 9223372036854775807."),
        ("offset=1" + "0" * 40, "offset: must be at most 9223372036854775807."),
        ("offset=-1", "offset: must be a whole number of at least 0."),
        ("limit=ten", "limit: must be a whole number of at least 0."),
        ("limit=1.5", "limit: must be a whole number of at least 0."),
    ],
)
def test_a_task_list_number_that_no_query_can_take_is_a_400(signed_in, query, message):
    response = signed_in.get(f"{API}/tasks?{query}")

    assert (response.status_code, response.json()) == (400, error(400, message, "GET", f"{API}/tasks?{query}"))


def test_the_largest_offset_is_an_empty_page(signed_in, user):
    make_task(user)

    response = signed_in.get(f"{API}/tasks", {"offset": 2**63 - 1, "limit": 1000})

    assert (response.status_code, response.json()) == (200, {"tasks": [], "totalTasks": 1})


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("createdBy=dev%00@example.com", "createdBy"),
        ("createdBy=user:default/a%00", "createdBy"),
        ("status=open,%00", "status"),
        ("order=desc:created%00", "order"),
    ],
)
def test_a_nul_character_in_a_task_list_parameter_is_a_400_naming_it(signed_in, query, parameter):
    response = signed_in.get(f"{API}/tasks?{query}")

    assert response.json() == error(400, nul_in(f"The query parameter {parameter}"), "GET", f"{API}/tasks?{query}")


def test_a_nul_character_in_an_event_list_parameter_is_a_400(signed_in, user):
    task = make_task(user)

    response = signed_in.get(f"{API}/tasks/{task.pk}/events?after=1%00")

    assert response.json()["error"]["message"] == nul_in("The query parameter after")


# --- bodies ---------------------------------------------------------------------------------------


def test_a_nul_character_in_a_tasks_values_is_a_400_naming_it_and_creates_nothing(client, user, golden, org):
    body = {"templateRef": "template:default/python-library", "values": {**VALUES, "name": "billing\x00client"}}

    response = post(client, user, "/tasks", json.dumps(body))

    assert response.json() == error(400, nul_in("The request body", "values.name"), "POST", f"{API}/tasks")
    assert Task.objects.count() == 0


def test_a_nul_character_in_a_retrys_secrets_is_a_400_and_changes_nothing(client, user):
    failed = make_task(user, status=RunStatus.FAILED)

    response = post(client, user, f"/tasks/{failed.pk}/retry", json.dumps({"secrets": {"token": "s3\x00cret"}}))

    assert response.json() == error(
        400, nul_in("The request body", "secrets.token"), "POST", f"{API}/tasks/{failed.pk}/retry"
    )
    failed.refresh_from_db()
    assert (failed.status, failed.secrets_encrypted) == (RunStatus.FAILED, "")


def test_a_nul_character_in_a_dry_runs_template_is_a_400_and_runs_nothing(client, user):
    body = {"template": {"kind": "Template", "metadata": {"name": "a\x00"}}, "values": {}, "directoryContents": []}

    response = post(client, user, "/dry-run", json.dumps(body))

    assert response.json() == error(400, nul_in("The request body", "template.metadata.name"), "POST", f"{API}/dry-run")
    assert Task.objects.count() == 0


def test_a_dry_run_body_nested_deeper_than_100_levels_is_a_400_not_a_server_error(client, user):
    deep = "[" * 500 + "]" * 500
    body = f'{{"template": {{"kind": "Template", "spec": {deep}}}, "values": {{}}, "directoryContents": []}}'

    response = post(client, user, "/dry-run", body)

    assert response.json() == error(400, "The request body nests deeper than 100 levels.", "POST", f"{API}/dry-run")
    assert Task.objects.count() == 0
