"""The value limit of golden-path templates, and what an oversized value costs where it is produced and shown.

    .venv/bin/python benchmarks/bounded_values.py

1. Expressions, rendered in the sandbox process as the engine renders a step's input: for each one, its result
   (its size, or the error), the time, and the peak memory of the worker (tracemalloc) and of the sandbox process
   (``ru_maxrss`` of the children).
2. Dry runs executed in this process (``portal.runs.execute``, as a worker does once it has the message): one whose
   output is ``${{ (['x'*1000000]*95)|dump }}``, and one whose output holds a 15 MB text (within the limit). For
   each: the time, the run's status, what is stored (the output, the completion event), the dry-run answer, and
   the task page and the run page (time of a second request, HTML size, peak memory through tracemalloc).

Each measurement runs in a fresh process of its own, so that one's peak memory is not another's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

MIB = 1024 * 1024

EXPRESSIONS = [
    "${{ (('x'*15000000) ~ ('y'*15000000))|length }}",
    "${{ (['x'*1000000]*95)|dump }}",
    "${{ ['x'*15000000, 'y'*15000000] }}",
    "${{ (['x'*1000000]*95)|join|length }}",
    "${{ ('x'*15000000) + ('y'*15000000) }}",
    "${{ ('<'*15000000)|e|length }}",
]

BIG_OUTPUT = "${{ (['x'*1000000]*95)|dump }}"
ALLOWED_OUTPUT = "${{ 'x' * 15000000 }}"


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def expression(index: int) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from scaffolder.templating import TemplateError, render_value_sandboxed

    source = EXPRESSIONS[index]
    tracemalloc.start()
    began = time.perf_counter()
    try:
        value = render_value_sandboxed(source, {})
        result = f"{len(value):,} characters" if isinstance(value, str) else f"{value!r}"[:40]
    except TemplateError as error:
        result = f"error: {error}"
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    return {
        "expression": source,
        "result": result,
        "seconds": round(elapsed, 2),
        "worker_peak_mb": round(peak / MIB, 1),
        "sandbox_rss_mb": round(_rss_mb(resource.RUSAGE_CHILDREN), 1),
    }


def _measure(function):
    tracemalloc.reset_peak()
    began = time.perf_counter()
    value = function()
    return value, round(time.perf_counter() - began, 2), round(tracemalloc.get_traced_memory()[1] / MIB, 1)


def dry_run(content: str) -> dict:
    import _django

    _django.setup()
    from django.test import Client
    from django.test.utils import override_settings

    from portal import runs
    from portal.models.runs import EventType, RunEvent
    from scaffolder import services
    from scaffolder.models import Task
    from tests.conftest import make_user
    from tests.scaffolder.engine_support import install_template, template_doc

    folder = Path(tempfile.mkdtemp(prefix="atrium-bench-bounded-"))
    output = {"text": [{"title": "Result", "content": content}]}
    steps = [{"id": "hello", "name": "Say hello", "action": "debug:log", "input": {"message": "hello"}}]
    with (
        override_settings(CATALOG_FILE_ROOTS=[str(folder)], SCAFFOLDER_WORKSPACE_DIR=folder / "workspaces"),
        _django.own_database(),
    ):
        user = make_user("bench@example.com", staff=True, is_superuser=True)
        entity = install_template(folder / "tpl", template_doc("bounded", steps, output=output))
        created = services.create_task(user, entity, {}, dry_run=True)
        tracemalloc.start()
        _outcome, run_seconds, run_peak = _measure(lambda: runs.execute(created.pk))
        task = Task.objects.get(pk=created.pk)
        completion = RunEvent.objects.filter(run_id=task.pk, type=EventType.COMPLETION).last()
        answer = json.dumps(services.dry_run_result(task), ensure_ascii=False)
        stored_output = len(json.dumps(task.output, ensure_ascii=False))
        stored_event = len(json.dumps(completion.body, ensure_ascii=False)) if completion else 0
        urls = {"task page": f"/create/tasks/{task.pk}", "run page": f"/runs/{task.pk}/"}
        del task
        client = Client()
        client.force_login(user)
        pages = {}
        for url in urls.values():  # the first request of a process compiles templates and imports views
            client.get(url)
        for name, url in urls.items():
            response, seconds, peak = _measure(lambda url=url: client.get(url))
            pages[name] = {
                "status": response.status_code,
                "seconds": seconds,
                "html_mb": _mb(len(response.content)),
                "peak_mb": peak,
            }
            del response
        status = Task.objects.values_list("status", "error").get()
    return {
        "output": content,
        "run": {"seconds": run_seconds, "peak_mb": run_peak, "status": status[0], "error": status[1][:120]},
        "stored_output_mb": _mb(stored_output),
        "stored_completion_event_mb": _mb(stored_event),
        "dry_run_answer_mb": _mb(len(answer)),
        "pages": pages,
        "process_rss_mb": round(_rss_mb(resource.RUSAGE_SELF), 1),
    }


def _mb(size: int) -> float:
    return round(size / MIB, 2)


def _child(*args: str) -> dict:
    found = subprocess.run(  # noqa: S603 -- this script, with fixed arguments
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        raise SystemExit(found.stderr)
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--expression", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dry-run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.expression is not None:
        print(json.dumps(expression(args.expression)))
        return
    if args.dry_run is not None:
        print(json.dumps(dry_run(args.dry_run)))
        return
    print("1. Expressions in the sandbox process")
    for index in range(len(EXPRESSIONS)):
        found = _child("--expression", str(index))
        print(f"  {found['expression']}")
        print(
            f"    → {found['result']}  ({found['seconds']} s, worker peak {found['worker_peak_mb']} MB, "
            f"sandbox RSS {found['sandbox_rss_mb']} MB)"
        )
    print("2. Dry runs")
    for content in (BIG_OUTPUT, ALLOWED_OUTPUT):
        found = _child("--dry-run", content)
        run = found["run"]
        print(f"  output text: {found['output']}")
        print(f"    run: {run['status']} in {run['seconds']} s, peak {run['peak_mb']} MB; error: {run['error']!r}")
        print(
            f"    stored: output {found['stored_output_mb']} MB, completion event {found['stored_completion_event_mb']}"
            f" MB; dry-run answer {found['dry_run_answer_mb']} MB"
        )
        for name, page in found["pages"].items():
            print(
                f"    {name}: {page['status']} in {page['seconds']} s, {page['html_mb']} MB of HTML, "
                f"peak {page['peak_mb']} MB"
            )
        print(f"    process max RSS {found['process_rss_mb']} MB")


if __name__ == "__main__":
    main()
