"""debug:log and github:actions:dispatch; the registry's listing."""

import pytest

from portal.models.runs import RunEvent
from scaffolder.actions.registry import ActionError, all_actions, get_action
from tests.scaffolder.engine_support import action_context, make_task, run_action, template_doc, write_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scaffolder_dirs")]


def context(tmp_path, data, *, dry_run=False, secrets=()):
    task = make_task(template_doc("svc", []), dry_run=dry_run)
    return action_context(task, tmp_path / "task", data, secrets=secrets)


def logged(ctx) -> list[str]:
    return list(RunEvent.objects.filter(run_id=ctx.task_id).order_by("id").values_list("body__message", flat=True))


def test_the_registry_lists_every_built_in_action_by_id():
    assert [action.id for action in all_actions()] == [
        "catalog:register",
        "catalog:write",
        "debug:log",
        "debug:wait",
        "fetch:plain",
        "fetch:plain:file",
        "fetch:template",
        "github:actions:dispatch",
        "publish:git",
        "publish:github",
    ]
    assert all(action.examples and action.input_schema["type"] == "object" for action in all_actions())


def test_an_unknown_action_is_a_key_error():
    with pytest.raises(KeyError):
        get_action("notification:send")


def test_debug_log_writes_the_message_and_lists_the_workspace_with_contents(tmp_path):
    ctx = context(tmp_path, {"message": "Creating orders", "listWorkspace": "with-contents"})
    write_files(ctx.workspace, {"a.txt": "alpha\n", "sub/b.txt": "beta\n"})

    assert run_action("debug:log", ctx) == {}

    assert logged(ctx) == ["Creating orders", "Workspace: 2 files\n- a.txt\nalpha\n\n- sub/b.txt\nbeta\n"]


def test_debug_log_redacts_secret_values(tmp_path):
    ctx = context(tmp_path, {"message": "token is hunter2-token"}, secrets=("hunter2-token",))

    run_action("debug:log", ctx)

    assert logged(ctx) == ["token is ***"]


def test_debug_log_refuses_an_unknown_listing_mode(tmp_path):
    with pytest.raises(ActionError) as raised:
        run_action("debug:log", context(tmp_path, {"listWorkspace": "everything"}))

    assert str(raised.value).startswith("Invalid input passed to action debug:log: input.listWorkspace: ")


def test_dispatch_starts_the_workflow_with_its_inputs(tmp_path, github_fake):
    github_fake.add_repo("acme/orders")
    github_fake.add_workflow("acme/orders", "deploy.yml")
    data = {
        "repoUrl": "github.com?owner=acme&repo=orders",
        "workflowId": "deploy.yml",
        "branchOrTagName": "main",
        "workflowInputs": {"environment": "staging", "replicas": 2},
    }

    assert run_action("github:actions:dispatch", context(tmp_path, data)) == {}

    assert github_fake.dispatches == [
        {
            "repo": "acme/orders",
            "workflow": "deploy.yml",
            "ref": "main",
            "inputs": {"environment": "staging", "replicas": "2"},
        }
    ]


def test_dispatch_of_an_unknown_workflow_fails_clearly(tmp_path, github_fake):
    github_fake.add_repo("acme/orders")
    data = {"repoUrl": "github.com?owner=acme&repo=orders", "workflowId": "nope.yml", "branchOrTagName": "main"}

    with pytest.raises(ActionError) as raised:
        run_action("github:actions:dispatch", context(tmp_path, data))

    assert str(raised.value) == (
        "starting the workflow nope.yml of acme/orders: not found on GitHub, or the token may not see it"
    )
    assert github_fake.dispatches == []


def test_dispatch_needs_a_ref(tmp_path, github_fake):
    data = {"repoUrl": "github.com?owner=acme&repo=orders", "workflowId": "deploy.yml"}

    with pytest.raises(ActionError) as raised:
        run_action("github:actions:dispatch", context(tmp_path, data))

    assert (
        str(raised.value) == "Invalid input passed to action github:actions:dispatch: input.branchOrTagName is required"
    )
    assert github_fake.requests == []


def test_dispatch_in_a_dry_run_calls_no_api(tmp_path, github_fake):
    data = {"repoUrl": "github.com?owner=acme&repo=orders", "workflowId": "deploy.yml", "branchOrTagName": "main"}

    run_action("github:actions:dispatch", context(tmp_path, data, dry_run=True))

    assert github_fake.requests == []
