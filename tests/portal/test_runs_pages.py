"""The runs pages: the list for administrators, a run's page with its steps and log, cancel and retry."""

import pytest
from django.urls import reverse

from portal import runs
from portal.models import AuditEntry, Run
from tests.portal.runs_support import start_run  # registers the test kinds


@pytest.fixture
def failed_run(db, user):
    run = start_run("tests.missing", user=user)
    runs.execute(run.pk)
    return Run.objects.get(pk=run.pk)


def test_administrators_see_every_run_filtered_by_kind_and_status(staff_client, user, failed_run):
    done = start_run("tests.arithmetic")
    runs.execute(done.pk)

    page = staff_client.get(reverse("portal:runs"), {"status": "failed"})

    assert page.status_code == 200
    assert [row["run"].pk for row in page.context["rows"]] == [failed_run.pk]
    assert {status["value"]: status["count"] for status in page.context["statuses"]}["succeeded"] == 1
    assert staff_client.get(reverse("portal:runs"), {"kind": "tests.arithmetic"}).context["total"] == 1
    assert staff_client.get(reverse("portal:runs"), {"user": "dev@"}).context["total"] == 1


def test_the_list_of_every_run_is_refused_to_others(signed_in, failed_run):
    assert signed_in.get(reverse("portal:runs")).status_code == 403


def test_the_list_takes_a_fixed_number_of_queries(staff_client, user, django_assert_max_num_queries):
    for _ in range(20):
        start_run("tests.arithmetic", user=user)
    with django_assert_max_num_queries(12):
        page = staff_client.get(reverse("portal:runs"))
    assert len(page.context["rows"]) == 20


def test_a_run_page_shows_its_steps_error_and_log_to_who_started_it(signed_in, failed_run):
    page = signed_in.get(reverse("portal:run", kwargs={"pk": failed_run.pk}))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Step Fetch failed: GitHub answered 404: no repository acme/orders" in html
    assert [row["step"].key for row in page.context["steps"]] == ["fetch", "after"]
    assert [line["message"] for line in page.context["events"]][-1] == "Run completed with status: failed"
    assert page.context["can_retry"] is True


def test_another_users_run_is_not_found(client, other_user, failed_run):
    client.force_login(other_user)
    assert client.get(reverse("portal:run", kwargs={"pk": failed_run.pk})).status_code == 404
    assert client.post(reverse("portal:run-retry", kwargs={"pk": failed_run.pk})).status_code == 404
    assert Run.objects.get(pk=failed_run.pk).status == "failed"
    assert AuditEntry.objects.filter(action="retry").count() == 0


def test_retrying_from_the_page_starts_the_run_again(signed_in, failed_run):
    answer = signed_in.post(reverse("portal:run-retry", kwargs={"pk": failed_run.pk}))

    assert answer.status_code == 302
    assert Run.objects.get(pk=failed_run.pk).status == "pending"


def test_cancelling_from_the_page_ends_a_waiting_run(signed_in, user):
    run = start_run("tests.arithmetic", user=user)

    answer = signed_in.post(reverse("portal:run-cancel", kwargs={"pk": run.pk}), follow=True)

    assert Run.objects.get(pk=run.pk).status == "cancelled"
    assert "Cancelled." in answer.content.decode()


def test_the_live_part_of_a_running_run_polls_until_it_ends(signed_in, user):
    run = start_run("tests.arithmetic", user=user)

    live = signed_in.get(reverse("portal:run", kwargs={"pk": run.pk}), {"live": "1"}, HTTP_HX_REQUEST="true")

    assert live.status_code == 200
    assert 'hx-trigger="every 1s"' in live.content.decode()
    assert "<html" not in live.content.decode()


class Linked(runs.RunKind):
    """A kind whose runs have a page of their own, named by the run's params."""

    name = "tests.linked"
    url_label = "Open the thing"
    steps = (runs.Step("add", "Add", lambda ctx: {}),)

    def url(self, run):
        return f"/things/{run.params['thing']}"


runs.register(Linked())


def test_the_list_shows_a_failed_runs_error_and_links_each_run_to_its_page(staff_client, failed_run):
    linked = start_run("tests.linked", params={"thing": "t-1"})

    page = staff_client.get(reverse("portal:runs"))

    html = page.content.decode()
    error = "Step Fetch failed: GitHub answered 404: no repository acme/orders"
    shown = f'<span class="run-error text-danger small clamp" title="{error}" data-testid="run-error">{error}</span>'
    assert shown in html
    assert {row["run"].pk: (row["subject_url"], row["subject_label"]) for row in page.context["rows"]} == {
        linked.pk: ("/things/t-1", "Open the thing"),
        failed_run.pk: (None, "Open its page"),
    }
    assert '<a href="/things/t-1">Open the thing</a>' in html


def test_the_list_with_subject_links_takes_a_fixed_number_of_queries(staff_client, user, django_assert_max_num_queries):
    for index in range(20):
        start_run("tests.linked", user=user, params={"thing": f"t-{index}"})
    with django_assert_max_num_queries(12):
        page = staff_client.get(reverse("portal:runs"))
    assert [row["subject_url"] for row in page.context["rows"]][:2] == ["/things/t-19", "/things/t-18"]


def test_a_run_page_links_administrators_to_the_runs_audit_entries(staff_client, client, user, failed_run):
    page = staff_client.get(reverse("portal:run", kwargs={"pk": failed_run.pk}))
    client.force_login(user)
    own = client.get(reverse("portal:run", kwargs={"pk": failed_run.pk}))

    assert page.context["audit_url"] == f"/audit/?object={failed_run.pk}"
    assert f'<a href="/audit/?object={failed_run.pk}">Its entries in the audit log</a>' in page.content.decode()
    assert own.context["audit_url"] == ""
    assert "/audit/" not in own.content.decode()
