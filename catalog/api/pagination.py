"""Cursors of ``/entities/by-query`` (keyset pagination) and of ``/entities?after=`` (Backstage's).

A by-query cursor is base64 of a JSON object holding the query (filters, order, full-text term) and
the sort keys of the row to continue from, so that the next page is a seek on the indexes, never an
OFFSET; it also carries the total counted on the first page. ``after`` is Backstage's own
``{limit, offset}`` cursor of ``GET /entities``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import uuid
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

from catalog import queries
from catalog.queries import OrderTerm, QueryError
from portal import params

CURSOR_VERSION = 1


# --- keyset ---------------------------------------------------------------------------------------


def _alias(index: int) -> str:
    return f"_order{index}"


def _ordering(terms: list[OrderTerm], backwards: bool) -> list:
    ordering = []
    for index, term in enumerate(terms):
        ref = F(_alias(index))
        descending = term.descending != backwards
        if term.nullable:
            nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
            ordering.append(ref.desc(**nulls) if descending else ref.asc(**nulls))
        else:
            ordering.append(ref.desc() if descending else ref.asc())
    return ordering


def keyset(qs: QuerySet, terms: list[OrderTerm], *, after: list | None = None, backwards: bool = False) -> QuerySet:
    """``qs`` annotated with the sort keys (``_order0``, …) and sorted by ``terms``; with ``after``
    (the :func:`order_values` of a row), only the rows after that row (before it when
    ``backwards``, then in reverse order). Seeks use the indexes: no OFFSET."""
    qs = queries.with_joins(qs, terms).annotate(**{_alias(index): term.expression for index, term in enumerate(terms)})
    if after is not None:
        if len(after) != len(terms):
            raise QueryError("The cursor does not belong to this query.")
        qs = qs.filter(_seek(terms, after, backwards))
    return qs.order_by(*_ordering(terms, backwards))


def order_values(row, terms: list[OrderTerm]) -> list:
    """The sort key values of a row fetched through :func:`keyset`, JSON-ready (for cursors)."""
    values = []
    for index in range(len(terms)):
        value = getattr(row, _alias(index))
        values.append(str(value) if isinstance(value, uuid.UUID) else value)
    return values


def _beyond(name: str, term: OrderTerm, value, backwards: bool) -> Q | None:
    """Rows strictly after ``value`` on this one key (before it when ``backwards``); nulls sort last."""
    if value is None:
        return Q(**{f"{name}__isnull": False}) if backwards else None
    lookup = "lt" if term.descending != backwards else "gt"
    beyond = Q(**{f"{name}__{lookup}": value})
    return beyond | Q(**{f"{name}__isnull": True}) if term.nullable and not backwards else beyond


def _seek(terms: list[OrderTerm], values: list, backwards: bool) -> Q:
    first, value = terms[0], values[0]
    # A bound on the first key alone (implied by the rest) lets an index on it start at the position.
    bound = Q()
    if not first.nullable and value is not None:
        bound = Q(**{f"{_alias(0)}__{'lte' if first.descending != backwards else 'gte'}": value})
    if all(not term.nullable and term.descending == first.descending for term in terms) and None not in values:
        # One direction, no nulls: a row comparison, which an index on the columns can serve.
        lookup = TupleLessThan if first.descending != backwards else TupleGreaterThan
        return bound & Q(lookup(Tuple(*(F(_alias(index)) for index in range(len(terms)))), tuple(values)))
    alternatives, equal = [], Q()
    for index, (term, value) in enumerate(zip(terms, values, strict=True)):
        name = _alias(index)
        beyond = _beyond(name, term, value, backwards)
        if beyond is not None:
            alternatives.append(equal & beyond)
        equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return bound & reduce(or_, alternatives) if alternatives else Q(pk__in=[])


# --- cursors --------------------------------------------------------------------------------------


def _encode(data: dict) -> str:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(text)
    return value


def _no_constant(text: str):
    raise ValueError(text)  # NaN, Infinity: no query takes them


def _decode(raw: str, what: str) -> dict:
    """A cursor's JSON object; refused (a 400) unless every number in it is finite and no string holds a
    NUL character, which the database could not compare."""
    text = raw.strip().replace("-", "+").replace("_", "/").replace(" ", "+")
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")
        data = json.loads(decoded, parse_float=_finite, parse_constant=_no_constant)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise QueryError(f"Malformed {what}, could not be parsed.") from None
    if not isinstance(data, dict) or params.path_with_nul(data) is not None:
        raise QueryError(f"Malformed {what}, could not be parsed.")
    return data


def _storable(value) -> bool:
    """Whether a sort key value of a cursor is one a database column can be compared with."""
    if isinstance(value, int | float) and not isinstance(value, bool):  # (finite: see _decode)
        return -params.MAX_INTEGER - 1 <= value <= params.MAX_INTEGER
    return value is None or isinstance(value, str | bool)


def _strings(value, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise QueryError(f"Malformed cursor: {what} must be a list of strings.")
    return value


@dataclass
class EntityQuery:
    """What ``/entities/by-query`` selects and how it sorts, as given on the first page."""

    filters: list[str] = field(default_factory=list)
    order_fields: list[str] = field(default_factory=list)
    term: str = ""
    term_fields: list[str] = field(default_factory=list)

    def build(self, qs):
        """(the filtered queryset, its sort terms)."""
        qs = queries.apply_filters(qs, queries.parse_filters(self.filters))
        ranked = False
        if self.term.strip():
            qs = queries.full_text(qs, self.term, self.term_fields or None)
            ranked = queries.ranks(qs)
        return qs, queries.order_terms(queries.parse_order(self.order_fields), ranked=ranked)


@dataclass
class Cursor:
    query: EntityQuery
    #: The sort keys of the row to continue from.
    position: list
    #: Fetch the page before ``position`` (a prevCursor) instead of after it.
    previous: bool = False
    #: The total counted on the first page (None when it was not counted).
    total: int | None = None
    count_total: bool = True

    def encode(self) -> str:
        return _encode(
            {
                "v": CURSOR_VERSION,
                "filter": self.query.filters,
                "orderField": self.query.order_fields,
                "fullTextFilterTerm": self.query.term,
                "fullTextFilterFields": self.query.term_fields,
                "position": self.position,
                "isPrevious": self.previous,
                "totalItems": self.total,
                "countTotal": self.count_total,
            }
        )

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        data = _decode(raw, "cursor")
        if data.get("v") != CURSOR_VERSION:
            raise QueryError("Malformed cursor, could not be parsed.")
        term = data.get("fullTextFilterTerm", "")
        position, total = data.get("position"), data.get("totalItems")
        if not isinstance(term, str) or not isinstance(position, list) or not position:
            raise QueryError("Malformed cursor, could not be parsed.")
        if not all(_storable(value) for value in position):
            raise QueryError("Malformed cursor, could not be parsed.")
        if total is not None and (not isinstance(total, int) or isinstance(total, bool) or total < 0):
            raise QueryError("Malformed cursor: totalItems must be a count.")
        query = EntityQuery(
            filters=_strings(data.get("filter", []), "filter"),
            order_fields=_strings(data.get("orderField", []), "orderField"),
            term=term,
            term_fields=_strings(data.get("fullTextFilterFields", []), "fullTextFilterFields"),
        )
        return cls(query, position, bool(data.get("isPrevious")), total, bool(data.get("countTotal", True)))


def query_page(
    qs, query: EntityQuery, *, limit: int, offset: int = 0, cursor: Cursor | None = None, count_total: bool = True
) -> tuple[list, dict, int | None]:
    """(the rows of the page, Backstage's ``pageInfo``, the total or None) — at most two queries."""
    if cursor is not None:
        query, count_total = cursor.query, cursor.count_total
    qs, terms = query.build(qs)
    total = cursor.total if cursor is not None else None
    if total is None and count_total:
        total = qs.order_by().count()
    if limit == 0:
        return [], {}, total
    backwards = cursor is not None and cursor.previous
    page = keyset(qs, terms, after=cursor.position if cursor is not None else None, backwards=backwards)
    if cursor is None and offset:
        page = page[offset:]
    try:
        rows = list(page[: limit + 1])
    except (TypeError, ValueError, ValidationError):  # a forged position (a word where a number goes)
        raise QueryError("Malformed cursor, could not be parsed.") from None
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    info: dict = {}
    if rows:

        def at(row, previous: bool) -> str:
            values = order_values(row, terms)
            return Cursor(query, values, previous, total, count_total).encode()

        if more or backwards:
            info["nextCursor"] = at(rows[-1], False)
        if (backwards and more) or (not backwards and (cursor is not None or offset)):
            info["prevCursor"] = at(rows[0], True)
    return rows, info, total


def parse_after(raw: str) -> tuple[int | None, int | None]:
    """Backstage's ``after`` cursor of ``GET /entities``: base64 JSON ``{limit, offset}``."""
    data = _decode(raw, "after cursor")
    limit, offset = data.get("limit"), data.get("offset")
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= params.MAX_INTEGER
        ):
            raise QueryError(f"Malformed after cursor, {name} was not a number.")
    return limit, offset


def make_after(limit: int, offset: int) -> str:
    return _encode({"limit": limit, "offset": offset})
