"""After a large write the catalog's tables are vacuumed and analysed at once (PostgreSQL)."""

import pytest
from django.db import connection

from catalog.ingest import pg


@pytest.mark.parametrize(
    ("written", "total", "expected"),
    [(999, 999, False), (1000, 1000, True), (1000, 10_000, True), (1000, 10_001, False), (5, 5, False)],
)
def test_maintenance_follows_large_writes_only(written, total, expected):
    assert pg.needs_maintenance(written, total) is expected


def test_no_maintenance_inside_a_transaction(db):
    assert pg.maintain() is False


def test_maintenance_vacuums_and_analyses_the_catalog_tables_on_postgresql(transactional_db):
    postgresql = connection.vendor == "postgresql"

    assert pg.maintain() is postgresql  # SQLite has nothing to maintain

    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE relname IN "
                "('catalog_entity', 'catalog_searchentry', 'catalog_relation') "
                "AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL ORDER BY relname"
            )
            assert [row[0] for row in cursor.fetchall()] == [
                "catalog_entity",
                "catalog_relation",
                "catalog_searchentry",
            ]
