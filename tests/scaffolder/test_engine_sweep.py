"""Folders left behind by a worker that died mid-task are deleted by the next task run on the same disk."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from portal import runs
from portal.models.runs import RunStep
from scaffolder.engine import workspace
from scaffolder.models import Task
from tests.scaffolder.engine_support import make_task, template_doc

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")


def folder(task_id, attempt: int):
    path = workspace.task_dir(task_id, attempt)
    (path / workspace.WORKSPACE).mkdir(parents=True)
    (path / workspace.WORKSPACE / "file.txt").write_text("left behind")
    return path


@pytest.mark.django_db(transaction=True)
def test_a_task_run_deletes_the_folders_no_running_claim_uses(scaffolder_dirs):
    ended = make_task(template_doc("ended", []))
    Task.objects.filter(pk=ended.pk).update(status="failed", completed=timezone.now(), attempts=1)
    moved_on = make_task(template_doc("moved", []))
    Task.objects.filter(pk=moved_on.pk).update(status="running", attempts=2, heartbeat=timezone.now())
    left = [folder(ended.pk, 1), folder(moved_on.pk, 1), folder(uuid.uuid4(), 3)]
    kept = [folder(moved_on.pk, 2)]
    other = scaffolder_dirs / "workspaces" / "not-a-task-folder"
    other.mkdir()

    task = make_task(template_doc("runs", [{"id": "log", "action": "debug:log", "input": {"message": "hi"}}]))
    RunStep.objects.create(run=task, index=0, key="log", name="log", action="debug:log")
    Task.objects.filter(pk=task.pk).update(heartbeat=timezone.now() - datetime.timedelta(hours=1))
    assert runs.execute(task.pk).status == "succeeded"

    assert [path.exists() for path in left] == [False, False, False]
    assert [path.exists() for path in kept] == [True]
    assert other.exists()
    assert sorted(path.name for path in (scaffolder_dirs / "workspaces").iterdir()) == sorted(
        [kept[0].name, other.name]
    )


def test_the_sweep_leaves_the_folder_of_the_task_it_is_told_to_keep(scaffolder_dirs):
    mine = str(uuid.uuid4())
    path = folder(mine, 1)

    assert workspace.sweep(set(), keep=mine) == 0
    assert path.exists()
    assert workspace.sweep(set()) == 1
    assert not path.exists()
