"""A task's events, as Backstage's scaffolder client follows them: ``GET /v2/tasks/{id}/events`` (long
polling: a running task's next event is waited for) and ``GET /v2/tasks/{id}/eventstream`` (server-sent
events until the task's completion, the client's default).
"""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from portal.models.runs import TERMINAL_RUN_STATUSES, Run, RunEvent
from scaffolder.api import serializers as s
from scaffolder.api.base import ScaffolderView, int_param, visible_task
from scaffolder.api.views import NOT_FOUND, TAGS, TASK_ID

AFTER = OpenApiParameter("after", int, description="Events with a larger id only.")
#: Events in one answer (or one read of the stream) at most.
MAX_EVENTS = 1000
#: How often a waiting request looks for new events.
POLL_SECONDS = 0.25
#: Seconds between two comments on an event stream with nothing new (keeps proxies from closing it).
KEEP_ALIVE_SECONDS = 15


def _new_events(task_id, after: int) -> list:
    return list(RunEvent.objects.filter(run_id=task_id, id__gt=after).order_by("id")[:MAX_EVENTS])


def _ended(task_id) -> bool:
    return Run.objects.filter(pk=task_id, status__in=TERMINAL_RUN_STATUSES).exists()


class TaskEventsView(ScaffolderView):
    """A task's log, polled with ``after``."""

    @extend_schema(
        operation_id="StreamLogsPolling",
        tags=TAGS,
        summary="The task's events after the event id `after` (at most 1000 at a time).",
        description="When a running task has no event after `after` yet, the answer waits for one "
        "(SCAFFOLDER_EVENTS_WAIT seconds at most) before answering an empty list: long polling.",
        parameters=[*TASK_ID, AFTER],
        responses={200: s.TaskEventSerializer(many=True), **NOT_FOUND},
    )
    def get(self, request, taskId: str):
        task = visible_task(request, taskId)
        after = int_param(request, "after", 0)
        deadline = time.monotonic() + settings.SCAFFOLDER_EVENTS_WAIT
        while True:
            events = _new_events(task.pk, after)
            if events or time.monotonic() >= deadline or _ended(task.pk):
                break
            time.sleep(POLL_SECONDS)
        return Response([s.event_data(event) for event in events])


def _stream(task_id, after: int):
    """``event: <type>`` / ``data: <event JSON>`` blocks until the completion event (or, for a task
    that ended without one, until nothing more can come)."""
    quiet_since = time.monotonic()
    while True:
        events = _new_events(task_id, after)
        for event in events:
            after = event.pk
            yield f"event: {event.type}\ndata: {json.dumps(s.event_data(event), cls=DjangoJSONEncoder)}\n\n"
            if event.type == "completion":
                return
        if events:
            quiet_since = time.monotonic()
            continue
        if _ended(task_id) and not _new_events(task_id, after):
            return
        if time.monotonic() - quiet_since >= KEEP_ALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": waiting\n\n"
        time.sleep(POLL_SECONDS)


class EventStreamRenderer(BaseRenderer):
    """Lets a request that accepts only ``text/event-stream`` through content negotiation; the stream
    itself is a StreamingHttpResponse, so this renders only errors (as JSON text)."""

    media_type = "text/event-stream"
    format = "event-stream"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, cls=DjangoJSONEncoder).encode()


class TaskEventStreamView(ScaffolderView):
    """A task's log as server-sent events."""

    renderer_classes = (JSONRenderer, EventStreamRenderer)

    @extend_schema(
        operation_id="StreamLogsEventStream",
        tags=TAGS,
        summary="The task's events after the event id `after` as server-sent events, until its completion.",
        description="Each event is sent as `event: <type>` and `data: <the event as JSON>`; the stream ends "
        "after the completion event.",
        parameters=[*TASK_ID, AFTER],
        responses={
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description="server-sent events"),
            **NOT_FOUND,
        },
    )
    def get(self, request, taskId: str):
        task = visible_task(request, taskId)
        after = int_param(request, "after", 0)
        response = StreamingHttpResponse(_stream(task.pk, after), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # no buffering by a proxy in front
        return response
