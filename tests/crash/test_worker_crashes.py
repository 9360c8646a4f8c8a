"""A worker killed mid-run, and a broker that goes away: every run still ends exactly once.

Each test prints what it measured (``-s`` shows it): how long the recovery took after the kill.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from catalog import services as catalog
from catalog.models import Entity
from portal.models import Run, RunEvent, RunStep
from tests.crash.conftest import wait_until
from tests.fakes.server import FakeServer, QuietHandler

pytestmark = [pytest.mark.slow, pytest.mark.crash]

ROOT = Path(__file__).resolve().parents[2]
ENTITIES = 4000
PER_FILE = 100


def _write_catalog(folder: Path) -> str:
    folder.mkdir(parents=True)
    for number in range(ENTITIES // PER_FILE):
        docs = [
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {
                    "name": f"service-{number:03d}-{index:03d}",
                    "description": f"Service {index} of file {number}, with enough text to be realistic.",
                    "tags": ["python", f"team-{number % 7}"],
                },
                "spec": {"type": "service", "lifecycle": "production", "owner": f"group:default/team-{number % 7}"},
            }
            for index in range(PER_FILE)
        ]
        (folder / f"catalog-{number:03d}.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return str(folder / "catalog-*.yaml")


def _run_of(location) -> Run:
    return Run.objects.filter(object_id=str(location.pk), kind=catalog.REFRESH_LOCATION_RUN).get()


def test_a_refresh_whose_worker_is_killed_completes_once_on_the_next_worker(processes, tmp_path, capsys):
    target = _write_catalog(tmp_path / "big")
    processes.beat()
    first = processes.worker("first")

    location = catalog.register_location(type="file", target=target)
    run = wait_until(
        lambda: Run.objects.filter(
            kind=catalog.REFRESH_LOCATION_RUN, object_id=str(location.pk), status="running"
        ).first(),
        timeout=60,
        what="the first worker takes the refresh",
    )
    time.sleep(1.0)  # well inside the read and write of 4,000 entities
    processes.kill(first)
    killed_at = time.monotonic()
    run.refresh_from_db()
    assert run.status == "running", "the refresh ended before the kill; give it more entities"

    processes.worker("second")
    wait_until(
        lambda: Run.objects.filter(pk=run.pk, status__in=["succeeded", "failed"]).exists(),
        timeout=90,
        what="the second worker completes the refresh",
    )
    recovery = time.monotonic() - killed_at

    run.refresh_from_db()
    assert (run.status, run.error) == ("succeeded", "")
    assert (run.attempts, run.recoveries) == (2, 1)
    assert Entity.objects.filter(location=location).count() == ENTITIES
    assert (run.output["added"], run.output["updated"], run.output["errors"]) == (ENTITIES, 0, 0)
    assert list(RunStep.objects.filter(run=run).values_list("key", "status", "attempts")) == [("read", "succeeded", 2)]
    assert RunEvent.objects.filter(run=run, type="recovered").count() == 1
    assert RunEvent.objects.filter(run=run, type="completion").count() == 1
    with capsys.disabled():
        print(f"\n[crash] refresh of {ENTITIES} entities: completed {recovery:.1f} s after SIGKILL")


def _template_with_a_pause(tmp_path) -> Entity:
    """django-service as shipped, with a pause before register (it publishes to the local git host when the
    repository picked is on it)."""
    folder = tmp_path / "django-service-pause"
    shutil.copytree(ROOT / "templates" / "django-service", folder)
    doc = yaml.safe_load((folder / "template.yaml").read_text())
    doc["metadata"]["name"] = "django-service-pause"
    steps = doc["spec"]["steps"]
    register = next(index for index, step in enumerate(steps) if step["id"] == "register")
    steps.insert(register, {"id": "pause", "name": "Pause", "action": "debug:wait", "input": {"seconds": 10}})
    (folder / "template.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    from tests.scaffolder.engine_support import register_file

    register_file(folder / "template.yaml")
    from scaffolder import services

    entity = services.template_entity("django-service-pause")
    assert entity is not None
    return entity


def test_a_golden_path_whose_worker_is_killed_between_publish_and_register_ends_with_one_repo_and_one_entity(
    processes, tmp_path, capsys
):
    from scaffolder import services
    from tests.conftest import make_user
    from tests.golden.test_golden_paths import DJANGO_PARAMETERS
    from tests.scaffolder.engine_support import install_people

    install_people(tmp_path / "people")
    dana = make_user("dev@example.com", first_name="Dana", last_name="Developer")
    entity = _template_with_a_pause(tmp_path)
    processes.beat()
    first = processes.worker("first")

    task = services.create_task(dana, entity, {**DJANGO_PARAMETERS, "repoUrl": "local?owner=acme&repo=orders-api"})
    wait_until(
        lambda: RunStep.objects.filter(run_id=task.pk, key="pause", status="running").exists(),
        timeout=120,
        what="the task reaches the pause after publish",
    )
    processes.kill(first)
    killed_at = time.monotonic()
    processes.worker("second")
    wait_until(
        lambda: Run.objects.filter(pk=task.pk, status__in=["succeeded", "failed", "cancelled"]).exists(),
        timeout=150,
        what="the second worker completes the task",
    )
    recovery = time.monotonic() - killed_at

    task.refresh_from_db()
    assert (task.status, task.error) == ("succeeded", "")
    assert task.recoveries == 1
    publish = RunStep.objects.get(run_id=task.pk, key="publish")
    assert (publish.status, publish.attempts) == ("succeeded", 1)  # not run again after the kill
    repositories = sorted(path.name for path in (tmp_path / "data" / "git").rglob("*.git"))
    assert repositories == ["orders-api.git"]
    assert Entity.objects.filter(kind="Component", name="orders-api").count() == 1
    with capsys.disabled():
        print(f"\n[crash] golden path: completed {recovery:.1f} s after SIGKILL (10 s of it the pause step, run again)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_broker(tmp_path):
    """A Redis server of this test's own, which it may stop and start again."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _answers(port), timeout=10, what="the private Redis starts")
        return process

    current = {"process": start()}

    class Broker:
        url = f"redis://127.0.0.1:{port}/0"

        def stop(self) -> None:
            current["process"].terminate()
            current["process"].wait(timeout=10)

        def start(self) -> None:
            current["process"] = start()

    yield Broker()
    if current["process"].poll() is None:
        current["process"].terminate()
        current["process"].wait(timeout=10)


@contextlib.contextmanager
def publishing_to(url: str):
    """This process publishes to ``url`` meanwhile (Celery keeps a connection pool per broker URL)."""
    from portal.celery import app

    def use(broker_url):
        # Celery's connection pools are private: dropped, they are made again for the new URL.
        app.conf.broker_url = broker_url  # type: ignore[misc]  # read-only in celery-types, not in Celery
        app._pool = None  # type: ignore[attr-defined]  # private, not in celery-types
        app.amqp._producer_pool = None  # type: ignore[attr-defined]  # private, not in celery-types

    before = app.conf.broker_url
    use(url)
    try:
        yield
    finally:
        use(before)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_runs_started_while_the_broker_is_down_all_complete_once_it_is_back(
    processes, private_broker, crash_settings, tmp_path, capsys
):
    crash_settings.CELERY_BROKER_URL = private_broker.url
    processes.broker_url = private_broker.url
    folders = []
    for number in range(5):
        folder = tmp_path / f"small-{number}"
        folder.mkdir()
        (folder / "catalog-info.yaml").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {"name": f"small-{number}"},
                    "spec": {"type": "service", "lifecycle": "production", "owner": "group:default/a"},
                }
            )
        )
        folders.append(folder)
    processes.beat()
    processes.worker("first")
    with publishing_to(private_broker.url):
        private_broker.stop()
        stopped_at = time.monotonic()
        locations = [
            catalog.register_location(type="file", target=str(folder / "catalog-info.yaml")) for folder in folders
        ]
        assert Run.objects.filter(kind=catalog.REFRESH_LOCATION_RUN, status="pending").count() == 5
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped_at)))
        private_broker.start()
        back_at = time.monotonic()
        wait_until(
            lambda: Run.objects.filter(kind=catalog.REFRESH_LOCATION_RUN, status="succeeded").count() == 5,
            timeout=90,
            what="every refresh started while the broker was down completes",
        )
        done = time.monotonic() - back_at
    assert sorted(Entity.objects.filter(location__in=locations).values_list("name", flat=True)) == [
        f"small-{number}" for number in range(5)
    ]
    with capsys.disabled():
        print(f"\n[crash] broker down 30 s: the 5 pending refreshes completed {done:.1f} s after it came back")


class FlakySite(FakeServer):
    """Serves catalog files; ``/busy/…`` answers 503 (Retry-After: 1) the first ``busy`` times, ``/gone/…`` 404."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.seen: list[tuple[str, int]] = []
        super().__init__()

    def handler_class(self):
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                name = self.path.strip("/").split("/")[-1].removesuffix(".yaml")
                if self.path.startswith("/gone/"):
                    status, body, headers = 404, b"no such file", {}
                elif self.path.startswith("/busy/") and site.busy > 0:
                    site.busy -= 1
                    status, body, headers = 503, b"busy", {"Retry-After": "1"}
                else:
                    document = {
                        "apiVersion": "backstage.io/v1alpha1",
                        "kind": "Component",
                        "metadata": {"name": name},
                        "spec": {"type": "service", "lifecycle": "production", "owner": "group:default/a"},
                    }
                    status, body, headers = 200, yaml.safe_dump(document).encode(), {}
                site.seen.append((self.path, status))
                self.send_response(status)
                for header, value in headers.items():
                    self.send_header(header, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def test_a_transient_error_is_retried_by_the_workers_and_a_permanent_one_fails_at_once(processes, crash_settings):
    site = FlakySite(busy=2).start()
    crash_settings.CATALOG_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    try:
        processes.beat()
        processes.worker("first")
        busy = catalog.register_location(type="url", target=f"{site.url}/busy/flaky.yaml")
        gone = catalog.register_location(type="url", target=f"{site.url}/gone/missing.yaml")
        wait_until(
            lambda: (
                Run.objects.filter(kind=catalog.REFRESH_LOCATION_RUN, status__in=["succeeded", "failed"]).count() == 2
            ),
            timeout=60,
            what="both refreshes end",
        )
    finally:
        site.stop()
    flaky, missing = _run_of(busy), _run_of(gone)
    assert (flaky.status, flaky.error) == ("succeeded", "")
    assert list(RunStep.objects.filter(run=flaky).values_list("status", "attempts")) == [("succeeded", 3)]
    reason = f"{site.url}/busy/flaky.yaml answered 503 Service Unavailable"
    assert [event.message for event in flaky.events.order_by("id") if event.message.startswith("retrying")] == [
        f"retrying in 1 s (attempt 2 of 3): {reason}",
        f"retrying in 1 s (attempt 3 of 3): {reason}",
    ]
    assert Entity.objects.filter(location=busy).count() == 1
    assert missing.status == "failed"
    assert missing.error == f"Step Read the location failed: {site.url}/gone/missing.yaml answered 404 Not Found"
    assert list(RunStep.objects.filter(run=missing).values_list("status", "attempts")) == [("failed", 1)]
    assert [path for path, _status in site.seen if path.startswith("/gone/")] == ["/gone/missing.yaml"]
