import re
import time
from collections.abc import Callable

import pytest
import structlog
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from portal.diagnostics import log_ping
from portal.logging import clean_request_id, current_request_id
from portal.middleware import RequestIdMiddleware

FRESH_ID = re.compile(r"[0-9a-f]{32}")


def wait_for_line(log_lines: Callable[[], list[dict]], event: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in log_lines() if line["event"] == event]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no log line {event!r} within {timeout} s")


def test_request_log_lines_carry_the_given_request_id_and_the_response_echoes_it(client, db, log_lines):
    response = client.get("/accounts/login/", headers={"X-Request-ID": "edge-7f3a.2:b_c-1"})

    assert response.status_code == 200
    assert response["X-Request-ID"] == "edge-7f3a.2:b_c-1"
    lines = log_lines()
    [request_line] = [line for line in lines if line["event"] == "request"]
    assert {key: request_line[key] for key in ("method", "path", "status", "request_id", "logger", "level")} == {
        "method": "GET",
        "path": "/accounts/login/",
        "status": 200,
        "request_id": "edge-7f3a.2:b_c-1",
        "logger": "portal.request",
        "level": "info",
    }
    assert {line["request_id"] for line in lines} == {"edge-7f3a.2:b_c-1"}


def test_a_request_without_request_id_gets_a_fresh_one(client, db, log_lines):
    response = client.get("/accounts/login/")

    request_id = response["X-Request-ID"]
    assert FRESH_ID.fullmatch(request_id)
    assert [line["request_id"] for line in log_lines() if line["event"] == "request"] == [request_id]


@pytest.mark.parametrize(
    "given",
    [
        "<script>alert(1)</script>",
        "id with spaces",
        "a" * 129,
        "req-1\n",
        "req-1\r\nSet-Cookie: x=1",
        "ré-1",
        "",
    ],
)
def test_a_bad_request_id_is_replaced_by_a_fresh_one(client, db, log_lines, given):
    response = client.get("/accounts/login/", headers={"X-Request-ID": given})

    request_id = response["X-Request-ID"]
    assert FRESH_ID.fullmatch(request_id)
    assert [line["request_id"] for line in log_lines() if line["event"] == "request"] == [request_id]


def test_a_request_id_of_128_safe_characters_is_kept():
    given = "A-z0.9:_" * 16

    assert clean_request_id(given) == given


def test_the_request_id_does_not_outlive_the_request(db, log_lines):
    # given a request handled by the middleware
    RequestIdMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/x", HTTP_X_REQUEST_ID="req-9"))

    structlog.get_logger("tests").info("after the request")

    assert current_request_id() is None
    [after] = [line for line in log_lines() if line["event"] == "after the request"]
    assert "request_id" not in after


def test_the_request_id_reaches_the_log_lines_of_the_task_the_request_enqueued(
    celery_worker, log_lines, django_capture_on_commit_callbacks
):
    # given a request, with its id, whose view enqueues a task after its transaction commits
    def view(request: HttpRequest) -> HttpResponse:
        with django_capture_on_commit_callbacks(execute=True):
            log_ping.delay_on_commit()  # type: ignore[attr-defined]  # Celery's Django fixup: tasks are DjangoTasks
        return HttpResponse("queued")

    request = RequestFactory().get("/diagnostics/ping", HTTP_X_REQUEST_ID="req-celery-42")

    # when the request is served and the real worker takes the task from the broker
    response = RequestIdMiddleware(view)(request)
    ping = wait_for_line(log_lines, "ping")

    # then the request's line and the task's line carry the same request id
    assert response["X-Request-ID"] == "req-celery-42"
    [request_line] = [line for line in log_lines() if line["event"] == "request"]
    assert request_line["request_id"] == "req-celery-42"
    assert {key: ping[key] for key in ("request_id", "task_name", "logger", "level")} == {
        "request_id": "req-celery-42",
        "task_name": "portal.log_ping",
        "logger": "portal.diagnostics",
        "level": "info",
    }
    assert ping["task_id"]


def test_a_task_enqueued_outside_a_request_logs_with_a_fresh_request_id(celery_worker, log_lines):
    log_ping.delay()

    ping = wait_for_line(log_lines, "ping")

    assert FRESH_ID.fullmatch(ping["request_id"])
    assert ping["task_name"] == "portal.log_ping"
