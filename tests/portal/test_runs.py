"""The run engine: kinds, starting (once per object, as an effect), claiming with a fencing token, and
executing steps with their transient and permanent errors."""

import datetime
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from portal import runs
from portal.models import AuditEntry, Run, RunEvent, RunStep
from portal.runs import claims
from tests.portal.runs_support import CALLS, Flaky, add, claimed, messages, race, start_run, steps_of

# --- kinds ---------------------------------------------------------------------------------------


def test_a_second_kind_under_a_taken_name_is_refused():
    class Impostor(runs.RunKind):
        name = "tests.arithmetic"
        steps = (runs.Step("x", "X", add),)

    with pytest.raises(ImproperlyConfigured, match="already registered by Arithmetic"):
        runs.register(Impostor())


def test_a_kind_with_two_steps_of_one_key_is_refused():
    class Twice(runs.RunKind):
        name = "tests.twice"
        steps = (runs.Step("x", "X", add), runs.Step("x", "Y", add))

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
    assert steps_of(run) == [("add", "pending", 0), ("double", "pending", 0)]
    assert list(run.steps.values_list("name", "action")) == [("Add", "add"), ("Double", "_double")]
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
    results = race(
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
    run = start_run("tests.arithmetic")
    results = race(claims.claim, run.pk, contenders=4)
    assert sorted(result is not None for result in results) == [False, False, False, True]
    assert Run.objects.get(pk=run.pk).attempts == 1


def test_a_running_run_with_a_fresh_heartbeat_is_not_claimed(db):
    run = start_run("tests.arithmetic")
    assert claimed(run.pk).token == 1
    assert claims.claim(run.pk) is None
    wait = claims.wait_before_claim(run.pk)
    assert wait is not None
    assert 59 <= wait <= 61


def test_a_running_run_whose_heartbeat_is_stale_is_recovered_with_a_new_token(db, settings):
    run = start_run("tests.arithmetic")
    first = claimed(run.pk)
    Run.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - datetime.timedelta(seconds=61))

    second = claimed(run.pk)

    assert (second.token, second.recovered) == (2, True)
    assert Run.objects.get(pk=run.pk).recoveries == 1
    # The first worker, only slow, can no longer write.
    assert claims.update_run(run.pk, first.token, error="late") is False
    assert Run.objects.get(pk=run.pk).error == ""


def test_a_pending_run_waiting_for_its_backoff_is_not_claimed_before_it_is_due(db):
    run = start_run("tests.arithmetic")
    Run.objects.filter(pk=run.pk).update(not_before=timezone.now() + datetime.timedelta(seconds=30))

    assert claims.claim(run.pk) is None
    wait = claims.wait_before_claim(run.pk)
    assert wait is not None
    assert 28 <= wait <= 31


@pytest.mark.parametrize("status", ["succeeded", "failed", "cancelled"])
def test_a_finished_run_is_never_claimed(db, status):
    run = start_run("tests.arithmetic")
    Run.objects.filter(pk=run.pk).update(status=status)
    assert claims.claim(run.pk) is None
    assert claims.wait_before_claim(run.pk) is None


def test_the_heartbeat_thread_refreshes_the_claim_and_notices_when_it_is_lost(transactional_db):
    run = start_run("tests.arithmetic")
    claim = claimed(run.pk)
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
    run = start_run("tests.arithmetic", user=user)

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome == runs.Outcome("succeeded")
    assert (run.status, run.error, run.output) == ("succeeded", "", {"add": {"sum": 5}, "double": {"double": 10}})
    assert steps_of(run) == [("add", "succeeded", 1), ("double", "succeeded", 1)]
    assert messages(run) == [
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
    run = start_run("tests.arithmetic")
    runs.execute(run.pk)
    events = RunEvent.objects.filter(run_id=run.pk).count()
    calls = CALLS.count(str(run.pk))

    assert runs.execute(run.pk) == runs.Outcome("skipped", None)
    assert (RunEvent.objects.filter(run_id=run.pk).count(), CALLS.count(str(run.pk))) == (events, calls)


def test_a_message_for_a_run_alive_on_another_worker_comes_back_when_it_could_be_stale(db):
    """The crash hole of the former engine: a redelivered message must not drop the run."""
    run = start_run("tests.arithmetic")
    claims.claim(run.pk)

    outcome = runs.execute(run.pk)

    assert outcome.status == "skipped"
    assert outcome.retry_in is not None
    assert 59 <= outcome.retry_in <= 61
    assert Run.objects.get(pk=run.pk).status == "running"


def test_a_permanent_error_fails_the_step_and_the_run_at_once_with_the_reason(db):
    run = start_run("tests.missing")

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome == runs.Outcome("failed")
    assert run.error == "Step Fetch failed: GitHub answered 404: no repository acme/orders"
    assert steps_of(run) == [("fetch", "failed", 1), ("after", "pending", 0)]
    assert RunStep.objects.get(run_id=run.pk, key="fetch").error == "GitHub answered 404: no repository acme/orders"
    assert messages(run)[-2:] == [
        "GitHub answered 404: no repository acme/orders",
        "Run completed with status: failed",
    ]
    completion = RunEvent.objects.filter(run_id=run.pk, type="completion").get()
    assert completion.body["error"] == {"name": "Error", "message": run.error}


def test_an_unexpected_error_fails_with_its_type_and_the_traceback_goes_to_the_log_redacted(db, log_lines):
    run = start_run("tests.broken", secrets={"token": "ghp_S3cret"})

    runs.execute(run.pk)

    run.refresh_from_db()
    assert run.error == "Step Boom failed: ValueError: unexpected ***"
    crashed = [line for line in log_lines() if line["event"] == "runs.step_crashed"]
    assert len(crashed) == 1
    assert "ValueError: unexpected ***" in crashed[0]["traceback"]
    assert "ghp_S3cret" not in str(log_lines())


def test_a_step_over_the_soft_time_limit_fails_with_a_plain_explanation(db, settings):
    run = start_run("tests.slow")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert (
        run.error
        == f"Step Slow failed: The run took longer than its time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)."
    )


def test_a_skipped_step_is_recorded_with_its_reason_and_the_run_goes_on(db):
    run = start_run("tests.skipping")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert steps_of(run) == [("create", "skipped", 1), ("add", "succeeded", 1)]
    assert "Nothing to do: the repository exists" in messages(run)


def test_a_step_that_fails_softly_keeps_its_output_and_reason_and_the_run_goes_on(db):
    run = start_run("tests.failing_softly", params={"a": 2, "b": 3})
    runs.execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.output, run.error) == ("succeeded", {"seen": ["add", "publish"]}, "")
    assert steps_of(run) == [("publish", "failed", 1), ("add", "succeeded", 1)]
    publish = RunStep.objects.get(run_id=run.pk, key="publish")
    assert (publish.error, publish.output) == (
        "Would fail: no GitHub token",
        {"remoteUrl": "https://github.com/acme/x.git"},
    )
    failed = RunEvent.objects.filter(run_id=run.pk, body__stepId="publish", body__status="failed").get()
    assert (failed.body["message"], failed.body["level"]) == ("Would fail: no GitHub token", "error")


def test_a_transient_error_puts_the_run_back_to_pending_with_a_backoff(db):
    run = start_run("tests.flaky", params={"fail_times": 1})
    before = timezone.now()

    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert outcome.status == "waiting"
    assert outcome.retry_in is not None
    assert 32 <= outcome.retry_in <= 48
    assert run.status == "pending"
    assert run.not_before is not None
    assert 31 <= (run.not_before - before).total_seconds() <= 49
    assert steps_of(run) == [("call", "pending", 1)]
    assert RunStep.objects.get(run_id=run.pk).error == "GitHub answered 503 (try 1)"
    assert messages(run)[-1] == f"retrying in {outcome.retry_in:.0f} s (attempt 2 of 3): GitHub answered 503 (try 1)"
    assert RunEvent.objects.filter(run_id=run.pk).latest("id").body["level"] == "warning"


def test_a_transient_error_is_retried_until_the_step_succeeds(db):
    run = start_run("tests.flaky", params={"fail_times": 2})
    for _ in range(2):
        assert runs.execute(run.pk).status == "waiting"
        Run.objects.filter(pk=run.pk).update(not_before=timezone.now())

    assert runs.execute(run.pk) == runs.Outcome("succeeded")
    run.refresh_from_db()
    assert run.output == {"call": {"try": 3}}
    assert steps_of(run) == [("call", "succeeded", 3)]


def test_a_transient_error_on_the_last_attempt_fails_with_the_reason(db):
    run = start_run("tests.flaky", params={"fail_times": 5})
    for _ in range(2):
        runs.execute(run.pk)
        Run.objects.filter(pk=run.pk).update(not_before=timezone.now())

    assert runs.execute(run.pk) == runs.Outcome("failed")
    run.refresh_from_db()
    assert run.error == "Step Call GitHub failed: GitHub answered 503 (try 3) (gave up after 3 attempts)"


def test_secrets_are_given_to_steps_and_redacted_from_everything_written(db):
    run = start_run("tests.secretive", secrets={"token": "ghp_S3cret"})

    runs.execute(run.pk)

    run.refresh_from_db()
    assert run.output == {"use": {"header": "Bearer ***"}}
    assert "Using token ***" in messages(run)
    assert run.secrets_encrypted == ""
    stored = str(list(Run.objects.filter(pk=run.pk).values())) + str(list(RunEvent.objects.values()))
    assert "ghp_S3cret" not in stored + str(list(RunStep.objects.values()))


def test_a_run_whose_secrets_cannot_be_decrypted_fails_clearly(db):
    run = start_run("tests.secretive")
    Run.objects.filter(pk=run.pk).update(secrets_encrypted="not-a-fernet-token")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (
        "failed",
        "The run's secret values cannot be decrypted with the configured keys.",
    )


def test_a_run_of_a_kind_nobody_registered_fails_with_the_reason(db):
    run = start_run("tests.arithmetic")
    Run.objects.filter(pk=run.pk).update(kind="tests.gone")
    runs.execute(run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("Unknown run kind 'tests.gone'; registered kinds:")


def test_changes_made_inside_a_run_are_audited_with_the_user_who_started_it(db, user, other_user):
    run = start_run("tests.rename", user=user, params={"user_id": other_user.pk, "first_name": "Olga"})

    runs.execute(run.pk)

    entry = AuditEntry.objects.filter(object_type="auth.user", object_id=str(other_user.pk), action="update").get()
    assert (entry.actor_id, entry.changes["first_name"]) == (user.pk, ["", "Olga"])
