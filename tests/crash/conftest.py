"""Crash tests: real Celery worker and beat processes on the suite's PostgreSQL database and Redis.

A worker here is a process of its own (``celery -A portal.celery worker``), so that it can be killed
with SIGKILL as an out-of-memory killer or a lost machine would. The processes share the test's
database (the tests are transactional: what they write is committed), its broker and queue, its data
folders, and short engine timings (a heartbeat every second, stale after three, a sweep every
second), so that a recovery takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
#: The engine's timings in the crash tests (the processes and this one).
TIMINGS = {"RUN_HEARTBEAT_SECONDS": 1, "RUN_STALE_AFTER": 3, "RUN_SWEEP_SECONDS": 1, "RUN_REPUBLISH_AFTER": 2}


def _skip_reason() -> str | None:
    if connection.vendor != "postgresql":
        return "crash tests need PostgreSQL (DATABASE_URL): worker processes share the test database"
    if not django_settings.CELERY_BROKER_URL.startswith("redis://"):
        return "crash tests need Redis as the broker (CELERY_BROKER_URL)"
    return None


@pytest.fixture
def crash_settings(settings, transactional_db, tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    for name, value in TIMINGS.items():
        setattr(settings, name, value)
    root = tmp_path / "data"
    settings.SCAFFOLDER_WORKSPACE_DIR = root / "workspaces"
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = root / "git"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = root / "git-checkouts"
    settings.CATALOG_FILE_ROOTS = [str(django_settings.BASE_DIR), str(tmp_path)]
    from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.filter(name="portal.sweep_runs").update(interval=every_second, enabled=True)
    PeriodicTask.objects.exclude(name="portal.sweep_runs").update(enabled=False)
    PeriodicTasks.update_changed()
    return settings


def process_env(settings, broker_url: str | None = None) -> dict[str, str]:
    """The environment of a worker or beat process: this test's database, broker, queue, folders, timings."""
    database = urlsplit(os.environ["DATABASE_URL"])
    test_database = urlunsplit(database._replace(path="/" + connection.settings_dict["NAME"]))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": test_database,
        "CELERY_BROKER_URL": broker_url or settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "DATA_DIR": str(settings.DATA_DIR),
        "SCAFFOLDER_WORKSPACE_DIR": str(settings.SCAFFOLDER_WORKSPACE_DIR),
        "SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR": str(settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR),
        "SCAFFOLDER_GIT_CHECKOUT_DIR": str(settings.SCAFFOLDER_GIT_CHECKOUT_DIR),
        "CATALOG_FILE_ROOTS": ",".join(settings.CATALOG_FILE_ROOTS),
        "CATALOG_URL_ALLOWED_HOSTS": ",".join(settings.CATALOG_URL_ALLOWED_HOSTS),
        "LOG_FORMAT": "json",
        **{name: str(value) for name, value in TIMINGS.items()},
    }
    return env


class Processes:
    """Worker and beat processes started by a test; all stopped (killed if need be) at its end."""

    def __init__(self, settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.started: list[subprocess.Popen] = []
        self.broker_url: str | None = None

    def _start(self, name: str, arguments: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal.celery", *arguments],
            cwd=ROOT,
            env=process_env(self.settings, self.broker_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def worker(self, name: str) -> subprocess.Popen:
        queue = self.settings.CELERY_TASK_DEFAULT_QUEUE
        return self._start(
            name,
            [
                "worker",
                "-P",
                "solo",
                "-c",
                "1",
                "-Q",
                queue,
                "-n",
                f"{name}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
        )

    def beat(self) -> subprocess.Popen:
        schedule = self.logs / "beat-schedule"
        return self._start(
            "beat",
            [
                "beat",
                "-S",
                "django_celery_beat.schedulers:DatabaseScheduler",
                "--max-interval",
                "1",
                "-l",
                "info",
                "-s",
                str(schedule),
            ],
        )

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def processes(crash_settings, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Processes(crash_settings, logs)
    yield started
    started.stop_all()


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s")
