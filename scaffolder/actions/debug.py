"""``debug:log``: a message in the task's log, and optionally the workspace's files (and contents);
``debug:wait``: a pause, which a cancellation ends."""

from __future__ import annotations

import os
import time

from scaffolder.actions.registry import Action, ActionError, object_schema, register
from scaffolder.engine.context import ActionContext
from scaffolder.engine.workspace import read_file, walk

#: ``with-contents`` shows at most this much of each file.
CONTENT_LIMIT = 64 * 1024


def _contents(path) -> str:
    if path.is_symlink():
        return f"(a symbolic link to {os.readlink(path)})"
    data = read_file(path, CONTENT_LIMIT)
    return data.decode("utf-8", "replace") if data is not None else "(larger than 64 KB)"


def debug_log(ctx: ActionContext) -> dict:
    message = ctx.input.get("message")
    if message is not None:
        ctx.logger.info(str(message))
    listing = ctx.input.get("listWorkspace")
    if listing in (True, "with-filenames", "with-contents"):
        files = walk(ctx.workspace)
        lines = [f"Workspace: {len(files)} files"]
        for relative, _info in files:
            lines.append(f"- {relative}")
            if listing == "with-contents":
                lines.append(_contents(ctx.workspace / relative))
        ctx.logger.info("\n".join(lines))
    return {}


#: ``debug:wait`` waits at most this long (Backstage's limit too).
MAX_WAIT_SECONDS = 600


def debug_wait(ctx: ActionContext) -> dict:
    seconds = (
        float(ctx.input.get("minutes") or 0) * 60
        + float(ctx.input.get("seconds") or 0)
        + float(ctx.input.get("milliseconds") or 0) / 1000
    )
    if seconds > MAX_WAIT_SECONDS:
        raise ActionError(f"Waiting {seconds:g} s is longer than the limit of {MAX_WAIT_SECONDS} s")
    ctx.logger.info(f"Waiting {seconds:g} s")
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ctx.check_cancelled()
        time.sleep(min(left, 0.2))
    return {}


register(
    Action(
        id="debug:wait",
        description="Waits for the given time (at most ten minutes); cancelling the task ends the wait.",
        input_schema=object_schema(
            {
                "minutes": {"type": "number", "minimum": 0, "description": "Minutes to wait"},
                "seconds": {"type": "number", "minimum": 0, "description": "Seconds to wait"},
                "milliseconds": {"type": "number", "minimum": 0, "description": "Milliseconds to wait"},
            }
        ),
        output_schema=object_schema({}),
        handler=debug_wait,
        examples=[
            {
                "description": "Wait five seconds",
                "example": "steps:\n  - id: wait\n    action: debug:wait\n    input:\n      seconds: 5\n",
            }
        ],
    )
)


register(
    Action(
        id="debug:log",
        description="Writes a message into the task's log; can list the workspace's files and their contents.",
        input_schema=object_schema(
            {
                "message": {"type": ["string", "number", "boolean"], "description": "The message to log"},
                "listWorkspace": {
                    "oneOf": [{"type": "boolean"}, {"enum": ["with-filenames", "with-contents"]}],
                    "description": "List the workspace's files (with-contents: and their contents)",
                },
            }
        ),
        output_schema=object_schema({}),
        handler=debug_log,
        examples=[
            {
                "description": "Log a message",
                "example": "steps:\n  - id: log\n    action: debug:log\n    input:\n"
                "      message: Creating ${{ parameters.name }}\n      listWorkspace: true\n",
            }
        ],
    )
)
