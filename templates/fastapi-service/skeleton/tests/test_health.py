import asyncio
import socket

import pytest


@pytest.fixture
def listening_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    return port


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_without_dependencies_is_ready(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


def test_readyz_checks_each_dependency(make_client, listening_port):
    client = make_client(dependencies={"database": f"127.0.0.1:{listening_port}"})

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_unavailable_and_names_the_dependency_that_is_down(make_client, listening_port, closed_port):
    client = make_client(dependencies={"database": f"127.0.0.1:{listening_port}", "cache": f"127.0.0.1:{closed_port}"})

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["cache"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("ConnectionRefusedError: ")


def test_a_check_that_hangs_fails_after_the_timeout(make_client):
    client = make_client(readiness_timeout=0.05)

    async def hangs() -> None:
        await asyncio.sleep(10)

    client.app.state.checks = {"slow": hangs}

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"slow": "no answer within 0.05s"}
