import io
import json
import logging

import pytest

from config.logging import structured_formatter


@pytest.fixture
def log_lines():
    """The lines logged during the test, through the service's own formatter, parsed from JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_request_is_logged_as_json_with_the_callers_request_id(client, log_lines):
    response = client.get("/nowhere", HTTP_X_REQUEST_ID="req-7f3a")

    assert response["X-Request-ID"] == "req-7f3a"
    lines = log_lines()
    assert {line["request_id"] for line in lines} == {"req-7f3a"}
    request_line = next(line for line in lines if line["event"] == "request")
    assert {key: request_line[key] for key in ("level", "method", "path", "status")} == {
        "level": "info",
        "method": "GET",
        "path": "/nowhere",
        "status": 404,
    }


def test_a_malformed_request_id_is_replaced_by_a_new_one(client, log_lines):
    response = client.get("/nowhere", HTTP_X_REQUEST_ID="not valid; drop table")

    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0
    assert {line["request_id"] for line in log_lines()} == {request_id}


def test_probes_are_not_logged_when_they_succeed(client, log_lines):
    client.get("/healthz")

    assert log_lines() == []
