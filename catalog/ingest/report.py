"""What a refresh or a preview did, in a form for job logs, commands and the API."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from catalog.ingest.errors import Problem
from catalog.ingest.state import NEW, Plan, Stats
from catalog.models import LocationStatus

#: Errors written one per line to a job log; the rest are counted.
MAX_LOGGED_ERRORS = 100


@dataclass
class RefreshReport:
    location_id: str
    status: str
    stats: Stats
    problems: list[Problem]
    failure: str = ""
    transient: bool = False
    #: Seconds the source asked to wait before the next try (its ``Retry-After``), if it said.
    retry_after: float | None = None
    #: False when the location was deleted while it was being read.
    written: bool = True

    @classmethod
    def from_plan(cls, location, plan: Plan, *, written: bool) -> RefreshReport:
        if plan.failure is not None:
            status = LocationStatus.FAILED
        else:
            status = LocationStatus.ERRORS if _error_count(plan) else LocationStatus.OK
        return cls(
            location_id=str(location.pk),
            status=status,
            stats=plan.stats,
            problems=list(plan.problems),
            failure=str(plan.failure) if plan.failure is not None else "",
            transient=bool(plan.failure is not None and plan.failure.transient),
            retry_after=plan.failure.retry_after if plan.failure is not None else None,
            written=written,
        )

    def log_lines(self) -> list[tuple[str, str]]:
        stats = self.stats
        lines: list[tuple[str, str]] = []
        if not self.written:
            return [("info", "The location was deleted while it was being read; nothing was written.")]
        if self.failure:
            return [("error", f"The location could not be read: {self.failure}")]
        if stats.repositories:
            lines.append(
                (
                    "info",
                    f"Discovery: {stats.repositories} repositories, "
                    f"{stats.repositories_without_file} without a catalog file (skipped).",
                )
            )
        lines.append(
            (
                "info",
                f"Sources: {stats.sources_read} read, {stats.sources_unchanged} unchanged (skipped), "
                f"{stats.sources_failed} could not be read.",
            )
        )
        lines.append(
            (
                "info",
                f"Entities: {stats.added} added, {stats.updated} updated, {stats.moved} moved, "
                f"{stats.unchanged} unchanged, {stats.orphaned} orphaned.",
            )
        )
        if self.problems:
            lines.append(("warning", f"{len(self.problems)} errors found in this refresh:"))
            lines.extend(("warning", str(problem)) for problem in self.problems[:MAX_LOGGED_ERRORS])
            if len(self.problems) > MAX_LOGGED_ERRORS:
                lines.append(("warning", f"… and {len(self.problems) - MAX_LOGGED_ERRORS} more errors."))
        return lines

    def result(self) -> dict:
        stats = self.stats
        return {
            "location_id": self.location_id,
            "status": self.status,
            "sources_read": stats.sources_read,
            "sources_unchanged": stats.sources_unchanged,
            "added": stats.added,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
            "orphaned": stats.orphaned,
            "errors": len(self.problems),
        }


def _error_count(plan: Plan) -> int:
    return sum(len(errors) for errors in plan.final_errors().values())


@dataclass
class Preview:
    """The entities a location would provide and the errors reading it would record."""

    entities: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failure: str = ""
    #: Refs of the previewed entities that the catalog holds already (from any location).
    existing: set[str] = field(default_factory=set)

    @classmethod
    def from_plan(cls, plan: Plan) -> Preview:
        entities = [
            _without_identity(record.columns["body"])
            for batch in plan.spool.batches(1000)
            for record in batch
            if record.status == NEW
        ]
        return cls(entities, list(plan.problems), str(plan.failure) if plan.failure is not None else "")

    def counts_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(entity["kind"] for entity in self.entities).items()))


def _without_identity(body: dict) -> dict:
    metadata = {key: value for key, value in body["metadata"].items() if key not in ("uid", "etag")}
    return {**body, "metadata": metadata}
