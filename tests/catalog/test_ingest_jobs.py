"""Catalog refreshes as background jobs (portal.jobs), the schedule, and the catalog services around them."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django_celery_beat.models import PeriodicTask

from catalog import services, tasks
from catalog.models import Entity, Location, LocationError, LocationStatus, Relation, SearchEntry
from portal import jobs
from portal.models import Job
from tests.catalog.ingest_helpers import component, register, write


@pytest.fixture
def folder(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path), str(django_settings.BASE_DIR)]
    return tmp_path


def templates_location() -> Location:
    return Location.objects.get(target=str(django_settings.BASE_DIR / "templates" / "*" / "template.yaml"))


@pytest.mark.django_db
def test_registering_a_location_queues_its_refresh_after_commit_with_only_its_id(
    folder, django_capture_on_commit_callbacks
):
    path = write(folder / "catalog-info.yaml", component("a"))

    with django_capture_on_commit_callbacks() as callbacks:
        loc = services.register_location(type="file", target=str(path))

    job = Job.objects.get(name="catalog.refresh_location")
    assert (job.params, job.status, job.object_type, job.object_id) == (
        {"location_id": str(loc.pk)},
        "pending",
        "catalog.location",
        str(loc.pk),
    )
    assert len(callbacks) == 1
    assert Entity.objects.count() == 0


@pytest.mark.django_db
def test_a_refresh_asked_again_while_one_waits_reuses_the_waiting_job(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a")))

    first = services.refresh_location(loc)
    second = services.refresh_location(loc)

    assert first.pk == second.pk
    assert Job.objects.filter(name="catalog.refresh_location").count() == 1


@pytest.mark.django_db
def test_registering_the_same_location_twice_is_refused(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    first = register(path)

    with pytest.raises(services.LocationExists) as raised:
        register(path)

    assert raised.value.location == first
    assert str(raised.value) == f"This location is already registered (file:{path})."


@pytest.mark.django_db
def test_the_refresh_job_writes_readable_log_lines_with_every_error(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a"), "kind: [broken\n"))
    job = services.refresh_location(loc)

    outcome = jobs.execute(job.pk)

    job.refresh_from_db()
    assert outcome.status == "succeeded"
    assert [line["message"] for line in job.log] == [
        "Started, attempt 1 of 3.",
        f"Reading file location {folder / 'catalog-info.yaml'}",
        "Sources: 1 read, 0 unchanged (skipped), 0 could not be read.",
        "Entities: 1 added, 0 updated, 0 moved, 0 unchanged, 0 orphaned.",
        "1 errors found in this refresh:",
        f"file:{folder / 'catalog-info.yaml'}:11: [parse] YAML: did not find expected ',' or ']' (column 1)"
        ", while parsing a flow sequence that starts on line 10",
        "Succeeded.",
    ]
    assert job.result == {
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


@pytest.mark.django_db
def test_a_location_that_cannot_be_read_fails_its_job_with_the_reason(folder):
    path = write(folder / "catalog-info.yaml", component("a"))
    loc = register(path)
    path.unlink()
    job = services.refresh_location(loc)

    outcome = jobs.execute(job.pk)

    job.refresh_from_db()
    assert (outcome.status, job.error) == ("failed", f"{path} does not exist")
    assert Location.objects.get(pk=loc.pk).status == LocationStatus.FAILED


@pytest.mark.django_db
def test_the_refresh_job_of_a_deleted_location_does_nothing(folder):
    loc = register(write(folder / "catalog-info.yaml", component("a")))
    job = services.refresh_location(loc)
    services.delete_location(loc)

    outcome = jobs.execute(job.pk)

    job.refresh_from_db()
    assert (outcome.status, job.result) == ("succeeded", {"deleted": True})


@pytest.mark.django_db
def test_the_refresh_all_job_queues_one_refresh_per_location_including_the_templates_folder(folder):
    one = register(write(folder / "one.yaml", component("one")))
    two = register(write(folder / "two.yaml", component("two")))
    services.refresh_location(two)  # already waiting
    job = services.refresh_all()

    outcome = jobs.execute(job.pk)

    job.refresh_from_db()
    assert outcome.status == "succeeded"
    assert job.result == {"queued": 2, "already_waiting": 1}
    waiting = set(Job.objects.filter(name="catalog.refresh_location").values_list("object_id", flat=True))
    assert waiting == {str(one.pk), str(two.pk), str(templates_location().pk)}


@pytest.mark.django_db
def test_the_scheduled_task_starts_the_refresh_all_job():
    job_id = tasks.refresh_all()

    assert Job.objects.get(pk=job_id).name == "catalog.refresh_all"


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
    while time.monotonic() < deadline and not Job.objects.filter(status="succeeded").exists():
        time.sleep(0.1)
    assert Job.objects.get(name="catalog.refresh_location").status == "succeeded"
    assert list(Entity.objects.filter(location=loc).values_list("ref", flat=True)) == ["component:default/from-worker"]
