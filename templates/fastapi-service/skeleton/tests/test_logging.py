import io
import json
import logging

import pytest

from app.logging import JsonFormatter


@pytest.fixture
def log_lines(client):
    """The lines the service logged during the test, through its own formatter, parsed from JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    handler.addFilter(lambda record: record.name.startswith("app."))
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_request_is_logged_as_json_with_the_callers_request_id(client, log_lines):
    response = client.get("/api/v1/info", headers={"X-Request-ID": "req-7f3a"})

    assert response.headers["X-Request-ID"] == "req-7f3a"
    [line] = log_lines()
    assert {key: line[key] for key in ("level", "logger", "event", "request_id", "method", "path", "status")} == {
        "level": "info",
        "logger": "app.logging",
        "event": "request",
        "request_id": "req-7f3a",
        "method": "GET",
        "path": "/api/v1/info",
        "status": 200,
    }


def test_a_malformed_request_id_is_replaced_by_a_new_one(client, log_lines):
    response = client.get("/api/v1/info", headers={"X-Request-ID": "not valid; drop table"})

    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0
    assert [line["request_id"] for line in log_lines()] == [request_id]


def test_probes_are_not_logged_when_they_succeed(client, log_lines):
    client.get("/healthz")

    assert log_lines() == []


def test_an_unhandled_error_is_logged_with_its_traceback_and_request_id(client, log_lines):
    def fail() -> None:
        raise RuntimeError("the example failure")

    client.app.add_api_route("/fail", fail)

    with pytest.raises(RuntimeError, match="the example failure"):
        client.get("/fail", headers={"X-Request-ID": "req-500"})

    error, request = log_lines()
    assert (error["level"], error["event"], error["request_id"]) == ("error", "unhandled error", "req-500")
    assert error["exception"].endswith("RuntimeError: the example failure")
    assert (request["event"], request["status"], request["request_id"]) == ("request", 500, "req-500")
