"""A job's log, and the daily pruning of finished jobs with its django-celery-beat schedule."""

import datetime

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from portal import jobs, tasks
from portal.celery import app as celery_app
from portal.models import Job
from portal.models.jobs import LOG_MAX_LINES


def _messages(job):
    return [line["message"] for line in job.log]


def _running(started_ago, attempts=1, name="tests.add"):
    return Job.objects.create(name=name, status="running", started=timezone.now() - started_ago, attempts=attempts)


def test_log_line_writes_the_log_column_in_one_query(db, django_assert_num_queries):
    job = Job.objects.create(name="tests.add")
    written_from = timezone.now()

    with django_assert_num_queries(1) as captured:
        job.log_line("warning", "Disk almost full")

    assert 'SET "log"' in captured.captured_queries[0]["sql"]
    assert "status" not in captured.captured_queries[0]["sql"].split("WHERE")[0]
    stored = Job.objects.get(pk=job.pk).log
    assert [(line["level"], line["message"]) for line in stored] == [("warning", "Disk almost full")]
    assert written_from <= datetime.datetime.fromisoformat(stored[0]["at"]) <= timezone.now()


def test_the_log_keeps_only_its_last_lines(db):
    job = Job.objects.create(name="tests.add")

    for number in range(LOG_MAX_LINES + 3):
        job.log_line("info", f"line {number}", save=False)
    job.log_line("info", "last")

    stored = _messages(Job.objects.get(pk=job.pk))
    assert len(stored) == LOG_MAX_LINES
    assert (stored[0], stored[-2], stored[-1]) == ("line 4", f"line {LOG_MAX_LINES + 2}", "last")


def test_log_line_refuses_an_unknown_level(db):
    job = Job.objects.create(name="tests.add")

    with pytest.raises(ValueError, match="Unknown log level 'fatal'"):
        job.log_line("fatal", "Boom")

    assert Job.objects.get(pk=job.pk).log == []


def test_log_line_of_a_worker_whose_claim_was_taken_over_is_not_written(db):
    job = _running(datetime.timedelta(seconds=5), attempts=1)
    Job.objects.filter(pk=job.pk).update(attempts=2, log=[{"at": "x", "level": "info", "message": "new worker"}])

    job.log_line("info", "zombie worker")

    assert _messages(Job.objects.get(pk=job.pk)) == ["new worker"]


def test_prune_jobs_deletes_finished_jobs_older_than_the_retention(db, settings):
    settings.JOB_RETENTION_DAYS = 30
    now = timezone.now()
    ages = {"old-ok": ("succeeded", 31), "old-failed": ("failed", 31), "recent": ("succeeded", 29)}
    for label, (status, days) in ages.items():
        Job.objects.create(name=label, status=status, completed=now - datetime.timedelta(days=days))
    stuck = Job.objects.create(name="old-pending")
    Job.objects.filter(pk=stuck.pk).update(created=now - datetime.timedelta(days=90))
    _running(datetime.timedelta(days=90), name="old-running")

    assert tasks.prune_jobs() == 2

    assert sorted(Job.objects.values_list("name", flat=True)) == ["old-pending", "old-running", "recent"]


def test_the_prune_schedule_is_installed_once_and_keeps_an_administrators_changes(db):
    assert PeriodicTask.objects.filter(name="portal.prune_jobs").count() == 1  # by migrate
    PeriodicTask.objects.filter(name="portal.prune_jobs").update(enabled=False)

    jobs.install_schedule()
    jobs.install_schedule()

    schedule = PeriodicTask.objects.get(task="portal.prune_jobs")
    assert (schedule.name, schedule.enabled) == ("portal.prune_jobs", False)
    assert (schedule.interval.every, schedule.interval.period) == (1, IntervalSchedule.DAYS)
    assert IntervalSchedule.objects.filter(every=1, period=IntervalSchedule.DAYS).count() == 1
    assert "portal.prune_jobs" in celery_app.tasks
