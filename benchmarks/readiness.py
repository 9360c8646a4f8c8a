"""How long the first readiness probe of a process takes, right after it starts, and the second one.

    DEBUG=true DATABASE_URL=postgres://… REDIS_URL=redis://… CELERY_BROKER_URL=redis://… \\
        .venv/bin/python benchmarks/readiness.py

Each check opens and closes connections of its own (``portal.health``); nothing is written.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the project, not this folder's scripts
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def main() -> None:
    started = time.monotonic()
    import django

    django.setup()
    from portal import health

    ready = time.monotonic()
    first = health.run_checks(health.CHECKS, 10)
    after_first = time.monotonic()
    health.run_checks(health.CHECKS, 10)
    after_second = time.monotonic()
    answered = {name: result["ok"] for name, result in first.items()}
    print(
        f"setup {ready - started:.2f} s · first probe {after_first - ready:.3f} s · "
        f"second probe {after_second - after_first:.3f} s · {answered}"
    )


if __name__ == "__main__":
    main()
