"""PostgreSQL fast paths for writing many catalog rows: COPY instead of INSERT and UPDATE.

Rows are copied into a temporary staging table shaped like their table and written from there in
one statement: new entities get their ``search_vector`` as they are inserted (each row is written
once), changed ones in the same UPDATE that changes them. Relations and search rows are copied
straight into their tables. Callers use these only when ``connection.vendor == "postgresql"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.db.models.fields.reverse_related import ForeignObjectRel
from psycopg.types.json import Json

from catalog.models import Entity, Relation, SearchEntry

#: After writing at least this many entities, and at least MAINTAIN_SHARE of a location's, the
#: tables are vacuumed and analysed at once (see :func:`maintain`).
MAINTAIN_MIN_ROWS = 1000
MAINTAIN_SHARE = 0.1


def vector_sql(alias: str = "") -> str:
    """The weighted full-text vector of an entity row: name and title A, description B, the rest C."""
    prefix = f"{alias}." if alias else ""
    return (
        f"setweight(to_tsvector('simple', coalesce({prefix}name, '') || ' ' || coalesce({prefix}title, '')), 'A')"
        f" || setweight(to_tsvector('simple', coalesce({prefix}description, '')), 'B')"
        f" || setweight(to_tsvector('simple', coalesce({prefix}search_text, '')), 'C')"
    )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _column(field: models.Field[Any, Any] | ForeignObjectRel | None) -> str:
    """The quoted column of a concrete field: the only kind of field these statements write."""
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{field!r} has no column of its own")
    return _quote(field.column)


def _value(value):
    return Json(value) if isinstance(value, dict | list) else value


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    """COPY ``rows`` into ``table``; database errors surface as Django's."""
    names = ", ".join(_quote(column) for column in columns)
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {_quote(table)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _stage(cursor, model: type[models.Model], fields: list, objects: list) -> str:
    """Copy the ``fields`` of ``objects`` into the session's staging table of ``model``."""
    table = model._meta.db_table
    stage = f"atrium_stage_{table}"
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT * FROM {_quote(table)} WITH NO DATA"
    )
    names = ", ".join(_column(field) for field in fields)
    with cursor.cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([_value(getattr(obj, field.attname)) for field in fields])
    return stage


def create_entities(entities: list[Entity], now) -> None:
    """Insert new entities (their primary keys are set on the objects), with their search vectors."""
    if not entities:
        return
    fields = [field for field in Entity._meta.concrete_fields if field.column != "search_vector"]
    names = ", ".join(_column(field) for field in fields)
    with connection.wrap_database_errors, connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Entity._meta.db_table, len(entities)],
        )
        for entity, (pk,) in zip(entities, cursor.fetchall(), strict=True):
            entity.pk = pk
            entity.created = entity.updated = now
        stage = _stage(cursor, Entity, fields, entities)
        cursor.execute(
            f"INSERT INTO {_quote(Entity._meta.db_table)} ({names}, search_vector) "  # noqa: S608
            f"SELECT {names}, {vector_sql()} FROM {stage}"
        )
        cursor.execute(f"TRUNCATE {stage}")


def update_rows(model: type[models.Model], names: list[str], objects: list, *, search_vector: bool = False) -> None:
    """Write the fields ``names`` of ``objects`` (matched by primary key) in one UPDATE; with
    ``search_vector`` (entities), their vectors too."""
    if not objects:
        return
    pk = model._meta.pk
    fields = [model._meta.get_field(name) for name in names]
    assignments = [f"{_column(field)} = s.{_column(field)}" for field in fields]
    if search_vector:
        assignments.append(f"search_vector = {vector_sql('s')}")
    with connection.wrap_database_errors, connection.cursor() as cursor:
        stage = _stage(cursor, model, [pk, *fields], objects)
        cursor.execute(
            f"UPDATE {_quote(model._meta.db_table)} AS t SET {', '.join(assignments)} "  # noqa: S608
            f"FROM {stage} AS s WHERE t.{_column(pk)} = s.{_column(pk)}"
        )
        cursor.execute(f"TRUNCATE {stage}")


def needs_maintenance(written: int, total: int) -> bool:
    return written >= MAINTAIN_MIN_ROWS and written >= MAINTAIN_SHARE * total


def maintain() -> bool:
    """``VACUUM (ANALYZE)`` the entity, search and relation tables, as autovacuum would later: the
    planner's statistics describe the new rows from the next query on, and the visibility map lets
    facet counts read the indexes alone. Outside a transaction only (VACUUM cannot run inside one);
    returns whether it ran."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    tables = ", ".join(_quote(model._meta.db_table) for model in (Entity, SearchEntry, Relation))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return True
