"""The audit trail of runs of audited kinds: their start and their end (succeeded, failed with the error,
cancelled), each ending recorded once, with the run's creator as the actor whoever ended it."""

import datetime

import pytest
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone

from portal import audit, runs
from portal.models import AuditEntry, Run
from tests.conftest import make_user
from tests.portal.runs_support import _wait_for_cancel as wait_for_cancel
from tests.portal.runs_support import add, start_run

FAILED_ONCE: set[str] = set()


def _missing(ctx):
    raise runs.PermanentError("GitHub answered 404: no repository acme/orders")


def _fails_the_first_time(ctx):
    if str(ctx.run.pk) not in FAILED_ONCE:
        FAILED_ONCE.add(str(ctx.run.pk))
        raise runs.PermanentError("GitHub answered 502")
    return {"done": True}


class AuditedSum(runs.RunKind):
    name = "tests.audited_sum"
    audited = True
    steps = (runs.Step("add", "Add", add),)


class AuditedMissing(runs.RunKind):
    name = "tests.audited_missing"
    audited = True
    steps = (runs.Step("fetch", "Fetch", _missing),)


class AuditedSecondTime(runs.RunKind):
    name = "tests.audited_second_time"
    audited = True
    steps = (runs.Step("call", "Call GitHub", _fails_the_first_time),)


class AuditedWaiting(runs.RunKind):
    name = "tests.audited_waiting"
    audited = True
    steps = (runs.Step("wait", "Wait", wait_for_cancel),)


for _kind in (AuditedSum(), AuditedMissing(), AuditedSecondTime(), AuditedWaiting()):
    runs.register(_kind)


@pytest.fixture
def lead(db):
    return make_user("lead@example.com", staff=True, is_superuser=True)


def trail(run):
    """``(action, actor id, changes)`` of the run's entries, oldest first."""
    entries = AuditEntry.objects.filter(object_type="portal.run", object_id=str(run.pk)).order_by("id")
    return [(entry.action, entry.actor_id, entry.changes) for entry in entries]


def test_a_run_that_succeeds_records_its_start_and_its_end_once(user):
    run = start_run("tests.audited_sum", user=user, params={"a": 2, "b": 3})

    assert runs.execute(run.pk).status == "succeeded"
    assert runs.execute(run.pk).status == "skipped"  # a duplicate message

    assert trail(run) == [
        ("create", user.pk, {"kind": [None, "tests.audited_sum"]}),
        ("succeeded", user.pk, {"status": ["running", "succeeded"]}),
    ]
    end = AuditEntry.objects.get(object_id=str(run.pk), action="succeeded")
    assert (end.actor_label, end.object_label) == ("dev@example.com", f"tests.audited_sum {run.pk} (succeeded)")


def test_a_run_that_fails_records_the_error(user):
    run = start_run("tests.audited_missing", user=user)

    runs.execute(run.pk)

    assert trail(run)[1:] == [
        (
            "failed",
            user.pk,
            {
                "status": ["running", "failed"],
                "error": ["", "Step Fetch failed: GitHub answered 404: no repository acme/orders"],
            },
        )
    ]


def test_a_waiting_run_cancelled_by_an_administrator_ends_in_the_name_of_its_creator(user, lead):
    run = start_run("tests.audited_sum", user=user, params={"a": 1, "b": 1})

    with audit.actor_context(user=lead, ip="10.0.0.9", request_id="req-1"):
        assert runs.cancel(run, by=lead) is True
        assert runs.cancel(run, by=lead) is False  # already ended: nothing more
    assert runs.execute(run.pk).status == "skipped"  # its message arrives after the end

    assert trail(run) == [
        ("create", user.pk, {"kind": [None, "tests.audited_sum"]}),
        ("cancel", lead.pk, {}),
        ("cancelled", user.pk, {"status": ["pending", "cancelled"]}),
    ]
    end = AuditEntry.objects.get(object_id=str(run.pk), action="cancelled")
    assert (end.ip, end.request_id) == (None, "req-1")


def test_a_running_run_cancelled_ends_once_when_its_worker_stops_it(user):
    run = start_run("tests.audited_waiting", user=user, params={"cancel_while_running": True})

    assert runs.execute(run.pk).status == "cancelled"

    assert trail(run)[1:] == [
        ("cancel", user.pk, {}),
        ("cancelled", user.pk, {"status": ["running", "cancelled"]}),
    ]


def test_a_run_whose_worker_died_cancelled_records_it_was_running(user, lead):
    run = start_run("tests.audited_sum", user=user, params={"a": 1, "b": 1})
    stale = timezone.now() - datetime.timedelta(hours=1)
    Run.objects.filter(pk=run.pk).update(status="running", attempts=1, heartbeat=stale)

    assert runs.cancel(run, by=lead) is True

    assert trail(run)[-1] == ("cancelled", user.pk, {"status": ["running", "cancelled"]})


def test_each_ending_of_a_retried_run_is_recorded(user):
    run = start_run("tests.audited_second_time", user=user)
    runs.execute(run.pk)

    runs.retry(run, by=user)
    runs.execute(run.pk)

    assert [(action, changes.get("status")) for action, _actor, changes in trail(run)] == [
        ("create", None),
        ("failed", ["running", "failed"]),
        ("retry", None),
        ("succeeded", ["running", "succeeded"]),
    ]


def test_a_run_nobody_started_ends_as_the_system_even_when_an_administrator_cancels_it(lead):
    run = start_run("tests.audited_sum", params={"a": 1, "b": 1})

    with audit.actor_context(user=lead):
        runs.cancel(run, by=lead)

    assert trail(run) == [
        ("create", None, {"kind": [None, "tests.audited_sum"]}),
        ("cancel", lead.pk, {}),
        ("cancelled", None, {"status": ["pending", "cancelled"]}),
    ]
    assert AuditEntry.objects.get(object_id=str(run.pk), action="cancelled").actor_label == ""


def test_the_end_of_a_kind_that_is_not_audited_is_not_recorded(user):
    run = start_run("tests.arithmetic", user=user)

    runs.execute(run.pk)

    assert trail(run) == []


def test_the_entries_of_a_run_are_one_link_away_from_its_page(staff_client, user):
    run = start_run("tests.audited_sum", user=user, params={"a": 2, "b": 3})
    runs.execute(run.pk)
    link = staff_client.get(reverse("portal:run", kwargs={"pk": run.pk})).context["audit_url"]

    page = staff_client.get(link)

    assert [(row["entry"].action, row["action"], row["object_url"]) for row in page.context["rows"]] == [
        ("succeeded", "Ended: succeeded", f"/runs/{run.pk}/"),
        ("create", "Created", f"/runs/{run.pk}/"),
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the refusing trigger is written for SQLite")
def test_a_run_does_not_end_without_its_audit_entry(user):
    """The end and its entry are one transaction: when the entry cannot be written, the run is given
    back and ends, once, on the next attempt."""
    run = start_run("tests.audited_sum", user=user, params={"a": 2, "b": 3})
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse_the_end BEFORE INSERT ON portal_auditentry WHEN NEW.action = 'succeeded' "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is unavailable'); END"
        )

    with pytest.raises(DatabaseError):
        runs.execute(run.pk)
    assert Run.objects.get(pk=run.pk).status == "pending"
    assert [action for action, _actor, _changes in trail(run)] == ["create"]

    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse_the_end")
    assert runs.execute(run.pk).status == "succeeded"
    assert [action for action, _actor, _changes in trail(run)] == ["create", "succeeded"]
