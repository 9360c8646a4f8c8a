"""Background runs of the catalog (``portal.runs``): refreshing one location, and all of them."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.urls import reverse

from catalog import services
from catalog.ingest.errors import ConcurrentRefresh
from catalog.models import Location
from portal.models.runs import Run
from portal.runs import PermanentError, RunContext, RunKind, Step, TransientError, register


def _location_id(params: dict[str, Any]) -> None:
    if set(params) != {"location_id"} or not isinstance(params["location_id"], str):
        raise ValueError("A catalog refresh takes one param, location_id (a string).")


def read_location(ctx: RunContext) -> dict[str, Any]:
    """Read one location and write what changed; the log says what was read, skipped and found.

    Idempotent: a second read of an unchanged location writes nothing.
    """
    location = Location.objects.filter(pk=ctx.params["location_id"]).first()
    if location is None:
        ctx.info("The location no longer exists; nothing to do.")
        return {"deleted": True}
    ctx.info(f"Reading {location.type} location {location.target}")

    def line(level: str, message: str) -> None:
        ctx.log.line(message, step=ctx.step.key if ctx.step is not None else None, level=level)

    try:
        report = services.process_location(location, log=line)
    except ConcurrentRefresh as exc:
        raise TransientError(str(exc), retry_in=5) from None
    except IntegrityError as exc:  # an entity created by another location meanwhile
        raise TransientError(f"Conflicting concurrent write: {exc}", retry_in=5) from None
    if report.failure:
        if report.transient:
            raise TransientError(report.failure, retry_in=report.retry_after)
        raise PermanentError(report.failure)
    return report.result()


class RefreshLocation(RunKind):
    name = services.REFRESH_LOCATION_RUN
    label = "Catalog refresh"
    url_label = "Open the location"
    steps = (Step("read", "Read the location", read_location, action="catalog.read_location"),)
    max_attempts = 3
    retry_base = 30.0

    def check_params(self, params: dict[str, Any]) -> None:
        _location_id(params)

    def url(self, run: Run) -> str | None:
        return reverse("catalog:location", kwargs={"pk": run.params["location_id"]}) if run.params else None

    def finish(self, ctx: RunContext) -> dict[str, Any] | None:
        return ctx.outputs.get("read") or {}


def queue_locations(ctx: RunContext) -> dict[str, Any]:
    """Queue a refresh of every registered location (each is a run of its own)."""
    queued, waiting = services.queue_every_location(user=ctx.user)
    ctx.info(f"Queued a refresh of {queued} locations; {waiting} were already waiting.")
    return {"queued": queued, "already_waiting": waiting}


class RefreshAll(RunKind):
    name = services.REFRESH_ALL_RUN
    label = "Catalog refresh of every location"
    steps = (Step("queue", "Queue a refresh of every location", queue_locations, action="catalog.queue_locations"),)
    max_attempts = 1

    def check_params(self, params: dict[str, Any]) -> None:
        if params:
            raise ValueError("A refresh of every location takes no params.")

    def finish(self, ctx: RunContext) -> dict[str, Any] | None:
        return ctx.outputs.get("queue") or {}


register(RefreshLocation())
register(RefreshAll())
