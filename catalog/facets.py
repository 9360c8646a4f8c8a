"""Facet counts: how many of a set of entities have each value of a field (Backstage's
``/entity-facets``, and the catalog list's facets).

Values are counted without regard to case, each shown in the spelling of one entity that has it
(``Component``, not ``component``), most frequent first, then by value. The fields every list asks
for are served from ``Entity`` columns holding exactly what their search rows hold, in one pass
over the ``catalog_entity_facets`` index (PostgreSQL reads the index alone, never the table); any
other field is counted from the search rows on their ``(key, value, entity)`` index.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery

from catalog.models import SearchEntry

__all__ = ["COLUMNS", "count"]

#: Search keys served from columns, and the column. ``kind`` holds the canonical spelling, the
#: namespace and owner columns hold the only spelling there is (lower-case), ``spec.type`` and
#: ``spec.lifecycle`` the lower-cased value, whose spelling comes from a search row.
COLUMNS = {
    "kind": "kind",
    "metadata.namespace": "namespace",
    "spec.type": "spec_type",
    "spec.lifecycle": "lifecycle",
    "relations.ownedby": "owner_ref",
}
_RESPELLED = ("spec.type", "spec.lifecycle")


def count(qs: QuerySet, fields: list[str]) -> dict[str, list[dict]]:
    """``{field: [{"value", "count"}, ...]}`` for each requested field (as spelled in the request):
    the values of the field among the entities of ``qs``."""
    keys = {field: field.lower() for field in fields}
    wanted = set(keys.values())
    columns = sorted(key for key in wanted if key in COLUMNS)
    counted: dict[str, list[dict]] = {key: [] for key in wanted}
    if columns:
        counted.update(_from_columns(qs, columns))
    if wanted - set(columns):
        counted.update(_from_search(qs, wanted - set(columns)))
    for found in counted.values():
        found.sort(key=lambda facet: (-facet["count"], facet["value"]))
    return {field: counted[key] for field, key in keys.items()}


def _from_columns(qs: QuerySet, keys: list[str]) -> dict[str, list[dict]]:
    """One query: a count per value of each column, and for a lower-cased value its spelling in one
    search row (an index probe per value shown, not per entity)."""
    names = [COLUMNS[key] for key in keys]
    try:
        inner, inner_params = qs.order_by().values(*names).query.sql_with_params()
    except EmptyResultSet:  # a filter nothing can match (an empty list of ids)
        return {key: [] for key in keys}
    quoted = [connection.ops.quote_name(name) for name in names]
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    spelling = {
        key: f"CASE WHEN {column} <> '' THEN (SELECT s.original_value FROM {table} s "  # noqa: S608
        f"WHERE s.key = %s AND s.value = {column} LIMIT 1) END"
        for key, column in zip(keys, quoted, strict=True)
        if key in _RESPELLED
    }
    # Identifiers come from COLUMNS and the model, every value is a parameter.
    if connection.vendor == "postgresql":
        # One pass, a hash table per column; in each row only the column grouped by is not null
        # (the columns themselves are never null).
        spelled = f"COALESCE({', '.join(spelling.values())})" if spelling else "NULL"
        sets = ", ".join(f"({column})" for column in quoted)
        sql = (
            f"SELECT {', '.join(quoted)}, COUNT(*), {spelled} FROM ({inner}) facets "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets})"
        )
        params = (*spelling, *inner_params)
    else:
        branches, params = [], ()
        for index, (key, column) in enumerate(zip(keys, quoted, strict=True)):
            selected = ["NULL"] * len(quoted)
            selected[index] = column
            branches.append(
                f"SELECT {', '.join(selected)}, COUNT(*), {spelling.get(key, 'NULL')} "  # noqa: S608
                f"FROM ({inner}) facets GROUP BY {column}"
            )
            params += (*([key] if key in spelling else []), *inner_params)
        sql = " UNION ALL ".join(branches)
    counted: dict[str, list[dict]] = {key: [] for key in keys}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for *values, number, original in cursor.fetchall():
            for key, value in zip(keys, values, strict=True):
                if value is not None:
                    if value != "":  # entities without the field
                        counted[key].append({"value": original or value, "count": number})
                    break
    return counted


def _from_search(qs: QuerySet, keys: set[str]) -> dict[str, list[dict]]:
    rows = SearchEntry.objects.filter(key__in=keys, value__isnull=False)
    if qs.query.where.children:
        rows = rows.filter(entity_id__in=qs.order_by().values("pk"))
    spelling = SearchEntry.objects.filter(key=OuterRef("key"), value=OuterRef("value")).values("original_value")
    counted: dict[str, list[dict]] = {key: [] for key in keys}
    grouped = rows.values("key", "value").annotate(count=Count("*")).annotate(spelled=Subquery(spelling[:1]))
    for row in grouped.order_by():
        counted[row["key"]].append({"value": row["spelled"], "count": row["count"]})
    return counted
