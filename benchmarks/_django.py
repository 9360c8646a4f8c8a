"""Shared set-up for benchmark scripts: Django configured with a database of the benchmark's own.

The database named by DATABASE_URL (SQLite by default) is never touched: like the test suite,
a benchmark creates ``test_<name>``, runs, and drops it.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
# Scripts here are named after what they measure (catalog.py, scaffolder.py): keep this folder off
# the import path so that those names mean the project's apps.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="atrium-bench-"))
    import django

    django.setup()


@contextlib.contextmanager
def own_database(*, keep: bool = False):
    """The benchmark's ``test_<name>`` database; with ``keep``, reused if it exists and left in
    place afterwards (to measure the reads again without importing again)."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=not keep, keepdb=keep)
    try:
        yield connection
    finally:
        if keep:
            connection.close()
            connection.settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    quantiles = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": quantiles[49], "p95": quantiles[94], "max": ordered[-1], "n": len(ordered)}


def describe_database(connection) -> str:
    return f"{connection.vendor} {connection.settings_dict['NAME']}"
