"""Catalog refreshes as runs of the run engine (portal.runs), the schedule, and the catalog services around them."""

from __future__ import annotations

import datetime
import re
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from catalog import services, tasks
from catalog.models import Entity, Location, LocationError, LocationStatus, Relation, SearchEntry
from portal import runs
from portal.models import Run, RunStep
from portal.runs import claims
from tests.catalog.ingest_helpers import component, register, write
from tests.fakes.server import FakeServer, QuietHandler


@pytest.fixture
def folder(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path), str(django_settings.BASE_DIR)]
    return tmp_path


class FlakySite(FakeServer):
    """A web server whose /catalog-info.yaml answers ``answer`` (503) ``failures[0]`` times, then the file."""

    def __init__(self) -> None:
        self.failures = [0]
        self.answer: dict[str, Any] = {"status": 503, "headers": {}}
        super().__init__()

    def handler_class(self):
        site = self

        class Handler(QuietHandler):
            def do_GET(self):
                if site.failures[0] > 0:
                    site.failures[0] -= 1
                    status, body, headers = site.answer["status"], b"busy", site.answer["headers"]
                else:
                    status, body, headers = 200, component("flaky").encode(), {}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def flaky_site(settings):
    site = FlakySite().start()
    settings.CATALOG_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    yield {"url": f"{site.url}/catalog-info.yaml", "failures": site.failures, "answer": site.answer}
    site.stop()


def templates_location() -> Location:
    return Location.objects.get(target=str(django_settings.BASE_DIR / "templates" / "*" / "template.yaml"))


def messages(run: Run) -> list[str]:
    return [event.message for event in run.events.order_by("id")]


def steps(run: Run) -> list[tuple[str, str, int, str]]:
    return list(RunStep.objects.filter(run=run).order_by("index").values_list("key", "status", "attempts", "error"))


def time_passes(run: Run) -> None:
    """The backoff of a waiting run is over (what the clock would do)."""
    Run.objects.filter(pk=run.pk).update(not_before=timezone.now() - datetime.timedelta(seconds=1))


@pytest.mark.django_db
def test_registering_a_location_queues_its_refresh_after_commit_with_only_its_id(
    folder, django_capture_on_commit_callbacks
):
    path = write(folder / "catalog-info.yaml", component("a"))

    with django_capture_on_commit_callbacks() as callbacks:
        loc = services.register_location(type="file", target=str(path))

    refresh = Run.objects.get(kind="catalog.refresh_location")
    assert (refresh.params, refresh.status, refresh.object_type, refresh.object_id) == (
        {"location_id": str(loc.pk)},
        "pending",
        "catalog.location",
        str(loc.pk),
    )
    assert list(RunStep.objects.filter(run=refresh).values_list("key", "name", "action", "status")) == [
        ("read", "Read the location", "catalog.read_location", "pending")
    ]
    assert len(callbacks) == 1
    assert Entity.objects.count() == 0


@pytest.mark.django_db
def test_a_refresh_asked_again_while_one_waits_reuses_the_waiting_run(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a")))

    first = services.refresh_location(loc)
    second = services.refresh_location(loc)

    assert first.pk == second.pk
    assert Run.objects.filter(kind="catalog.refresh_location").count() == 1


@pytest.mark.django_db
def test_a_refresh_asked_again_while_one_runs_reuses_the_running_run(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a")))
    first = services.refresh_location(loc)
    assert claims.claim(first.pk) is not None  # a worker took it

    second = services.refresh_location(loc)

    assert (second.pk, second.status) == (first.pk, "running")
    assert Run.objects.filter(kind="catalog.refresh_location").count() == 1


@pytest.mark.django_db
def test_a_refresh_asked_after_the_last_one_ended_is_a_new_run(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a")))
    first = services.refresh_location(loc)
    runs.execute(first.pk)

    second = services.refresh_location(loc)

    assert second.pk != first.pk
    assert list(
        Run.objects.filter(kind="catalog.refresh_location").order_by("created").values_list("status", flat=True)
    ) == [
        "succeeded",
        "pending",
    ]


@pytest.mark.django_db
def test_a_refresh_of_every_location_asked_again_while_one_waits_reuses_it():
    first = services.refresh_all()
    second = services.refresh_all()

    assert first.pk == second.pk
    assert Run.objects.filter(kind="catalog.refresh_all").count() == 1


@pytest.mark.django_db
def test_registering_the_same_location_twice_is_refused(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    first = register(path)

    with pytest.raises(services.LocationExists) as raised:
        register(path)

    assert raised.value.location == first
    assert str(raised.value) == f"This location is already registered (file:{path})."


@pytest.mark.django_db
def test_the_refresh_run_writes_readable_log_lines_with_every_error(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a"), "kind: [broken\n"))
    refresh = services.refresh_location(loc)

    outcome = runs.execute(refresh.pk)

    refresh.refresh_from_db()
    assert outcome.status == "succeeded"
    assert messages(refresh) == [
        "Beginning step Read the location",
        f"Reading file location {folder / 'catalog-info.yaml'}",
        "Sources: 1 read, 0 unchanged (skipped), 0 could not be read.",
        "Entities: 1 added, 0 updated, 0 moved, 0 unchanged, 0 orphaned.",
        "1 errors found in this refresh:",
        f"file:{folder / 'catalog-info.yaml'}:11: [parse] YAML: did not find expected ',' or ']' (column 1)"
        ", while parsing a flow sequence that starts on line 10",
        "Finished step Read the location",
        "Run completed with status: succeeded",
    ]
    expected = {
        "location_id": str(loc.pk),
        "status": "errors",
        "sources_read": 1,
        "sources_unchanged": 0,
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "orphaned": 0,
        "errors": 1,
    }
    assert refresh.output == expected
    assert steps(refresh) == [("read", "succeeded", 1, "")]
    assert RunStep.objects.get(run=refresh).output == expected


@pytest.mark.django_db
def test_a_location_that_cannot_be_read_fails_its_run_with_the_reason(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    loc = register(path)
    path.unlink()
    refresh = services.refresh_location(loc)

    outcome = runs.execute(refresh.pk)

    refresh.refresh_from_db()
    assert (outcome.status, refresh.status, refresh.error) == (
        "failed",
        "failed",
        f"Step Read the location failed: {path} does not exist",
    )
    assert steps(refresh) == [("read", "failed", 1, f"{path} does not exist")]
    failure = refresh.events.get(body__status="failed", type="log")
    assert (failure.message, failure.level) == (f"{path} does not exist", "error")
    assert Location.objects.get(pk=loc.pk).status == LocationStatus.FAILED


@pytest.mark.django_db
def test_a_location_that_answers_503_is_retried_with_backoff_then_read(flaky_site):
    # Given a URL location whose server is busy once
    loc = services.register_location(type="url", target=flaky_site["url"], refresh=False)
    flaky_site["failures"][0] = 1
    refresh = services.refresh_location(loc)

    # When its run meets the 503
    before = timezone.now()
    waiting = runs.execute(refresh.pk)

    # Then it waits, pending, for a jittered 30 s backoff, and its log says why and when
    refresh.refresh_from_db()
    assert (waiting.status, refresh.status, refresh.error) == ("waiting", "pending", "")
    assert waiting.retry_in is not None
    assert 24 <= waiting.retry_in <= 36
    assert refresh.not_before is not None
    assert (
        before + datetime.timedelta(seconds=24) <= refresh.not_before <= timezone.now() + datetime.timedelta(seconds=36)
    )
    reason = f"{flaky_site['url']} answered 503 Service Unavailable"
    retrying = refresh.events.latest("id")
    assert re.fullmatch(rf"retrying in \d+ s \(attempt 2 of 3\): {re.escape(reason)}", retrying.message)
    assert retrying.message.startswith(f"retrying in {waiting.retry_in:.0f} s ")
    assert (retrying.level, retrying.body["stepId"]) == ("warning", "read")
    assert steps(refresh) == [("read", "pending", 1, reason)]

    # And a message that comes before the backoff is over leaves it alone
    early = runs.execute(refresh.pk)
    assert early.status == "skipped"
    assert Run.objects.get(pk=refresh.pk).attempts == 1

    # When the backoff is over and the server answers
    time_passes(refresh)
    done = runs.execute(refresh.pk)

    # Then the second attempt reads the location
    refresh.refresh_from_db()
    assert (done.status, refresh.status, refresh.attempts) == ("succeeded", "succeeded", 2)
    assert steps(refresh) == [("read", "succeeded", 2, "")]
    assert list(Entity.objects.filter(location=loc).values_list("ref", flat=True)) == ["component:default/flaky"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [(503, "7", 7), (429, "120", 120), (503, "0", 1)],
)
def test_a_location_whose_server_says_when_to_come_back_is_retried_then(flaky_site, status, retry_after, expected):
    loc = services.register_location(type="url", target=flaky_site["url"], refresh=False)
    flaky_site["failures"][0] = 1
    flaky_site["answer"].update(status=status, headers={"Retry-After": retry_after})
    refresh = services.refresh_location(loc)

    waiting = runs.execute(refresh.pk)

    assert (waiting.status, waiting.retry_in) == ("waiting", expected)
    assert refresh.events.latest("id").message.startswith(f"retrying in {expected} s (attempt 2 of 3): ")


def test_retry_after_reads_seconds_and_http_dates_and_ignores_the_rest():
    from email.utils import format_datetime

    from catalog.ingest.readers import retry_after

    soon = format_datetime(timezone.now() + datetime.timedelta(seconds=90), usegmt=True)
    assert retry_after("30") == 30
    waited = retry_after(soon)
    assert waited is not None
    assert 88 <= waited <= 90
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 1  # in the past: at once, after a second
    assert retry_after("99999") is None  # longer than an hour: the kind's backoff decides
    assert retry_after("soon") is None
    assert retry_after("") is None
    assert retry_after(None) is None


@pytest.mark.django_db
def test_a_location_that_keeps_answering_503_fails_after_three_attempts(flaky_site):
    loc = services.register_location(type="url", target=flaky_site["url"], refresh=False)
    flaky_site["failures"][0] = 10
    refresh = services.refresh_location(loc)

    outcomes = []
    for _ in range(3):
        outcomes.append(runs.execute(refresh.pk).status)
        time_passes(refresh)

    refresh.refresh_from_db()
    reason = f"{flaky_site['url']} answered 503 Service Unavailable"
    assert outcomes == ["waiting", "waiting", "failed"]
    assert (refresh.status, refresh.error) == (
        "failed",
        f"Step Read the location failed: {reason} (gave up after 3 attempts)",
    )
    assert steps(refresh) == [("read", "failed", 3, f"{reason} (gave up after 3 attempts)")]
    assert [re.sub(r"\d+ s", "N s", message) for message in messages(refresh) if message.startswith("retrying")] == [
        f"retrying in N s (attempt 2 of 3): {reason}",
        f"retrying in N s (attempt 3 of 3): {reason}",
    ]


@pytest.mark.django_db
def test_the_refresh_run_of_a_deleted_location_does_nothing(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a")))
    refresh = services.refresh_location(loc)
    services.delete_location(loc)

    outcome = runs.execute(refresh.pk)

    refresh.refresh_from_db()
    assert (outcome.status, refresh.output) == ("succeeded", {"deleted": True})
    assert "The location no longer exists; nothing to do." in messages(refresh)


@pytest.mark.django_db
def test_the_refresh_all_run_queues_one_refresh_per_location_including_the_templates_folder(folder):
    one = register(write(folder / "one.yaml", component("one")))
    two = register(write(folder / "two.yaml", component("two")))
    services.refresh_location(two)  # already waiting
    refresh_all = services.refresh_all()

    outcome = runs.execute(refresh_all.pk)

    refresh_all.refresh_from_db()
    assert outcome.status == "succeeded"
    assert refresh_all.output == {"queued": 2, "already_waiting": 1}
    assert "Queued a refresh of 2 locations; 1 were already waiting." in messages(refresh_all)
    waiting = set(Run.objects.filter(kind="catalog.refresh_location").values_list("object_id", flat=True))
    assert waiting == {str(one.pk), str(two.pk), str(templates_location().pk)}


@pytest.mark.django_db
def test_the_scheduled_task_starts_the_refresh_all_run():
    run_id = tasks.refresh_all()

    assert Run.objects.get(pk=run_id).kind == "catalog.refresh_all"


@pytest.mark.django_db
def test_the_templates_folder_is_a_managed_location_from_migrate_and_cannot_be_deleted():
    location = templates_location()

    assert (location.type, location.managed) == ("file", True)
    with pytest.raises(services.CatalogError, match="managed by Atrium and cannot be deleted"):
        services.delete_location(location)
    assert Location.objects.filter(pk=location.pk).exists()


@pytest.mark.django_db
def test_the_refresh_schedule_exists_once_and_follows_the_interval_setting(settings):
    schedule = PeriodicTask.objects.get(name="catalog.refresh_all")
    assert (schedule.task, schedule.interval.every, schedule.interval.period) == ("catalog.refresh_all", 30, "minutes")
    # Due when beat first starts: a fresh installation reads its locations at once, not 30 minutes later.
    assert schedule.last_run_at <= timezone.now() - datetime.timedelta(minutes=30)

    settings.CATALOG_REFRESH_INTERVAL = 15
    services.install_defaults()
    services.install_defaults()

    schedule = PeriodicTask.objects.get(name="catalog.refresh_all")
    assert (schedule.interval.every, schedule.interval.period) == (15, "minutes")
    assert Location.objects.filter(managed=True).count() == 1


@pytest.mark.django_db
def test_deleting_an_entity_is_for_orphans_unless_asked_like_the_api(folder):
    path = write(folder / "catalog-info.yaml", component("kept"), component("gone"))
    loc = register(path)
    services.process_location(loc)
    write(path, component("kept"))
    services.process_location(loc)
    kept = Entity.objects.get(ref="component:default/kept")

    with pytest.raises(services.CatalogError, match="only orphaned entities can be deleted here"):
        services.delete_entity(kept)
    services.delete_entity(Entity.objects.get(ref="component:default/gone"))
    services.delete_entity(kept, orphans_only=False)

    assert Entity.objects.count() == 0
    assert (Relation.objects.count(), SearchEntry.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_deleting_a_location_deletes_its_entities_relations_and_errors(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a"), "kind: [broken\n"))
    services.process_location(loc)

    deleted = services.delete_location(loc)

    assert deleted == 1
    assert (Entity.objects.count(), Relation.objects.count(), LocationError.objects.count()) == (0, 0, 0)
    assert not Location.objects.filter(pk=loc.pk).exists()


@pytest.mark.django_db
def test_analyzing_a_location_previews_entities_and_errors_and_writes_nothing(folder):
    path = write(folder / "catalog-info.yaml", component("new-one"), component("known"), "kind: [broken\n")
    services.process_location(register(write(folder / "other.yaml", component("known"))))
    before = (Location.objects.count(), Entity.objects.count(), LocationError.objects.count())

    preview = services.analyze_location(type="file", target=str(path))

    assert [entity["metadata"]["name"] for entity in preview.entities] == ["new-one", "known"]
    assert "uid" not in preview.entities[0]["metadata"]
    assert preview.counts_by_kind() == {"Component": 2}
    assert preview.existing == {"component:default/known"}
    assert [(problem.kind, problem.line) for problem in preview.problems] == [("parse", 20)]
    assert (Location.objects.count(), Entity.objects.count(), LocationError.objects.count()) == before


@pytest.mark.django_db(transaction=True)
def test_a_registered_location_is_read_by_a_real_worker(folder, celery_worker, django_capture_on_commit_callbacks):
    path = write(folder / "catalog-info.yaml", component("from-worker"))

    with django_capture_on_commit_callbacks(execute=True):
        loc = services.register_location(type="file", target=str(path))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Run.objects.filter(status="succeeded").exists():
        time.sleep(0.1)
    assert Run.objects.get(kind="catalog.refresh_location").status == "succeeded"
    assert list(Entity.objects.filter(location=loc).values_list("ref", flat=True)) == ["component:default/from-worker"]
