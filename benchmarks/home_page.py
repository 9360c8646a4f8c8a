"""Server time and query count of the Home page, through the Django test client.

    .venv/bin/python benchmarks/home_page.py [--requests 200]

With DATABASE_URL set it runs against that server (in a database of its own, dropped after).
"""

from __future__ import annotations

import argparse
import time

import _django

_django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_user

    with _django.own_database() as db:
        user = make_user("bench@example.com", first_name="Bench")
        client = Client()
        client.force_login(user)
        for _ in range(5):  # warm caches, template loaders
            assert client.get("/").status_code == 200
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200, response.status_code
        query_count = len(queries)  # read now: every request resets the connection's query log
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get("/")
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        figures = _django.percentiles(samples)
        print(f"database: {_django.describe_database(db)}")
        print(
            f"Home page: {figures['n']} requests, p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, "
            f"max {figures['max']:.1f} ms, {query_count} queries per page"
        )


if __name__ == "__main__":
    main()
