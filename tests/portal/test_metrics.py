import datetime
import threading

from django.test import Client
from django.utils import timezone

from portal.metrics import register_collectors
from portal.models import Run


def run_lines(exposition: str) -> list[str]:
    return [line for line in exposition.splitlines() if "atrium_runs" in line]


def test_metrics_exports_runs_by_kind_and_status_without_sign_in(client, db, settings):
    # given runs of two kinds in several states, one of them running on a worker that stopped
    settings.RUN_STALE_AFTER = 60
    now = timezone.now()
    for kind, status in [
        ("catalog.refresh_location", "pending"),
        ("catalog.refresh_location", "running"),
        ("catalog.refresh_location", "succeeded"),
        ("catalog.refresh_location", "succeeded"),
        ("catalog.refresh_location", "failed"),
        ("catalog.refresh_location", "cancelled"),
        ("costs.ingest", "failed"),
    ]:
        Run.objects.create(kind=kind, status=status, heartbeat=now if status == "running" else None)
    Run.objects.create(kind="costs.ingest", status="running", heartbeat=now - datetime.timedelta(seconds=61))

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert run_lines(response.content.decode()) == [
        "# HELP atrium_runs Background runs in the database, by kind and status.",
        "# TYPE atrium_runs gauge",
        'atrium_runs{kind="catalog.refresh_location",status="pending"} 1.0',
        'atrium_runs{kind="catalog.refresh_location",status="running"} 1.0',
        'atrium_runs{kind="catalog.refresh_location",status="succeeded"} 2.0',
        'atrium_runs{kind="catalog.refresh_location",status="failed"} 1.0',
        'atrium_runs{kind="catalog.refresh_location",status="cancelled"} 1.0',
        'atrium_runs{kind="costs.ingest",status="pending"} 0.0',
        'atrium_runs{kind="costs.ingest",status="running"} 1.0',
        'atrium_runs{kind="costs.ingest",status="succeeded"} 0.0',
        'atrium_runs{kind="costs.ingest",status="failed"} 1.0',
        'atrium_runs{kind="costs.ingest",status="cancelled"} 0.0',
        "# HELP atrium_runs_finished_total Background runs that finished, by kind and outcome.",
        "# TYPE atrium_runs_finished_total counter",
        'atrium_runs_finished_total{kind="catalog.refresh_location",status="cancelled"} 1.0',
        'atrium_runs_finished_total{kind="catalog.refresh_location",status="failed"} 1.0',
        'atrium_runs_finished_total{kind="catalog.refresh_location",status="succeeded"} 2.0',
        'atrium_runs_finished_total{kind="costs.ingest",status="cancelled"} 0.0',
        'atrium_runs_finished_total{kind="costs.ingest",status="failed"} 1.0',
        'atrium_runs_finished_total{kind="costs.ingest",status="succeeded"} 0.0',
        "# HELP atrium_runs_stale Runs that are running with a heartbeat older than RUN_STALE_AFTER (their worker "
        "stopped), by kind.",
        "# TYPE atrium_runs_stale gauge",
        'atrium_runs_stale{kind="catalog.refresh_location"} 0.0',
        'atrium_runs_stale{kind="costs.ingest"} 1.0',
    ]


def test_metrics_reads_runs_at_every_scrape(client, db):
    run = Run.objects.create(kind="dora.ingest", status="running", heartbeat=timezone.now())
    client.get("/metrics")

    run.status = "succeeded"
    run.save()
    response = client.get("/metrics")

    lines = run_lines(response.content.decode())
    assert 'atrium_runs{kind="dora.ingest",status="running"} 0.0' in lines
    assert 'atrium_runs_finished_total{kind="dora.ingest",status="succeeded"} 1.0' in lines


def test_a_run_becomes_stale_when_its_heartbeat_is_older_than_the_setting(client, db, settings):
    Run.objects.create(kind="dora.ingest", status="running", heartbeat=timezone.now() - datetime.timedelta(seconds=100))

    settings.RUN_STALE_AFTER = 120
    fresh = run_lines(client.get("/metrics").content.decode())
    settings.RUN_STALE_AFTER = 90
    stale = run_lines(client.get("/metrics").content.decode())

    assert 'atrium_runs_stale{kind="dora.ingest"} 0.0' in fresh
    assert 'atrium_runs_stale{kind="dora.ingest"} 1.0' in stale


def test_metrics_exports_the_run_families_empty_when_there_are_no_runs(client, db):
    response = client.get("/metrics")

    assert run_lines(response.content.decode()) == [
        "# HELP atrium_runs Background runs in the database, by kind and status.",
        "# TYPE atrium_runs gauge",
        "# HELP atrium_runs_finished_total Background runs that finished, by kind and outcome.",
        "# TYPE atrium_runs_finished_total counter",
        "# HELP atrium_runs_stale Runs that are running with a heartbeat older than RUN_STALE_AFTER (their worker "
        "stopped), by kind.",
        "# TYPE atrium_runs_stale gauge",
    ]


def test_metrics_still_answers_without_the_run_families_when_the_database_is_down(unreachable_database, log_lines):
    # given a web process whose database cannot be reached (its connections open in this thread)
    responses = []
    scrape = threading.Thread(target=lambda: responses.append(Client().get("/metrics")))

    scrape.start()
    scrape.join(10)

    [response] = responses
    assert response.status_code == 200
    body = response.content.decode()
    assert run_lines(body) == []
    assert "\npython_info{" in body
    [warning] = [line for line in log_lines() if line["event"] == "run metrics unavailable"]
    assert (warning["level"], warning["logger"], warning["error"]) == ("warning", "portal.metrics", "OperationalError")


def test_collector_registration_is_idempotent(client, db):
    # given the registration done when the app loaded; a second registration would raise
    # "Duplicated timeseries in CollectorRegistry"
    register_collectors()
    register_collectors()

    response = client.get("/metrics")

    assert response.content.decode().count("# TYPE atrium_runs gauge") == 1
