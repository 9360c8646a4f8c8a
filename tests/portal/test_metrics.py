import threading

from django.test import Client

from portal.metrics import register_collectors
from portal.models import Job


def job_lines(exposition: str) -> list[str]:
    return [line for line in exposition.splitlines() if "atrium_jobs" in line]


def test_metrics_exports_jobs_by_name_and_status_without_sign_in(client, db):
    # given jobs of two names in several states
    for name, status in [
        ("catalog.refresh", "pending"),
        ("catalog.refresh", "running"),
        ("catalog.refresh", "succeeded"),
        ("catalog.refresh", "succeeded"),
        ("catalog.refresh", "failed"),
        ("costs.ingest", "failed"),
    ]:
        Job.objects.create(name=name, status=status)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert job_lines(response.content.decode()) == [
        "# HELP atrium_jobs Background jobs in the database, by name and status.",
        "# TYPE atrium_jobs gauge",
        'atrium_jobs{name="catalog.refresh",status="pending"} 1.0',
        'atrium_jobs{name="catalog.refresh",status="running"} 1.0',
        'atrium_jobs{name="catalog.refresh",status="succeeded"} 2.0',
        'atrium_jobs{name="catalog.refresh",status="failed"} 1.0',
        'atrium_jobs{name="costs.ingest",status="pending"} 0.0',
        'atrium_jobs{name="costs.ingest",status="running"} 0.0',
        'atrium_jobs{name="costs.ingest",status="succeeded"} 0.0',
        'atrium_jobs{name="costs.ingest",status="failed"} 1.0',
        "# HELP atrium_jobs_finished_total Background jobs that finished, by name and outcome.",
        "# TYPE atrium_jobs_finished_total counter",
        'atrium_jobs_finished_total{name="catalog.refresh",status="failed"} 1.0',
        'atrium_jobs_finished_total{name="catalog.refresh",status="succeeded"} 2.0',
        'atrium_jobs_finished_total{name="costs.ingest",status="failed"} 1.0',
        'atrium_jobs_finished_total{name="costs.ingest",status="succeeded"} 0.0',
    ]


def test_metrics_reads_jobs_at_every_scrape(client, db):
    job = Job.objects.create(name="dora.ingest", status="running")
    client.get("/metrics")

    job.status = "succeeded"
    job.save()
    response = client.get("/metrics")

    lines = job_lines(response.content.decode())
    assert 'atrium_jobs{name="dora.ingest",status="running"} 0.0' in lines
    assert 'atrium_jobs_finished_total{name="dora.ingest",status="succeeded"} 1.0' in lines


def test_metrics_exports_the_job_families_empty_when_there_are_no_jobs(client, db):
    response = client.get("/metrics")

    assert job_lines(response.content.decode()) == [
        "# HELP atrium_jobs Background jobs in the database, by name and status.",
        "# TYPE atrium_jobs gauge",
        "# HELP atrium_jobs_finished_total Background jobs that finished, by name and outcome.",
        "# TYPE atrium_jobs_finished_total counter",
    ]


def test_metrics_still_answers_without_the_job_families_when_the_database_is_down(unreachable_database, log_lines):
    # given a web process whose database cannot be reached (its connections open in this thread)
    responses = []
    scrape = threading.Thread(target=lambda: responses.append(Client().get("/metrics")))

    scrape.start()
    scrape.join(10)

    [response] = responses
    assert response.status_code == 200
    body = response.content.decode()
    assert job_lines(body) == []
    assert "\npython_info{" in body
    [warning] = [line for line in log_lines() if line["event"] == "job metrics unavailable"]
    assert (warning["level"], warning["logger"], warning["error"]) == ("warning", "portal.metrics", "OperationalError")


def test_collector_registration_is_idempotent(client, db):
    # given the registration done when the app loaded; a second registration would raise
    # "Duplicated timeseries in CollectorRegistry"
    register_collectors()
    register_collectors()

    response = client.get("/metrics")

    assert response.content.decode().count("# TYPE atrium_jobs gauge") == 1
