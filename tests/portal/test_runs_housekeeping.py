"""The run engine's own beat schedule (the sweep, the daily prune), pruning finished runs, and its settings."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from portal import runs, tasks
from portal.celery import app as celery_app
from portal.models import Run, RunEvent, RunStep
from portal.runs.schedule import install_schedule
from scaffolder.engine.runner import TemplateRun
from scaffolder.models import Task

ROOT = Path(__file__).resolve().parents[2]


def _schedules() -> list[tuple]:
    return list(
        PeriodicTask.objects.filter(name__startswith="portal.")
        .order_by("name")
        .values_list("name", "task", "enabled", "interval__every", "interval__period")
    )


def _last_change():
    row = PeriodicTasks.objects.filter(ident=1).first()
    return row.last_update if row is not None else None


# --- the schedule ---------------------------------------------------------------------------------


def test_migrate_schedules_the_sweep_and_the_daily_prune(db, settings):
    assert _schedules() == [
        ("portal.prune_runs", "portal.prune_runs", True, 1, IntervalSchedule.DAYS),
        ("portal.sweep_runs", "portal.sweep_runs", True, settings.RUN_SWEEP_SECONDS, IntervalSchedule.SECONDS),
    ]
    assert {"portal.run", "portal.sweep_runs", "portal.prune_runs"} <= set(celery_app.tasks)
    assert "portal.prune_jobs" not in celery_app.tasks


def test_installing_the_schedule_again_changes_nothing(db, settings):
    before = (_schedules(), IntervalSchedule.objects.count(), _last_change())

    install_schedule()
    install_schedule()

    assert (_schedules(), IntervalSchedule.objects.count(), _last_change()) == before


def test_the_schedule_keeps_an_administrators_changes(db):
    PeriodicTask.objects.filter(name="portal.prune_runs").update(enabled=False)
    moved = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.filter(name="portal.sweep_runs").update(interval=moved)

    install_schedule()

    assert _schedules() == [
        ("portal.prune_runs", "portal.prune_runs", False, 1, IntervalSchedule.DAYS),
        ("portal.sweep_runs", "portal.sweep_runs", True, 5, IntervalSchedule.MINUTES),
    ]


def test_a_missing_sweep_is_scheduled_every_run_sweep_seconds(db, settings):
    settings.RUN_SWEEP_SECONDS = 15
    PeriodicTask.objects.filter(name="portal.sweep_runs").delete()
    before = _last_change()

    install_schedule()

    sweep = PeriodicTask.objects.get(name="portal.sweep_runs")
    assert (sweep.task, sweep.enabled, sweep.interval.every, sweep.interval.period) == (
        "portal.sweep_runs",
        True,
        15,
        IntervalSchedule.SECONDS,
    )
    assert sweep.description == "Publish again the runs no message will bring back."
    after = _last_change()  # a running beat reloads its schedule
    assert after is not None
    assert before is None or after > before


def test_the_prune_jobs_schedule_of_before_runs_is_renamed_keeping_an_administrators_changes(db):
    # Given the schedule the job system installed, disabled and moved to every 2 days by an administrator
    PeriodicTask.objects.filter(name="portal.prune_runs").delete()
    every_two_days = IntervalSchedule.objects.create(every=2, period=IntervalSchedule.DAYS)
    old = PeriodicTask.objects.create(
        name="portal.prune_jobs", task="portal.prune_jobs", interval=every_two_days, enabled=False
    )
    before = _last_change()

    # When the schedule is installed (post_migrate)
    install_schedule()

    # Then the same row now runs portal.prune_runs, still disabled and every 2 days, and beat reloads
    renamed = PeriodicTask.objects.get(pk=old.pk)
    assert (renamed.name, renamed.task, renamed.enabled, renamed.interval_id) == (
        "portal.prune_runs",
        "portal.prune_runs",
        False,
        every_two_days.pk,
    )
    assert not PeriodicTask.objects.filter(task="portal.prune_jobs").exists()
    assert PeriodicTask.objects.filter(name="portal.prune_runs").count() == 1
    after = _last_change()
    assert after is not None
    assert before is None or after > before


# --- pruning --------------------------------------------------------------------------------------


def _finished(kind: str, status: str, days_ago: float) -> Run:
    run = runs.start(kind)
    Run.objects.filter(pk=run.pk).update(status=status, completed=timezone.now() - datetime.timedelta(days=days_ago))
    RunEvent.objects.create(run=run, body={"message": "Run completed"})
    return run


@pytest.fixture
def history(db):
    """Finished and unfinished runs of every age: a pruned kind (a refresh of every location) and a kept
    one (golden-path tasks)."""
    long_ago = timezone.now() - datetime.timedelta(days=90)
    stuck = runs.start("catalog.refresh_all")
    Run.objects.filter(pk=stuck.pk).update(created=long_ago)
    running = runs.start("catalog.refresh_location", params={"location_id": "gone"})
    Run.objects.filter(pk=running.pk).update(status="running", started=long_ago, heartbeat=long_ago, created=long_ago)
    task = Task.objects.create(
        kind=TemplateRun.name,
        status="succeeded",
        completed=long_ago,
        template_ref="template:default/service",
        template={},
    )
    return {
        "old-succeeded": _finished("catalog.refresh_all", "succeeded", 31),
        "old-failed": _finished("catalog.refresh_all", "failed", 31),
        "old-cancelled": _finished("catalog.refresh_all", "cancelled", 31),
        "recent": _finished("catalog.refresh_all", "succeeded", 29),
        "old-pending": stuck,
        "old-running": running,
        "old-task": task,
    }


def _left(history) -> list[str]:
    remaining = set(Run.objects.values_list("pk", flat=True))
    return sorted(name for name, run in history.items() if run.pk in remaining)


def test_prune_deletes_finished_runs_older_than_the_retention_with_their_steps_and_log(history, settings):
    settings.RUN_RETENTION_DAYS = 30
    pruned = [history[name].pk for name in ("old-succeeded", "old-failed", "old-cancelled")]
    assert RunStep.objects.filter(run__in=pruned).count() == 3

    deleted = tasks.prune_runs()

    assert deleted == 3  # runs, not their steps and events
    assert _left(history) == ["old-pending", "old-running", "old-task", "recent"]
    assert (RunStep.objects.filter(run__in=pruned).count(), RunEvent.objects.filter(run__in=pruned).count()) == (0, 0)


def test_prune_keeps_the_runs_of_kinds_that_keep_theirs(history):
    assert TemplateRun.keep_finished is True

    runs.prune(days=1)

    assert Task.objects.filter(pk=history["old-task"].pk).exists()
    assert _left(history) == ["old-pending", "old-running", "old-task"]


def test_prune_with_nothing_old_enough_deletes_nothing(history):
    before = (Run.objects.count(), RunStep.objects.count(), RunEvent.objects.count())

    assert runs.prune(days=365) == 0

    assert (Run.objects.count(), RunStep.objects.count(), RunEvent.objects.count()) == before


# --- settings -------------------------------------------------------------------------------------

#: Only these variables of the test run's own environment reach the interpreter started here.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


def _retention(env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess:
    environ = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    environ.update(env, DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="portal.settings")
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings as s; print(s.RUN_RETENTION_DAYS)"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "30"),
        ({"JOB_RETENTION_DAYS": "12"}, "12"),
        ({"RUN_RETENTION_DAYS": "45"}, "45"),
        ({"RUN_RETENTION_DAYS": "45", "JOB_RETENTION_DAYS": "12"}, "45"),
    ],
    ids=["default", "former-name", "new-name", "new-name-wins"],
)
def test_run_retention_days_falls_back_to_its_former_name(tmp_path, env, expected):
    result = _retention(env, tmp_path)

    assert (result.returncode, result.stdout.strip()) == (0, expected), result.stderr


@pytest.mark.parametrize("name", ["RUN_RETENTION_DAYS", "JOB_RETENTION_DAYS"])
def test_a_retention_under_one_day_is_refused_at_start_up(tmp_path, name):
    result = _retention({name: "0"}, tmp_path)

    assert result.returncode == 1
    assert f"Environment variable {name}: must be at least 1, got 0" in result.stderr


def test_a_message_whose_database_does_not_answer_is_tried_again_a_bounded_number_of_times():
    from portal import tasks

    assert tasks.run.max_retries == tasks.DATABASE_RETRIES
    delays = [tasks.database_retry_delay(retries) for retries in range(tasks.DATABASE_RETRIES)]
    assert (delays, sum(delays)) == ([2, 4, 8, 16, 32, 60, 60, 60], 242)
