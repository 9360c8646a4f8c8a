"""The catalog's read side, shared by the API and the web UI: Backstage's entity filters, full-text
search, ordering (with keyset pagination), and the entity shape Backstage's clients expect.

Filters and ordering by arbitrary fields read the flattened ``SearchEntry`` rows (Backstage's
``search`` table, lower-cased keys and values, indexed on ``(key, value)``); the keys that are also
columns of ``Entity`` (``kind``, ``metadata.namespace``, ``metadata.uid``, the orphan annotation) are
served from those columns.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any
from urllib.parse import urlsplit

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Lower, NullIf

from catalog.ingest import github, readers
from catalog.ingest.errors import ReadError
from catalog.model.validation import KNOWN_KINDS
from catalog.models import Relation, SearchEntry
from portal.integrations import localgit

__all__ = [
    "OrderTerm",
    "QueryError",
    "apply_filters",
    "full_text",
    "order",
    "order_by",
    "order_terms",
    "parse_fields",
    "parse_filters",
    "parse_order",
    "ranks",
    "relations_for_entities",
    "select_fields",
    "serialize_entity",
    "source_url",
    "with_joins",
]

FilterGroups = list[dict[str, list[str] | None]]

ORPHAN_ANNOTATION = "backstage.io/orphan"
MANAGED_BY_LOCATION = "backstage.io/managed-by-location"
_ORPHAN_KEY = f"metadata.annotations.{ORPHAN_ANNOTATION}"
_CANONICAL_KINDS = {kind.lower(): kind for kind in KNOWN_KINDS}
#: Keys longer than this are never stored (catalog.model.search), so a filter on one is an error.
MAX_KEY_LENGTH = 200
_WORD = re.compile(r"^\w+$")
#: How much a prefix match of the last word adds to the rank, against whole words.
PREFIX_WEIGHT = 0.1


class QueryError(ValueError):
    """A filter, order or search the catalog cannot run; the message says what is wrong (an API 400)."""


# --- filters --------------------------------------------------------------------------------------


def parse_filters(values: list[str]) -> FilterGroups:
    """Backstage's ``filter`` parameters: each value ``k1=v1,k2=v2,k3`` is one group whose conditions
    all hold (a key without ``=`` only has to exist); the groups are alternatives. A key repeated in a
    group matches any of its values. Keys and values are lower-cased (matching ignores case); blank
    statements and values with no statement at all are ignored, as Backstage ignores them."""
    groups: FilterGroups = []
    for raw in values:
        group: dict[str, list[str] | None] = {}
        for statement in raw.split(","):
            statement = statement.strip()
            if not statement:
                continue
            key, equals, value = statement.partition("=")
            key = key.strip().lower()
            if not key:
                raise QueryError(
                    f"Invalid filter {raw!r}: {statement!r} has no key; expected key=value or key (key exists)."
                )
            if len(key) > MAX_KEY_LENGTH:
                raise QueryError(f"Invalid filter {raw!r}: a key has at most {MAX_KEY_LENGTH} characters.")
            if not equals:
                group.setdefault(key, None)
                continue
            known = group.get(key) or []
            value = value.strip().lower()
            group[key] = known if value in known else [*known, value]
        if group:
            groups.append(group)
    return groups


def _search(key: str, values: list[str] | None) -> Exists:
    rows = SearchEntry.objects.filter(entity_id=OuterRef("pk"), key=key)
    if values is not None:
        rows = rows.filter(value__in=values)
    return Exists(rows)


def _condition(key: str, values: list[str] | None) -> Q | None:
    """One condition as a Q, or None when every entity meets it."""
    if key in ("kind", "metadata.namespace", "metadata.name", "metadata.uid"):
        if values is None:
            return None  # every entity has these
        if key == "kind":
            # Kinds are stored in their canonical spelling (validation accepts no other).
            known = [_CANONICAL_KINDS[value] for value in values if value in _CANONICAL_KINDS]
            unknown = [value for value in values if value not in _CANONICAL_KINDS]
            condition = Q(kind__in=known)
            return condition | Q(_search(key, unknown)) if unknown else condition
        if key == "metadata.namespace":
            return Q(namespace__in=values)  # namespaces are lower-case DNS labels
        if key == "metadata.uid":
            uids = []
            for value in values:
                try:
                    uids.append(uuid.UUID(value))
                except ValueError:
                    continue
            return Q(uid__in=uids)
    if key == _ORPHAN_KEY:
        # Served from the orphan flag, as Backstage adds the annotation to orphaned entities.
        return Q(orphan=True) if values is None or "true" in values else Q(pk__in=[])
    return Q(_search(key, values))


def apply_filters(qs: QuerySet, groups: FilterGroups) -> QuerySet:
    """``qs`` narrowed to the entities that match at least one group (all when there is no group)."""
    alternatives = []
    for group in groups:
        conditions = [condition for key, values in group.items() if (condition := _condition(key, values))]
        if not conditions:
            return qs  # a group every entity matches
        alternatives.append(reduce(and_, conditions))
    return qs.filter(reduce(or_, alternatives)) if alternatives else qs


# --- full-text search -----------------------------------------------------------------------------


def _tsqueries(term: str) -> tuple[SearchQuery, SearchQuery | None]:
    """``websearch_to_tsquery('simple', term)``, and the same with the last plain word matched as a
    prefix (None when the term does not end in a plain word)."""
    exact = SearchQuery(term, search_type="websearch", config="simple")
    words = term.split()
    last = words[-1]
    if '"' in term or not _WORD.match(last) or any(word.lower() == "or" or word.startswith("-") for word in words):
        return exact, None  # websearch syntax (a phrase, or, -word): as written
    prefix = SearchQuery(f"{last}:*", search_type="raw", config="simple")
    rest = " ".join(words[:-1])
    return exact, (SearchQuery(rest, search_type="websearch", config="simple") & prefix if rest else prefix)


def _rank(term: str, exact: SearchQuery, prefix: SearchQuery | None):
    """Whole words count most, prefix matches a little, an entity named exactly ``term`` comes first."""
    vector = F("search_vector")
    rank: Combinable = SearchRank(vector, exact)
    if prefix is not None:
        rank = rank + SearchRank(vector, prefix) * Value(PREFIX_WEIGHT)
    named = Case(When(Q(name__iexact=term) | Q(title__iexact=term), then=Value(1.0)), default=Value(0.0))
    return ExpressionWrapper(rank + named, output_field=FloatField())


def full_text(qs: QuerySet, term: str, fields: list[str] | None = None) -> QuerySet:
    """Entities matching ``term``.

    Without ``fields``: on PostgreSQL ``search_vector @@ websearch_to_tsquery('simple', term)`` (the
    last word also matches as a prefix), annotated with ``rank`` and ordered by it, best first (an
    entity named or titled exactly ``term``, then whole words, weighted name and title > description
    > other text, then prefix matches), then in the default order; elsewhere every word must occur
    in ``search_text``. With ``fields`` (search keys such as ``metadata.name``), as Backstage's
    ``fullTextFilterFields``: every word must occur in the value of one of those fields; the order
    is left as it was.
    """
    words = term.lower().split()
    if not words:
        return qs
    if fields:
        keys = [field.strip().lower() for field in fields if field.strip()]
        for word in words:
            qs = qs.filter(
                Exists(SearchEntry.objects.filter(entity_id=OuterRef("pk"), key__in=keys, value__contains=word))
            )
        return qs
    if connection.vendor != "postgresql":
        for word in words:
            qs = qs.filter(search_text__contains=word)
        return qs
    term = term.strip()
    exact, prefix = _tsqueries(term)
    qs = qs.filter(search_vector=prefix if prefix is not None else exact).annotate(rank=_rank(term, exact, prefix))
    return qs.order_by("-rank", "kind", "namespace", "name", "id")


def ranks(qs: QuerySet) -> bool:
    """Whether ``qs`` was annotated with a full-text ``rank`` by :func:`full_text`."""
    return "rank" in qs.query.annotations


# --- ordering and keyset pagination ---------------------------------------------------------------


@dataclass(frozen=True)
class OrderTerm:
    """One sort key: its request name, the SQL expression, its direction, whether it may be null
    (nulls sort last, whichever the direction, as Backstage sorts them)."""

    field: str
    expression: Any
    descending: bool = False
    nullable: bool = False
    #: Sorts by the value of a joined search row (see :func:`with_joins`) rather than a subquery.
    joined: bool = False


_DEFAULT = (
    OrderTerm("kind", F("kind")),
    OrderTerm("metadata.namespace", F("namespace")),
    OrderTerm("metadata.name", F("name")),
)
_TIEBREAK = OrderTerm("id", F("id"))


def parse_order(values: list[str]) -> list[tuple[str, bool]]:
    """``["metadata.name,asc", "spec.type,desc"]`` → ``[("metadata.name", False), ("spec.type", True)]``."""
    parsed = []
    for raw in values:
        field, _, direction = raw.partition(",")
        field, direction = field.strip().lower(), (direction.strip().lower() or "asc")
        if not field:
            raise QueryError(f"Invalid orderField {raw!r}: expected field,asc or field,desc (e.g. metadata.name,asc).")
        if direction not in ("asc", "desc"):
            raise QueryError(f"Invalid orderField {raw!r}: the order must be asc or desc, not {direction!r}.")
        if len(field) > MAX_KEY_LENGTH:
            raise QueryError(f"Invalid orderField {raw!r}: a field has at most {MAX_KEY_LENGTH} characters.")
        parsed.append((field, direction == "desc"))
    return parsed


#: The search row every entity has exactly one of, joined to sort by name through the (key, value) index.
_NAME_JOIN = "_sort_name"


def with_joins(qs: QuerySet, terms: list[OrderTerm]) -> QuerySet:
    """``qs`` with the search rows that ``terms`` sort by joined (an inner join: every entity has one)."""
    if any(term.joined for term in terms):
        name = FilteredRelation("search_entries", condition=Q(search_entries__key="metadata.name"))
        qs = qs.annotate(**{_NAME_JOIN: name}).filter(**{f"{_NAME_JOIN}__value__isnull": False})
    return qs


def _field_expression(field: str) -> tuple[Combinable, bool]:
    """The sort expression of a search key (the lower-cased value Backstage sorts by) and nullability."""
    columns: dict[str, tuple[Combinable, bool]] = {
        "kind": (F("kind"), False),
        "metadata.namespace": (F("namespace"), False),
        "metadata.name": (F(f"{_NAME_JOIN}__value"), False),
        "metadata.uid": (F("uid"), False),
        "metadata.title": (NullIf(Lower("title"), Value("")), True),
        "spec.type": (NullIf(F("spec_type"), Value("")), True),
        "spec.lifecycle": (NullIf(F("lifecycle"), Value("")), True),
    }
    if field in columns:
        return columns[field]
    values = SearchEntry.objects.filter(entity_id=OuterRef("pk"), key=field, value__isnull=False)
    return Subquery(values.order_by("value").values("value")[:1]), True


def order_terms(parsed: list[tuple[str, bool]], *, ranked: bool = False) -> list[OrderTerm]:
    """The sort keys for ``parsed`` (see :func:`parse_order`); with none, best rank first when
    ``ranked``, then kind, namespace, name. The entity id always breaks ties."""
    terms = []
    for field, descending in parsed:
        expression, nullable = _field_expression(field)
        terms.append(OrderTerm(field, expression, descending, nullable, joined=field == "metadata.name"))
    if not terms:
        if ranked:
            terms.append(OrderTerm("rank", F("rank"), descending=True))
        terms.extend(_DEFAULT)
    return [*terms, _TIEBREAK]


def order_by(terms: list[OrderTerm]) -> list:
    """``QuerySet.order_by`` arguments for ``terms`` (nulls last in both directions)."""
    ordering = []
    for term in terms:
        nulls = {"nulls_last": True} if term.nullable else {}
        ordering.append(term.expression.desc(**nulls) if term.descending else term.expression.asc(**nulls))
    return ordering


def order(qs: QuerySet, order_fields: list[str], *, ranked: bool | None = None) -> QuerySet:
    """``qs`` sorted by Backstage ``orderField`` values (``metadata.name,asc``); by default best
    full-text rank first (when :func:`full_text` ranked it), then kind, namespace, name, id."""
    ranked = ranks(qs) if ranked is None else ranked
    terms = order_terms(parse_order(order_fields), ranked=ranked)
    return with_joins(qs, terms).order_by(*order_by(terms))


# --- the entity as served -------------------------------------------------------------------------


def _target(ref: str) -> dict[str, str]:
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return {"kind": kind, "namespace": namespace, "name": name}


def relations_for_entities(entities) -> dict[str, list[dict]]:
    """``{entity ref: [{"type", "targetRef", "target"}, ...]}`` for these entities, in one query;
    each entity's relations sorted by type, then target."""
    refs = {entity.ref for entity in entities}
    found: dict[str, list[dict]] = {ref: [] for ref in refs}
    if not refs:
        return found
    rows = Relation.objects.filter(source_ref__in=refs).values_list("source_ref", "type", "target_ref").distinct()
    for source, type_, target in sorted(rows, key=lambda row: (row[0], row[1], row[2])):
        found[source].append({"type": type_, "targetRef": target, "target": _target(target)})
    return found


def serialize_entity(entity, relations_by_ref: dict[str, list[dict]]) -> dict:
    """The entity as Backstage serves it: its stored body (with ``metadata.uid`` and ``etag``), the
    ``backstage.io/orphan`` annotation when its location no longer provides it, and its relations."""
    body = dict(entity.body)
    if entity.orphan:
        metadata = dict(body.get("metadata") or {})
        metadata["annotations"] = {**(metadata.get("annotations") or {}), ORPHAN_ANNOTATION: "true"}
        body["metadata"] = metadata
    body["relations"] = relations_by_ref.get(entity.ref, [])
    return body


def parse_fields(values: list[str]) -> list[str]:
    """Backstage's ``fields`` parameters (comma-separated, repeatable) as a list of paths."""
    fields = [part.strip() for value in values for part in value.split(",") if part.strip()]
    for field in fields:
        if "[" in field or "]" in field:
            raise QueryError(f"Invalid field {field!r}: array indexes are not supported in fields.")
    return fields


def _path(value: Any, path: str) -> list[str] | None:
    """The keys leading to a dotted ``path`` in ``value`` (a key may itself hold dots, as annotation
    keys such as ``backstage.io/source-location`` do), or None when there is nothing there."""
    if not isinstance(value, dict):
        return None
    for key in sorted(value, key=len, reverse=True):
        if path == key:
            return [key]
        if path.startswith(key + "."):
            rest = _path(value[key], path[len(key) + 1 :])
            if rest is not None:
                return [key, *rest]
    return None


def select_fields(entity_dict: dict, fields: list[str]) -> dict:
    """Backstage's ``fields`` projection: only the listed paths (``metadata.name``, ``kind``,
    ``relations`` …), each with its whole subtree; paths an entity does not have are left out."""
    if not fields:
        return entity_dict
    output: dict = {}
    for field in fields:
        keys = _path(entity_dict, field)
        if keys is None:
            continue
        source, target = entity_dict, output
        for key in keys[:-1]:
            source = source[key]
            target = target.setdefault(key, {})
        target[keys[-1]] = source[keys[-1]]
    return output


# --- where an entity comes from -------------------------------------------------------------------


def _descriptor(entity) -> str:
    """The file the entity was read from: its source row (``file:/abs/path`` or ``https://…``), else
    its ``backstage.io/managed-by-location`` annotation (``url:https://…``, ``file:/abs/path``)."""
    if entity.source_id is not None and entity.source is not None:
        return entity.source.url
    body = entity.body if isinstance(entity.body, dict) else {}
    metadata = found if isinstance(found := body.get("metadata"), dict) else {}
    annotations = found if isinstance(found := metadata.get("annotations"), dict) else {}
    where = str(annotations.get(MANAGED_BY_LOCATION) or "")
    return where.removeprefix("url:")


def source_url(entity) -> tuple[str | None, str]:
    """Where a person sees the entity's descriptor: ``(link or None, text)``.

    A descriptor read from a URL links to that URL (a GitHub file to its page, the ``blob`` form); one
    read from a file on the server has its path as the text, and a link only when the file is in a
    repository of the local git host (its page in the portal's repository browser).
    """
    where = _descriptor(entity)
    if readers.is_file(where):  # a working copy of the local git host's repository: its page in the portal
        return localgit.browse_url(where), readers.file_path(where)
    if urlsplit(where).scheme.lower() not in ("http", "https"):
        return None, where
    if github.is_github_url(where):
        with contextlib.suppress(ReadError):  # a GitHub URL naming no file (a repository's page): as it is
            where = github.parse_file_url(where).view_url
    return where, where
