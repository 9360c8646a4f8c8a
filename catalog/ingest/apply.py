"""Writing a plan to the database: one transaction per location, in batches, nothing half-written.

Only what changed is written: new and changed sources, new and changed entities (with their
relations, search rows and, on PostgreSQL, their ``search_vector``), moved entities (position only),
entities that became orphans, and the errors of the sources processed again. A refresh with nothing
changed writes the location's ``last_refreshed`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.utils import timezone

from catalog import revision
from catalog.ingest import pg
from catalog.ingest.errors import ConcurrentRefresh, ErrorKind, Problem
from catalog.ingest.state import CHANGED, MOVED, NEW, SOURCE_CHANGED, SOURCE_NEW, EntityRecord, Plan
from catalog.models import Entity, Location, LocationError, LocationStatus, Relation, SearchEntry, Source

BATCH_SIZE = 1000
CONTENT_FIELDS = [
    "kind",
    "namespace",
    "name",
    "api_version",
    "body",
    "etag",
    "content_hash",
    "source",
    "document_index",
    "line",
    "orphan",
    "updated",
    "title",
    "description",
    "spec_type",
    "lifecycle",
    "owner_ref",
    "system_ref",
    "search_text",
]
POSITION_FIELDS = ["source", "document_index", "line", "orphan", "updated"]


def _order(problem: Problem) -> tuple:
    return (problem.document_index or -1, problem.line or 0, problem.kind, problem.message, problem.entity_ref)


def _chunks(items: list, size: int = BATCH_SIZE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert_rows(model, fields: list[str], rows: Iterable[tuple]) -> None:
    """Insert plain rows: COPY on PostgreSQL, batched INSERTs elsewhere."""
    if connection.vendor == "postgresql":
        columns = [model._meta.get_field(name).column for name in fields]
        pg.copy_rows(model._meta.db_table, columns, rows)
        return
    objects = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    model.objects.bulk_create(objects, batch_size=BATCH_SIZE)


class _Writer:
    def __init__(self, location: Location, plan: Plan) -> None:
        self.location, self.plan = location, plan
        self.now = timezone.now()
        self.source_ids = {url: pk for url, (pk, _) in plan.snapshot.sources.items()}
        self.conflicts: list[Problem] = []

    def sources(self) -> None:
        new = [
            Source(location=self.location, url=url, content_hash=digest, last_read=self.now)
            for url, (digest, state) in self.plan.sources.items()
            if state == SOURCE_NEW
        ]
        for source in Source.objects.bulk_create(new, batch_size=BATCH_SIZE):
            self.source_ids[source.url] = source.pk
        changed = [
            Source(pk=self.source_ids[url], content_hash=digest, last_read=self.now)
            for url, (digest, state) in self.plan.sources.items()
            if state == SOURCE_CHANGED
        ]
        if connection.vendor == "postgresql":
            pg.update_rows(Source, ["content_hash", "last_read"], changed)
        else:
            Source.objects.bulk_update(changed, ["content_hash", "last_read"], batch_size=BATCH_SIZE)

    def gone_sources(self) -> None:
        gone = [pk for url, (pk, _) in self.plan.snapshot.sources.items() if url not in self.plan.sources]
        for chunk in _chunks(gone):
            Source.objects.filter(pk__in=chunk).delete()

    def _taken(self, records: list[EntityRecord]) -> dict[str, str]:
        """Refs of new records that another location provides already: ref → that location."""
        if not records:
            return {}
        owners = dict(Entity.objects.filter(ref__in=[r.ref for r in records]).values_list("ref", "location_id"))
        if not owners:
            return {}
        described = {
            pk: f"{type_}:{target}"
            for pk, type_, target in Location.objects.filter(pk__in=set(owners.values())).values_list(
                "pk", "type", "target"
            )
        }
        return {ref: described.get(pk, str(pk)) for ref, pk in owners.items()}

    def entities(self) -> None:
        stats = self.plan.stats
        for batch in self.plan.spool.batches(BATCH_SIZE):
            new = [record for record in batch if record.status == NEW]
            taken = self._taken(new)
            created, changed, moved, content = [], [], [], []
            for record in batch:
                if record.status == NEW and record.ref in taken:
                    message = f"{record.ref} is already provided by location {taken[record.ref]}"
                    self.conflicts.append(
                        Problem(
                            ErrorKind.CONFLICT,
                            message,
                            record.source_url,
                            record.document_index,
                            record.line,
                            record.ref,
                        )
                    )
                    stats.added -= 1
                    stats.conflicts += 1
                    continue
                entity = self._entity(record)
                if record.status == NEW:
                    created.append(entity)
                elif record.status == CHANGED:
                    changed.append(entity)
                else:
                    moved.append(entity)
                if record.status != MOVED:
                    content.append((entity, record))
            if connection.vendor == "postgresql":
                pg.create_entities(created, self.now)
                pg.update_rows(Entity, CONTENT_FIELDS, changed, search_vector=True)
                pg.update_rows(Entity, POSITION_FIELDS, moved)
            else:
                Entity.objects.bulk_create(created, batch_size=BATCH_SIZE)
                Entity.objects.bulk_update(changed, CONTENT_FIELDS, batch_size=BATCH_SIZE)
                Entity.objects.bulk_update(moved, POSITION_FIELDS, batch_size=BATCH_SIZE)
            self._content(content, [entity.pk for entity in changed])

    def _entity(self, record: EntityRecord) -> Entity:
        position = {
            "source_id": self.source_ids[record.source_url],
            "document_index": record.document_index,
            "line": record.line,
            "orphan": False,
            "updated": self.now,
        }
        stored_id = record.previous.id if record.previous is not None else None  # a moved or changed one's
        if record.status == MOVED:
            return Entity(pk=stored_id, **position)
        columns = dict(record.columns)
        uid = columns.pop("uid")
        if record.status == CHANGED:
            return Entity(pk=stored_id, **columns, **position)
        return Entity(uid=uid, ref=record.ref, location=self.location, **columns, **position)

    def _content(self, content: list[tuple[Entity, EntityRecord]], changed_ids: list[int]) -> None:
        if changed_ids:
            Relation.objects.filter(origin_id__in=changed_ids).delete()
            SearchEntry.objects.filter(entity_id__in=changed_ids).delete()
        _insert_rows(
            Relation,
            ["origin_id", "source_ref", "type", "target_ref"],
            ((entity.pk, *relation) for entity, record in content for relation in record.relations),
        )
        _insert_rows(
            SearchEntry,
            ["entity_id", "key", "value", "original_value"],
            ((entity.pk, *entry) for entity, record in content for entry in record.search),
        )

    def orphans(self) -> None:
        seen, previous = self.plan.seen, self.plan.snapshot.entities
        lost = [entity.id for ref, entity in previous.items() if ref not in seen and not entity.orphan]
        for chunk in _chunks(lost):
            Entity.objects.filter(pk__in=chunk).update(orphan=True, updated=self.now)
        self.plan.stats.orphaned = len(lost)

    def errors(self) -> int:
        """Rewrite the errors of each source whose errors changed; return the location's count."""
        plan = self.plan
        plan.problems.extend(self.conflicts)
        final, stored = plan.final_errors(), plan.snapshot.errors
        changed = [
            url
            for url in {*final, *stored}
            if sorted(stored.get(url, []), key=_order) != sorted(final.get(url, []), key=_order)
        ]
        stale = [url for url in changed if url in stored]
        for chunk in _chunks(stale):
            LocationError.objects.filter(location=self.location, source_url__in=chunk).delete()
        LocationError.objects.bulk_create(
            [
                LocationError(
                    location=self.location,
                    source_url=problem.source_url[:2000],
                    document_index=problem.document_index,
                    line=problem.line,
                    entity_ref=problem.entity_ref[:400],
                    kind=problem.kind,
                    message=problem.message,
                )
                for url in sorted(changed)
                for problem in final.get(url, [])
            ],
            batch_size=BATCH_SIZE,
        )
        return sum(len(problems) for problems in final.values())

    def finish(self, *, status: str, last_error: str = "") -> None:
        fields: dict[str, object] = {"last_refreshed": self.now}
        if status != self.location.status:
            fields["status"] = status
        if last_error != self.location.last_error:
            fields["last_error"] = last_error
        Location.objects.filter(pk=self.location.pk).update(**fields)


def apply_plan(plan: Plan) -> bool:
    """Write ``plan`` in one transaction; False when the location no longer exists.

    Raises :class:`ConcurrentRefresh` (writing nothing) when another refresh of the location
    finished after this one took its snapshot.
    """
    if plan.location_id is None:  # a preview's: there is no location to write to
        return False
    with transaction.atomic():
        location = Location.objects.select_for_update().filter(pk=plan.location_id).first()
        if location is None:
            return False
        if location.last_refreshed != plan.version:
            raise ConcurrentRefresh(f"Location {location} was refreshed by another job meanwhile")
        writer = _Writer(location, plan)
        if plan.failure is not None:
            writer.finish(status=LocationStatus.FAILED, last_error=str(plan.failure))
            return True
        writer.sources()
        writer.entities()
        writer.orphans()
        writer.gone_sources()
        errors = writer.errors()
        writer.finish(status=LocationStatus.ERRORS if errors else LocationStatus.OK)
        stats = plan.stats
        if stats.added or stats.updated or stats.orphaned:
            revision.bump()
    return True
