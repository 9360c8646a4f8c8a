"""/api/portal/runs: administrators see every run, a user their own; a run's steps and log; cancel and retry.

The runs are real catalog refreshes (``catalog.runs``) of files in the test's folder, run by the
engine as a worker would (``portal.runs.execute``).
"""

import datetime
import uuid

import pytest

from catalog import services
from catalog.models import Location
from portal import runs, tokens
from portal.models import AuditEntry, Run, RunEvent, RunStep
from portal.runs import claims

URL = "/api/portal/runs"
COMPONENT = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: {name}}}
spec: {{type: service, lifecycle: production, owner: team-x}}
"""
READ_ONLY_DETAIL = {"detail": "A read-only API token cannot change anything."}
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}


def _time(value: datetime.datetime | None) -> str | None:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def _bearer(user, *, read_only: bool) -> dict:
    issued = tokens.create_token(user, name="CI pipeline", read_only=read_only)
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.plaintext}"}


def _snapshot() -> tuple:
    """Every row a run is made of, to show that a refused request changed nothing."""
    return (
        list(Run.objects.order_by("id").values()),
        list(RunStep.objects.order_by("id").values()),
        list(RunEvent.objects.order_by("id").values()),
    )


@pytest.fixture
def folder(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    return tmp_path


def _location(folder, name: str) -> Location:
    path = folder / f"{name}.yaml"
    path.write_text(COMPONENT.format(name=name), encoding="utf-8")
    return services.register_location(type="file", target=str(path), refresh=False)


@pytest.fixture
def mine(folder, user) -> Run:
    """A refresh dev@example.com started, which succeeded."""
    run = services.refresh_location(_location(folder, "mine"), user=user)
    assert runs.execute(run.pk).status == "succeeded"
    return Run.objects.get(pk=run.pk)


@pytest.fixture
def theirs(folder, other_user) -> Run:
    """A refresh other@example.com started, which failed: its file was gone."""
    location = _location(folder, "theirs")
    (folder / "theirs.yaml").unlink()
    run = services.refresh_location(location, user=other_user)
    assert runs.execute(run.pk).status == "failed"
    return Run.objects.get(pk=run.pk)


@pytest.fixture
def unowned(db) -> Run:
    """The scheduled refresh of every location, still waiting for a worker."""
    return services.refresh_all()


@pytest.fixture
def waiting(folder, user) -> Run:
    """A refresh dev@example.com started, still waiting for a worker."""
    return services.refresh_location(_location(folder, "waiting"), user=user)


# --- the list ------------------------------------------------------------------------------------


def test_an_admin_sees_every_run_newest_first(staff_client, mine, theirs, unowned):
    response = staff_client.get(URL)

    assert _ids(response) == [str(unowned.pk), str(theirs.pk), str(mine.pk)]
    assert (response.json()["count"], response.json()["next"], response.json()["previous"]) == (3, None, None)


def test_a_user_sees_only_their_own_runs(signed_in, user, mine, theirs, unowned):
    response = signed_in.get(URL)

    assert _ids(response) == [str(mine.pk)]
    assert response.json()["results"][0] == {
        "id": str(mine.pk),
        "kind": "catalog.refresh_location",
        "status": "succeeded",
        "params": {"location_id": mine.object_id},
        "created_by": user.pk,
        "created_by_email": "dev@example.com",
        "object_type": "catalog.location",
        "object_id": mine.object_id,
        "created": _time(mine.created),
        "started": _time(mine.started),
        "completed": _time(mine.completed),
        "heartbeat": _time(mine.heartbeat),
        "not_before": None,
        "duration": (mine.completed - mine.started).total_seconds(),
        "attempts": 1,
        "recoveries": 0,
        "cancel_requested": False,
        "error": "",
        "output": {
            "location_id": mine.object_id,
            "status": "ok",
            "sources_read": 1,
            "sources_unchanged": 0,
            "added": 1,
            "updated": 0,
            "unchanged": 0,
            "orphaned": 0,
            "errors": 0,
        },
    }


def test_a_run_nobody_started_shows_no_creator(staff_client, unowned):
    response = staff_client.get(URL)

    [item] = response.json()["results"]
    assert (item["created_by"], item["created_by_email"], item["started"], item["duration"]) == (None, None, None, None)


def test_a_user_asking_for_someone_elses_runs_still_gets_only_their_own(signed_in, other_user, mine, theirs):
    response = signed_in.get(URL, {"created_by": other_user.pk})

    assert _ids(response) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, ["theirs"]),
        ({"kind": "catalog.refresh_location"}, ["theirs", "mine"]),
        ({"kind": "catalog.refresh_location", "status": "succeeded"}, ["mine"]),
        ({"kind": "catalog.refresh_all", "status": "pending"}, ["unowned"]),
        ({"object_type": "catalog.location"}, ["theirs", "mine"]),
        ({"created_by": "mine"}, ["mine"]),
        ({"object_id": "mine"}, ["mine"]),
        ({"kind": "catalog.refresh"}, []),
    ],
)
def test_the_run_list_filters(staff_client, mine, theirs, unowned, query, expected):
    named = {"mine": mine, "theirs": theirs, "unowned": unowned}
    if query.get("created_by") == "mine":
        query = {"created_by": mine.created_by_id}
    if query.get("object_id") == "mine":
        query = {"object_id": mine.object_id}

    response = staff_client.get(URL, query)

    assert _ids(response) == [str(named[name].pk) for name in expected]


def test_the_run_list_is_paginated_by_limit_and_offset(staff_client, mine, theirs, unowned):
    response = staff_client.get(URL, {"limit": 1, "offset": 1})

    assert _ids(response) == [str(theirs.pk)]
    assert response.json()["count"] == 3
    assert response.json()["next"] == "http://testserver/api/portal/runs?limit=1&offset=2"
    assert response.json()["previous"] == "http://testserver/api/portal/runs?limit=1"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "exploded"}, "status"),
        ({"created_by": "seven"}, "created_by"),
        ({"created_by": "0"}, "created_by"),
        ({"created_by": "9223372036854775808"}, "created_by"),
        ({"kind": "k" * 101}, "kind"),
        ({"object_type": "t" * 101}, "object_type"),
        ({"object_id": "1" * 65}, "object_id"),
        ({"kind": "catalog.\x00refresh"}, "kind"),
    ],
)
def test_a_bad_filter_is_answered_with_400(staff_client, mine, query, field):
    response = staff_client.get(URL, query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("offset", ["9223372036854775807", "9223372036854775808", "10" * 40])
def test_a_huge_offset_is_an_empty_page_not_a_server_error(staff_client, mine, offset):
    response = staff_client.get(URL, {"offset": offset})

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (1, [])


def test_the_run_list_costs_the_same_few_queries_however_long_it_is(
    staff_client, user, other_user, django_assert_max_num_queries
):
    for number in range(40):
        runs.start("catalog.refresh_all", user=(user, other_user)[number % 2])

    # session, user, count, the page (with its creators)
    with django_assert_max_num_queries(4):
        response = staff_client.get(URL, {"limit": 30})

    assert len(_ids(response)) == 30
    assert {item["created_by_email"] for item in response.json()["results"]} == {
        "dev@example.com",
        "other@example.com",
    }


def test_a_users_run_list_costs_the_same_few_queries(signed_in, user, other_user, django_assert_max_num_queries):
    for number in range(40):
        runs.start("catalog.refresh_all", user=(user, other_user)[number % 2])

    with django_assert_max_num_queries(4):
        response = signed_in.get(URL, {"limit": 30})

    assert len(_ids(response)) == 20
    assert {item["created_by_email"] for item in response.json()["results"]} == {"dev@example.com"}


# --- one run, and its log -------------------------------------------------------------------------


def test_a_user_reads_their_own_run_with_its_steps(signed_in, mine):
    response = signed_in.get(f"{URL}/{mine.pk}")

    assert response.status_code == 200
    step = RunStep.objects.get(run=mine)
    assert response.json()["steps"] == [
        {
            "key": "read",
            "name": "Read the location",
            "action": "catalog.read_location",
            "status": "succeeded",
            "attempts": 1,
            "started": _time(step.started),
            "completed": _time(step.completed),
            "output": mine.output,
            "error": "",
        }
    ]
    assert {key: value for key, value in response.json().items() if key != "steps"} == (
        signed_in.get(URL).json()["results"][0]
    )


def test_a_run_detail_takes_a_handful_of_queries(signed_in, mine, django_assert_max_num_queries):
    # session, user, the run (with its creator), its steps
    with django_assert_max_num_queries(4):
        assert signed_in.get(f"{URL}/{mine.pk}").status_code == 200


def test_another_users_run_answers_404_as_if_it_did_not_exist(signed_in, theirs):
    detail = signed_in.get(f"{URL}/{theirs.pk}")
    events = signed_in.get(f"{URL}/{theirs.pk}/events")
    missing = signed_in.get(f"{URL}/{uuid.uuid4()}")

    assert (detail.status_code, events.status_code, missing.status_code) == (404, 404, 404)
    assert detail.json() == missing.json()
    assert events.json() == {"detail": "No such run."}


def test_a_path_that_is_not_a_run_id_answers_404(staff_client, mine):
    assert staff_client.get(f"{URL}/1").status_code == 404


def test_an_admin_reads_any_run_with_the_reason_it_failed(staff_client, theirs):
    response = staff_client.get(f"{URL}/{theirs.pk}")

    path = Location.objects.get(pk=theirs.object_id).target
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"]) == (
        "failed",
        f"Step Read the location failed: {path} does not exist",
    )
    assert [(step["key"], step["status"], step["error"]) for step in response.json()["steps"]] == [
        ("read", "failed", f"{path} does not exist")
    ]


def test_a_user_reads_their_runs_log_oldest_first(signed_in, mine):
    response = signed_in.get(f"{URL}/{mine.pk}/events")

    assert response.status_code == 200
    events = list(RunEvent.objects.filter(run=mine).order_by("id"))
    assert response.json() == [
        {"id": event.pk, "type": event.type, "body": event.body, "created": _time(event.created)} for event in events
    ]
    path = Location.objects.get(pk=mine.object_id).target
    assert [(item["type"], item["body"]["message"]) for item in response.json()] == [
        ("log", "Beginning step Read the location"),
        ("log", f"Reading file location {path}"),
        ("log", "Sources: 1 read, 0 unchanged (skipped), 0 could not be read."),
        ("log", "Entities: 1 added, 0 updated, 0 moved, 0 unchanged, 0 orphaned."),
        ("log", "Finished step Read the location"),
        ("completion", "Run completed with status: succeeded"),
    ]
    assert response.json()[0]["body"] == {
        "message": "Beginning step Read the location",
        "stepId": "read",
        "status": "running",
    }


def test_the_log_is_read_after_an_event_id_and_up_to_a_limit(signed_in, mine):
    ids = list(RunEvent.objects.filter(run=mine).order_by("id").values_list("id", flat=True))

    after = signed_in.get(f"{URL}/{mine.pk}/events", {"after": ids[1], "limit": 2})
    last = signed_in.get(f"{URL}/{mine.pk}/events", {"after": ids[-1]})

    assert [item["id"] for item in after.json()] == ids[2:4]
    assert (last.status_code, last.json()) == (200, [])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "x"}, "after"),
        ({"after": "9223372036854775808"}, "after"),
        ({"after": "10" * 40}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "9223372036854775808"}, "limit"),
    ],
)
def test_a_bad_log_query_is_answered_with_400(signed_in, mine, query, field):
    response = signed_in.get(f"{URL}/{mine.pk}/events", query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_largest_event_id_is_a_valid_after(signed_in, mine):
    response = signed_in.get(f"{URL}/{mine.pk}/events", {"after": str(2**63 - 1)})

    assert (response.status_code, response.json()) == (200, [])


# --- cancel ---------------------------------------------------------------------------------------


def test_a_user_cancels_their_waiting_run_at_once(signed_in, waiting):
    response = signed_in.post(f"{URL}/{waiting.pk}/cancel")

    waiting.refresh_from_db()
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_requested"]) == ("cancelled", True)
    assert response.json()["completed"] == _time(waiting.completed)
    assert waiting.status == "cancelled"
    assert list(RunStep.objects.filter(run=waiting).values_list("key", "status")) == [("read", "cancelled")]
    assert [(event.type, event.message) for event in waiting.events.order_by("id")] == [
        ("cancelled", "Cancelled by dev@example.com."),
        ("completion", "Run completed with status: cancelled"),
    ]
    assert AuditEntry.objects.filter(action="cancel", object_id=str(waiting.pk)).count() == 1


def test_cancelling_a_running_run_asks_its_worker_to_stop(signed_in, waiting):
    assert claims.claim(waiting.pk) is not None  # a worker took it and is alive

    response = signed_in.post(f"{URL}/{waiting.pk}/cancel")

    waiting.refresh_from_db()
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_requested"]) == ("running", True)
    assert (waiting.status, waiting.cancel_requested) == ("running", True)
    assert [event.message for event in waiting.events.order_by("id")] == ["Cancellation requested by dev@example.com."]


def test_an_admin_cancels_anyones_run(staff_client, unowned):
    response = staff_client.post(f"{URL}/{unowned.pk}/cancel")

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert [event.message for event in RunEvent.objects.filter(run=unowned).order_by("id")] == [
        "Cancelled by admin@example.com.",
        "Run completed with status: cancelled",
    ]


def test_cancelling_a_run_that_has_ended_answers_409_and_changes_nothing(signed_in, mine):
    before = _snapshot()

    response = signed_in.post(f"{URL}/{mine.pk}/cancel")

    assert (response.status_code, response.json()) == (409, {"detail": "The run has already ended (succeeded)."})
    assert _snapshot() == before


def test_a_user_cannot_cancel_someone_elses_run_and_it_goes_on(signed_in, other_user, folder):
    run = services.refresh_location(_location(folder, "other"), user=other_user)
    before = _snapshot()
    audit_before = AuditEntry.objects.count()

    response = signed_in.post(f"{URL}/{run.pk}/cancel")

    assert (response.status_code, response.json()) == (404, {"detail": "No such run."})
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_before


# --- retry ----------------------------------------------------------------------------------------


def test_an_admin_retries_a_failed_run_from_its_failed_step(staff_client, theirs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as published:
        response = staff_client.post(f"{URL}/{theirs.pk}/retry")

    theirs.refresh_from_db()
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"], response.json()["error"]) == (
        str(theirs.pk),
        "pending",
        "",
    )
    assert (theirs.status, theirs.error, theirs.completed) == ("pending", "", None)
    assert list(RunStep.objects.filter(run=theirs).values_list("key", "status", "error", "attempts")) == [
        ("read", "pending", "", 0)
    ]
    assert theirs.events.order_by("id").last().message == "Retried by admin@example.com from step Read the location."
    assert len(published) == 1  # the message that runs it, once the retry commits
    assert AuditEntry.objects.filter(action="retry", object_id=str(theirs.pk)).count() == 1


def test_a_retried_run_runs_again_and_can_succeed(signed_in, folder, user):
    location = _location(folder, "again")
    (folder / "again.yaml").unlink()
    run = services.refresh_location(location, user=user)
    runs.execute(run.pk)
    (folder / "again.yaml").write_text(COMPONENT.format(name="again"), encoding="utf-8")

    response = signed_in.post(f"{URL}/{run.pk}/retry")
    outcome = runs.execute(run.pk)

    run.refresh_from_db()
    assert (response.status_code, outcome.status, run.status, run.attempts) == (200, "succeeded", "succeeded", 2)


def test_a_cancelled_run_may_be_retried(signed_in, waiting):
    signed_in.post(f"{URL}/{waiting.pk}/cancel")

    response = signed_in.post(f"{URL}/{waiting.pk}/retry")

    assert (response.status_code, response.json()["status"], response.json()["cancel_requested"]) == (
        200,
        "pending",
        False,
    )


@pytest.mark.parametrize("fixture", ["mine", "waiting"])
def test_retrying_a_run_that_did_not_fail_answers_409_and_changes_nothing(signed_in, request, fixture):
    run = request.getfixturevalue(fixture)
    before = _snapshot()

    response = signed_in.post(f"{URL}/{run.pk}/retry")

    assert (response.status_code, response.json()) == (
        409,
        {"detail": f"Only a failed or cancelled run can be retried; this one is {run.status}."},
    )
    assert _snapshot() == before


def test_retrying_a_run_of_a_kind_this_version_no_longer_has_answers_409_and_changes_nothing(signed_in, user):
    # Given a failed run of a kind no longer registered (a former job's name, kept by the migration)
    run = Run.objects.create(kind="costs.legacy_ingest", status="failed", created_by=user, error="Quota exceeded.")
    before = _snapshot()

    response = signed_in.post(f"{URL}/{run.pk}/retry")

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "The run cannot be retried: this version of Atrium has no run kind 'costs.legacy_ingest'."},
    )
    assert _snapshot() == before


def test_a_waiting_run_of_a_kind_this_version_no_longer_has_can_be_cancelled(signed_in, user):
    run = Run.objects.create(kind="costs.legacy_ingest", status="pending", created_by=user)

    response = signed_in.post(f"{URL}/{run.pk}/cancel")

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


def test_a_user_cannot_retry_someone_elses_run(signed_in, theirs):
    before = _snapshot()
    audit_before = AuditEntry.objects.count()

    response = signed_in.post(f"{URL}/{theirs.pk}/retry")

    assert (response.status_code, response.json()) == (404, {"detail": "No such run."})
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_before


# --- who may call ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "/{pk}", "/{pk}/events"])
def test_an_anonymous_caller_must_authenticate_to_read(client, mine, path):
    response = client.get(URL + path.format(pk=mine.pk))

    assert (response.status_code, response.json()) == (401, NOT_SIGNED_IN)


@pytest.mark.parametrize("action", ["cancel", "retry"])
def test_an_anonymous_caller_must_authenticate_to_cancel_or_retry_and_nothing_changes(client, theirs, waiting, action):
    before = _snapshot()

    cancelled = client.post(f"{URL}/{waiting.pk}/{action}")
    retried = client.post(f"{URL}/{theirs.pk}/{action}")

    assert (cancelled.status_code, retried.status_code) == (401, 401)
    assert _snapshot() == before


def test_a_read_only_token_reads_runs(client, user, mine):
    response = client.get(URL, **_bearer(user, read_only=True))

    assert _ids(response) == [str(mine.pk)]


@pytest.mark.parametrize("action", ["cancel", "retry"])
def test_a_read_only_token_cannot_cancel_or_retry_and_nothing_changes(client, user, waiting, folder, action):
    location = _location(folder, "failed")
    (folder / "failed.yaml").unlink()
    failed = services.refresh_location(location, user=user)
    runs.execute(failed.pk)
    headers = _bearer(user, read_only=True)
    before = _snapshot()
    audit_before = AuditEntry.objects.count()

    on_waiting = client.post(f"{URL}/{waiting.pk}/{action}", **headers)
    on_failed = client.post(f"{URL}/{failed.pk}/{action}", **headers)

    assert (on_waiting.status_code, on_waiting.json()) == (403, READ_ONLY_DETAIL)
    assert (on_failed.status_code, on_failed.json()) == (403, READ_ONLY_DETAIL)
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_before


def test_a_read_write_token_cancels(client, user, waiting):
    response = client.post(f"{URL}/{waiting.pk}/cancel", **_bearer(user, read_only=False))

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")


@pytest.mark.parametrize(("method", "path"), [("post", ""), ("put", "/{pk}"), ("patch", "/{pk}"), ("delete", "/{pk}")])
def test_runs_cannot_be_written_through_the_api(staff_client, mine, method, path):
    before = _snapshot()

    response = getattr(staff_client, method)(
        URL + path.format(pk=mine.pk),
        {"kind": "catalog.refresh_all", "status": "failed"},
        content_type="application/json",
    )

    assert response.status_code == 405
    assert _snapshot() == before


@pytest.mark.parametrize("action", ["cancel", "retry"])
def test_cancel_and_retry_answer_only_post(staff_client, theirs, action):
    before = _snapshot()

    response = staff_client.get(f"{URL}/{theirs.pk}/{action}")

    assert response.status_code == 405
    assert _snapshot() == before


def test_the_run_endpoints_are_named(db):
    from django.urls import reverse

    pk = uuid.UUID(int=1)
    assert [
        reverse("portal-api:run-list"),
        reverse("portal-api:run-detail", args=[pk]),
        reverse("portal-api:run-events", args=[pk]),
        reverse("portal-api:run-cancel", args=[pk]),
        reverse("portal-api:run-retry", args=[pk]),
    ] == [URL, f"{URL}/{pk}", f"{URL}/{pk}/events", f"{URL}/{pk}/cancel", f"{URL}/{pk}/retry"]
