"""The run engine: kinds, starting, claiming with a fencing token, steps, transient and permanent
errors, cancel, retry, recovery, deduplication and the outbox."""

import datetime
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from portal import runs
from portal.models import AuditEntry, Run, RunEvent, RunStep
from portal.runs import claims

CALLS: list[str] = []


def _add(ctx):
    CALLS.append(str(ctx.run.pk))
    ctx.info(f"Adding {ctx.params['a']} and {ctx.params['b']}.")
    return {"sum": ctx.params["a"] + ctx.params["b"]}


def _double(ctx):
    return {"double": ctx.outputs["add"]["sum"] * 2}


class Arithmetic(runs.RunKind):
    name = "tests.arithmetic"
    steps = (runs.Step("add", "Add", _add), runs.Step("double", "Double", _double))


def _flaky(ctx):
    if ctx.step.attempts <= ctx.params["fail_times"]:
        raise runs.TransientError(f"GitHub answered 503 (try {ctx.step.attempts})")
    return {"try": ctx.step.attempts}


class Flaky(runs.RunKind):
    name = "tests.flaky"
    steps = (runs.Step("call", "Call GitHub", _flaky),)
    max_attempts = 3
    retry_base = 40.0


def _missing(ctx):
    raise runs.PermanentError("GitHub answered 404: no repository acme/orders")


def _broken(ctx):
    raise ValueError("unexpected " + ctx.secrets.get("token", ""))


def _slow(ctx):
    raise SoftTimeLimitExceeded()


def _skip(ctx):
    raise runs.SkipStep("Nothing to do: the repository exists")


def _wait_for_cancel(ctx):
    if ctx.params.get("cancel_while_running"):
        runs.cancel(ctx.run, by=ctx.user)  # as a user would, from a web request, while the step runs
    for _ in range(300):
        ctx.check_cancelled()
        time.sleep(0.01)
    return {}


def _rename(ctx):
    account = get_user_model().objects.get(pk=ctx.params["user_id"])
    account.first_name = ctx.params["first_name"]
    account.save()


def _log_secret(ctx):
    ctx.info(f"Using token {ctx.secrets['token']}")
    return {"header": f"Bearer {ctx.secrets['token']}"}


class Missing(runs.RunKind):
    name = "tests.missing"
    steps = (runs.Step("fetch", "Fetch", _missing), runs.Step("after", "After", _add))


class Broken(runs.RunKind):
    name = "tests.broken"
    steps = (runs.Step("boom", "Boom", _broken),)


class Slow(runs.RunKind):
    name = "tests.slow"
    steps = (runs.Step("slow", "Slow", _slow),)


class Skipping(runs.RunKind):
    name = "tests.skipping"
    steps = (runs.Step("create", "Create the repository", _skip), runs.Step("add", "Add", _add))


class Cancellable(runs.RunKind):
    name = "tests.cancellable"
    steps = (runs.Step("wait", "Wait", _wait_for_cancel), runs.Step("add", "Add", _add))


class Rename(runs.RunKind):
    name = "tests.rename"
    steps = (runs.Step("rename", "Rename", _rename),)


class Secretive(runs.RunKind):
    name = "tests.secretive"
    steps = (runs.Step("use", "Use the token", _log_secret),)


for _kind in (Arithmetic(), Flaky(), Missing(), Broken(), Slow(), Skipping(), Cancellable(), Rename(), Secretive()):
    runs.register(_kind)


def _start(kind, **options):
    options.setdefault("params", {"a": 2, "b": 3} if kind in ("tests.arithmetic", "tests.skipping") else {})
    return runs.start(kind, **options)


def _claimed(run_id) -> claims.Claim:
    """The claim of a run that must be claimable now."""
    claim = claims.claim(run_id)
    assert claim is not None
    return claim


def _messages(run):
    return [event.body.get("message") for event in RunEvent.objects.filter(run_id=run.pk).order_by("id")]


def _steps(run):
    return list(RunStep.objects.filter(run_id=run.pk).order_by("index").values_list("key", "status", "attempts"))


def _race(function, run_id, contenders=2):
    barrier = threading.Barrier(contenders)
    results, errors = [], []

    def contender():
        try:
            barrier.wait(timeout=10)
            results.append(function(run_id))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contender) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results


# --- kinds ---------------------------------------------------------------------------------------


def test_a_second_kind_under_a_taken_name_is_refused():
    class Impostor(runs.RunKind):
        name = "tests.arithmetic"
        steps = (runs.Step("x", "X", _add),)

    with pytest.raises(ImproperlyConfigured, match="already registered by Arithmetic"):
        runs.register(Impostor())


def test_a_kind_with_two_steps_of_one_key_is_refused():
    class Twice(runs.RunKind):
        name = "tests.twice"
        steps = (runs.Step("x", "X", _add), runs.Step("x", "Y", _add))

    with pytest.raises(ImproperlyConfigured, match="two steps have the same key"):
        runs.register(Twice())


def test_the_backoff_doubles_within_twenty_percent_and_stops_at_the_cap():
    kind = Flaky()
    delays = [kind.backoff(attempt) for attempt in (1, 2, 3, 10)]
    assert 32 <= delays[0] <= 48
    assert 64 <= delays[1] <= 96
    assert 128 <= delays[2] <= 192
    assert 480 <= delays[3] <= 720


# --- starting ------------------------------------------------------------------------------------


def test_start_writes_a_pending_run_with_its_steps_and_publishes_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run = runs.start("tests.arithmetic", params={"a": 2, "b": 3}, user=user)

    run.refresh_from_db()
    assert (run.kind, run.status, run.params, run.created_by, run.attempts) == (
        "tests.arithmetic",
        "pending",
        {"a": 2, "b": 3},
        user,
        0,
    )
    assert _steps(run) == [("add", "pending", 0), ("double", "pending", 0)]
    assert list(run.steps.values_list("name", "action")) == [("Add", "_add"), ("Double", "_double")]
    assert len(callbacks) == 1


def test_start_refuses_an_unknown_kind_and_writes_nothing(db):
    with pytest.raises(runs.UnknownRunKind, match=r"Unknown run kind 'tests\.nope'"):
        runs.start("tests.nope")
    assert Run.objects.count() == 0


def test_start_refuses_params_that_are_not_json_and_writes_nothing(db):
    with pytest.raises(ValueError, match="JSON-serialisable"):
        runs.start("tests.arithmetic", params={"a": object()})
    with pytest.raises(ValueError, match="string keys"):
        runs.start("tests.arithmetic", params={1: 2})  # type: ignore[dict-item]  # the wrong key is the point
    assert Run.objects.count() == 0


def test_start_once_returns_the_active_run_of_the_same_kind_and_object(user, other_user):
    first, created = runs.start_once("tests.rename", user, params={"user_id": user.pk, "first_name": "A"})
    again, created_again = runs.start_once("tests.rename", user, params={"user_id": user.pk, "first_name": "B"})
    other, created_other = runs.start_once("tests.rename", other_user, params={"user_id": 1, "first_name": "C"})

    assert (created, created_again, created_other) == (True, False, True)
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Run.objects.filter(kind="tests.rename").count() == 2


def test_start_once_starts_a_new_run_once_the_last_one_ended(user):
    first, _ = runs.start_once("tests.rename", user, params={"user_id": user.pk, "first_name": "A"})
    Run.objects.filter(pk=first.pk).update(status="succeeded")

    second, created = runs.start_once("tests.rename", user, params={"user_id": user.pk, "first_name": "B"})

    assert created is True
    assert second.pk != first.pk


def test_the_database_refuses_a_second_active_run_with_the_same_once_key(user):
    from django.db import IntegrityError, transaction

    runs.start("tests.rename", obj=user, once=True, params={"user_id": user.pk, "first_name": "x"})
    with pytest.raises(IntegrityError), transaction.atomic():
        runs.start("tests.rename", obj=user, once=True, params={"user_id": user.pk, "first_name": "y"})
    assert Run.objects.filter(kind="tests.rename").count() == 1


def test_concurrent_start_once_callers_start_one_run(transactional_db, user):
    """Callers that all miss the existing run: the partial unique index lets one create it."""
    key = runs.control.once_key("tests.rename", user)
    results = _race(
        lambda _ignored: runs.start_once("tests.rename", user, params={"user_id": user.pk, "first_name": "x"})[1],
        None,
        contenders=4,
    )
    assert sorted(results) == [False, False, False, True]
    assert Run.objects.filter(once_key=key).count() == 1


def test_record_effect_writes_an_effect_once_per_key(user):
    first, created = runs.record_effect(
        "tests.rename", "weekly-report:platform:2026-49", params={"user_id": user.pk, "first_name": "x"}
    )
    Run.objects.filter(pk=first.pk).update(status="succeeded")
    again, created_again = runs.record_effect(
        "tests.rename", "weekly-report:platform:2026-49", params={"user_id": user.pk, "first_name": "x"}
    )

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Run.objects.filter(effect_key="weekly-report:platform:2026-49").count() == 1


def test_an_effect_recorded_in_a_transaction_that_rolls_back_is_gone(user):
    from django.db import transaction

    class Boom(Exception):
        pass

    def change_that_fails() -> None:
        with transaction.atomic():
            runs.record_effect("tests.rename", "teardown:env-7", params={"user_id": user.pk, "first_name": "x"})
            raise Boom

    with pytest.raises(Boom):
        change_that_fails()

    assert Run.objects.filter(effect_key="teardown:env-7").exists() is False


def test_a_broker_that_is_down_does_not_fail_the_start(user, monkeypatch, django_capture_on_commit_callbacks):
    from portal.celery import app

    def refuse(*_args, **_kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(app, "connection_for_write", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.start("tests.arithmetic", params={"a": 1, "b": 1}, user=user)
    monkeypatch.undo()
    assert Run.objects.get(pk=run.pk).status == "pending"


# --- claiming ------------------------------------------------------------------------------------


def test_a_pending_run_is_claimed_exactly_once_by_concurrent_workers(transactional_db):
    run = _start("tests.arithmetic")
    results = _race(claims.claim, run.pk, contenders=4)
    assert sorted(result is not None for result in results) == [False, False, False, True]
    assert Run.objects.get(pk=run.pk).attempts == 1


def test_a_running_run_with_a_fresh_heartbeat_is_not_claimed(db):
    run = _start("tests.arithmetic")
    assert _claimed(run.pk).token == 1
    assert claims.claim(run.pk) is None
    wait = claims.wait_before_claim(run.pk)
    assert wait is not None
    assert 59 <= wait <= 61


def test_a_running_run_whose_heartbeat_is_stale_is_recovered_with_a_new_token(db, settings):
    run = _start("tests.arithmetic")
    first = _claimed(run.pk)
    Run.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=61))

    second = _claimed(run.pk)

    assert (second.token, second.recovered) == (2, True)
    assert Run.objects.get(pk=run.pk).recoveries == 1
    # The first worker, only slow, can no longer write.
    assert claims.update_run(run.pk, first.token, error="late") is False
    assert Run.objects.get(pk=run.pk).error == ""


def test_a_pending_run_waiting_for_its_backoff_is_not_claimed_before_it_is_due(db):
    run = _start("tests.arithmetic")
    Run.objects.filter(pk=run.pk).update(not_before=timezone.now() + datetime.timedelta(seconds=30))

    assert claims.claim(run.pk) is None
    wait = claims.wait_before_claim(run.pk)
    assert wait is not None
    assert 28 <= wait <= 31


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled"])
def test_a_finished_run_is_never_claimed(db, status):
    run = _start("tests.arithmetic")
    Run.objects.filter(pk=run.pk).update(status=status)
    assert claims.claim(run.pk) is None
    assert claims.wait_before_claim(run.pk) is None


def test_the_heartbeat_thread_refreshes_the_claim_and_notices_when_it_is_lost(transactional_db):
    run = _start("tests.arithmetic")
    claim = _claimed(run.pk)
    Run.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=30))
    beat = claims.Heartbeat(run.pk, claim.token, every=0.05).start()
    try:
        deadline = time.monotonic() + 5
        while Run.objects.filter(pk=run.pk, heartbeat__lt=timezone.now() - datetime.timedelta(seconds=5)).exists():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        Run.objects.filter(pk=run.pk).update(attempts=claim.token + 1)  # another worker took it
        while not beat.lost:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        beat.stop()


# --- executing -----------------------------------------------------------------------------------


def test_a_run_executes_its_steps_in_order_and_succeeds_with_their_outputs(db, user):
    run = _start("tests.arithmetic", user=user)

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome == runs.Outcome("succeeded")
    assert (run.status, run.error, run.output) == ("succeeded", "", {"add": {"sum": 5}, "double": {"double": 10}})
    assert _steps(run) == [("add", "succeeded", 1), ("double", "succeeded", 1)]
    assert _messages(run) == [
        "Beginning step Add",
        "Adding 2 and 3.",
        "Finished step Add",
        "Beginning step Double",
        "Finished step Double",
        "Run completed with status: succeeded",
    ]
    assert run.started is not None
    assert run.completed >= run.started


def test_a_second_message_for_a_finished_run_changes_nothing(db):
    run = _start("tests.arithmetic")
    runs.execute(run.pk)
    events = RunEvent.objects.filter(run_id=run.pk).count()
    calls = CALLS.count(str(run.pk))

    assert runs.execute(run.pk) == runs.Outcome("skipped", None)
    assert (RunEvent.objects.filter(run_id=run.pk).count(), CALLS.count(str(run.pk))) == (events, calls)


def test_a_message_for_a_run_alive_on_another_worker_comes_back_when_it_could_be_stale(db):
    """The crash hole of the former engine: a redelivered message must not drop the run."""
    run = _start("tests.arithmetic")
    claims.claim(run.pk)

    outcome = runs.execute(run.pk)

    assert outcome.status == "skipped"
    assert outcome.retry_in is not None
    assert 59 <= outcome.retry_in <= 61
    assert Run.objects.get(pk=run.pk).status == "running"


def test_a_permanent_error_fails_the_step_and_the_run_at_once_with_the_reason(db):
    run = _start("tests.missing")

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome == runs.Outcome("failed")
    assert run.error == "Step Fetch failed: GitHub answered 404: no repository acme/orders"
    assert _steps(run) == [("fetch", "failed", 1), ("after", "pending", 0)]
    assert RunStep.objects.get(run_id=run.pk, key="fetch").error == "GitHub answered 404: no repository acme/orders"
    assert _messages(run)[-2:] == [
        "GitHub answered 404: no repository acme/orders",
        "Run completed with status: failed",
    ]
    completion = RunEvent.objects.filter(run_id=run.pk, type="completion").get()
    assert completion.body["error"] == {"name": "Error", "message": run.error}


def test_an_unexpected_error_fails_with_its_type_and_the_traceback_goes_to_the_log_redacted(db, log_lines):
    run = _start("tests.broken", secrets={"token": "ghp_S3cret"})

    runs.execute(run.pk)

    run.refresh_from_db()
    assert run.error == "Step Boom failed: ValueError: unexpected ***"
    crashed = [line for line in log_lines() if line["event"] == "runs.step_crashed"]
    assert len(crashed) == 1
    assert "ValueError: unexpected ***" in crashed[0]["traceback"]
    assert "ghp_S3cret" not in str(log_lines())


def test_a_step_over_the_soft_time_limit_fails_with_a_plain_explanation(db, settings):
    run = _start("tests.slow")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert (
        run.error
        == f"Step Slow failed: The run took longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."
    )


def test_a_skipped_step_is_recorded_with_its_reason_and_the_run_goes_on(db):
    run = _start("tests.skipping")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert _steps(run) == [("create", "skipped", 1), ("add", "succeeded", 1)]
    assert "Nothing to do: the repository exists" in _messages(run)


def test_a_transient_error_puts_the_run_back_to_pending_with_a_backoff(db):
    run = _start("tests.flaky", params={"fail_times": 1})
    before = timezone.now()

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome.status == "waiting"
    assert outcome.retry_in is not None
    assert 32 <= outcome.retry_in <= 48
    assert run.status == "pending"
    assert run.not_before is not None
    assert 31 <= (run.not_before - before).total_seconds() <= 49
    assert _steps(run) == [("call", "pending", 1)]
    assert RunStep.objects.get(run_id=run.pk).error == "GitHub answered 503 (try 1)"
    assert _messages(run)[-1] == f"retrying in {outcome.retry_in:.0f} s (attempt 2 of 3): GitHub answered 503 (try 1)"
    assert RunEvent.objects.filter(run_id=run.pk).latest("id").body["level"] == "warning"


def test_a_transient_error_is_retried_until_the_step_succeeds(db):
    run = _start("tests.flaky", params={"fail_times": 2})
    for _ in range(2):
        assert runs.execute(run.pk).status == "waiting"
        Run.objects.filter(pk=run.pk).update(not_before=timezone.now())

    assert runs.execute(run.pk) == runs.Outcome("succeeded")
    run.refresh_from_db()
    assert run.output == {"call": {"try": 3}}
    assert _steps(run) == [("call", "succeeded", 3)]


def test_a_transient_error_on_the_last_attempt_fails_with_the_reason(db):
    run = _start("tests.flaky", params={"fail_times": 5})
    for _ in range(2):
        runs.execute(run.pk)
        Run.objects.filter(pk=run.pk).update(not_before=timezone.now())

    assert runs.execute(run.pk) == runs.Outcome("failed")
    run.refresh_from_db()
    assert run.error == "Step Call GitHub failed: GitHub answered 503 (try 3) (gave up after 3 attempts)"


def test_secrets_are_given_to_steps_and_redacted_from_everything_written(db):
    run = _start("tests.secretive", secrets={"token": "ghp_S3cret"})

    runs.execute(run.pk)

    run.refresh_from_db()
    assert run.output == {"use": {"header": "Bearer ***"}}
    assert "Using token ***" in _messages(run)
    assert run.secrets_encrypted == ""
    stored = str(list(Run.objects.filter(pk=run.pk).values())) + str(list(RunEvent.objects.values()))
    assert "ghp_S3cret" not in stored + str(list(RunStep.objects.values()))


def test_a_run_whose_secrets_cannot_be_decrypted_fails_clearly(db):
    run = _start("tests.secretive")
    Run.objects.filter(pk=run.pk).update(secrets_encrypted="not-a-fernet-token")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (
        "failed",
        "The run's secret values cannot be decrypted with the configured keys.",
    )


def test_a_run_of_a_kind_nobody_registered_fails_with_the_reason(db):
    run = _start("tests.arithmetic")
    Run.objects.filter(pk=run.pk).update(kind="tests.gone")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("Unknown run kind 'tests.gone'; registered kinds:")


def test_changes_made_inside_a_run_are_audited_with_the_user_who_started_it(db, user, other_user):
    run = _start("tests.rename", user=user, params={"user_id": other_user.pk, "first_name": "Olga"})

    runs.execute(run.pk)

    entry = AuditEntry.objects.filter(object_type="auth.user", object_id=str(other_user.pk), action="update").get()
    assert (entry.actor_id, entry.changes["first_name"]) == (user.pk, ["", "Olga"])


# --- recovery ------------------------------------------------------------------------------------


def test_a_run_whose_worker_died_resumes_at_the_step_it_was_in(db):
    run = _start("tests.arithmetic")
    claim = _claimed(run.pk)
    step = RunStep.objects.get(run_id=run.pk, key="add")
    claims.update_step(step, claim.token, status="succeeded", output={"sum": 5})
    claims.update_step(RunStep.objects.get(run_id=run.pk, key="double"), claim.token, status="running", attempts=1)
    Run.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=61))
    calls = CALLS.count(str(run.pk))

    assert runs.execute(run.pk) == runs.Outcome("succeeded")

    run.refresh_from_db()
    assert CALLS.count(str(run.pk)) == calls  # the done step did not run again
    assert run.output == {"add": {"sum": 5}, "double": {"double": 10}}
    assert _steps(run) == [("add", "succeeded", 0), ("double", "succeeded", 2)]
    recovered = RunEvent.objects.filter(run_id=run.pk, type="recovered").get()
    assert recovered.body["message"] == "The worker running this stopped; resuming at step Double."


def test_a_run_whose_worker_keeps_dying_is_failed_rather_than_resumed_again(db):
    run = _start("tests.arithmetic")
    claims.claim(run.pk)
    Run.objects.filter(pk=run.pk).update(recoveries=3, heartbeat=timezone.now() - datetime.timedelta(seconds=61))

    assert runs.execute(run.pk) == runs.Outcome("failed")
    run.refresh_from_db()
    assert run.error.startswith("Step Add failed: The worker running this stopped 4 times; giving up.")


# --- cancelling ----------------------------------------------------------------------------------


def test_cancelling_a_pending_run_ends_it_at_once_and_no_worker_runs_it(db, user):
    run = _start("tests.arithmetic", user=user)

    assert runs.cancel(run, by=user) is True

    run.refresh_from_db()
    assert (run.status, run.cancel_requested) == ("cancelled", True)
    assert _steps(run) == [("add", "cancelled", 0), ("double", "cancelled", 0)]
    assert _messages(run) == ["Cancelled by dev@example.com.", "Run completed with status: cancelled"]
    assert runs.execute(run.pk).status == "skipped"
    assert AuditEntry.objects.filter(action="cancel", object_id=str(run.pk), actor=user).count() == 1


def test_cancelling_a_running_run_stops_it_at_its_next_step_boundary(db, user):
    run = _start("tests.cancellable", user=user)
    claim = _claimed(run.pk)
    assert runs.cancel(run, by=user) is True
    assert Run.objects.get(pk=run.pk).status == "running"

    outcome = runs.executor.Executor(claim).run()

    run.refresh_from_db()
    assert outcome == runs.Outcome("cancelled")
    assert _steps(run) == [("wait", "cancelled", 0), ("add", "cancelled", 0)]
    assert _messages(run) == [
        "Cancellation requested by dev@example.com.",
        "Step Wait has been cancelled.",
        "Run completed with status: cancelled",
    ]


def test_a_long_step_that_checks_stops_within_the_step_when_cancelled(db, user):
    run = _start("tests.cancellable", user=user, params={"cancel_while_running": True})
    started = time.monotonic()

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome == runs.Outcome("cancelled")
    assert time.monotonic() - started < 2.5  # the step would take 3 s
    assert _steps(run) == [("wait", "cancelled", 1), ("add", "cancelled", 0)]
    assert _messages(run)[-2:] == ["Step Wait has been cancelled.", "Run completed with status: cancelled"]


def test_cancelling_a_finished_run_is_refused_and_changes_nothing(db, user):
    run = _start("tests.arithmetic")
    runs.execute(run.pk)
    events = RunEvent.objects.filter(run_id=run.pk).count()

    assert runs.cancel(run, by=user) is False
    assert (Run.objects.get(pk=run.pk).status, RunEvent.objects.filter(run_id=run.pk).count()) == ("succeeded", events)
    assert AuditEntry.objects.filter(action="cancel").count() == 0


# --- retrying ------------------------------------------------------------------------------------


def test_retry_runs_a_failed_run_again_from_its_failed_step_keeping_done_ones(db, user):
    run = _start("tests.flaky", params={"fail_times": 5}, user=user)
    for _ in range(3):
        runs.execute(run.pk)
        Run.objects.filter(pk=run.pk).update(not_before=timezone.now())
    Run.objects.filter(pk=run.pk).update(params={"fail_times": 0})

    retried = runs.retry(run, by=user)

    assert (retried.status, retried.error, retried.completed) == ("pending", "", None)
    assert _steps(run) == [("call", "pending", 0)]
    assert _messages(run)[-1] == "Retried by dev@example.com from step Call GitHub."
    assert runs.execute(run.pk) == runs.Outcome("succeeded")
    assert AuditEntry.objects.filter(action="retry", object_id=str(run.pk), actor=user).count() == 1


def test_retry_of_a_run_that_succeeded_is_refused_and_changes_nothing(db, user):
    run = _start("tests.arithmetic")
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
        assert time.monotonic() < deadline, _messages(dead)
        time.sleep(0.05)
    assert Run.objects.get(pk=dead.pk).recoveries == 1
    assert list(Run.objects.filter(pk__in=[recent.pk, waiting.pk]).values_list("status", flat=True)) == [
        "pending",
        "pending",
    ]
    # Published once per interval: a second sweep right after publishes nothing.
    assert runs.sweep() == {"pending": 0, "stale": 0, "published": 0}
