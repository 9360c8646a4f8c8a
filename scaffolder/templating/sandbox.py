"""Render templates in a separate, resource-limited process.

Every rendering of a template the task engine did not write itself goes through here: step inputs
(:func:`render_value_sandboxed`), ``if:`` conditions (:func:`evaluate_condition_sandboxed`) and skeletons
(:func:`render_skeleton_sandboxed`). The parent starts ``python -I`` on :func:`child_main` with ``subprocess``
(not ``multiprocessing``: a Celery prefork worker is a daemonic process and may not have multiprocessing
children, and ``subprocess`` needs no pickling and no fork of a threaded parent). The job goes through stdin as
JSON, so no value and no secret ever appears in the child's argv or environment; the child's environment holds
only ``PATH`` and ``LANG``, it runs in a session of its own (killed as a process group), and before rendering it
limits its CPU time (``RLIMIT_CPU``), address space (``RLIMIT_AS``), file size (``RLIMIT_FSIZE``), core dumps
and new processes. A rendered value larger than ``Limits.output_bytes`` is refused in the child, before it is
encoded; the parent enforces the wall-clock limit and caps what it reads back. Whatever happens in
the child, the parent gets either the result or a :class:`TemplateError` with a clear message, and stays healthy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .bounds import size_of
from .engine import TemplateError, evaluate_condition, redact, render_value, secret_values
from .limits import (
    DEFAULT_LIMITS,
    Limits,
    applying,
    cpu_message,
    file_message,
    memory_message,
    output_message,
    wall_message,
)
from .skeleton import render_skeleton

logger = logging.getLogger(__name__)

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
KEPT_ENVIRONMENT = ("PATH", "LANG")
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from scaffolder.templating.sandbox import child_main; child_main()"
)
_CHUNK = 64 * 1024
_STDERR_CAP = 64 * 1024
_REPLY_SLACK = 1024 * 1024  # JSON quoting around at most output_bytes of rendered values


def child_command() -> list[str]:
    """The sandbox process's argv: the interpreter in isolated mode and the project root, nothing else."""
    return [sys.executable, "-I", "-c", _BOOT, PROJECT_ROOT]


def child_environment() -> dict[str, str]:
    return {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}


# Parent -----------------------------------------------------------------------------------------------------------


def _exchange(process: subprocess.Popen, payload: bytes, deadline: float, reply_cap: int) -> tuple[str, bytes, bytes]:
    """Feed the payload, collect stdout and stderr; ("done" | "timeout" | "overflow", stdout, stderr)."""
    selector = selectors.DefaultSelector()
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    if stdin is None or stdout is None or stderr is None:
        raise ValueError("the sandbox process is started with three pipes")
    streams = {stdin: "in", stdout: "out", stderr: "err"}
    for stream, role in streams.items():
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_WRITE if role == "in" else selectors.EVENT_READ, role)
    out, err, sent = bytearray(), bytearray(), 0
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout", bytes(out), bytes(err)
            for key, _events in selector.select(remaining):
                if key.data == "in":
                    try:
                        sent += os.write(key.fd, payload[sent : sent + _CHUNK])
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        sent = len(payload)
                    if sent >= len(payload):
                        selector.unregister(key.fileobj)
                        stdin.close()
                    continue
                try:
                    chunk = os.read(key.fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.data == "out":
                    out += chunk
                    if len(out) > reply_cap:
                        return "overflow", bytes(out), bytes(err)
                else:
                    err += chunk[: max(_STDERR_CAP - len(err), 0)]
        process.wait(timeout=max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return "timeout", bytes(out), bytes(err)
    finally:
        selector.close()
    return "done", bytes(out), bytes(err)


def _failure_name(stderr: bytes) -> str:
    """The exception type on the last line of a traceback (never its message, which may hold values)."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1] if lines else ""
    name = last.split(":", 1)[0].strip()
    return name if name.isidentifier() else "unknown"


def _outcome(state: str, returncode: int | None, out: bytes, err: bytes, limits: Limits) -> Any:
    if state == "timeout":
        raise TemplateError(wall_message(limits))
    if state == "overflow":
        raise TemplateError(output_message(limits))
    if returncode == 0:
        try:
            reply = json.loads(out)
        except ValueError:
            reply = {"error": "the template rendering process gave no result"}
        if "error" in reply:
            raise TemplateError(str(reply["error"]))
        return reply["ok"]
    if returncode is not None and returncode < 0:
        number = -returncode
        if number == signal.SIGXCPU:
            raise TemplateError(cpu_message(limits))
        if number == signal.SIGXFSZ:
            raise TemplateError(file_message(limits))
        logger.warning("template sandbox ended by signal %s", signal.Signals(number).name)
        raise TemplateError(f"the template rendering process stopped unexpectedly ({signal.Signals(number).name})")
    failure = _failure_name(err)
    if failure == "MemoryError":
        raise TemplateError(memory_message(limits))
    logger.warning("template sandbox failed with exit status %s (%s)", returncode, failure)
    raise TemplateError(f"the template rendering process failed (exit status {returncode})")


def _run(job: Mapping[str, Any], limits: Limits, secrets: Sequence[str]) -> Any:
    try:
        payload = json.dumps({"job": job, "limits": limits.to_dict()}, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):
        raise TemplateError("the values given to the template must be JSON data") from None
    started = time.monotonic()
    state, returncode, out, err = "timeout", None, b"", b""
    with subprocess.Popen(  # noqa: S603 -- fixed argv: our interpreter and our own module
        child_command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_environment(),
        cwd="/",
        start_new_session=True,
        close_fds=True,
    ) as process:
        try:
            deadline = started + limits.wall_seconds
            state, out, err = _exchange(process, payload, deadline, limits.output_bytes + _REPLY_SLACK)
        finally:
            if process.returncode is None:  # still running (or not yet reaped): end it and its group
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            returncode = process.returncode if state == "done" else None
    logger.debug("template sandbox %s: %s in %.0f ms", job["op"], state, (time.monotonic() - started) * 1000)
    try:
        return _outcome(state, returncode, out, err, limits)
    except TemplateError as error:
        message = redact(str(error), secrets)
    raise TemplateError(message)


def render_value_sandboxed(value: Any, context: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> Any:
    """:func:`.engine.render_value` in the sandbox process (for step inputs, ``each:`` and outputs)."""
    job = {"op": "render_value", "value": value, "context": context}
    return _run(job, limits, secret_values(context))


def evaluate_condition_sandboxed(value: Any, context: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> bool:
    """:func:`.engine.evaluate_condition` in the sandbox process (for ``if:`` on steps and outputs)."""
    job = {"op": "evaluate_condition", "value": value, "context": context}
    return bool(_run(job, limits, secret_values(context)))


def render_skeleton_sandboxed(
    source: Path | str,
    target: Path | str,
    values: Mapping[str, Any],
    *,
    workspace: Path | str | None = None,
    copy_without_templating: Sequence[str] = (),
    copy_without_render: Sequence[str] = (),
    template_file_extension: str | bool | None = None,
    cookiecutter_compat: bool = False,
    trim_blocks: bool = False,
    lstrip_blocks: bool = False,
    replace: bool = True,
    redact: Iterable[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> list[str]:
    """:func:`.skeleton.render_skeleton` in the sandbox process (same arguments, same result)."""
    secrets = sorted({str(item) for item in redact if item}, key=len, reverse=True)
    options = {
        "workspace": os.path.abspath(workspace) if workspace is not None else None,
        "copy_without_templating": copy_without_templating,  # a tuple travels as a list; a string stays invalid
        "copy_without_render": copy_without_render,
        "template_file_extension": template_file_extension,
        "cookiecutter_compat": cookiecutter_compat,
        "trim_blocks": trim_blocks,
        "lstrip_blocks": lstrip_blocks,
        "replace": replace,
    }
    job = {
        "op": "render_skeleton",
        "source": os.path.abspath(source),  # the child runs in "/": relative paths are the parent's
        "target": os.path.abspath(target),
        "values": values,
        "redact": secrets,
        "options": options,
    }
    return list(_run(job, limits, secrets))


# Child ------------------------------------------------------------------------------------------------------------


def _set_limit(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def _apply_limits(limits: Limits) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    cpu_hard = limits.cpu_seconds + 1 if hard == resource.RLIM_INFINITY else min(limits.cpu_seconds + 1, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (min(limits.cpu_seconds, cpu_hard), cpu_hard))
    _set_limit(resource.RLIMIT_AS, limits.memory_bytes)
    _set_limit(resource.RLIMIT_FSIZE, limits.file_bytes)
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_NPROC, 0)


def _perform(job: Mapping[str, Any], limits: Limits) -> Any:
    operation = job["op"]
    if operation == "render_value":
        with applying(limits):
            rendered = render_value(job["value"], job["context"])
        if size_of(rendered, limits.output_bytes) > limits.output_bytes:  # refused before it is encoded
            raise TemplateError(output_message(limits))
        return rendered
    if operation == "evaluate_condition":
        with applying(limits):
            return evaluate_condition(job["value"], job["context"])
    if operation == "render_skeleton":
        return render_skeleton(
            job["source"], job["target"], job["values"], redact=job["redact"], limits=limits, **job["options"]
        )
    raise TemplateError(f"unknown sandbox job {operation!r}")


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(1, view) :]


def child_main() -> None:
    """The sandbox process: read one job on stdin, limit itself, render, answer one JSON line on stdout."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with EFBIG instead of killing us
    for name in list(os.environ):
        if name not in KEPT_ENVIRONMENT:
            del os.environ[name]
    request = json.loads(sys.stdin.buffer.read())
    limits = Limits.from_dict(request["limits"])
    out_of_memory = json.dumps({"error": memory_message(limits)}).encode("utf-8")
    _apply_limits(limits)
    try:
        reply = json.dumps({"ok": _perform(request["job"], limits)}, ensure_ascii=False).encode("utf-8")
    except TemplateError as error:
        reply = json.dumps({"error": str(error)}, ensure_ascii=False).encode("utf-8")
    except MemoryError:
        reply = out_of_memory
    except Exception as error:  # a bug of ours: report its type only (its message may hold values)
        reply = json.dumps({"error": f"the template could not be rendered ({type(error).__name__})"}).encode()
    _write_all(reply)
    sys.stdout.flush()
    os._exit(0)
