"""The run engine's control: recovery after a worker died, cancelling, retrying, and the sweep."""

import datetime
import time

import pytest
from django.utils import timezone

from portal import runs
from portal.models import AuditEntry, Run, RunEvent, RunStep
from portal.runs import claims
from tests.portal.runs_support import CALLS, claimed, messages, start_run, steps_of

# --- recovery ------------------------------------------------------------------------------------


def test_a_run_whose_worker_died_resumes_at_the_step_it_was_in(db):
    run = start_run("tests.arithmetic")
    claim = claimed(run.pk)
    step = RunStep.objects.get(run_id=run.pk, key="add")
    claims.update_step(step, claim.token, status="succeeded", output={"sum": 5})
    claims.update_step(RunStep.objects.get(run_id=run.pk, key="double"), claim.token, status="running", attempts=1)
    Run.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=61))
    calls = CALLS.count(str(run.pk))

    assert runs.execute(run.pk) == runs.Outcome("succeeded")

    run.refresh_from_db()
    assert CALLS.count(str(run.pk)) == calls  # the done step did not run again
    assert run.output == {"add": {"sum": 5}, "double": {"double": 10}}
    assert steps_of(run) == [("add", "succeeded", 0), ("double", "succeeded", 2)]
    recovered = RunEvent.objects.filter(run_id=run.pk, type="recovered").get()
    assert recovered.body["message"] == "The worker running this stopped; resuming at step Double."


def test_a_run_whose_worker_keeps_dying_is_failed_rather_than_resumed_again(db):
    run = start_run("tests.arithmetic")
    claims.claim(run.pk)
    Run.objects.filter(pk=run.pk).update(recoveries=3, heartbeat=timezone.now() - datetime.timedelta(seconds=61))

    assert runs.execute(run.pk) == runs.Outcome("failed")
    run.refresh_from_db()
    assert run.error.startswith("Step Add failed: The worker running this stopped 4 times; giving up.")


# --- cancelling ----------------------------------------------------------------------------------


def test_cancelling_a_pending_run_ends_it_at_once_and_no_worker_runs_it(db, user):
    run = start_run("tests.arithmetic", user=user)

    assert runs.cancel(run, by=user) is True

    run.refresh_from_db()
    assert (run.status, run.cancel_requested) == ("cancelled", True)
    assert steps_of(run) == [("add", "cancelled", 0), ("double", "cancelled", 0)]
    assert messages(run) == ["Cancelled by dev@example.com.", "Run completed with status: cancelled"]
    assert runs.execute(run.pk).status == "skipped"
    assert AuditEntry.objects.filter(action="cancel", object_id=str(run.pk), actor=user).count() == 1


def test_cancelling_a_running_run_stops_it_at_its_next_step_boundary(db, user):
    run = start_run("tests.cancellable", user=user)
    claim = claimed(run.pk)
    assert runs.cancel(run, by=user) is True
    assert Run.objects.get(pk=run.pk).status == "running"

    outcome = runs.executor.Executor(claim).run()

    run.refresh_from_db()
    assert outcome == runs.Outcome("cancelled")
    assert steps_of(run) == [("wait", "cancelled", 0), ("add", "cancelled", 0)]
    assert messages(run) == [
        "Cancellation requested by dev@example.com.",
        "Step Wait has been cancelled.",
        "Run completed with status: cancelled",
    ]


def test_a_long_step_that_checks_stops_within_the_step_when_cancelled(db, user):
    run = start_run("tests.cancellable", user=user, params={"cancel_while_running": True})
    started = time.monotonic()

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome == runs.Outcome("cancelled")
    assert time.monotonic() - started < 2.5  # the step would take 3 s
    assert steps_of(run) == [("wait", "cancelled", 1), ("add", "cancelled", 0)]
    assert messages(run)[-2:] == ["Step Wait has been cancelled.", "Run completed with status: cancelled"]


def test_cancelling_a_finished_run_is_refused_and_changes_nothing(db, user):
    run = start_run("tests.arithmetic")
    runs.execute(run.pk)
    events = RunEvent.objects.filter(run_id=run.pk).count()

    assert runs.cancel(run, by=user) is False
    assert (Run.objects.get(pk=run.pk).status, RunEvent.objects.filter(run_id=run.pk).count()) == ("succeeded", events)
    assert AuditEntry.objects.filter(action="cancel").count() == 0


# --- retrying ------------------------------------------------------------------------------------


def test_retry_runs_a_failed_run_again_from_its_failed_step_keeping_done_ones(db, user):
    run = start_run("tests.flaky", params={"fail_times": 5}, user=user)
    for _ in range(3):
        runs.execute(run.pk)
        Run.objects.filter(pk=run.pk).update(not_before=timezone.now())
    Run.objects.filter(pk=run.pk).update(params={"fail_times": 0})

    retried = runs.retry(run, by=user)

    assert (retried.status, retried.error, retried.completed) == ("pending", "", None)
    assert steps_of(run) == [("call", "pending", 0)]
    assert messages(run)[-1] == "Retried by dev@example.com from step Call GitHub."
    assert runs.execute(run.pk) == runs.Outcome("succeeded")
    assert AuditEntry.objects.filter(action="retry", object_id=str(run.pk), actor=user).count() == 1


def test_retry_of_a_run_that_succeeded_is_refused_and_changes_nothing(db, user):
    run = start_run("tests.arithmetic")
    runs.execute(run.pk)
    with pytest.raises(
        runs.RunStateError, match="Only a failed or cancelled run can be retried; this one is succeeded"
    ):
        runs.retry(run, by=user)
    assert Run.objects.get(pk=run.pk).status == "succeeded"
    assert AuditEntry.objects.filter(action="retry").count() == 0


# --- the sweep -----------------------------------------------------------------------------------


def _unpublished(kind="tests.arithmetic", **fields):
    """A run written as ``start`` writes it, whose message was never published (lost)."""
    run = Run.objects.create(kind=kind, params={"a": 2, "b": 3}, **fields)
    for index, step in enumerate(runs.get_kind(kind).planned_steps()):
        RunStep.objects.create(run=run, index=index, **step)
    return run


def test_the_sweep_brings_back_lost_and_stale_runs_and_the_worker_completes_them(celery_worker, settings):
    old = timezone.now() - datetime.timedelta(seconds=settings.RUN_REPUBLISH_AFTER + 1)
    lost = _unpublished(enqueued=old)
    recent = _unpublished(enqueued=timezone.now())
    waiting = _unpublished(enqueued=old, not_before=timezone.now() + datetime.timedelta(minutes=5))
    dead = _unpublished(enqueued=old)
    claims.claim(dead.pk)  # its worker died right after the claim
    Run.objects.filter(pk=dead.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=61))

    counts = runs.sweep()

    assert counts == {"pending": 1, "stale": 1, "published": 2}
    deadline = time.monotonic() + 30
    while Run.objects.filter(pk__in=[lost.pk, dead.pk], status="succeeded").count() < 2:
        assert time.monotonic() < deadline, messages(dead)
        time.sleep(0.05)
    assert Run.objects.get(pk=dead.pk).recoveries == 1
    assert list(Run.objects.filter(pk__in=[recent.pk, waiting.pk]).values_list("status", flat=True)) == [
        "pending",
        "pending",
    ]
    # Published once per interval: a second sweep right after publishes nothing.
    assert runs.sweep() == {"pending": 0, "stale": 0, "published": 0}
