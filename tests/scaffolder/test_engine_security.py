"""Hostile templates and values through the real worker: each ends in a failed task with a clear message (or,
for values, is treated as data), nothing is written outside the workspace, and the worker runs the next task."""

import pytest

from scaffolder import services
from tests.conftest import make_user
from tests.scaffolder.engine_support import install_template, messages, step_states, template_doc, wait_for

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

NAME = [{"properties": {"name": {"type": "string"}}}]


@pytest.fixture
def dev(transactional_db):
    return make_user("dev@example.com")


def assert_worker_healthy(user, tmp_path) -> None:
    step = {"id": "log", "action": "debug:log", "input": {"message": "still ${{ parameters.name }}"}}
    doc = template_doc("healthy", [step], parameters=NAME)
    entity = install_template(tmp_path / "healthy", doc)
    task = wait_for(services.create_task(user, entity, {"name": "alive"}))
    assert (task.status, "still alive" in messages(task)) == ("succeeded", True)


def fetch_step(**input_values) -> dict:
    return {"id": "fetch", "name": "Render", "action": "fetch:template", "input": {"url": "./skeleton", **input_values}}


CASES = {
    "python internals in a step input": (
        [
            {
                "id": "log",
                "name": "Log",
                "action": "debug:log",
                "input": {"message": "${{ ''.__class__.__mro__[1].__subclasses__() }}"},
            }
        ],
        {},
        "access to the attribute '__class__' is not allowed in templates",
    ),
    "a global function in a step input": (
        [{"id": "log", "name": "Log", "action": "debug:log", "input": {"message": "${{ lipsum.__globals__ }}"}}],
        {},
        "access to the attribute '__globals__' is not allowed in templates",
    ),
    "a file name leaving the workspace": (
        [fetch_step(values={"dir": "../../../outside"})],
        {"skeleton/${{ values.dir }}/owned.txt": "x\n"},
        "${{ values.dir }}: the name renders to '../../../outside', which would leave the target folder",
    ),
    "a symbolic link in the skeleton pointing outside": (
        [fetch_step()],
        {},
        "passwd: the symbolic link points outside the skeleton ('/etc/passwd'); only links inside it are copied",
    ),
    "a link made by one step and written through by the next": (
        [{"id": "links", "name": "Links", "action": "fetch:plain", "input": {"url": "./links"}}, fetch_step()],
        {"skeleton/docs/index.md": "x\n", "links/real/keep.md": "y\n"},
        "docs: refusing to write through the symbolic link 'docs' in the workspace",
    ),
    "a target path through a link made by an earlier step": (
        [
            {"id": "links", "name": "Links", "action": "fetch:plain", "input": {"url": "./links"}},
            fetch_step(targetPath="docs"),
        ],
        {"skeleton/index.md": "x\n", "links/real/keep.md": "y\n"},
        "targetPath 'docs' goes through a symbolic link in the workspace",
    ),
    "a template rendering a gigabyte": (
        [fetch_step()],
        {
            "skeleton/big.txt": '{% for a in "x" * 1000 %}{% for b in "x" * 1000 %}{% for c in "x" * 1000 %}'
            "0123456789{% endfor %}{% endfor %}{% endfor %}"
        },
        "big.txt: the rendered file exceeds 20 MB",
    ),
    "an endless loop": (
        [
            {
                "id": "log",
                "name": "Log",
                "action": "debug:log",
                "input": {
                    "message": '{% for a in "x" * 1000000 %}{% for b in "x" * 1000000 %}{% endfor %}{% endfor %}'
                },
            }
        ],
        {},
        "the template used more than 3 s of CPU time to render",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_template_fails_its_task_clearly_and_the_worker_stays_healthy(celery_worker, dev, tmp_path, case):
    steps, files, message = CASES[case]
    folder = tmp_path / "tpl"
    if case == "a symbolic link in the skeleton pointing outside":
        (folder / "skeleton").mkdir(parents=True)
        (folder / "skeleton" / "passwd").symlink_to("/etc/passwd")
    if "link made by" in case:
        (folder / "links").mkdir(parents=True)
        (folder / "links" / "docs").symlink_to("real")
    entity = install_template(folder, template_doc("hostile", steps, parameters=NAME), files)

    task = wait_for(services.create_task(dev, entity, {"name": "x"}), timeout=90)

    failed = [step for step in task.steps.order_by("index") if step.status == "failed"]
    assert task.status == "failed"
    assert [step.error for step in failed] == [message]
    assert task.error == f"Step {failed[0].name} failed: {message}"
    assert not (tmp_path / "outside").exists()
    assert list((tmp_path / "scaffolder" / "workspaces").iterdir()) == []
    assert_worker_healthy(dev, tmp_path)


def test_template_syntax_in_a_parameter_is_data_not_code(celery_worker, dev, tmp_path, scaffolder_dirs):
    payload = "${{ ''.__class__.__mro__ }}{% for x in 'x' * 99999999 %}x{% endfor %}{{ 7 * 7 }}"
    doc = template_doc(
        "inert",
        [
            fetch_step(values={"name": "${{ parameters.name }}"}),
            {"id": "log", "action": "debug:log", "input": {"message": "name: ${{ parameters.name }}"}},
            {"id": "publish", "action": "publish:git", "input": {"remoteUrl": "acme/inert"}},
        ],
        parameters=NAME,
    )
    entity = install_template(tmp_path / "tpl", doc, {"skeleton/README.md": "${{ values.name }}\n"})

    task = wait_for(services.create_task(dev, entity, {"name": payload}))

    assert task.status == "succeeded"
    assert f"name: {payload}" in messages(task)
    checkout = scaffolder_dirs / "git-checkouts" / "acme" / "inert"
    assert (checkout / "README.md").read_text() == f"{payload}\n"


def test_a_secret_parameter_never_reaches_the_event_log(celery_worker, dev, tmp_path):
    secret = "hunter2-Very-Secret"
    doc = template_doc(
        "secret-log",
        [
            {"id": "log", "action": "debug:log", "input": {"message": "token=${{ secrets.token }}"}},
            {"id": "fail", "name": "Fail", "action": "fetch:template", "input": {"url": "./${{ secrets.token }}"}},
        ],
        parameters=[{"properties": {"token": {"type": "string", "ui:field": "Secret"}}}],
    )
    entity = install_template(tmp_path / "tpl", doc)

    task = wait_for(services.create_task(dev, entity, {"token": secret}))

    assert task.status == "failed"
    assert "token=***" in messages(task)
    assert task.error == "Step Fail failed: ./***: no such folder next to the template"
    assert all(secret not in message for message in messages(task))
    assert step_states(task) == [("log", "succeeded"), ("fail", "failed")]
