"""What a refresh starts from (a snapshot of the location's rows) and what it produces (a plan).

A snapshot holds only what is needed to decide what changed: per entity its id, uid, digest and
position, per source its digest. The entity rows to write are spooled to a temporary file while the
location is read, so memory does not grow with the size of the catalog.
"""

from __future__ import annotations

import pickle
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from catalog.ingest.errors import VOLATILE_KINDS, LocationFailure, Problem
from catalog.models import Entity, Location, LocationError, Source

NEW, CHANGED, MOVED = "new", "changed", "moved"
#: Source states: read for the first time, content changed, same bytes but processed again (it
#: had volatile errors or placeholders), same bytes and skipped, kept after a failed read.
SOURCE_NEW, SOURCE_CHANGED, SOURCE_REPROCESSED, SOURCE_SKIPPED, SOURCE_KEPT = (
    "new",
    "changed",
    "reprocessed",
    "skipped",
    "kept",
)


@dataclass(frozen=True, slots=True)
class PreviousEntity:
    id: int
    uid: str
    content_hash: str
    source_id: int | None
    document_index: int
    line: int
    orphan: bool


@dataclass(slots=True)
class LocationChild:
    """A ``Location`` entity stored from a source, for following it when the source is skipped."""

    spec: dict
    document_index: int
    line: int
    ref: str


@dataclass
class Snapshot:
    version: datetime | None = None
    sources: dict[str, tuple[int, str]] = field(default_factory=dict)
    entities: dict[str, PreviousEntity] = field(default_factory=dict)
    #: Refs of the non-orphan entities of each source.
    refs_by_source: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    locations_by_source: dict[int, list[LocationChild]] = field(default_factory=lambda: defaultdict(list))
    #: source URL → its stored errors, as :class:`Problem`.
    errors: dict[str, list[Problem]] = field(default_factory=dict)
    volatile_urls: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, location: Location) -> Snapshot:
        """Five queries, whatever the size of the location."""
        snapshot = cls(version=location.last_refreshed)
        for pk, url, digest in Source.objects.filter(location=location).values_list("id", "url", "content_hash"):
            snapshot.sources[url] = (pk, digest)
        rows = Entity.objects.filter(location=location).values_list(
            "id", "uid", "ref", "content_hash", "source_id", "document_index", "line", "orphan"
        )
        for pk, uid, ref, digest, source_id, index, line, orphan in rows.iterator(chunk_size=5000):
            snapshot.entities[ref] = PreviousEntity(pk, str(uid), digest, source_id, index, line, orphan)
            if not orphan and source_id is not None:
                snapshot.refs_by_source[source_id].append(ref)
        stored_locations = Entity.objects.filter(location=location, ref__startswith="location:", orphan=False)
        for source_id, body, index, line, ref in stored_locations.values_list(
            "source_id", "body", "document_index", "line", "ref"
        ):
            if source_id is not None:
                spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
                snapshot.locations_by_source[source_id].append(LocationChild(spec, index, line, ref))
        stored_errors = LocationError.objects.filter(location=location).order_by("id")
        for url, kind, message, error_index, error_line, ref in stored_errors.values_list(
            "source_url", "kind", "message", "document_index", "line", "entity_ref"
        ):
            snapshot.errors.setdefault(url, []).append(Problem(kind, message, url, error_index, error_line, ref))
            if kind in VOLATILE_KINDS:
                snapshot.volatile_urls.add(url)
        return snapshot


@dataclass(slots=True)
class EntityRecord:
    """An entity to write: ``new``, ``changed`` (content) or ``moved`` (position, source, orphan)."""

    status: str
    ref: str
    source_url: str
    document_index: int
    line: int
    #: The stored entity (a changed or moved one).
    previous: PreviousEntity | None = None
    #: Column values, relations and search rows of a new or changed entity (kind, name, body,
    #: denormalised fields …); empty for a moved one.
    columns: dict = field(default_factory=dict)
    relations: list[tuple[str, str, str]] = field(default_factory=list)
    search: list[tuple[str, str | None, str | None]] = field(default_factory=list)


class Spool:
    """Records written to a temporary file as they come, read back in order, in batches."""

    def __init__(self, *, in_memory: bool = False) -> None:
        self._memory: list[EntityRecord] | None = [] if in_memory else None
        self._file = None if in_memory else tempfile.TemporaryFile(prefix="atrium-catalog-")  # noqa: SIM115 (closed by close())
        self.count = 0

    def add(self, record: EntityRecord) -> None:
        self.count += 1
        if self._memory is not None:
            self._memory.append(record)
        else:
            assert self._file is not None  # records not kept in memory are spooled to the file
            pickle.dump(record, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def batches(self, size: int) -> Iterator[list[EntityRecord]]:
        batch: list[EntityRecord] = []
        for record in self._records():
            batch.append(record)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _records(self) -> Iterator[EntityRecord]:
        if self._memory is not None:
            yield from self._memory
            return
        assert self._file is not None  # records not kept in memory are spooled to the file
        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)  # noqa: S301  (our own temporary file)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@dataclass
class Stats:
    sources_read: int = 0
    sources_unchanged: int = 0
    sources_failed: int = 0
    repositories: int = 0
    repositories_without_file: int = 0
    documents: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    unchanged: int = 0
    orphaned: int = 0
    conflicts: int = 0


@dataclass
class Plan:
    """The outcome of reading a location, before anything is written."""

    location_id: uuid.UUID | str | None  # None: a preview of a location not registered
    version: datetime | None
    snapshot: Snapshot
    spool: Spool
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # url → (digest, state)
    problems: list[Problem] = field(default_factory=list)
    #: ref → (source URL, line) of every entity the location provides now.
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    failure: LocationFailure | None = None

    @property
    def skipped_urls(self) -> set[str]:
        return {url for url, (_, state) in self.sources.items() if state == SOURCE_SKIPPED}

    def final_errors(self) -> dict[str, list[Problem]]:
        """The location's errors after this refresh, by source URL: a skipped source keeps its
        stored errors (and adds those found while following its Location entities); every other
        source has the errors found now."""
        final: dict[str, list[Problem]] = {}
        for url in self.skipped_urls:
            if url in self.snapshot.errors:
                final[url] = list(self.snapshot.errors[url])
        for problem in self.problems:
            final.setdefault(problem.source_url, []).append(problem)
        return final
