"""Golden-path tasks through real Celery workers (threads of this process, like the test suite's).

    .venv/bin/python benchmarks/scaffolder.py [--latency-runs 20] [--golden-runs 5] [--burst 20]

1. Latency: with one idle worker, from the task's creation (the web request's commit) to its first step running.
2. The Django-service golden path end to end: render the skeleton and its Celery overlay, publish:git to a local
   bare repository, catalog:register, output links.
3. A burst: ``--burst`` golden-path tasks submitted at once on two workers; every one must complete, and each
   repository must hold exactly its own files (no cross-talk between workspaces).

With DATABASE_URL and CELERY_BROKER_URL set it runs against those servers (in a database of its own, dropped
after); the embedded defaults work too (SQLite in a file of its own, in WAL mode as the embedded default runs,
and the file broker, which polls once a second).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import _django

os.environ.setdefault("LOG_LEVEL", "warning")
_django.setup()

ROOT = _django.ROOT


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607
    if result.returncode not in (0, 1):  # git grep answers 1 when nothing matches
        raise SystemExit(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout.strip()


@contextlib.contextmanager
def workers(count: int):
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    with contextlib.ExitStack() as stack:
        for number in range(count):
            stack.enter_context(
                start_worker(
                    app, pool="solo", perform_ping_check=False, shutdown_timeout=30, hostname=f"bench{number}@%h"
                )
            )
        yield


def wait(tasks, timeout: float = 300) -> None:
    from scaffolder.models import TERMINAL_TASK_STATUSES, Task

    ids = [task.pk for task in tasks]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Task.objects.filter(pk__in=ids).exclude(status__in=TERMINAL_TASK_STATUSES).count() == 0:
            return
        time.sleep(0.05)
    raise SystemExit(f"tasks still running after {timeout} s")


def local_django_template(folder: Path):
    """``django-service`` publishing with publish:git to the embedded local repositories."""
    import yaml

    from scaffolder import services
    from tests.scaffolder.engine_support import register_file

    shutil.copytree(ROOT / "templates" / "django-service", folder)
    doc = yaml.safe_load((folder / "template.yaml").read_text())
    doc["metadata"]["name"] = "django-service-local"
    publish = next(step for step in doc["spec"]["steps"] if step["id"] == "publish")
    publish.update(action="publish:git", input={"repoUrl": "${{ parameters.repoUrl }}", "defaultBranch": "main"})
    (folder / "template.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    register_file(folder / "template.yaml")
    return services.template_entity("django-service-local")


def quick_template(folder: Path):
    from scaffolder import services
    from tests.scaffolder.engine_support import install_template, template_doc

    doc = template_doc("quick", [{"id": "log", "action": "debug:log", "input": {"message": "hello"}}])
    install_template(folder, doc)
    return services.template_entity("quick")


def values(name: str) -> dict:
    from tests.golden.test_golden_paths import DJANGO_PARAMETERS

    return {**DJANGO_PARAMETERS, "name": name, "repoUrl": f"github.com?owner=acme&repo={name}"}


def seconds(task) -> float:
    return (task.completed - task.created).total_seconds() * 1000


def check_repository(name: str) -> None:
    """The repository of ``name`` holds the django-service files, rendered for ``name`` and no other task."""
    from django.conf import settings

    from tests.golden.test_golden_paths import EXPECTED_FILES

    bare = Path(settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR) / "acme" / f"{name}.git"
    files = git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", "main").splitlines()
    assert files == EXPECTED_FILES["django-service"], (name, files)
    assert git("--git-dir", str(bare), "rev-list", "--count", "main") == "1", name
    catalog_info = git("--git-dir", str(bare), "show", "main:catalog-info.yaml")
    assert f"name: {name}\n" in catalog_info, name
    text = git("--git-dir", str(bare), "grep", "-h", "-I", "-e", "bench-", "main", "--")
    assert set(re.findall(r"bench-\d+", text)) == {name}, (name, set(re.findall(r"bench-\d+", text)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-runs", type=int, default=20)
    parser.add_argument("--golden-runs", type=int, default=5)
    parser.add_argument("--burst", type=int, default=20)
    args = parser.parse_args()

    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    from scaffolder import services
    from scaffolder.models import Task
    from tests.conftest import make_user

    scratch = Path(tempfile.mkdtemp(prefix="atrium-bench-scaffolder-"))
    if connection.vendor == "sqlite":
        # A file in WAL mode, as the embedded default runs; an in-memory test database cannot take concurrent
        # writers (its shared cache answers "table is locked" instead of waiting).
        connection.settings_dict["TEST"] = {
            **connection.settings_dict.get("TEST", {}),
            "NAME": str(scratch / "db.sqlite3"),
        }
    roots = [str(ROOT), str(scratch), str(settings.DATA_DIR)]
    with _django.own_database() as db, override_settings(CATALOG_FILE_ROOTS=roots):
        user = make_user("bench@example.com", first_name="Bench", last_name="Mark")
        quick = quick_template(scratch / "quick")
        golden = local_django_template(scratch / "django-service-local")
        print(f"database: {_django.describe_database(db)}; broker: {settings.CELERY_BROKER_URL.split('://')[0]}")

        with workers(1):
            wait([services.create_task(user, quick, {})])  # warm the worker up
            latencies = []
            for _ in range(args.latency_runs):
                task = services.create_task(user, quick, {})
                wait([task])
                first = task.steps.order_by("index").first()
                latencies.append((first.started - task.created).total_seconds() * 1000)
            figures = _django.percentiles(latencies)
            print(
                f"submit -> first step running (1 idle worker): {figures['n']} tasks, p50 {figures['p50']:.0f} ms, "
                f"p95 {figures['p95']:.0f} ms, max {figures['max']:.0f} ms (target <= 1000 ms)"
            )

            durations = []
            for number in range(args.golden_runs):
                task = services.create_task(user, golden, values(f"golden-{number}"))
                wait([task])
                task.refresh_from_db()
                assert task.status == "completed", (task.status, task.error)
                durations.append(seconds(task))
            figures = (
                _django.percentiles(durations) if len(durations) > 1 else {"p50": durations[0], "max": durations[0]}
            )
            print(
                f"django-service end to end (render, publish:git, catalog:register): {len(durations)} runs, "
                f"p50 {figures['p50']:.0f} ms, max {figures['max']:.0f} ms (target <= 5000 ms)"
            )

        names = [f"bench-{number:02d}" for number in range(args.burst)]
        with workers(2):
            started = time.monotonic()
            burst = [services.create_task(user, golden, values(name)) for name in names]
            wait(burst, timeout=600)
            elapsed = time.monotonic() - started
        finished = list(Task.objects.filter(pk__in=[task.pk for task in burst]).order_by("created"))
        failed = [(task.template_ref, task.error) for task in finished if task.status != "completed"]
        assert not failed, failed
        for name in names:
            check_repository(name)
        per_task = _django.percentiles([seconds(task) for task in finished])
        print(
            f"{args.burst} django-service tasks at once on 2 workers: all completed in {elapsed:.1f} s "
            f"({args.burst / elapsed:.2f} tasks/s); each from creation to completion p50 {per_task['p50']:.0f} ms, "
            f"max {per_task['max']:.0f} ms; every repository holds exactly its own files"
        )
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
