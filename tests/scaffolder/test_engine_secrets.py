"""Secret parameters: encrypted while the task waits, never written into events, outputs, errors, logs or any
stored value, and gone when the task ends."""

import base64
import json

import pytest

from portal.crypto import decrypt_json
from scaffolder import services
from tests.conftest import make_user
from tests.scaffolder.engine_support import (
    SECRET,
    everything_stored,
    install_template,
    messages,
    step_states,
    template_doc,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

PASSWORD = "p4ssw0rd-Of-The-Database"
PARAMETERS = [
    {
        "required": ["name", "token"],
        "properties": {
            "name": {"type": "string"},
            "token": {"type": "string", "ui:field": "Secret"},
            "dbPassword": {"type": "string", "ui:widget": "password"},
        },
    }
]
STEPS = [
    {
        "id": "fetch",
        "action": "fetch:template",
        "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}", "token": "${{ secrets.token }}"}},
    },
    {
        "id": "log",
        "action": "debug:log",
        "input": {
            "message": "token ${{ secrets.token }}, password ${{ parameters.dbPassword }} / ${{ secrets.dbPassword }}",
            "listWorkspace": "with-contents",
        },
    },
    {"id": "publish", "action": "publish:git", "input": {"remoteUrl": "acme/repo-${{ secrets.token }}"}},
    {"id": "fail", "name": "Fail", "action": "fetch:plain", "input": {"url": "./missing-${{ secrets.dbPassword }}"}},
]


@pytest.fixture
def dev(transactional_db):
    return make_user("dev@example.com")


@pytest.fixture
def entity(tmp_path, dev):
    doc = template_doc("secrets", STEPS, parameters=PARAMETERS, output={"text": [{"title": "t", "content": "x"}]})
    return install_template(tmp_path / "tpl", doc, {"skeleton/config.txt": "token=${{ values.token }}\n"})


def test_secrets_are_encrypted_apart_from_the_values_while_the_task_waits(entity, dev):
    task = services.create_task(dev, entity, {"name": "svc", "token": SECRET, "dbPassword": PASSWORD})

    assert task.values == {"name": "svc"}
    assert decrypt_json(task.secrets_encrypted) == {"dbPassword": PASSWORD, "token": SECRET}
    assert SECRET not in task.secrets_encrypted


def test_no_secret_value_is_stored_anywhere_once_the_task_ran(celery_worker, entity, dev, log_lines):
    task = wait_for(services.create_task(dev, entity, {"name": "svc", "token": SECRET, "dbPassword": PASSWORD}))

    assert task.status == "failed"
    assert step_states(task) == [
        ("fetch", "succeeded"),
        ("log", "succeeded"),
        ("publish", "succeeded"),
        ("fail", "failed"),
    ]
    assert task.error == "Step Fail failed: ./missing-***: no such folder next to the template"
    assert "token ***, password *** / ***" in messages(task)
    assert "Workspace: 1 files\n- config.txt\ntoken=***\n" in messages(task)
    assert task.steps.get(key="publish").output["remoteUrl"].endswith("/acme/repo-***.git")
    assert task.secrets_encrypted == ""
    stored = everything_stored(task)
    assert SECRET not in stored
    assert PASSWORD not in stored
    logged = json.dumps(log_lines())
    assert SECRET not in logged
    assert PASSWORD not in logged


def test_a_dry_run_redacts_secrets_in_the_files_it_returns(celery_worker, entity, dev):
    task = wait_for(
        services.create_task(dev, entity, {"name": "svc", "token": SECRET, "dbPassword": PASSWORD}, dry_run=True)
    )

    result = services.dry_run_result(task)

    files = {item["path"]: base64.b64decode(item["base64Content"]) for item in result["directoryContents"]}
    assert files == {"config.txt": b"token=***\n"}
    assert SECRET not in everything_stored(task)


# --- secret fields inside objects ------------------------------------------------------------------

NESTED_PARAMETERS = [
    {
        "required": ["name", "database"],
        "properties": {
            "name": {"type": "string"},
            "database": {
                "type": "object",
                "required": ["host", "password"],
                "properties": {
                    "host": {"type": "string"},
                    "password": {"type": "string", "title": "Database password", "ui:widget": "password"},
                    "admin": {
                        "type": "object",
                        "properties": {"token": {"type": "string", "ui:field": "Secret"}},
                    },
                },
            },
        },
    }
]
NESTED_STEPS = [
    {
        "id": "log",
        "action": "debug:log",
        "input": {
            "message": "db ${{ parameters.database.host }} ${{ parameters.database.password }} "
            "${{ secrets.database.admin.token }}"
        },
    },
    {"id": "fail", "name": "Fail", "action": "fetch:plain", "input": {"url": "./x-${{ secrets.database.password }}"}},
]
NESTED_VALUES = {"name": "svc", "database": {"host": "db1", "password": PASSWORD, "admin": {"token": SECRET}}}


@pytest.fixture
def nested(tmp_path, dev):
    return install_template(tmp_path / "tpl", template_doc("nested", NESTED_STEPS, parameters=NESTED_PARAMETERS), {})


def test_secret_fields_inside_objects_are_kept_apart_from_the_values(nested, dev):
    assert services.secret_fields(nested.body) == {"database.password", "database.admin.token"}

    task = services.create_task(dev, nested, NESTED_VALUES)

    assert task.values == {"name": "svc", "database": {"host": "db1", "admin": {}}}
    assert decrypt_json(task.secrets_encrypted) == {"database": {"password": PASSWORD, "admin": {"token": SECRET}}}


def test_secret_fields_inside_objects_are_read_by_the_steps_and_never_stored(celery_worker, nested, dev, log_lines):
    task = wait_for(services.create_task(dev, nested, NESTED_VALUES))

    assert step_states(task) == [("log", "succeeded"), ("fail", "failed")]
    assert "db db1 *** ***" in messages(task)
    assert task.error == "Step Fail failed: ./x-***: no such folder next to the template"
    assert task.secrets_encrypted == ""
    stored, logged = everything_stored(task), json.dumps(log_lines())
    assert SECRET not in stored
    assert PASSWORD not in stored
    assert SECRET not in logged
    assert PASSWORD not in logged


def test_a_retry_asks_again_for_a_required_secret_inside_an_object(celery_worker, nested, dev):
    task = wait_for(services.create_task(dev, nested, NESTED_VALUES))

    with pytest.raises(services.TaskInputError) as refused:
        services.retry_task(dev, task, secrets={})
    assert refused.value.errors == {"database.password": ["Give this secret again to retry the task."]}

    retried = services.retry_task(dev, task, secrets={"database.password": PASSWORD})
    assert decrypt_json(retried.secrets_encrypted) == {"database": {"password": PASSWORD}}


@pytest.mark.parametrize(
    ("given", "unknown"),
    [
        ({"database.password": "x"}, []),
        ({"database": {"password": "x", "admin": {"token": "y"}}}, []),
        ({"database.host": "x"}, ["database.host"]),
        ({"database": {"port": 5432}}, ["database.port"]),
        ({"name": "x"}, ["name"]),
    ],
)
def test_secrets_given_apart_are_read_by_name_path_or_shape(nested, given, unknown):
    secrets, refused = services.given_secrets(nested.body, given)

    assert refused == unknown
    if not unknown:
        assert services.merge({"database": {"host": "db1"}}, secrets)["database"]["host"] == "db1"
