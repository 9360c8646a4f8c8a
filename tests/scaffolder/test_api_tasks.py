"""``/api/scaffolder/v2/tasks``: create (201, 400 with Backstage's validation errors, 403, 404), list with
filters and pages, one task (never a secret), its events after an id, cancel and retry; read-only tokens;
another user's task does not exist for them."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models.runs import RunEvent, RunStatus
from scaffolder.models import Task
from tests.conftest import make_user
from tests.scaffolder import test_ui_support as support
from tests.scaffolder.test_api_templates import bearer
from tests.scaffolder.test_ui_support import make_task

# Fixtures of the Create tests.
golden, org, widgets, write = support.golden, support.org, support.widgets, support.write

API = "/api/scaffolder/v2"
VALUES = {
    "name": "billing-client",
    "description": "A typed client for the billing API.",
    "owner": "group:default/team-a",
    "lifecycle": "production",
    "repoUrl": "local?owner=acme&repo=billing-client",
}
SECRET = "s3cr3t-from-the-api-777"


def post(client, path: str, body: dict, headers: dict):
    return client.post(f"{API}{path}", body, content_type="application/json", **headers)


def test_scaffold_creates_a_task(client, user, golden, org):
    response = post(
        client,
        "/tasks",
        {"templateRef": "template:default/python-library", "values": VALUES},
        bearer(user, read_only=False),
    )

    task = Task.objects.get()
    assert response.status_code == 201
    assert response.json() == {"id": str(task.pk)}
    assert task.created_by == user
    assert task.values == {**VALUES}
    assert list(task.steps.values_list("key", flat=True)) == ["fetch", "publish", "publish-github", "register"]


def test_scaffold_answers_validation_errors_and_creates_nothing(client, user, golden, org):
    values = {**VALUES, "name": "Bad Name", "repoUrl": "evil.example.com?owner=acme&repo=x"}
    del values["owner"]

    response = post(
        client,
        "/tasks",
        {"templateRef": "template:default/python-library", "values": values},
        bearer(user, read_only=False),
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert sorted((error["property"], error["message"]) for error in errors) == [
        (
            "instance.name",
            "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter "
            "(e.g. billing-client, imported as billing_client).",
        ),
        ("instance.owner", "This field is required."),
        ("instance.repoUrl", "Choose a host among local."),
    ]
    name = next(error for error in errors if error["property"] == "instance.name")
    assert name == {
        "path": ["name"],
        "property": "instance.name",
        "message": (
            "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter "
            "(e.g. billing-client, imported as billing_client)."
        ),
        "name": "validation",
        "argument": "name",
        "stack": (
            "instance.name 3 to 40 characters: lowercase letters, digits and dashes, starting with a letter "
            "(e.g. billing-client, imported as billing_client)."
        ),
        "instance": None,
        "schema": {},
    }
    assert Task.objects.count() == 0


def test_scaffold_of_an_unknown_template_is_404_and_a_bad_body_400(client, user, golden):
    headers = bearer(user, read_only=False)

    missing = post(client, "/tasks", {"templateRef": "template:default/nothing", "values": {}}, headers)
    bad = post(client, "/tasks", {"values": {}}, headers)

    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "name": "NotFoundError",
        "message": "No template template:default/nothing in the catalog.",
    }
    assert bad.status_code == 400
    assert bad.json()["error"] == {"name": "InputError", "message": "templateRef: This field is required."}


def test_scaffold_is_refused_to_read_only_tokens_and_to_users_not_allowed(client, user, golden, write):
    from tests.catalog.test_ui_support import load_file
    from tests.scaffolder.test_ui_run import RESTRICTED

    load_file(write("restricted/template.yaml", RESTRICTED))

    read_only = post(
        client, "/tasks", {"templateRef": "template:default/python-library", "values": VALUES}, bearer(user)
    )
    denied = post(
        client, "/tasks", {"templateRef": "template:default/restricted", "values": {}}, bearer(user, read_only=False)
    )

    assert read_only.status_code == 403
    assert read_only.json()["error"]["message"] == "A read-only API token cannot change anything."
    assert denied.status_code == 403
    assert denied.json()["error"] == {"name": "NotAllowedError", "message": "You are not allowed to run this template."}
    assert Task.objects.count() == 0


def test_secrets_are_taken_apart_and_never_returned(client, user, widgets):
    values = {
        "name": "orders",
        "count": 2,
        "lifecycle": "production",
        "database": {"engine": "postgres"},
        "owner": "group:default/team-a",
        "repoUrl": "github.com?owner=acme&repo=orders",
    }
    headers = bearer(user, read_only=False)

    response = post(
        client,
        "/tasks",
        {"templateRef": "template:default/widgets", "values": values, "secrets": {"token": SECRET}},
        headers,
    )
    unknown = post(
        client,
        "/tasks",
        {"templateRef": "template:default/widgets", "values": values, "secrets": {"name": SECRET}},
        headers,
    )

    task = Task.objects.get()
    assert response.status_code == 201
    assert "token" not in task.values
    assert SECRET not in task.secrets_encrypted
    assert SECRET not in client.get(f"{API}/tasks/{task.pk}", **headers).content.decode()
    assert SECRET not in client.get(f"{API}/tasks", **headers).content.decode()
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "secrets: name: not a secret field of this template (give it in values)."
    )


def test_a_task_is_backstages_serialized_task(client, user):
    task = make_task(user, status=RunStatus.RUNNING)

    response = client.get(f"{API}/tasks/{task.pk}", **bearer(user))

    assert response.status_code == 200
    assert task.heartbeat is not None
    assert response.json() == {
        "id": str(task.pk),
        "spec": {
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "parameters": {"name": "billing-client"},
            "steps": [{"id": "fetch", "name": "Render", "action": "fetch:template"}],
            "output": {},
            "templateInfo": {
                "entityRef": "template:default/python-library",
                "entity": {"metadata": {"name": "python-library", "title": "Python library"}},
            },
        },
        "status": "processing",
        "createdAt": task.created.isoformat().replace("+00:00", "Z"),
        "lastHeartbeatAt": task.heartbeat.isoformat().replace("+00:00", "Z"),
        "createdBy": "dev@example.com",
    }


def test_the_list_filters_by_status_and_creator_with_pages(client, user, other_user, staff_user):
    mine = [make_task(user, status=status) for status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.PENDING)]
    theirs = make_task(other_user, status=RunStatus.FAILED)
    headers = bearer(staff_user)

    everything = client.get(f"{API}/tasks", **headers).json()
    failed = client.get(f"{API}/tasks?status=failed", **headers).json()
    by_other = client.get(f"{API}/tasks?createdBy=other@example.com", **headers).json()
    page = client.get(f"{API}/tasks?limit=2&offset=1&order=asc:createdAt", **headers).json()

    assert [task["id"] for task in everything["tasks"]] == [str(t.pk) for t in reversed([*mine, theirs])]
    assert everything["totalTasks"] == 4
    assert [task["id"] for task in failed["tasks"]] == [str(theirs.pk), str(mine[1].pk)]
    assert failed["totalTasks"] == 2
    assert [task["id"] for task in by_other["tasks"]] == [str(theirs.pk)]
    assert [task["id"] for task in page["tasks"]] == [str(mine[1].pk), str(mine[2].pk)]
    assert page["totalTasks"] == 4
    assert client.get(f"{API}/tasks?status=nonsense", **headers).status_code == 400


def test_the_list_finds_tasks_by_the_creators_catalog_user(client, org, staff_user):
    janelle = make_user("janelle-dawe@example.com")
    task = make_task(janelle)
    make_task(staff_user)

    body = client.get(f"{API}/tasks?createdBy=user:default/janelle.dawe", **bearer(staff_user)).json()

    assert [item["id"] for item in body["tasks"]] == [str(task.pk)]


def test_a_user_lists_only_the_tasks_they_may_see(client, user, other_user):
    mine = make_task(user)
    make_task(other_user)

    body = client.get(f"{API}/tasks", **bearer(user)).json()

    assert [task["id"] for task in body["tasks"]] == [str(mine.pk)]
    assert body["totalTasks"] == 1


def test_the_list_takes_the_same_queries_for_few_or_many_tasks(client, user, staff_user):
    headers = bearer(staff_user)
    make_task(user)
    client.get(f"{API}/tasks", **headers)
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}/tasks", **headers)
    for _ in range(10):
        make_task(make_user(f"u{_}@example.com"))
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"{API}/tasks", **headers).json()

    assert len(body["tasks"]) == 11
    assert len(many) == len(few)


def test_events_after_an_id(client, user):
    task = make_task(user, status=RunStatus.RUNNING)
    first = task.events.earliest("id")
    extra = RunEvent.objects.create(run=task, type="completion", body={"message": "done", "status": "succeeded"})

    response = client.get(f"{API}/tasks/{task.pk}/events?after={first.pk}", **bearer(user))

    body = response.json()
    assert response.status_code == 200
    assert [event["id"] for event in body] == [first.pk + 1, extra.pk]
    assert body[-1] == {
        "id": extra.pk,
        "taskId": str(task.pk),
        "body": {"message": "done", "status": "completed"},
        "type": "completion",
        "createdAt": extra.created.isoformat().replace("+00:00", "Z"),
    }
    assert client.get(f"{API}/tasks/{task.pk}/events?after=x", **bearer(user)).status_code == 400


def test_numbers_beyond_64_bits_answer_400_not_a_server_error(client, user):
    task = make_task(user)
    huge = str(2**63)

    tasks = client.get(f"{API}/tasks?offset={huge}", **bearer(user))
    events = client.get(f"{API}/tasks/{task.pk}/events?after={'9' * 5000}", **bearer(user))
    last_page = client.get(f"{API}/tasks?offset={2**63 - 1}&limit=2", **bearer(user))

    assert (tasks.status_code, tasks.json()["error"]["message"]) == (
        400,
        "offset: must be at most 9223372036854775807.",
    )
    assert (events.status_code, events.json()["error"]["message"]) == (
        400,
        "after: must be at most 9223372036854775807.",
    )
    assert (last_page.status_code, last_page.json()["tasks"]) == (200, [])


def test_events_of_a_running_task_wait_for_the_next_one(client, transactional_db, settings):
    user = make_user("waiting@example.com")
    settings.SCAFFOLDER_EVENTS_WAIT = 5
    task = make_task(user, status=RunStatus.RUNNING)
    last = task.events.latest("id")
    timer = threading.Timer(0.4, lambda: RunEvent.objects.create(run=task, type="log", body={"message": "later"}))
    timer.start()
    started = time.monotonic()

    response = client.get(f"{API}/tasks/{task.pk}/events?after={last.pk}", **bearer(user))

    timer.join()
    assert 0.3 <= time.monotonic() - started < 4
    assert [event["body"]["message"] for event in response.json()] == ["later"]


def test_events_answer_empty_after_the_wait_or_at_once_for_an_ended_task(client, user, settings):
    settings.SCAFFOLDER_EVENTS_WAIT = 2
    running = make_task(user, status=RunStatus.RUNNING)
    ended = make_task(user, status=RunStatus.SUCCEEDED)

    started = time.monotonic()
    waited = client.get(f"{API}/tasks/{running.pk}/events?after={running.events.latest('id').pk}", **bearer(user))
    waited_s = time.monotonic() - started
    started = time.monotonic()
    at_once = client.get(f"{API}/tasks/{ended.pk}/events?after={ended.events.latest('id').pk}", **bearer(user))

    assert (waited.json(), at_once.json()) == ([], [])
    assert 2 <= waited_s < 5
    assert time.monotonic() - started < 1.5  # well under the wait, with room for a loaded machine


def test_the_event_stream_sends_each_event_until_the_completion(client, user):
    task = make_task(user, status=RunStatus.SUCCEEDED)
    first = task.events.earliest("id")
    RunEvent.objects.create(run=task, type="completion", body={"message": "done", "status": "succeeded"})
    RunEvent.objects.create(run=task, type="log", body={"message": "never sent: after the completion"})

    response = client.get(
        f"{API}/tasks/{task.pk}/eventstream?after={first.pk}", HTTP_ACCEPT="text/event-stream", **bearer(user)
    )

    assert response.status_code == 200
    assert (response["Content-Type"], response["Cache-Control"]) == ("text/event-stream", "no-cache")
    blocks = b"".join(response.streaming_content).decode().split("\n\n")
    assert blocks[-1] == ""
    sent = [(block.split("\n")[0], json.loads(block.split("\n")[1].removeprefix("data: "))) for block in blocks[:-1]]
    expected = list(task.events.filter(id__gt=first.pk).order_by("id"))[:-1]
    assert [(kind, data["id"]) for kind, data in sent] == [(f"event: {event.type}", event.pk) for event in expected]
    assert sent[-1][0] == "event: completion"
    assert sent[-1][1]["taskId"] == str(task.pk)


def test_cancel_and_retry(client, user):
    waiting = make_task(user, status=RunStatus.PENDING)
    failed = make_task(user, status=RunStatus.FAILED)
    done = make_task(user, status=RunStatus.SUCCEEDED)
    headers = bearer(user, read_only=False)

    cancelled = post(client, f"/tasks/{waiting.pk}/cancel", {}, headers)
    again = post(client, f"/tasks/{done.pk}/cancel", {}, headers)
    retried = post(client, f"/tasks/{failed.pk}/retry", {}, headers)
    not_failed = post(client, f"/tasks/{done.pk}/retry", {}, headers)

    assert (cancelled.status_code, cancelled.json()) == (200, {"status": "cancelled"})
    waiting.refresh_from_db()
    assert waiting.status == RunStatus.CANCELLED
    assert again.status_code == 409
    assert again.json()["error"] == {"name": "ConflictError", "message": "The task has already ended (completed)."}
    assert (retried.status_code, retried.json()) == (201, {"id": str(failed.pk)})
    failed.refresh_from_db()
    assert failed.status == RunStatus.PENDING
    assert not_failed.status_code == 409


def test_a_retry_with_a_secret_the_template_does_not_declare_is_400_and_changes_nothing(client, user):
    failed = make_task(user, status=RunStatus.FAILED)

    response = post(client, f"/tasks/{failed.pk}/retry", {"secrets": {"bogus": "1"}}, bearer(user, read_only=False))

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "secrets: bogus: not a secret field of this template (give it in values)."
    )
    failed.refresh_from_db()
    assert (failed.status, failed.secrets_encrypted) == (RunStatus.FAILED, "")


def test_read_only_tokens_cannot_cancel_or_retry(client, user):
    task = make_task(user, status=RunStatus.PENDING)

    assert post(client, f"/tasks/{task.pk}/cancel", {}, bearer(user)).status_code == 403
    assert post(client, f"/tasks/{task.pk}/retry", {}, bearer(user)).status_code == 403
    task.refresh_from_db()
    assert task.status == RunStatus.PENDING


@pytest.mark.parametrize("path", ["", "/events", "/eventstream", "/cancel", "/retry"])
def test_another_users_task_does_not_exist(client, user, other_user, path):
    task = make_task(user, status=RunStatus.PENDING)
    headers = bearer(other_user, read_only=False)

    response = (
        post(client, f"/tasks/{task.pk}{path}", {}, headers)
        if path in ("/cancel", "/retry")
        else client.get(f"{API}/tasks/{task.pk}{path}", **headers)
    )

    assert response.status_code == 404
    assert response.json()["error"] == {"name": "NotFoundError", "message": f"No task with id {task.pk}."}
    task.refresh_from_db()
    assert task.status == RunStatus.PENDING
    assert client.get(f"{API}/tasks/not-a-uuid", **headers).status_code == 404
