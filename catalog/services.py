"""Every write of the catalog: registering, refreshing and deleting locations and entities.

Long work (reading a location) runs as ``portal.runs`` background runs published after commit with
ids only (``catalog.refresh_location``, ``catalog.refresh_all``: see ``catalog.runs``);
:func:`process_location` is that work, called by the run and, in the foreground, by
``manage.py catalog_import --wait``.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import structlog
from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from catalog import revision
from catalog.ingest import github, pg, readers
from catalog.ingest.apply import apply_plan
from catalog.ingest.errors import ReadError
from catalog.ingest.processing import read_location
from catalog.ingest.report import Preview, RefreshReport
from catalog.ingest.state import Snapshot
from catalog.models import Entity, Location, LocationType, Relation, SearchEntry, Source, Star
from portal import audit, runs
from portal.models.runs import Run

logger = structlog.get_logger("catalog.services")

REFRESH_LOCATION_RUN = "catalog.refresh_location"
REFRESH_ALL_RUN = "catalog.refresh_all"
#: The Celery task beat runs (catalog.tasks.refresh_all); it starts the run of the same name.
REFRESH_ALL_TASK = "catalog.refresh_all"
TEMPLATES_GLOB = os.path.join("templates", "*", "template.yaml")
DELETE_BATCH = 5000
DISCOVERY_OPTIONS = {"topic", "include_archived", "include_forks", "catalog_path"}


class CatalogError(Exception):
    """A request the catalog refuses; its message says why. Nothing was written."""


class LocationExists(CatalogError):
    def __init__(self, location: Location) -> None:
        super().__init__(f"This location is already registered ({location.type}:{location.target}).")
        self.location = location


# --- targets ----------------------------------------------------------------------------------


def _discovery_options(options: dict) -> dict:
    unknown = set(options) - DISCOVERY_OPTIONS
    if unknown:
        raise CatalogError(f"Unknown discovery options: {', '.join(sorted(unknown))}.")
    catalog_path = str(options.get("catalog_path") or "catalog-info.yaml").strip().lstrip("/")
    clean = {
        "topic": str(options.get("topic") or "").strip(),
        "include_archived": bool(options.get("include_archived", False)),
        "include_forks": bool(options.get("include_forks", False)),
        "catalog_path": catalog_path,
    }
    path = posixpath.normpath(catalog_path)
    if path.startswith("..") or not path or path == ".":
        raise CatalogError(f"catalog_path {catalog_path!r} must be a file path inside the repository.")
    clean["catalog_path"] = path
    return clean


def check_target(location_type: str, target: str, options: dict | None = None) -> tuple[str, dict]:
    """The normalised target and options of a location to register, or :class:`CatalogError`."""
    target, options = (target or "").strip(), dict(options or {})
    try:
        if location_type == LocationType.FILE:
            if target.startswith(readers.FILE_PREFIX):
                target = readers.file_path(target)
            if not os.path.isabs(target):
                raise CatalogError(f"A file location needs an absolute path, not {target!r}.")
            target = os.path.normpath(target)
            readers.check_file(target)
            if not readers.has_magic(target) and not os.path.isfile(target):
                raise CatalogError(f"{target} does not exist or is not a file.")
            return target, {}
        if location_type == LocationType.URL:
            readers.check_url(target)
            return target, {}
        if location_type == LocationType.GITHUB_DISCOVERY:
            org = github.parse_org_url(target)
            host = urlsplit(target).hostname
            return f"https://{host}/{org}", _discovery_options(options)
    except ReadError as exc:
        raise CatalogError(str(exc)) from None
    except ValueError as exc:
        raise CatalogError(str(exc)) from None
    raise CatalogError(f"Unknown location type {location_type!r}.")


# --- locations --------------------------------------------------------------------------------


def register_location(
    *, type: str, target: str, options: dict | None = None, user=None, managed: bool = False, refresh: bool = True
) -> Location:
    """Register a location and (with ``refresh``) read it in the background after commit."""
    target, options = check_target(type, target, options)
    existing = Location.objects.filter(type=type, target=target).first()
    if existing is not None:
        raise LocationExists(existing)
    try:
        with transaction.atomic():
            location = Location.objects.create(
                type=type, target=target, options=options, managed=managed, created_by=user
            )
            if refresh:
                refresh_location(location, user=user)
    except IntegrityError:
        raise LocationExists(Location.objects.get(type=type, target=target)) from None
    return location


def registered_location(*, type: str, target: str) -> Location | None:
    """The location registered with this type and (normalised, see :func:`check_target`) target, if any."""
    return Location.objects.filter(type=type, target=target).first()


def delete_location(location: Location) -> int:
    """Delete a location and every entity it provides; return how many entities went with it.

    The audit trail records the deletion with the acting user of the request or command.
    """
    if location.managed:
        raise CatalogError("This location is managed by Atrium and cannot be deleted.")
    with transaction.atomic():
        # Wait for a refresh writing this location to finish (it holds the row), then delete.
        Location.objects.select_for_update().filter(pk=location.pk).first()
        SearchEntry.objects.filter(entity__location=location).delete()
        Relation.objects.filter(origin__location=location).delete()
        ids = list(Entity.objects.filter(location=location).values_list("pk", flat=True))
        for start in range(0, len(ids), DELETE_BATCH):
            # Only the keys are loaded: the bodies of a large location need not be in memory.
            Entity.objects.filter(pk__in=ids[start : start + DELETE_BATCH]).only("pk").delete()
        location.delete()
        if ids:
            revision.bump()
    return len(ids)


def refresh_location(location: Location, *, user=None) -> Run:
    """Queue a refresh of ``location``: the one waiting or running, if there is one."""
    run, _created = runs.start_once(REFRESH_LOCATION_RUN, location, params={"location_id": str(location.pk)}, user=user)
    return run


def refresh_all(*, user=None) -> Run:
    """Queue the run that queues a refresh of every location (the one waiting or running, if any)."""
    run, _created = runs.start_once(REFRESH_ALL_RUN, user=user)
    return run


def queue_every_location(*, user=None) -> tuple[int, int]:
    """Queue a refresh of each location; ``(queued now, already waiting)``."""
    ensure_templates_location()
    queued = waiting = 0
    for location in Location.objects.order_by("created"):
        _run, created = runs.start_once(
            REFRESH_LOCATION_RUN, location, params={"location_id": str(location.pk)}, user=user
        )
        if created:
            queued += 1
        else:
            waiting += 1
    return queued, waiting


def unread_locations() -> int:
    """How many registered locations have never been read (a refresh waits or runs for them)."""
    return Location.objects.filter(last_refreshed__isnull=True).count()


def templates_target() -> str:
    return str(settings.BASE_DIR / TEMPLATES_GLOB)


def ensure_templates_location() -> Location:
    """The managed location of the repository's own ``templates/*/template.yaml``."""
    location, _ = Location.objects.get_or_create(
        type=LocationType.FILE, target=templates_target(), defaults={"managed": True}
    )
    return location


# --- processing -------------------------------------------------------------------------------


def process_location(location: Location, *, log: Callable[[str, str], None] | None = None) -> RefreshReport:
    """Read ``location`` now and write what changed, in one transaction.

    Raises ``catalog.ingest.errors.ConcurrentRefresh`` (nothing written) when another refresh of
    the same location finished meanwhile.
    """
    location.refresh_from_db()
    snapshot = Snapshot.load(location)
    plan = read_location(location.type, location.target, location.options, snapshot, location_id=location.pk)
    try:
        written = apply_plan(plan)
    finally:
        plan.spool.close()
    report = RefreshReport.from_plan(location, plan, written=written)
    stats = plan.stats
    changed = stats.added + stats.updated
    if written and pg.needs_maintenance(changed, changed + stats.moved + stats.unchanged) and pg.maintain():
        logger.info("catalog tables vacuumed and analysed", location=str(location.pk), entities_written=changed)
    if log is not None:
        for level, line in report.log_lines():
            log(level, line)
    return report


def analyze_location(*, type: str, target: str, options: dict | None = None) -> Preview:
    """What registering the location would give (entities and errors); writes nothing."""
    target, options = check_target(type, target, options)
    plan = read_location(type, target, options, Snapshot(), in_memory=True)
    try:
        preview = Preview.from_plan(plan)
    finally:
        plan.spool.close()
    refs = list(plan.seen)
    for start in range(0, len(refs), 1000):
        preview.existing.update(Entity.objects.filter(ref__in=refs[start : start + 1000]).values_list("ref", flat=True))
    return preview


def counts_by_kind(location: Location) -> dict[str, int]:
    rows = Entity.objects.filter(location=location, orphan=False).values_list("kind").annotate(n=Count("id"))
    return dict(sorted(rows))


# --- entities ---------------------------------------------------------------------------------


def delete_entity(entity: Entity, *, user=None, orphans_only: bool = True) -> None:
    """Delete an entity. The UI deletes orphans only (``orphans_only``); the API, like Backstage,
    deletes any entity, which comes back at its location's next refresh if still there."""
    if orphans_only and not entity.orphan:
        raise CatalogError(
            f"{entity.ref} is still provided by its location; only orphaned entities can be deleted here."
        )
    with transaction.atomic():
        Location.objects.select_for_update().filter(pk=entity.location_id).first()  # not while a refresh writes
        SearchEntry.objects.filter(entity=entity).delete()
        Relation.objects.filter(origin=entity).delete()
        if not audit.is_registered(Entity):
            audit.record("delete", entity, changes={"ref": [entity.ref, None]}, user=user)
        entity.delete()
        revision.bump()


def unregister_entity(entity: Entity, *, user) -> tuple[Location, list[str]]:
    """Backstage's "Unregister entity": delete the location that provides ``entity`` and every entity
    it holds, as ``user``; return the location and the refs of the entities that went with it.

    Audited with ``user`` as the actor, whoever the request's or command's is: the location's
    deletion by its signals, each entity's here (entities have no signals of their own).
    """
    location = Location.objects.get(pk=entity.location_id)
    with audit.acting_as(user), transaction.atomic():
        Location.objects.select_for_update().filter(pk=location.pk).first()
        removed = [
            Entity(pk=pk, ref=ref, kind=kind, namespace=namespace, name=name)
            for pk, ref, kind, namespace, name in Entity.objects.filter(location=location)
            .order_by("ref")
            .values_list("pk", "ref", "kind", "namespace", "name")
        ]
        delete_location(location)
        if not audit.is_registered(Entity):
            for gone in removed:
                audit.record("delete", gone, changes={"ref": [gone.ref, None]})
    logger.info("catalog location unregistered", location=str(entity.location_id), entities=len(removed))
    return location, [gone.ref for gone in removed]


# --- stars ------------------------------------------------------------------------------------


def set_star(user, entity: Entity, *, starred: bool) -> bool:
    """Star (``starred``) or unstar ``entity`` for ``user``; return whether it is starred now.

    Idempotent: starring a starred entity, or unstarring one that is not, changes nothing.
    """
    with transaction.atomic():
        if starred:
            Star.objects.get_or_create(user=user, entity_ref=entity.ref)
        else:
            Star.objects.filter(user=user, entity_ref=entity.ref).delete()
    return starred


# --- GitHub push events -----------------------------------------------------------------------


def handle_github_push(payload: dict) -> list[Run]:
    """Queue a refresh of every location that reads the pushed branch of the pushed repository."""
    repository = found if isinstance(found := payload.get("repository"), dict) else {}
    full_name = str(repository.get("full_name") or "")
    ref = str(payload.get("ref") or "")
    if "/" not in full_name or not ref.startswith("refs/heads/"):
        return []
    owner, name = full_name.split("/", 1)
    branch = ref.removeprefix("refs/heads/")
    host = (urlsplit(str(repository.get("html_url") or "")).hostname or "github.com").lower()
    prefix = f"https://{host}/{owner}/{name}/"

    def reads_branch(url: str) -> bool:
        try:
            file = github.parse_file_url(url)
        except ReadError:
            return False
        return file.same_repo(owner, name) and file.ref == branch

    ids = {
        pk
        for pk, target in Location.objects.filter(type=LocationType.URL, target__istartswith=prefix).values_list(
            "pk", "target"
        )
        if reads_branch(target)
    }
    ids |= {
        location_id
        for location_id, url in Source.objects.filter(url__istartswith=prefix).values_list("location_id", "url")
        if reads_branch(url)
    }
    if branch == repository.get("default_branch"):
        for pk, target in Location.objects.filter(type=LocationType.GITHUB_DISCOVERY).values_list("pk", "target"):
            if (urlsplit(target).hostname or "").lower() == host and target.rstrip("/").rsplit("/", 1)[
                -1
            ].lower() == owner.lower():
                ids.add(pk)
    return [refresh_location(location) for location in Location.objects.filter(pk__in=ids).order_by("created")]


# --- installation (post_migrate) ----------------------------------------------------------------


def install_defaults(sender=None, *, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **_kwargs) -> None:
    """Register the templates folder as a managed location and schedule ``catalog.refresh_all``
    every CATALOG_REFRESH_INTERVAL minutes; both idempotent (a ``post_migrate`` handler).

    The schedule follows the setting: a changed interval moves the existing task (whether it is
    enabled stays as an administrator left it).
    """
    try:
        location_model = apps.get_model("catalog", "Location")
        interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
        task_model = apps.get_model("django_celery_beat", "PeriodicTask")
        changes_model = apps.get_model("django_celery_beat", "PeriodicTasks")
    except LookupError:  # not migrated yet
        return
    location_model._default_manager.using(using).get_or_create(
        type=LocationType.FILE, target=templates_target(), defaults={"managed": True}
    )
    every = settings.CATALOG_REFRESH_INTERVAL
    intervals = interval_model._default_manager.using(using)
    interval = intervals.filter(every=every, period="minutes").first() or intervals.create(
        every=every, period="minutes"
    )
    tasks = task_model._default_manager.using(using)
    task = tasks.filter(name=REFRESH_ALL_TASK).first()
    if task is None:
        # Due as soon as beat first starts (not one interval later): the locations migrate adds, the
        # templates folder among them, are read on a fresh installation's first start.
        tasks.create(
            name=REFRESH_ALL_TASK,
            task=REFRESH_ALL_TASK,
            interval=interval,
            last_run_at=timezone.now() - timedelta(minutes=every),
            description="Refresh every catalog location (CATALOG_REFRESH_INTERVAL).",
        )
    elif task.interval_id != interval.pk:
        tasks.filter(pk=task.pk).update(interval=interval)
    else:
        return
    # What PeriodicTasks.update_changed() does: a running beat reloads its schedule.
    changes_model._default_manager.using(using).update_or_create(ident=1, defaults={"last_update": timezone.now()})
