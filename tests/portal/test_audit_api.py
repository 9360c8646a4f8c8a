"""GET /api/portal/audit: portal administrators only, filters, cursor pagination, read-only."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry

URL = "/api/portal/audit"
# The history is set tomorrow, so that the sign-in of the test's own client (now) comes before it.
T0 = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def _at(hours: float) -> str:
    return (T0 + datetime.timedelta(hours=hours)).astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _record_at(moment, action="login_failed", **fields):
    with time_machine.travel(moment, tick=False):
        audit.record(action, **fields)
    return AuditEntry.objects.latest("id")


@pytest.fixture
def history(user, other_user):
    """Four entries an hour apart, oldest first."""
    return [
        _record_at(T0, "login", instance=user, user=user),
        _record_at(T0 + datetime.timedelta(hours=1), "login", instance=other_user, user=other_user),
        _record_at(T0 + datetime.timedelta(hours=2), "login_failed", label="x@example.com", object_type="auth.user"),
        _record_at(T0 + datetime.timedelta(hours=3), "logout", instance=user, user=user),
    ]


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_an_admin_lists_the_audit_trail_newest_first(staff_client, history, user):
    response = staff_client.get(URL, {"since": _at(0)})

    assert _ids(response) == [entry.pk for entry in reversed(history)]
    assert response.json()["results"][0] == {
        "id": history[3].pk,
        "timestamp": _at(3),
        "action": "logout",
        "actor": user.pk,
        "actor_label": "dev@example.com",
        "object_type": "auth.user",
        "object_id": str(user.pk),
        "object_label": "dev@example.com",
        "changes": {},
        "ip": None,
        "request_id": "",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "login", "since": _at(0)}, [1, 0]),
        ({"action": "logout"}, [3]),
        ({"since": _at(1)}, [3, 2, 1]),
        ({"since": _at(0), "until": _at(1)}, [0]),
        ({"since": _at(1), "until": _at(3)}, [2, 1]),
        ({"object_type": "auth.user", "action": "login_failed"}, [2]),
    ],
)
def test_the_audit_trail_filters_by_action_type_and_time(staff_client, history, query, expected):
    response = staff_client.get(URL, query)

    assert _ids(response) == [history[index].pk for index in expected]


def test_the_audit_trail_filters_by_actor_and_object(staff_client, history, user):
    by_actor = staff_client.get(URL, {"actor": user.pk})
    by_object = staff_client.get(URL, {"object_type": "auth.user", "object_id": str(user.pk), "since": _at(0)})

    assert _ids(by_actor) == [history[3].pk, history[0].pk]
    assert _ids(by_object) == [history[3].pk, history[0].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"action": "sneeze"}, "action"),
        ({"actor": "alice"}, "actor"),
        ({"since": "yesterday"}, "since"),
        ({"since": _at(2), "until": _at(1)}, "until"),
    ],
)
def test_a_malformed_filter_is_answered_with_400_naming_the_parameter(staff_client, history, query, field):
    response = staff_client.get(URL, query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_audit_trail_pages_with_a_cursor(staff_client, history):
    first = staff_client.get(URL, {"limit": 3, "since": _at(0)})
    second = staff_client.get(first.json()["next"])

    assert _ids(first) == [history[3].pk, history[2].pk, history[1].pk]
    assert _ids(second) == [history[0].pk]
    assert second.json()["next"] is None


def test_the_audit_list_costs_the_same_few_queries_however_long_it_is(
    staff_client, staff_user, django_assert_max_num_queries
):
    for number in range(60):
        audit.record("login_failed", label=f"user{number}@example.com", object_type="auth.user")

    with django_assert_max_num_queries(3):
        response = staff_client.get(URL, {"limit": 50})

    assert len(_ids(response)) == 50


def test_a_user_who_is_not_an_administrator_is_refused(signed_in, history):
    response = signed_in.get(URL)

    assert response.status_code == 403


def test_an_anonymous_caller_must_authenticate(client, history):
    response = client.get(URL)

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_to_the_audit_endpoint_is_not_allowed_and_writes_nothing(staff_client, history, method):
    before = list(AuditEntry.objects.values().order_by("id"))

    response = getattr(staff_client, method)(
        URL, {"action": "login", "object_label": "forged"}, content_type="application/json"
    )

    assert response.status_code == 405
    assert list(AuditEntry.objects.values().order_by("id")) == before


def test_a_non_administrator_writing_to_the_audit_endpoint_is_refused_and_writes_nothing(signed_in, history):
    before = list(AuditEntry.objects.values().order_by("id"))

    response = signed_in.post(URL, {"action": "login"}, content_type="application/json")

    assert response.status_code == 403
    assert list(AuditEntry.objects.values().order_by("id")) == before


def test_timestamps_are_reported_in_utc(staff_client, db):
    moment = timezone.now().replace(microsecond=0)
    entry = _record_at(moment, label="a@example.com", object_type="auth.user")

    response = staff_client.get(URL, {"object_type": "auth.user", "action": "login_failed"})

    [item] = [item for item in response.json()["results"] if item["id"] == entry.pk]
    assert item["timestamp"] == moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
