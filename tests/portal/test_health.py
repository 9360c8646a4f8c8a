import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # closed at teardown
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for client in accepted:
        client.close()


def redis_cache_at(port: int) -> dict:
    return {"default": {"BACKEND": REDIS_CACHE, "LOCATION": f"redis://127.0.0.1:{port}/0"}}


def test_healthz_answers_ok_without_any_io(client, settings):
    # given no database access allowed (pytest-django refuses it without the db fixture),
    # and a cache and a broker that refuse connections
    settings.CACHES = redis_cache_at(closed_port())
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_readyz_is_ok_when_database_cache_and_broker_answer(client, db):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": {"ok": True}, "cache": {"ok": True}, "broker": {"ok": True}},
    }


def test_readyz_names_the_broker_when_it_is_stopped(client, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "error": "OperationalError"}


def test_readyz_names_the_cache_when_it_is_stopped(client, db, settings):
    settings.CACHES = redis_cache_at(closed_port())  # the setting_changed signal resets django's caches

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


def test_readyz_names_the_database_when_it_cannot_be_reached(client, unreachable_database):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}


def test_readyz_does_not_use_the_request_threads_database_connection(client, db):
    # given the request thread's own connection, open and in a transaction (the test's)
    assert connection.in_atomic_block

    client.get("/readyz")

    # then the readiness check neither closed it nor left it unusable
    assert connection.connection is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_readyz_answers_within_the_timeout_when_dependencies_hang(client, db, settings, silent_server):
    # given a broker and a cache that accept connections and never answer
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_server}/0"
    settings.CACHES = redis_cache_at(silent_server)  # no socket timeout: only the probe's own bounds it

    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker", "cache"]
    assert body["checks"]["broker"] == {"ok": False, "error": "no answer within 1 s"}
    assert body["checks"]["cache"] == {"ok": False, "error": "no answer within 1 s"}
    assert body["checks"]["database"] == {"ok": True}
    assert 1.0 <= elapsed < 1.5


def test_readyz_keeps_credentials_out_of_its_answer_and_logs(client, db, settings, log_lines):
    settings.CELERY_BROKER_URL = f"redis://atrium:broker-password-123@127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": REDIS_CACHE,
            "LOCATION": f"redis://atrium:cache-password-456@127.0.0.1:{closed_port()}/0",
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["broker", "cache"]
    written = response.content.decode() + repr(log_lines())
    assert "password-123" not in written
    assert "password-456" not in written
    assert "atrium:" not in written


def test_readyz_logs_each_failing_dependency(client, db, settings, log_lines):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/readyz", headers={"X-Request-ID": "probe-1"})

    assert response.status_code == 503
    warnings = [
        {key: line[key] for key in ("event", "request_id", "check", "error", "failing") if key in line}
        for line in log_lines()
        if line["level"] == "warning" and line.get("request_id") == "probe-1"
    ]
    assert warnings == [
        {"event": "readiness check failed", "request_id": "probe-1", "check": "broker", "error": "OperationalError"},
        {"event": "not ready", "request_id": "probe-1", "failing": ["broker"]},
    ]


def test_a_process_imports_what_readiness_uses_when_it_starts(tmp_path):
    """The first probe of a process that has just started measures answers, not imports."""
    code = (
        "import sys, django; django.setup(); "
        "print(sorted(name for name in ('kombu.transport.redis', 'redis') if name in sys.modules))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "DATA_DIR": str(tmp_path),
    }
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['kombu.transport.redis', 'redis']"
