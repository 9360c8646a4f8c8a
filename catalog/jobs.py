"""Background jobs of the catalog (``portal.jobs``): refreshing one location, and all of them."""

from __future__ import annotations

from django.db import IntegrityError

from catalog import services
from catalog.ingest.errors import ConcurrentRefresh
from catalog.models import Location
from portal.jobs import JobError, RetryableJobError, job


@job(services.REFRESH_LOCATION_JOB, max_attempts=3, retry_delay=30)
def refresh_location(job, *, location_id: str) -> dict:
    """Read one location and write what changed; the log says what was read, skipped and found."""
    location = Location.objects.filter(pk=location_id).first()
    if location is None:
        job.log_line("info", "The location no longer exists; nothing to do.")
        return {"deleted": True}
    job.log_line("info", f"Reading {location.type} location {location.target}")
    try:
        report = services.process_location(location, log=lambda level, line: job.log_line(level, line, save=False))
    except ConcurrentRefresh as exc:
        raise RetryableJobError(str(exc), countdown=5) from None
    except IntegrityError as exc:  # an entity created by another location meanwhile
        raise RetryableJobError(f"Conflicting concurrent write: {exc}", countdown=5) from None
    if report.failure:
        if report.transient:
            raise RetryableJobError(report.failure)
        raise JobError(report.failure)
    return report.result()


@job(services.REFRESH_ALL_JOB, max_attempts=1)
def refresh_all(job) -> dict:
    """Queue a refresh of every registered location (each is a job of its own)."""
    queued, waiting = services.queue_every_location(user=job.user)
    job.log_line("info", f"Queued a refresh of {queued} locations; {waiting} were already waiting.")
    return {"queued": queued, "already_waiting": waiting}
