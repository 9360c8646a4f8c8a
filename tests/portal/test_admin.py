"""The Django admin of the audit trail: read-only and untouchable."""

import datetime

import pytest
import time_machine

from portal import audit
from portal.models import AuditEntry
from tests.conftest import make_user

AUDIT = "/admin/portal/auditentry/"
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
