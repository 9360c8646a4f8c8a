"""Prometheus metrics of Atrium's own, exported at ``/metrics`` next to django-prometheus's.

The background job figures are read from the ``Job`` table at every scrape, so they are the same
whichever web process answers, and count the work of every worker. When the database cannot be
read, the job families are left out of the page (and the failure logged): ``/metrics`` still answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import structlog
from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from portal.models.jobs import TERMINAL_STATUSES, Job, JobStatus

log = structlog.get_logger(__name__)

_LABELS = ["name", "status"]
_FINISHED = sorted(TERMINAL_STATUSES)


def _jobs_family() -> GaugeMetricFamily:
    return GaugeMetricFamily("atrium_jobs", "Background jobs in the database, by name and status.", labels=_LABELS)


def _finished_family() -> CounterMetricFamily:
    return CounterMetricFamily(
        "atrium_jobs_finished", "Background jobs that finished, by name and outcome.", labels=_LABELS
    )


class JobsCollector:
    """``atrium_jobs`` (gauge) and ``atrium_jobs_finished_total`` (counter), per job name and status.

    Every status of every job name present is exported, zeros included, so that a rate or an alert
    on a status that has not happened yet has a series to work on.
    """

    def describe(self) -> list[Metric]:
        # Registration asks for the names only: no database access while the apps load.
        return [_jobs_family(), _finished_family()]

    def collect(self) -> Iterator[Metric]:
        try:
            rows = list(Job.objects.order_by().values_list("name", "status").annotate(count=Count("id")))
        except DatabaseError as exc:
            log.warning("job metrics unavailable", error=type(exc).__name__)
            return
        counts: dict[str, dict[str, int]] = {}
        for name, status, count in rows:
            counts.setdefault(name, dict.fromkeys(JobStatus.values, 0))[status] = count
        jobs, finished = _jobs_family(), _finished_family()
        for name in sorted(counts):
            for status in JobStatus.values:
                jobs.add_metric([name, status], counts[name][status])
            for status in _FINISHED:
                finished.add_metric([name, status], counts[name][status])
        yield jobs
        yield finished


_registered = False
_lock = threading.Lock()


def register_collectors() -> None:
    """Register Atrium's collectors with the default registry, once however often it is called."""
    global _registered
    with _lock:
        if not _registered:
            REGISTRY.register(JobsCollector())
            _registered = True
