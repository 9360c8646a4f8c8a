"""The engine through a real Celery worker: steps in order, if:, each:, outputs, links, the event log."""

import pytest

from portal.models.runs import EventType, RunEvent
from scaffolder import services
from tests.conftest import make_user
from tests.scaffolder.engine_support import (
    install_people,
    install_template,
    messages,
    step_states,
    template_doc,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

PARAMETERS = [
    {
        "title": "Service",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "docs": {"type": "boolean", "default": False},
            "environments": {"type": "array", "items": {"type": "string"}, "default": ["dev", "prod"]},
        },
    }
]
FILES = {"skeleton/README.md": "# ${{ values.name }}\n", "docs/index.md": "Docs of ${{ values.name }}\n"}


def steps_template() -> dict:
    return template_doc(
        "steps",
        [
            {
                "id": "fetch",
                "name": "Render",
                "action": "fetch:template",
                "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}"}},
            },
            {
                "id": "docs",
                "name": "Docs",
                "if": "${{ parameters.docs }}",
                "action": "fetch:template",
                "input": {"url": "./docs", "targetPath": "docs", "values": {"name": "${{ parameters.name }}"}},
            },
            {
                "id": "mirrors",
                "name": "Mirrors",
                "each": "${{ parameters.environments }}",
                "action": "publish:git",
                "input": {
                    "remoteUrl": "acme/${{ parameters.name }}-${{ each.value }}",
                    "gitCommitMessage": "${{ each.key }}",
                },
            },
            {
                "id": "who",
                "name": "Who",
                "action": "debug:log",
                "input": {
                    "message": "${{ user.ref }} (${{ user.entity.spec.profile.displayName }}) made "
                    "${{ steps.mirrors.output.remoteUrl | length }} repositories"
                },
            },
        ],
        parameters=PARAMETERS,
        output={
            "links": [
                {"title": "Dev", "url": "${{ steps.mirrors.output.remoteUrl[0] }}"},
                {
                    "if": "${{ parameters.docs }}",
                    "title": "Docs",
                    "url": "https://docs.example.com/${{ parameters.name }}",
                },
            ],
            "text": [{"title": "Summary", "content": "Made ${{ parameters.name }}"}],
        },
    )


@pytest.fixture
def dana(transactional_db, tmp_path):
    install_people(tmp_path / "people")
    return make_user("dev@example.com", first_name="Dana", last_name="Developer")


def test_steps_run_in_order_with_if_each_outputs_and_links(celery_worker, dana, tmp_path, scaffolder_dirs):
    entity = install_template(tmp_path / "tpl", steps_template(), FILES)

    task = wait_for(services.create_task(dana, entity, {"name": "svc"}))

    git = scaffolder_dirs / "git" / "acme"
    assert (task.status, task.error) == ("succeeded", "")
    assert step_states(task) == [
        ("fetch", "succeeded"),
        ("docs", "skipped"),
        ("mirrors", "succeeded"),
        ("who", "succeeded"),
    ]
    mirrors = task.steps.get(key="mirrors").output
    assert mirrors["remoteUrl"] == [f"file://{git / 'svc-dev.git'}", f"file://{git / 'svc-prod.git'}"]
    assert len(mirrors["commitHash"]) == 2
    assert task.output == {
        "links": [{"title": "Dev", "url": f"file://{git / 'svc-dev.git'}"}],
        "text": [{"title": "Summary", "content": "Made svc"}],
    }
    assert "user:default/dana (Dana Developer) made 2 repositories" in messages(task)
    events = [(event.type, event.body.get("stepId"), event.body.get("status")) for event in task.events.order_by("id")]
    assert [event for event in events if event[2]] == [
        ("log", "fetch", "running"),
        ("log", "fetch", "succeeded"),
        ("log", "docs", "running"),
        ("log", "docs", "skipped"),
        ("log", "mirrors", "running"),
        ("log", "mirrors", "succeeded"),
        ("log", "who", "running"),
        ("log", "who", "succeeded"),
        ("completion", None, "succeeded"),
    ]
    assert "Skipping step docs because its if condition was false" in messages(task)
    assert RunEvent.objects.get(run=task, type=EventType.COMPLETION).body == {
        "message": "Run completed with status: succeeded",
        "status": "succeeded",
        "output": task.output,
    }
    assert list((scaffolder_dirs / "workspaces").iterdir()) == []


def test_a_true_if_runs_the_step_and_its_output_link(celery_worker, dana, tmp_path):
    entity = install_template(tmp_path / "tpl", steps_template(), FILES)

    task = wait_for(services.create_task(dana, entity, {"name": "svc", "docs": True, "environments": ["dev"]}))

    assert step_states(task) == [
        ("fetch", "succeeded"),
        ("docs", "succeeded"),
        ("mirrors", "succeeded"),
        ("who", "succeeded"),
    ]
    assert [link["title"] for link in task.output["links"]] == ["Dev", "Docs"]
    assert task.output["links"][1]["url"] == "https://docs.example.com/svc"


def test_an_unknown_action_fails_its_step_and_stops_the_task(celery_worker, dana, tmp_path, scaffolder_dirs):
    doc = template_doc(
        "unknown",
        [
            {"id": "log", "action": "debug:log", "input": {"message": "first"}},
            {"id": "notify", "name": "Notify", "action": "notification:send", "input": {}},
            {"id": "after", "action": "debug:log", "input": {"message": "never"}},
        ],
    )
    entity = install_template(tmp_path / "tpl", doc)

    task = wait_for(services.create_task(dana, entity, {}))

    assert (task.status, task.error) == ("failed", "Step Notify failed: action notification:send is not installed")
    assert step_states(task) == [("log", "succeeded"), ("notify", "failed"), ("after", "pending")]
    assert task.steps.get(key="notify").error == "action notification:send is not installed"
    assert "never" not in messages(task)
    assert RunEvent.objects.get(run=task, type=EventType.COMPLETION).body == {
        "message": "Run completed with status: failed",
        "status": "failed",
        "error": {"name": "Error", "message": task.error},
    }
    assert list((scaffolder_dirs / "workspaces").iterdir()) == []


def test_an_input_the_action_refuses_fails_the_step_with_the_schema_error(celery_worker, dana, tmp_path):
    doc = template_doc("bad-input", [{"id": "fetch", "action": "fetch:template", "input": {"values": {}}}])
    entity = install_template(tmp_path / "tpl", doc)

    task = wait_for(services.create_task(dana, entity, {}))

    assert task.steps.get().error == "Invalid input passed to action fetch:template: input.url is required"
    assert task.status == "failed"


def test_each_over_a_mapping_gives_keys_and_values(celery_worker, dana, tmp_path):
    doc = template_doc(
        "each-map",
        [
            {
                "id": "write",
                "each": {"api": "${{ parameters.api }}", "worker": "queue"},
                "action": "catalog:write",
                "input": {
                    "entity": {"kind": "Component", "metadata": {"name": "${{ each.key }}-${{ each.value }}"}},
                    "filePath": "${{ each.key }}.yaml",
                },
            },
            {"id": "list", "action": "debug:log", "input": {"listWorkspace": True}},
        ],
        parameters=[{"properties": {"api": {"type": "string"}}}],
    )
    entity = install_template(tmp_path / "tpl", doc)

    task = wait_for(services.create_task(dana, entity, {"api": "rest"}))

    assert task.status == "succeeded"
    assert "Workspace: 2 files\n- api.yaml\n- worker.yaml" in messages(task)
