"""The audit log page: administrators only, newest first, filters as a GET form (a filtered view is a link),
keyset pages, each object linked to its page, and the changed fields before → after."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from catalog.models import Location
from portal import audit, navigation
from portal.models import AuditEntry
from tests.conftest import make_user
from tests.portal.runs_support import start_run

URL = "/audit/"
# The history is set tomorrow, so that it comes after the sign-in of the test's own client (now).
T0 = (timezone.now() + datetime.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


def _record_at(moment, action="login_failed", **fields):
    with time_machine.travel(moment, tick=False):
        audit.record(action, **fields)
    return AuditEntry.objects.latest("id")


def _ids(page):
    assert page.status_code == 200, page.content.decode()[:500]
    return [row["entry"].pk for row in page.context["rows"]]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def history(user, other_user):
    """Four entries an hour apart, oldest first: Dana renamed Olga, a failed sign-in, Olga signed in and out."""
    return [
        _record_at(T0, "update", instance=other_user, user=user, changes={"first_name": ["", "Olga"]}),
        _record_at(T0 + datetime.timedelta(hours=1), label="who@example.com", object_type="auth.user"),
        _record_at(T0 + datetime.timedelta(hours=2), "login", instance=other_user, user=other_user),
        _record_at(T0 + datetime.timedelta(hours=3), "logout", instance=other_user, user=other_user),
    ]


# --- who may look ---------------------------------------------------------------------------------------


def test_an_administrator_sees_the_entries_newest_first(staff_client, history):
    page = staff_client.get(URL, {"since": _local(T0)})

    assert _ids(page) == [entry.pk for entry in reversed(history)]
    rename = page.context["rows"][-1]
    assert (rename["actor"], rename["action"], rename["time"]) == ("dev@example.com", "Updated", T0)
    assert rename["changes"] == [
        {
            "field": "first_name",
            "before": {"empty": True},
            "after": {"text": "Olga", "redacted": False},
            "only_after": False,
            "only_before": False,
        }
    ]
    html = page.content.decode()
    assert '<span class="muted">empty</span> <span class="arrow" aria-label="became">→</span> ' in html
    assert 'title="Everything done with no signed-in user">system</a>' in html
    assert page.context["matching"] == 4


@pytest.mark.parametrize("who", ["user", "anonymous"])
def test_anyone_else_is_refused_and_the_refusal_writes_nothing(client, user, history, who):
    if who == "user":
        client.force_login(user)
    before = AuditEntry.objects.count()

    page = client.get(URL, {"actor": "other"})

    assert page.status_code == (403 if who == "user" else 302)
    if who == "anonymous":
        assert page["Location"] == "/accounts/login/?next=/audit/%3Factor%3Dother"
    assert "rows" not in (page.context or {})
    assert AuditEntry.objects.count() == before


def test_the_navigation_shows_the_audit_log_between_runs_and_the_admin_to_administrators_only(user, staff_user):
    keys = [entry["key"] for entry in navigation.entries_for(staff_user, URL)]
    assert keys[-3:] == ["runs", "audit", "admin"]
    current = [entry["key"] for entry in navigation.entries_for(staff_user, URL) if entry["current"]]
    assert current == ["audit"]
    assert "audit" not in [entry["key"] for entry in navigation.entries_for(user, URL)]
    assert reverse("portal:audit") == URL


# --- filters ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "OTHER@"}, [3, 2]),
        ({"actor": "system"}, [1]),
        ({"action": "update"}, [0]),
        ({"type": "auth.user", "object": "who@"}, [1]),
        ({"action": "login", "actor": "other@example.com"}, [2]),
    ],
)
def test_the_filters_narrow_the_entries(staff_client, history, query, expected):
    page = staff_client.get(URL, {"since": _local(T0), **query})

    assert _ids(page) == [history[index].pk for index in expected]
    assert page.context["filtered"] is True


def test_an_object_is_found_by_its_id_and_type(staff_client, history, other_user):
    page = staff_client.get(URL, {"type": "auth.user", "object": str(other_user.pk), "since": _local(T0)})

    assert _ids(page) == [history[3].pk, history[2].pk, history[0].pk]


def test_the_time_filters_include_the_minute_and_the_day_they_name(staff_client, history):
    one = T0 + datetime.timedelta(hours=1)
    two = T0 + datetime.timedelta(hours=2)

    assert _ids(staff_client.get(URL, {"since": _local(one), "until": _local(two)})) == [
        history[2].pk,
        history[1].pk,
    ]
    day = timezone.localtime(T0).date().isoformat()
    assert _ids(staff_client.get(URL, {"since": day, "until": day})) == [entry.pk for entry in reversed(history)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2030-01-02T10:00", "until": "2030-01-01T10:00"}, "To: “To” must not be before “From”."),
        ({"action": "explode"}, "Action: Select a valid choice. explode is not one of the available choices."),
        ({"since": "yesterday"}, "From: Enter a valid date/time."),
    ],
)
def test_wrong_filters_are_explained_and_list_nothing(staff_client, history, query, message):
    page = staff_client.get(URL, query)

    assert page.status_code == 200
    assert page.context["rows"] == []
    assert f"<p>{message}</p>" in page.content.decode()


def test_the_form_keeps_the_filters_so_that_a_filtered_view_is_a_link(staff_client, history):
    page = staff_client.get(URL, {"actor": "other", "type": "auth.user", "since": "2030-01-01T10:00"})

    html = page.content.decode()
    assert '<input id="audit-actor" type="search" name="actor" value="other"' in html
    assert '<option value="auth.user" selected>auth.user</option>' in html
    assert '<input id="audit-since" type="datetime-local" name="since" value="2030-01-01T10:00">' in html
    assert '<form method="get"' in html


# --- pages -------------------------------------------------------------------------------------------------


def test_pages_go_back_in_time_by_keyset_and_forward_again(staff_client, user):
    with time_machine.travel(T0, tick=False):  # one moment for all: the id breaks the ties
        for index in range(120):
            audit.record("login_failed", label=f"try-{index:03d}@example.com", object_type="auth.user")
    newest_first = list(AuditEntry.objects.filter(timestamp=T0).order_by("-id").values_list("pk", flat=True))

    first = staff_client.get(URL, {"actor": "system", "since": _local(T0)})
    second = staff_client.get(first.context["older_url"])
    third = staff_client.get(second.context["older_url"])
    back = staff_client.get(third.context["newer_url"])

    assert _ids(first) == newest_first[:50]
    assert (first.context["newer_url"], first.context["newest_url"]) == ("", "")
    assert _ids(second) == newest_first[50:100]
    assert _ids(third) == newest_first[100:120]
    assert third.context["older_url"] == ""
    assert _ids(back) == newest_first[50:100]
    since = _local(T0).replace(":", "%3A")
    assert back.context["newest_url"] == f"/audit/?actor=system&since={since}"
    assert first.context["older_url"].startswith(f"/audit/?actor=system&since={since}&before=")


@pytest.mark.parametrize("cursor", ["nonsense", "1-2-3", "12.5-1", "1-9999999999999999999", "9999999999999999999-1"])
def test_a_cursor_that_is_not_one_shows_the_newest_entries(staff_client, history, cursor):
    assert _ids(staff_client.get(URL, {"since": _local(T0), "before": cursor})) == [
        entry.pk for entry in reversed(history)
    ]
    assert _ids(staff_client.get(URL, {"since": _local(T0), "after": cursor})) == [
        entry.pk for entry in reversed(history)
    ]


def test_the_count_of_matching_entries_is_bounded(staff_client, user, monkeypatch):
    monkeypatch.setattr("portal.views.audit.COUNT_LIMIT", 3)
    for index in range(5):
        audit.record("login_failed", label=f"try-{index}", object_type="auth.user")

    page = staff_client.get(URL, {"actor": "system"})

    assert (page.context["matching"], page.context["more_than"]) == (4, True)
    assert "More than 3 entries match these filters." in page.content.decode()


def test_the_list_takes_a_fixed_number_of_queries(staff_client, user, django_assert_max_num_queries):
    for index in range(20):
        run = start_run("tests.arithmetic", user=user)
        audit.record("retry", run, user=user)
        location = Location.objects.create(type="url", target=f"https://example.com/{index}/catalog-info.yaml")
        user.first_name = f"Dana {index}"
        user.save()
        assert location.pk

    with django_assert_max_num_queries(6):  # session, user, count, page, the runs and locations named
        page = staff_client.get(URL)

    assert len(page.context["rows"]) == 50
    assert {row["entry"].object_type for row in page.context["rows"]} == {"portal.run", "catalog.location", "auth.user"}


# --- objects and values ---------------------------------------------------------------------------------


def test_each_object_links_to_its_page_while_it_exists(staff_client, user):
    run = start_run("tests.arithmetic", user=user)
    gone = start_run("tests.arithmetic", user=user)
    location = Location.objects.create(type="url", target="https://example.com/catalog-info.yaml")
    audit.record("retry", run, user=user)
    audit.record("retry", gone, user=user)
    audit.record("update", user, user=user, changes={"first_name": ["Dana", "Dora"]})
    audit.record("update", label="a task", object_type="scaffolder.task", changes={})
    audit.record("update", label="no such model", object_type="nothing.here", changes={})
    gone_id = str(gone.pk)
    gone.delete()

    page = staff_client.get(URL, {"action": "update"})
    links = {row["entry"].object_label: row["object_url"] for row in page.context["rows"]}
    runs_page = staff_client.get(URL, {"action": "retry"})
    created = staff_client.get(URL, {"type": "catalog.location"})

    assert links == {"dev@example.com": None, "a task": None, "no such model": None}
    assert {row["entry"].object_id: row["object_url"] for row in runs_page.context["rows"]} == {
        str(run.pk): f"/runs/{run.pk}/",
        gone_id: None,
    }
    assert [row["object_url"] for row in created.context["rows"]] == [f"/catalog/locations/{location.pk}"]
    assert f'<a class="clamp" href="/runs/{run.pk}/"' in runs_page.content.decode()


def test_a_golden_path_task_links_to_its_run_page(staff_client, user):
    run = start_run("tests.arithmetic", user=user)
    AuditEntry.objects.create(
        action="create", object_type="scaffolder.task", object_id=str(run.pk), object_label="template:default/x task"
    )

    page = staff_client.get(URL, {"type": "scaffolder.task"})

    assert [row["object_url"] for row in page.context["rows"]] == [f"/runs/{run.pk}/"]


def test_long_values_are_cut_with_the_whole_value_one_click_away(staff_client, user):
    long = "https://github.com/acme/" + "very-long-folder/" * 12 + "catalog-info.yaml"
    audit.record("update", user, user=user, changes={"target": ["short", long]})

    page = staff_client.get(URL, {"action": "update"})

    after = page.context["rows"][0]["changes"][0]["after"]
    assert after == {"text": long, "short": long[:100] + "…"}
    assert f'<span class="value">{long}</span></details>' in page.content.decode()


def test_many_changed_fields_are_folded_under_their_names(staff_client, db):
    make_user("new@example.com")

    page = staff_client.get(URL, {"type": "auth.user", "object": "new@example.com", "action": "create"})

    [row] = page.context["rows"]
    assert row["summary"] == (
        "Set 8 fields: id, password, is_superuser, username, email, is_staff, is_active, date_joined"
    )
    assert '<details class="changes-folded"><summary>Set 8 fields:' in page.content.decode()
    password = next(change for change in row["changes"] if change["field"] == "password")
    assert password["after"] == {"text": "[redacted]", "redacted": True}
