"""Prometheus metrics of Atrium's own, exported at ``/metrics`` next to django-prometheus's.

The background run figures are read from the ``Run`` table at every scrape, so they are the same
whichever web process answers, and count the work of every worker. When the database cannot be
read, the run families are left out of the page (and the failure logged): ``/metrics`` still answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import structlog
from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from portal.models.runs import TERMINAL_RUN_STATUSES, Run, RunStatus

log = structlog.get_logger(__name__)

_LABELS = ["kind", "status"]
_FINISHED = sorted(TERMINAL_RUN_STATUSES)


def _runs_family() -> GaugeMetricFamily:
    return GaugeMetricFamily("atrium_runs", "Background runs in the database, by kind and status.", labels=_LABELS)


def _finished_family() -> CounterMetricFamily:
    return CounterMetricFamily(
        "atrium_runs_finished", "Background runs that finished, by kind and outcome.", labels=_LABELS
    )


def _stale_family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "atrium_runs_stale",
        "Runs that are running with a heartbeat older than RUN_STALE_AFTER (their worker stopped), by kind.",
        labels=["kind"],
    )


class RunsCollector:
    """``atrium_runs`` (gauge), ``atrium_runs_finished_total`` (counter) per kind and status, and
    ``atrium_runs_stale`` (gauge) per kind.

    Every status of every kind present is exported, zeros included, so that a rate or an alert on a
    status that has not happened yet has a series to work on.
    """

    def describe(self) -> list[Metric]:
        # Registration asks for the names only: no database access while the apps load.
        return [_runs_family(), _finished_family(), _stale_family()]

    def collect(self) -> Iterator[Metric]:
        from portal.runs.claims import stale_before

        try:
            rows = list(Run.objects.order_by().values_list("kind", "status").annotate(count=Count("id")))
            stale = dict(
                Run.objects.filter(status=RunStatus.RUNNING, heartbeat__lt=stale_before())
                .order_by()
                .values_list("kind")
                .annotate(count=Count("id"))
            )
        except DatabaseError as exc:
            log.warning("run metrics unavailable", error=type(exc).__name__)
            return
        counts: dict[str, dict[str, int]] = {}
        for kind, status, count in rows:
            counts.setdefault(kind, dict.fromkeys(RunStatus.values, 0))[status] = count
        gauge, finished, stale_gauge = _runs_family(), _finished_family(), _stale_family()
        for kind in sorted(counts):
            for status in RunStatus.values:
                gauge.add_metric([kind, status], counts[kind][status])
            for status in _FINISHED:
                finished.add_metric([kind, status], counts[kind][status])
            stale_gauge.add_metric([kind], stale.get(kind, 0))
        yield gauge
        yield finished
        yield stale_gauge


_registered = False
_lock = threading.Lock()


def register_collectors() -> None:
    """Register Atrium's collectors with the default registry, once however often it is called."""
    global _registered
    with _lock:
        if not _registered:
            REGISTRY.register(RunsCollector())
            _registered = True
