"""The Django admin of jobs and the audit trail: read-only, and the audit trail untouchable."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry, Job
from tests.conftest import make_user

AUDIT = "/admin/portal/auditentry/"
JOBS = "/admin/portal/job/"
DAY_ONE = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
DAY_TWO = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def _record_at(moment, action, **fields):
    with time_machine.travel(moment, tick=False):
        audit.record(action, **fields)
    return AuditEntry.objects.latest("id")


@pytest.fixture
def entries(user, other_user):
    return {
        "login": _record_at(DAY_ONE, "login", instance=user, user=user),
        "failed": _record_at(DAY_ONE, "login_failed", label="mallory@example.com", object_type="auth.user"),
        "logout": _record_at(DAY_TWO, "logout", instance=other_user, user=other_user),
        "rename": _record_at(DAY_TWO, "update", instance=other_user, user=user, changes={"first_name": ["", "O"]}),
    }


def _listed(response):
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


# --- audit entries: no add, change or delete, for anyone -----------------------------------------


def test_a_superuser_is_refused_the_audit_add_page(staff_client, entries):
    count = AuditEntry.objects.count()

    shown = staff_client.get(f"{AUDIT}add/")
    posted = staff_client.post(f"{AUDIT}add/", {"action": "login", "object_label": "forged"})

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert AuditEntry.objects.count() == count


def test_a_superuser_is_refused_changing_an_audit_entry(staff_client, entries):
    entry = entries["failed"]
    before = AuditEntry.objects.filter(pk=entry.pk).values().get()

    response = staff_client.post(f"{AUDIT}{entry.pk}/change/", {"action": "login", "object_label": "forged"})

    assert response.status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).values().get() == before


def test_a_superuser_reads_an_audit_entry_on_a_page_without_a_save_button(staff_client, entries):
    response = staff_client.get(f"{AUDIT}{entries['login'].pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "View audit entry" in body
    assert 'name="_save"' not in body
    assert "dev@example.com (user #" in body


def test_a_superuser_is_refused_deleting_an_audit_entry(staff_client, entries):
    entry = entries["failed"]

    shown = staff_client.get(f"{AUDIT}{entry.pk}/delete/")
    posted = staff_client.post(f"{AUDIT}{entry.pk}/delete/", {"post": "yes"})

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_audit_list_offers_no_bulk_delete(staff_client, entries):
    count = AuditEntry.objects.count()

    shown = staff_client.get(AUDIT)
    posted = staff_client.post(
        AUDIT, {"action": "delete_selected", "_selected_action": [entries["failed"].pk], "index": 0, "post": "yes"}
    )

    assert shown.context["action_form"] is None
    assert "delete_selected" not in shown.content.decode()
    assert posted.status_code == 200
    assert AuditEntry.objects.count() == count


# --- audit entries: the list page's filters ---------------------------------------------------


def test_the_audit_list_filters_by_action(staff_client, entries):
    response = staff_client.get(AUDIT, {"action__exact": "login_failed"})

    assert _listed(response) == {entries["failed"].pk}


def test_the_audit_list_filters_by_actor(staff_client, entries, other_user):
    response = staff_client.get(AUDIT, {"actor__id__exact": other_user.pk})

    assert _listed(response) == {entries["logout"].pk}


def test_the_audit_list_filters_by_object_type_and_day(staff_client, entries):
    response = staff_client.get(
        AUDIT, {"object_type__exact": "auth.user", "timestamp__year": 2026, "timestamp__month": 3, "timestamp__day": 1}
    )

    assert _listed(response) == {entries["login"].pk, entries["failed"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "mallory"}, ["failed"]),
        ({"q": "dev@example.com", "action__exact": "update"}, ["rename"]),
        ({"q": "other@example.com", "timestamp__year": 2026, "timestamp__month": 3}, ["logout", "rename"]),
    ],
)
def test_the_audit_list_searches_object_and_actor_labels(staff_client, entries, query, expected):
    response = staff_client.get(AUDIT, query)

    assert _listed(response) == {entries[name].pk for name in expected}


def test_the_audit_list_searches_an_exact_object_id(staff_client, entries, user):
    response = staff_client.get(AUDIT, {"q": str(user.pk), "action__exact": "login"})

    assert _listed(response) == {entries["login"].pk}


def test_a_staff_member_who_is_not_a_superuser_reads_the_audit_list(client, entries):
    client.force_login(make_user("ops@example.com", staff=True))

    response = client.get(AUDIT, {"action__exact": "logout"})

    assert _listed(response) == {entries["logout"].pk}


def test_a_user_who_is_not_staff_is_sent_to_the_admin_sign_in(signed_in, entries):
    response = signed_in.get(AUDIT)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={AUDIT}"


# --- jobs -------------------------------------------------------------------------------------


@pytest.fixture
def finished(user):
    started = timezone.now() - datetime.timedelta(minutes=5)
    return Job.objects.create(
        name="catalog.refresh",
        user=user,
        status="failed",
        attempts=2,
        started=started,
        completed=started + datetime.timedelta(seconds=42),
        error="GitHub answered 503.",
        log=[
            {"at": "2026-03-01T09:30:00.123456+00:00", "level": "info", "message": "Reading <catalog-info.yaml>"},
            {"at": "2026-03-01T09:30:42.000000+00:00", "level": "error", "message": "Failed: GitHub answered 503."},
        ],
    )


@pytest.fixture
def running(other_user):
    return Job.objects.create(name="costs.ingest", user=other_user, status="running", started=timezone.now())


def test_the_job_list_shows_name_status_user_and_duration(staff_client, finished, running):
    response = staff_client.get(JOBS)

    assert _listed(response) == {finished.pk, running.pk}
    body = response.content.decode()
    assert "42.0 s" in body
    assert "dev@example.com" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"status__exact": "running"}, ["running"]), ({"name": "catalog.refresh"}, ["finished"])],
)
def test_the_job_list_filters_by_status_and_name(staff_client, finished, running, query, expected):
    jobs = {"finished": finished, "running": running}

    response = staff_client.get(JOBS, query)

    assert _listed(response) == {jobs[name].pk for name in expected}


def test_a_job_page_shows_its_log_readably_and_escaped(staff_client, finished):
    response = staff_client.get(f"{JOBS}{finished.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="_save"' not in body
    assert (
        '<tr class="log-info"><td><time datetime="2026-03-01T09:30:00.123456+00:00">2026-03-01 09:30:00</time>'
        "</td><td>INFO</td><td>Reading &lt;catalog-info.yaml&gt;</td></tr>"
    ) in body
    assert "<td>ERROR</td><td>Failed: GitHub answered 503.</td>" in body


def test_jobs_cannot_be_added_or_changed_in_the_admin(staff_client, finished):
    before = list(Job.objects.values())

    add = staff_client.post(f"{JOBS}add/", {"name": "catalog.refresh"})
    change = staff_client.post(f"{JOBS}{finished.pk}/change/", {"name": "other", "status": "succeeded"})

    assert (add.status_code, change.status_code) == (403, 403)
    assert list(Job.objects.values()) == before


def test_a_running_job_cannot_be_deleted(staff_client, running):
    response = staff_client.post(f"{JOBS}{running.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Job.objects.filter(pk=running.pk).exists()


def test_a_superuser_deletes_a_finished_job(staff_client, finished):
    response = staff_client.post(f"{JOBS}{finished.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Job.objects.filter(pk=finished.pk).exists()
