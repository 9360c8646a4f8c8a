"""Backstage's own scaffolder client (``ScaffolderClient`` of ``@backstage/plugin-scaffolder-common``,
tests/clients) against the live API and a real Celery worker: actions, a template's form, a task run
followed through its events, the user's own tasks, a dry run with files, a retry, and errors."""

import json
import subprocess

import pytest

from portal import tokens
from tests.catalog.test_backstage_client import CLIENTS, node
from tests.conftest import make_user
from tests.scaffolder.engine_support import install_people, install_template, template_doc

SCRIPT = CLIENTS / "scaffolder.mjs"
SECRET = "s3cr3t-through-the-backstage-client"

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")


@pytest.fixture
def templates(tmp_path):
    parameters = [
        {
            "title": "Details",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "title": "Name"},
                "token": {"type": "string", "title": "Token", "ui:field": "Secret"},
            },
        }
    ]
    steps = [
        {
            "id": "fetch",
            "name": "Render",
            "action": "fetch:template",
            "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}"}},
        },
        {"id": "log", "name": "Say hello", "action": "debug:log", "input": {"message": "hello ${{ parameters.name }}"}},
        {"id": "secret", "name": "Use the token", "action": "debug:log", "input": {"message": "${{ secrets.token }}"}},
    ]
    output = {"links": [{"title": "Repository", "url": "https://example.com/${{ parameters.name }}"}]}
    install_template(
        tmp_path / "demo",
        template_doc("client-demo", steps, parameters=parameters, output=output),
        {"skeleton/README.md": "# ${{ values.name }}\n"},
    )
    fails = [{"id": "read", "name": "Read", "action": "fetch:plain", "input": {"url": "./missing"}}]
    install_template(tmp_path / "fails", template_doc("client-fails", fails))


def test_backstage_scaffolder_client(tmp_path, templates, celery_worker, live_server):
    binary = node("@backstage/plugin-scaffolder-common")
    install_people(tmp_path / "people")
    user = make_user("dev@example.com")  # dana, of the people file
    token = tokens.create_token(user, name="backstage client", read_only=False).plaintext

    result = subprocess.run(
        [binary, str(SCRIPT), live_server.url, token, "user:default/dana", SECRET],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "actions": [True, True, True, True],
        "schema": {"title": "Client Demo", "steps": ["Details"]},
        "run": {
            "types": ["log", "completion"],
            "completion": "completed",
            "hello": True,
            "secretSeen": False,
            "status": "completed",
            "templateRef": "template:default/client-demo",
            "ids": True,
        },
        "owned": {"found": True, "total": 1},
        "dryRun": [["README.md", "# dry\n"]],
        "failed": {"completion": "failed", "status": "failed"},
        "retry": {"id": json.loads(result.stdout)["retry"]["id"]},
        "retriedCompletion": "failed",
        "afterRetry": "failed",
        "missing": {"name": "ResponseError", "status": 404, "cause": "NotFoundError"},
        "missingTask": {"name": "ResponseError", "status": 404, "cause": "NotFoundError"},
    }
