"""Claims, heartbeats, cancellation, retry, and a worker dying mid-task (through a real Celery worker)."""

import datetime
import threading
import time

import pytest
from django.utils import timezone

from portal import runs
from portal.models.runs import EventType, RunEvent, RunStep
from portal.runs import claims
from portal.tasks import run as run_task
from scaffolder import services
from scaffolder.actions.registry import Action, object_schema, register, unregister
from scaffolder.models import Task
from tests.conftest import make_user
from tests.fakes.git_http import git
from tests.scaffolder.engine_support import (
    install_people,
    install_template,
    make_task,
    messages,
    step_states,
    template_doc,
    wait_for,
    write_files,
)

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

SKELETON = {
    "skeleton/README.md": "# ${{ values.name }}\n",
    "skeleton/catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
    "metadata:\n  name: ${{ values.name }}\n"
    "spec:\n  type: service\n  lifecycle: experimental\n  owner: group:default/payments\n",
}
FETCH = {
    "id": "fetch",
    "name": "Render",
    "action": "fetch:template",
    "input": {"url": "./skeleton", "values": {"name": "${{ parameters.name }}"}},
}
PUBLISH = {
    "id": "publish",
    "name": "Publish",
    "action": "publish:git",
    "input": {"remoteUrl": "acme/${{ parameters.name }}"},
}
REGISTER = {
    "id": "register",
    "name": "Register",
    "action": "catalog:register",
    "input": {"repoContentsUrl": "${{ steps.publish.output.repoContentsUrl }}"},
}
NAME = [{"required": ["name"], "properties": {"name": {"type": "string"}}}]


@pytest.fixture
def dana(transactional_db, tmp_path):
    install_people(tmp_path / "people")
    return make_user("dev@example.com")


@pytest.fixture
def pause_action():
    """``tests:pause``: tells when it runs, then waits until the test lets it finish."""
    entered, gate = threading.Event(), threading.Event()

    def handler(ctx):
        entered.set()
        gate.wait(30)
        return {"paused": True}

    register(Action("tests:pause", "Waits for the test.", object_schema({}), object_schema({}), handler))
    yield entered, gate
    gate.set()
    unregister("tests:pause")


@pytest.fixture
def polling_action():
    """``tests:poll``: runs until the task is cancelled, asking ``check_cancelled`` as a long action should."""
    entered = threading.Event()

    def handler(ctx):
        entered.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ctx.check_cancelled()
            time.sleep(0.05)
        return {}

    register(Action("tests:poll", "Polls for cancellation.", object_schema({}), object_schema({}), handler))
    yield entered
    unregister("tests:poll")


def bare(scaffolder_dirs, name: str):
    return scaffolder_dirs / "git" / "acme" / f"{name}.git"


def test_a_cancellation_is_honoured_between_steps(celery_worker, dana, tmp_path, pause_action, scaffolder_dirs):
    entered, gate = pause_action
    doc = template_doc("cancel", [FETCH, {"id": "pause", "action": "tests:pause"}, PUBLISH], parameters=NAME)
    task = services.create_task(dana, install_template(tmp_path / "tpl", doc, SKELETON), {"name": "gone"})
    assert entered.wait(30)

    assert services.cancel_task(dana, task) is True
    gate.set()
    task = wait_for(task)

    assert task.status == "cancelled"
    assert step_states(task) == [("fetch", "succeeded"), ("pause", "succeeded"), ("publish", "cancelled")]
    assert not bare(scaffolder_dirs, "gone").exists()
    assert [(event.type, event.body) for event in task.events.exclude(type=EventType.LOG)] == [
        ("cancelled", {"message": "Cancellation requested by dev@example.com."}),
        ("completion", {"message": "Run completed with status: cancelled", "status": "cancelled"}),
    ]
    assert list((scaffolder_dirs / "workspaces").iterdir()) == []


def test_a_long_action_that_polls_stops_when_cancelled(celery_worker, dana, tmp_path, polling_action):
    doc = template_doc("poll", [{"id": "poll", "name": "Poll", "action": "tests:poll"}, PUBLISH], parameters=NAME)
    task = services.create_task(dana, install_template(tmp_path / "tpl", doc), {"name": "polled"})
    assert polling_action.wait(30)

    services.cancel_task(dana, task)
    task = wait_for(task, timeout=20)

    assert task.status == "cancelled"
    assert step_states(task) == [("poll", "cancelled"), ("publish", "cancelled")]
    assert "Step Poll has been cancelled." in messages(task)


def seed_other_content(path) -> None:
    git("init", "--quiet", "--bare", "--initial-branch=main", str(path))
    work = path.parent / "seed"
    write_files(work, {"OTHER.md": "someone else's\n"})
    git("init", "--quiet", "--initial-branch=main", cwd=work)
    git("add", "-A", cwd=work)
    git("-c", "user.name=x", "-c", "user.email=x@x", "commit", "--quiet", "-m", "other", cwd=work)
    git("push", "--quiet", str(path), "main", cwd=work)


def test_retry_resumes_at_the_failed_step_and_keeps_the_earlier_outputs(celery_worker, dana, tmp_path, scaffolder_dirs):
    seed_other_content(bare(scaffolder_dirs, "retry"))
    doc = template_doc("retry", [FETCH, PUBLISH, REGISTER], parameters=NAME)
    task = wait_for(services.create_task(dana, install_template(tmp_path / "tpl", doc, SKELETON), {"name": "retry"}))
    assert task.status == "failed"
    assert step_states(task) == [("fetch", "succeeded"), ("publish", "failed"), ("register", "pending")]
    fetched = RunStep.objects.filter(run=task, key="fetch").values("started", "completed", "output").get()
    git("--git-dir", str(bare(scaffolder_dirs, "retry")), "update-ref", "-d", "refs/heads/main")

    services.retry_task(dana, task)
    task = wait_for(task)

    assert (task.status, task.error, task.attempts) == ("succeeded", "", 2)
    assert RunStep.objects.filter(run=task, key="fetch").values("started", "completed", "output").get() == fetched
    assert messages(task).count("Beginning step Render") == 1
    assert "Re-creating the workspace: running step Render again" in messages(task)
    assert len(git("--git-dir", str(bare(scaffolder_dirs, "retry")), "rev-list", "main").split()) == 1
    assert task.steps.get(key="register").output["entityRef"] == "component:default/retry"


def test_a_worker_dying_after_its_push_loses_nothing_and_pushes_no_second_commit(
    celery_worker, dana, tmp_path, scaffolder_dirs
):
    doc = template_doc("crash", [FETCH, PUBLISH, REGISTER], parameters=NAME)
    task = wait_for(services.create_task(dana, install_template(tmp_path / "tpl", doc, SKELETON), {"name": "crash"}))
    pushed = task.steps.get(key="publish").output["commitHash"]
    # The worker died after pushing, before it recorded the step: that is the state it left.
    Task.objects.filter(pk=task.pk).update(
        status="running", heartbeat=timezone.now() - datetime.timedelta(hours=1), completed=None, output={}
    )
    RunStep.objects.filter(run=task, key="publish").update(status="running", output={}, completed=None)
    RunStep.objects.filter(run=task, key="register").update(status="pending", output={}, started=None)

    run_task.delay(str(task.pk))
    task = wait_for(task)

    assert (task.status, task.attempts) == ("succeeded", 2)
    assert task.steps.get(key="publish").output["commitHash"] == pushed
    assert git("--git-dir", str(bare(scaffolder_dirs, "crash")), "rev-list", "main").split() == [pushed]
    assert RunEvent.objects.filter(run=task, type=EventType.RECOVERED).get().body == {
        "message": "The worker running this stopped; resuming at step Publish."
    }
    assert f"file://{bare(scaffolder_dirs, 'crash')} already holds exactly this content on main: nothing to push" in (
        messages(task)
    )
    assert task.steps.get(key="register").output["entityRef"] == "component:default/crash"


def test_a_claimed_then_abandoned_task_is_resumed_by_the_next_run(dana, tmp_path, request, scaffolder_dirs):
    doc = template_doc("abandoned", [FETCH, PUBLISH], parameters=NAME)
    task = services.create_task(dana, install_template(tmp_path / "tpl", doc, SKELETON), {"name": "abandoned"})
    claim = claims.claim(task.pk)
    assert claim is not None
    assert claim.token == 1
    RunStep.objects.filter(run=task, key="fetch").update(status="running", started=timezone.now())
    Task.objects.filter(pk=task.pk).update(heartbeat=timezone.now() - datetime.timedelta(minutes=5))

    request.getfixturevalue("celery_worker")  # the message published at creation reaches a worker now
    task = wait_for(task)

    assert (task.status, task.attempts) == ("succeeded", 2)
    assert step_states(task) == [("fetch", "succeeded"), ("publish", "succeeded")]
    assert len(git("--git-dir", str(bare(scaffolder_dirs, "abandoned")), "rev-list", "main").split()) == 1


@pytest.mark.django_db
def test_only_one_of_two_claims_takes_an_open_task():
    task = make_task(template_doc("x", []))
    Task.objects.filter(pk=task.pk).update(status="pending", attempts=0)

    first, second = claims.claim(task.pk), claims.claim(task.pk)

    assert first is not None
    assert (first.token, first.recovered, second) == (1, False, None)


@pytest.mark.django_db
def test_a_message_for_a_task_alive_on_another_worker_is_tried_again_once_it_could_be_stale(settings):
    settings.RUN_STALE_AFTER = 60
    task = make_task(template_doc("x", []))
    Task.objects.filter(pk=task.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=20))
    before = Task.objects.filter(pk=task.pk).values().get()

    outcome = runs.execute(task.pk)

    assert outcome.status == "skipped"
    assert outcome.retry_in is not None
    assert 40 <= outcome.retry_in <= 42
    assert Task.objects.filter(pk=task.pk).values().get() == before


@pytest.mark.django_db
def test_a_redelivered_message_for_a_finished_task_changes_nothing():
    task = make_task(template_doc("x", []))
    Task.objects.filter(pk=task.pk).update(status="succeeded", completed=timezone.now())
    before = Task.objects.filter(pk=task.pk).values().get()

    assert runs.execute(task.pk) == runs.Outcome("skipped", None)
    assert Task.objects.filter(pk=task.pk).values().get() == before


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_refreshes_the_claim_and_notices_when_it_is_lost():
    task = make_task(template_doc("x", []))
    old = timezone.now() - datetime.timedelta(minutes=1)
    Task.objects.filter(pk=task.pk).update(heartbeat=old)
    beat = claims.Heartbeat(task.pk, 1, every=0.05).start()
    try:
        deadline = time.monotonic() + 5
        while Task.objects.get(pk=task.pk).heartbeat == old and time.monotonic() < deadline:
            time.sleep(0.05)
        refreshed = Task.objects.get(pk=task.pk).heartbeat
        Task.objects.filter(pk=task.pk).update(attempts=2)  # another worker claimed it
        while not beat.lost and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()

    assert refreshed is not None
    assert refreshed > old
    assert beat.lost is True


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_worker_keeps_dying_is_not_resumed_for_ever(scaffolder_dirs):
    task = make_task(template_doc("x", [{"id": "slow", "name": "Slow", "action": "debug:log"}]))
    RunStep.objects.create(run=task, index=0, key="slow", name="Slow", action="debug:log", status="running")
    # Its worker stopped three times already: this claim is its fourth recovery.
    Task.objects.filter(pk=task.pk).update(heartbeat=timezone.now() - datetime.timedelta(hours=1), recoveries=3)

    outcome = runs.execute(task.pk)

    task.refresh_from_db()
    assert outcome == runs.Outcome("failed", None)
    assert task.error == (
        "Step Slow failed: The worker running this stopped 4 times; giving up. Retry once the cause "
        "(a step longer than the time limit, a worker out of memory) is fixed."
    )
    assert step_states(task) == [("slow", "failed")]
    assert not (scaffolder_dirs / "workspaces").exists()
