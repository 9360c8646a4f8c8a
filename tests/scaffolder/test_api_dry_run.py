"""``POST /api/scaffolder/v2/dry-run``: a template given inline with its files, run by a real Celery worker in
dry-run mode; the answer is Backstage's (log, files, output, steps). The files given travel in the task's row
(no folder shared with the worker) and are emptied when it ends; the request never chooses where the
template's files are read from, and a run too long is cancelled."""

from __future__ import annotations

import base64
from pathlib import Path

from scaffolder.models import RunStatus, Task
from tests.scaffolder import test_ui_support as support
from tests.scaffolder.test_api_templates import bearer, source
from tests.scaffolder.test_ui_support import BASE

org = support.org

API = "/api/scaffolder/v2/dry-run"
VALUES = {
    "name": "billing-client",
    "description": "A typed client for the billing API.",
    "owner": "group:default/team-a",
    "lifecycle": "production",
    "repoUrl": "local?owner=acme&repo=billing-client",
}


def directory(folder: Path, prefix: str = "skeleton") -> list[dict]:
    return [
        {
            "path": f"{prefix}/{path.relative_to(folder).as_posix()}",
            "base64Content": base64.b64encode(path.read_bytes()).decode(),
        }
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    ]


def dry_run(client, user, body: dict):
    return client.post(API, body, content_type="application/json", **bearer(user, read_only=False))


def test_a_dry_run_renders_the_files_and_logs_what_it_would_publish(client, user, org, celery_worker, scaffolder_dirs):
    body = {
        "template": source("python-library"),
        "values": VALUES,
        "directoryContents": directory(BASE / "templates" / "python-library" / "skeleton"),
    }

    response = dry_run(client, user, body)

    result = response.json()
    assert response.status_code == 200, result
    assert set(result) == {"log", "directoryContents", "output", "steps", "status", "error"}
    assert (result["status"], result["error"]) == ("completed", "")
    paths = [entry["path"] for entry in result["directoryContents"]]
    assert paths == [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        ".gitignore",
        "CHANGELOG.md",
        "README.md",
        "catalog-info.yaml",
        "pyproject.toml",
        "src/billing_client/__init__.py",
        "src/billing_client/py.typed",
        "tests/test_package.py",
    ]
    readme = next(entry for entry in result["directoryContents"] if entry["path"] == "README.md")
    assert base64.b64decode(readme["base64Content"]).decode().startswith("# billing-client")
    assert [(step["id"], step["action"], step["status"]) for step in result["steps"]] == [
        ("fetch", "fetch:template", "completed"),
        ("publish", "publish:git", "completed"),
        ("publish-github", "publish:github", "skipped"),
        ("register", "catalog:register", "completed"),
    ]
    messages = [entry["body"]["message"] for entry in result["log"]]
    assert "Beginning step Render the skeleton" in messages
    assert any(message.startswith("Running publish:git in dry-run mode") for message in messages)
    task = Task.objects.get()
    assert task.dry_run is True
    assert task.status == RunStatus.SUCCEEDED
    assert task.files == b""  # the files given were emptied with the task
    assert not (scaffolder_dirs / "workspaces").exists() or list((scaffolder_dirs / "workspaces").iterdir()) == []


def test_the_request_cannot_choose_where_files_are_read(client, user, org, celery_worker, scaffolder_dirs):
    template = source("python-library")
    template["metadata"]["annotations"] = {"backstage.io/managed-by-location": f"file:{BASE / 'portal' / 'x.yaml'}"}
    template["spec"]["steps"] = [
        {"id": "read", "name": "Read", "action": "fetch:plain", "input": {"url": "./"}},
    ]

    response = dry_run(client, user, {"template": template, "values": VALUES})

    result = response.json()
    assert response.status_code == 200
    assert result["directoryContents"] == []
    assert Task.objects.get().status == RunStatus.FAILED
    assert any("cannot be resolved" in entry["body"]["message"] for entry in result["log"])


def test_invalid_values_or_template_are_400(client, user, org, scaffolder_dirs):
    bad_values = dry_run(client, user, {"template": source("python-library"), "values": {**VALUES, "name": "X"}})
    bad_template = dry_run(client, user, {"template": {"kind": "Component", "metadata": {"name": "x"}}, "values": {}})
    escaping = dry_run(
        client,
        user,
        {
            "template": source("python-library"),
            "values": VALUES,
            "directoryContents": [{"path": "../outside", "base64Content": "eA=="}],
        },
    )

    assert bad_values.status_code == 400
    assert [(error["property"], error["message"]) for error in bad_values.json()["errors"]] == [
        (
            "instance.name",
            "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter "
            "(e.g. billing-client, imported as billing_client).",
        ),
        ("instance.name", "Enter at least 3 characters."),
    ]
    assert bad_template.status_code == 400
    assert bad_template.json()["error"]["message"] == "template: must be an entity of kind Template."
    assert escaping.status_code == 400
    assert escaping.json()["error"]["message"] == "directoryContents: ../outside: give a relative path."
    assert Task.objects.count() == 0


def test_a_dry_run_whose_output_cannot_be_rendered_answers_the_failure(client, user, celery_worker, scaffolder_dirs):
    template = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "bad-output"},
        "spec": {
            "type": "service",
            "owner": "group:default/team-a",
            "steps": [{"id": "log", "name": "Log", "action": "debug:log", "input": {"message": "hi"}}],
            "output": {"text": [{"title": "Mro", "content": "${{ ''.__class__.__mro__ }}"}]},
        },
    }

    response = dry_run(client, user, {"template": template, "values": {}})

    result = response.json()
    assert response.status_code == 200, result
    assert [(step["id"], step["status"]) for step in result["steps"]] == [("log", "completed")]
    assert result["status"] == "failed"
    assert result["error"].startswith("The template's output could not be rendered: ")
    assert result["output"] == {}


def test_a_dry_run_that_does_not_end_in_time_is_cancelled(client, user, settings, scaffolder_dirs):
    settings.SCAFFOLDER_DRY_RUN_TIMEOUT = 0.3  # and no worker: the task waits

    files = [{"path": "skeleton/x.txt", "base64Content": "eA=="}]
    body = {"template": source("conditional-output-demo"), "values": {"name": "x"}, "directoryContents": files}
    response = dry_run(client, user, body)

    assert response.status_code == 504
    assert response.json()["error"] == {
        "name": "TimeoutError",
        "message": "The dry run did not finish within 0.3 seconds; it was cancelled.",
    }
    task = Task.objects.get()
    assert task.status == RunStatus.CANCELLED
    assert task.files == b""


def test_read_only_tokens_cannot_dry_run(client, user):
    response = client.post(API, {"template": {}, "values": {}}, content_type="application/json", **bearer(user))

    assert response.status_code == 403
