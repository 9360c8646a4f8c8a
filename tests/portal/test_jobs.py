"""Background jobs: the registry, enqueueing, claiming, running in a real worker, failures and retries."""

import datetime
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from portal import jobs, tasks
from portal.models import AuditEntry, Job

# Job kinds of this module: test data, registered the way an app's jobs.py registers its own.
CALLS: list[int] = []


@jobs.job("tests.add", max_attempts=1)
def add(job, *, a, b):
    CALLS.append(job.pk)
    job.log_line("info", f"Adding {a} and {b}.")
    return {"sum": a + b}


@jobs.job("tests.broken", max_attempts=3)
def broken(job, *, reason, permanent=False):
    if permanent:
        raise jobs.JobError(reason)
    raise ValueError(reason)


@jobs.job("tests.flaky", max_attempts=3, retry_delay=10)
def flaky(job, *, fail_times, countdown=None):
    if job.attempts <= fail_times:
        raise jobs.RetryableJobError(f"GitHub answered 503 (attempt {job.attempts})", countdown=countdown)
    return {"attempt": job.attempts}


@jobs.job("tests.slow", max_attempts=1)
def slow(job):
    raise SoftTimeLimitExceeded()


@jobs.job("tests.rename", max_attempts=1)
def rename(job, *, user_id, first_name):
    account = get_user_model().objects.get(pk=user_id)
    account.first_name = first_name
    account.save()


def _wait_until_finished(job, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_terminal:
            return job
        time.sleep(0.05)
    raise AssertionError(f"{job} did not finish within {timeout} s")


def _messages(job):
    return [line["message"] for line in job.log]


def _race(function, job_id, contenders=2):
    barrier = threading.Barrier(contenders)
    results, errors = [], []

    def contender():
        try:
            barrier.wait(timeout=10)
            results.append(function(job_id))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contender) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


def _running(started_ago: datetime.timedelta, attempts=1, name="tests.add", params=None):
    return Job.objects.create(
        name=name,
        params={"a": 1, "b": 2} if params is None else params,
        status="running",
        started=timezone.now() - started_ago,
        attempts=attempts,
    )


def _row(job_id):
    return Job.objects.filter(pk=job_id).values().get()


def test_enqueue_creates_a_pending_job_and_publishes_it_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = jobs.enqueue("tests.add", params={"a": 1, "b": 2}, user=user, obj=user)

    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.name, job.status, job.attempts, job.params) == ("tests.add", "pending", 0, {"a": 1, "b": 2})
    assert (job.user, job.object_type, job.object_id) == (user, "auth.user", str(user.pk))
    assert (job.started, job.completed, job.log, job.error, job.result) == (None, None, [], "", {})


def test_enqueue_refuses_an_unknown_job_name(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(jobs.UnknownJobError, match=r"^Unknown job 'tests\.nope'; registered jobs: .*tests\.add"),
    ):
        jobs.enqueue("tests.nope")

    assert callbacks == []
    assert Job.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"a": {1, 2}, "b": 1}, "must be JSON-serialisable"),
        ({"a": float("nan"), "b": 1}, "must be JSON-serialisable"),
        ({"a": timezone.now(), "b": 1}, "must be JSON-serialisable"),
        ({"a": 1}, "do not fit the handler of 'tests.add'"),
        ({"a": 1, "b": 2, "c": 3}, "do not fit the handler of 'tests.add'"),
        (["a", "b"], "must be a dict with string keys"),
    ],
)
def test_enqueue_refuses_params_that_are_not_json_or_do_not_fit(
    db, django_capture_on_commit_callbacks, params, message
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValueError, match=message):
        jobs.enqueue("tests.add", params=params)

    assert callbacks == []
    assert Job.objects.count() == 0


def test_a_second_handler_under_a_taken_name_is_refused():
    with pytest.raises(ImproperlyConfigured, match=r"'tests\.add' is already registered by tests\.portal"):
        jobs.job("tests.add")(lambda job: None)

    assert jobs.get_kind("tests.add").handler is add


@pytest.mark.django_db(transaction=True)
def test_a_pending_job_is_claimed_exactly_once_by_two_concurrent_workers():
    pending = [Job.objects.create(name="tests.add", params={"a": 1, "b": 2}) for _ in range(30)]

    outcomes = [_race(jobs.claim, job.pk) for job in pending]

    assert [errors for _, errors in outcomes] == [[]] * 30
    assert [sorted(results) for results, _ in outcomes] == [[False, True]] * 30
    assert set(Job.objects.values_list("status", "attempts")) == {("running", 1)}


def test_a_running_job_is_not_reclaimed_before_the_task_time_limit(db, settings):
    settings.CELERY_TASK_TIME_LIMIT = 600
    job = _running(datetime.timedelta(seconds=595))
    before = _row(job.pk)

    assert jobs.claim(job.pk) is False

    assert _row(job.pk) == before


def test_a_running_job_whose_worker_died_is_reclaimed_after_the_time_limit(db, settings):
    settings.CELERY_TASK_TIME_LIMIT = 600
    job = _running(datetime.timedelta(seconds=601))
    claimed_from = timezone.now()

    assert jobs.claim(job.pk) is True

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 2)
    assert job.started >= claimed_from


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_a_finished_job_cannot_be_claimed(db, status):
    job = Job.objects.create(name="tests.add", status=status, attempts=1, completed=timezone.now())
    before = _row(job.pk)

    assert jobs.claim(job.pk) is False

    assert _row(job.pk) == before


def test_claiming_a_missing_job_is_refused(db):
    assert jobs.claim(987654) is False


def test_a_job_runs_end_to_end_through_the_celery_worker(celery_worker, user):
    job = jobs.enqueue("tests.add", params={"a": 2, "b": 3}, user=user)

    _wait_until_finished(job)

    assert (job.status, job.result, job.error, job.attempts) == ("succeeded", {"sum": 5}, "", 1)
    assert job.started <= job.completed
    assert _messages(job) == ["Started, attempt 1 of 1.", "Adding 2 and 3.", "Succeeded."]
    assert [line["level"] for line in job.log] == ["info", "info", "info"]


def test_a_redelivered_message_for_a_finished_job_is_a_no_op_in_the_worker(celery_worker):
    finished = _wait_until_finished(jobs.enqueue("tests.add", params={"a": 1, "b": 1}))
    before = _row(finished.pk)

    tasks.run_job.delay(finished.pk)
    marker = _wait_until_finished(jobs.enqueue("tests.add", params={"a": 5, "b": 5}))

    assert marker.result == {"sum": 10}
    assert _row(finished.pk) == before
    assert CALLS.count(finished.pk) == 1


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_a_redelivered_message_for_a_finished_job_changes_nothing(db, status):
    job = Job.objects.create(
        name="tests.add",
        params={"a": 1, "b": 2},
        status=status,
        attempts=1,
        started=timezone.now(),
        completed=timezone.now(),
        log=[{"at": "2026-01-01T00:00:00+00:00", "level": "info", "message": "Done."}],
    )
    before = _row(job.pk)

    assert tasks.run_job(job.pk) == "skipped"

    assert _row(job.pk) == before
    assert job.pk not in CALLS


def test_a_message_for_a_job_another_worker_is_running_changes_nothing(db):
    job = _running(datetime.timedelta(seconds=5))
    before = _row(job.pk)

    assert tasks.run_job(job.pk) == "skipped"

    assert _row(job.pk) == before
    assert job.pk not in CALLS


def test_a_failing_job_records_the_error_message_and_logs_the_traceback(db, caplog):
    job = Job.objects.create(name="tests.broken", params={"reason": "token=abc is not a repository"})

    assert tasks.run_job(job.pk) == "failed"

    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == ("failed", 1, {})
    assert job.error == "ValueError: token=abc is not a repository"
    assert job.completed is not None
    assert job.log[-1]["level"] == "error"
    assert _messages(job)[-1] == "Failed: ValueError: token=abc is not a repository"
    logged = [record for record in caplog.records if record.msg.get("event") == "job.failed"]
    assert [(record.msg["job_id"], record.levelname) for record in logged] == [(job.pk, "ERROR")]
    assert logged[0].exc_info[0] is ValueError
    assert str(logged[0].exc_info[1]) == "token=abc is not a repository"


def test_a_job_error_fails_at_once_with_its_message_as_the_error(db):
    job = Job.objects.create(
        name="tests.broken", params={"reason": "Repository acme/api does not exist.", "permanent": True}
    )

    assert tasks.run_job(job.pk) == "failed"

    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("failed", 1, "Repository acme/api does not exist.")


def test_a_job_over_its_soft_time_limit_fails_with_a_plain_explanation(db, settings):
    job = Job.objects.create(name="tests.slow")

    assert tasks.run_job(job.pk) == "failed"

    job.refresh_from_db()
    assert job.error == f"The job ran longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."


def test_a_retryable_error_returns_the_job_to_pending_with_a_growing_countdown(db):
    job = Job.objects.create(name="tests.flaky", params={"fail_times": 5})

    first = jobs.execute(job.pk)
    job.refresh_from_db()
    after_first = (job.status, job.attempts, job.started, job.completed, job.error)
    second = jobs.execute(job.pk)
    third = jobs.execute(job.pk)

    assert after_first == ("pending", 1, None, None, "GitHub answered 503 (attempt 1)")
    assert (first, second, third) == (
        jobs.Outcome("retry", retry_in=10),
        jobs.Outcome("retry", retry_in=20),
        jobs.Outcome("failed"),
    )
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("failed", 3, "GitHub answered 503 (attempt 3)")
    assert [line for line in _messages(job) if line.startswith("Attempt")] == [
        "Attempt 1 failed: GitHub answered 503 (attempt 1); retrying in 10 s.",
        "Attempt 2 failed: GitHub answered 503 (attempt 2); retrying in 20 s.",
    ]


def test_a_retryable_error_is_retried_through_the_worker_until_the_job_succeeds(celery_worker):
    job = jobs.enqueue("tests.flaky", params={"fail_times": 1, "countdown": 0})

    _wait_until_finished(job)

    assert (job.status, job.attempts, job.result, job.error) == ("succeeded", 2, {"attempt": 2}, "")
    assert _messages(job) == [
        "Started, attempt 1 of 3.",
        "Attempt 1 failed: GitHub answered 503 (attempt 1); retrying in 0 s.",
        "Started, attempt 2 of 3.",
        "Succeeded.",
    ]


def test_a_job_whose_worker_died_on_its_last_attempt_fails_without_running_again(db, settings):
    job = _running(datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1), attempts=1)

    assert tasks.run_job(job.pk) == "failed"

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 2)
    assert job.error == "Stopped: attempt 1 of 1 did not finish (its worker stopped)."
    assert job.pk not in CALLS


def test_a_job_of_a_kind_no_handler_is_registered_for_fails(db):
    job = Job.objects.create(name="tests.retired")

    assert tasks.run_job(job.pk) == "failed"

    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("failed", 1, "No handler is registered for 'tests.retired'.")


def test_audit_entries_written_by_a_job_name_its_user_as_actor(user, other_user):
    job = Job.objects.create(name="tests.rename", params={"user_id": other_user.pk, "first_name": "Olga"}, user=user)

    assert tasks.run_job(job.pk) == "succeeded"

    entry = AuditEntry.objects.get(action="update", object_id=str(other_user.pk))
    assert (entry.actor_id, entry.actor_label, entry.changes) == (user.pk, user.email, {"first_name": ["", "Olga"]})
