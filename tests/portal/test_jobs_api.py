"""GET /api/portal/jobs and /api/portal/jobs/{id}: administrators see every job, a user their own."""

import datetime

import pytest
from django.utils import timezone

from portal.models import Job

URL = "/api/portal/jobs"


@pytest.fixture
def mine(user):
    started = timezone.now() - datetime.timedelta(seconds=90)
    return Job.objects.create(
        name="catalog.refresh",
        params={"location_id": 7},
        user=user,
        status="succeeded",
        attempts=1,
        started=started,
        completed=started + datetime.timedelta(seconds=12, milliseconds=500),
        log=[{"at": started.isoformat(), "level": "info", "message": "Read 3 entities."}],
        result={"entities": 3},
    )


@pytest.fixture
def theirs(other_user):
    return Job.objects.create(name="costs.ingest", user=other_user, status="failed", error="Quota exceeded.")


@pytest.fixture
def unowned(db):
    return Job.objects.create(name="catalog.refresh", status="pending")


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_an_admin_sees_every_job_newest_first(staff_client, mine, theirs, unowned):
    response = staff_client.get(URL)

    assert _ids(response) == [unowned.pk, theirs.pk, mine.pk]
    assert response.json()["count"] == 3


def test_a_user_sees_only_their_own_jobs(signed_in, user, mine, theirs, unowned):
    response = signed_in.get(URL)

    assert _ids(response) == [mine.pk]
    assert response.json()["results"][0] == {
        "id": mine.pk,
        "name": "catalog.refresh",
        "status": "succeeded",
        "params": {"location_id": 7},
        "user": user.pk,
        "user_email": "dev@example.com",
        "object_type": "",
        "object_id": "",
        "created": mine.created.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "started": mine.started.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "completed": mine.completed.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "duration": 12.5,
        "attempts": 1,
        "error": "",
        "result": {"entities": 3},
    }


def test_a_user_asking_for_someone_elses_jobs_still_gets_only_their_own(signed_in, other_user, mine, theirs):
    response = signed_in.get(URL, {"user": other_user.pk})

    assert _ids(response) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, ["theirs"]),
        ({"name": "catalog.refresh"}, ["unowned", "mine"]),
        ({"name": "catalog.refresh", "status": "pending"}, ["unowned"]),
    ],
)
def test_the_job_list_filters_by_status_and_name(staff_client, mine, theirs, unowned, query, expected):
    jobs = {"mine": mine, "theirs": theirs, "unowned": unowned}

    response = staff_client.get(URL, query)

    assert _ids(response) == [jobs[name].pk for name in expected]


def test_an_unknown_status_is_answered_with_400(staff_client, mine):
    response = staff_client.get(URL, {"status": "exploded"})

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_the_job_list_costs_the_same_few_queries_however_long_it_is(
    staff_client, user, other_user, django_assert_max_num_queries
):
    Job.objects.bulk_create(Job(name="catalog.refresh", user=(user, other_user)[n % 2]) for n in range(40))

    with django_assert_max_num_queries(4):
        response = staff_client.get(URL, {"limit": 30})

    assert len(_ids(response)) == 30
    assert {item["user_email"] for item in response.json()["results"]} == {"dev@example.com", "other@example.com"}


def test_a_user_reads_their_own_job_with_its_log(signed_in, mine):
    response = signed_in.get(f"{URL}/{mine.pk}")

    assert response.status_code == 200
    assert response.json()["log"] == [{"at": mine.started.isoformat(), "level": "info", "message": "Read 3 entities."}]
    assert response.json()["result"] == {"entities": 3}


def test_another_users_job_answers_404_as_if_it_did_not_exist(signed_in, theirs):
    response = signed_in.get(f"{URL}/{theirs.pk}")

    assert response.status_code == 404


def test_an_admin_reads_any_job(staff_client, theirs):
    response = staff_client.get(f"{URL}/{theirs.pk}")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"], response.json()["log"]) == (
        "failed",
        "Quota exceeded.",
        [],
    )


@pytest.mark.parametrize("path", [URL, f"{URL}/1"])
def test_an_anonymous_caller_must_authenticate(client, db, path):
    assert client.get(path).status_code == 401


@pytest.mark.parametrize(("method", "path"), [("post", ""), ("put", "/{pk}"), ("patch", "/{pk}"), ("delete", "/{pk}")])
def test_jobs_cannot_be_written_through_the_api(staff_client, mine, method, path):
    before = list(Job.objects.values())

    response = getattr(staff_client, method)(
        URL + path.format(pk=mine.pk), {"name": "catalog.refresh", "status": "failed"}, content_type="application/json"
    )

    assert response.status_code == 405
    assert list(Job.objects.values()) == before
