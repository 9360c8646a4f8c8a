"""The entity endpoints of Backstage's catalog API."""

from __future__ import annotations

import json

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from catalog import facets, queries, revision, services
from catalog.api import pagination
from catalog.api.base import CatalogView, entities, entity_by_ref, entity_by_uid, int_param
from catalog.api.serializers import (
    EntitiesBatchResponseSerializer,
    EntitiesByRefsRequestSerializer,
    EntitiesQueryResponseSerializer,
    EntitySerializer,
    FacetsResponseSerializer,
    RefreshRequestSerializer,
    ValidateEntityErrorResponseSerializer,
    ValidateEntityRequestSerializer,
)
from catalog.model.refs import RefError, parse_ref
from catalog.model.validation import validate_entity
from catalog.queries import QueryError
from portal.api.errors import InputError
from portal.api_schema import ErrorResponseSerializer

#: Rows read at a time when ``GET /entities`` streams every entity (no ``limit``).
STREAM_CHUNK = 1000
#: ``/entities/by-query``: default and largest page (a larger ``limit`` gives this many, with a nextCursor).
DEFAULT_LIMIT, MAX_LIMIT = 20, 1000
#: ``/entities/by-refs`` reads the refs this many at a time.
REFS_CHUNK = 500

ERRORS = {400: ErrorResponseSerializer, 401: ErrorResponseSerializer, 403: ErrorResponseSerializer}
NOT_FOUND = {**ERRORS, 404: ErrorResponseSerializer}

FILTER = OpenApiParameter(
    "filter",
    str,
    many=True,
    description="Repeatable; each is a group of conditions k=v or k (exists), comma-separated, all of which "
    "must hold; an entity matching any group is returned. Case-insensitive. "
    "Example: filter=kind=component,spec.type=service&filter=kind=api",
)
FIELDS = OpenApiParameter(
    "fields",
    str,
    many=True,
    explode=False,
    description="Comma-separated paths to keep, e.g. kind,metadata.name,relations",
)
ENTITY_PATH = [
    OpenApiParameter("kind", str, OpenApiParameter.PATH),
    OpenApiParameter("namespace", str, OpenApiParameter.PATH),
    OpenApiParameter("name", str, OpenApiParameter.PATH),
]


def render(rows, fields: list[str]) -> list[dict]:
    """The entities as served, projected on ``fields``; relations read in one query when needed."""
    wanted = not fields or any(field == "relations" or field.startswith("relations.") for field in fields)
    relations = queries.relations_for_entities(rows) if wanted else {}
    return [queries.select_fields(queries.serialize_entity(row, relations), fields) for row in rows]


def _dump(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class EntitiesView(CatalogView):
    @extend_schema(
        operation_id="GetEntities",
        tags=["catalog"],
        summary="Entities matching the filters (all of them without limit).",
        description="Without limit the whole result is streamed. `after` is Backstage's cursor "
        "(base64 JSON {limit, offset}); no Link header is sent. `order` is asc:<field> or desc:<field>.",
        parameters=[
            FILTER,
            FIELDS,
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
            OpenApiParameter("after", str),
            OpenApiParameter("order", str, many=True, description="asc:metadata.name or desc:metadata.name"),
        ],
        responses={200: EntitySerializer(many=True), **ERRORS},
    )
    def get(self, request):
        params = request.query_params
        groups = queries.parse_filters(params.getlist("filter"))
        fields = queries.parse_fields(params.getlist("fields"))
        order_fields = []
        for raw in params.getlist("order"):
            direction, colon, field = raw.partition(":")
            if not colon or direction.strip().lower() not in ("asc", "desc"):
                raise QueryError(f"Invalid order {raw!r}: expected asc:<field> or desc:<field>.")
            order_fields.append(f"{field},{direction}")
        terms = queries.order_terms(queries.parse_order(order_fields))
        limit, offset = int_param(request, "limit"), int_param(request, "offset")
        if params.get("after"):
            cursor_limit, cursor_offset = pagination.parse_after(params["after"])
            limit = cursor_limit if cursor_limit is not None else limit
            offset = cursor_offset if cursor_offset is not None else offset
        base, start = queries.apply_filters(entities(), groups), offset or 0
        if limit is not None:
            rows = list(pagination.keyset(base, terms)[start : start + limit])
            return Response(render(rows, fields))
        # The first chunk is read before the answer starts: a query that cannot run is an error
        # response, not a 200 cut short after its first byte.
        rows = list(pagination.keyset(base, terms)[start : start + STREAM_CHUNK])
        stream = self._stream(base, terms, fields, rows, render(rows, fields))
        return StreamingHttpResponse(stream, content_type="application/json")

    @staticmethod
    def _stream(base, terms, fields, rows, items):
        """The JSON array of every matching entity: the chunk already read (``rows``, served as
        ``items``), then the next ones in keyset chunks."""
        yield b"["
        first = True
        while True:
            for item in items:
                yield _dump(item) if first else b"," + _dump(item)
                first = False
            if len(rows) < STREAM_CHUNK:
                break
            after = pagination.order_values(rows[-1], terms)
            rows = list(pagination.keyset(base, terms, after=after)[:STREAM_CHUNK])
            items = render(rows, fields)
        yield b"]"


class EntitiesQueryView(CatalogView):
    @extend_schema(
        operation_id="GetEntitiesByQuery",
        tags=["catalog"],
        summary="A page of entities, with cursors to the next and previous pages.",
        description=f"limit defaults to {DEFAULT_LIMIT}; a limit over {MAX_LIMIT} gives {MAX_LIMIT} entities "
        "(follow nextCursor). With a cursor, filter, orderField and fullTextFilter* are those of the cursor. "
        "Without orderField, entities come best full-text match first (PostgreSQL), then by kind, namespace, name.",
        parameters=[
            FILTER,
            FIELDS,
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int, description="Entities to skip on the first page."),
            OpenApiParameter("orderField", str, many=True, description="field,asc or field,desc (repeatable)"),
            OpenApiParameter("cursor", str, description="nextCursor or prevCursor of a previous page."),
            OpenApiParameter("fullTextFilterTerm", str),
            OpenApiParameter("fullTextFilterFields", str, many=True, explode=False),
            OpenApiParameter("totalItems", str, enum=["include", "exclude"]),
        ],
        responses={200: EntitiesQueryResponseSerializer, **ERRORS},
    )
    def get(self, request):
        params = request.query_params
        fields = queries.parse_fields(params.getlist("fields"))
        limit = min(int_param(request, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        total_mode = params.get("totalItems", "include")
        if total_mode not in ("include", "exclude"):
            raise QueryError(f"totalItems must be include or exclude, not {total_mode!r}.")
        raw_cursor = params.get("cursor")
        cursor = pagination.Cursor.decode(raw_cursor) if raw_cursor else None
        query = pagination.EntityQuery(
            filters=params.getlist("filter"),
            order_fields=params.getlist("orderField"),
            term=params.get("fullTextFilterTerm", ""),
            term_fields=[
                part.strip()
                for raw in params.getlist("fullTextFilterFields")
                for part in raw.split(",")
                if part.strip()
            ],
        )
        rows, page_info, total = pagination.query_page(
            entities(),
            query,
            limit=limit,
            offset=0 if cursor else int_param(request, "offset", 0),
            cursor=cursor,
            count_total=total_mode == "include",
        )
        body: dict[str, object] = {"items": render(rows, fields)}
        if total is not None:
            body["totalItems"] = total
        body["pageInfo"] = page_info
        return Response(body)


class EntitiesByRefsView(CatalogView):
    policy = {"POST": "catalog.read"}
    reading_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="GetEntitiesByRefs",
        tags=["catalog"],
        summary="The entities of the given refs, in request order (null where there is none).",
        description="entityRefs are entity references (kind:namespace/name, any letter case); the answer has one item "
        "per ref, in the same order: the entity, or null when the catalog holds none of that name, the ref cannot be "
        "read or the entity does not match the filter. fields keeps only the given paths of each entity.",
        parameters=[FILTER],
        request=EntitiesByRefsRequestSerializer,
        responses={200: EntitiesBatchResponseSerializer, **ERRORS},
    )
    def post(self, request):
        body = EntitiesByRefsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "query" in body.validated_data:
            raise InputError("Predicate queries (query) are not supported; use the filter parameter.")
        fields = queries.parse_fields(body.validated_data.get("fields", []))
        groups = queries.parse_filters(request.query_params.getlist("filter"))
        keys: list[str | None] = []
        for ref in body.validated_data["entityRefs"]:
            try:
                keys.append(parse_ref(ref).key())
            except RefError:
                keys.append(None)
        wanted = sorted({key for key in keys if key is not None})
        found = {}
        for start in range(0, len(wanted), REFS_CHUNK):
            chunk = queries.apply_filters(entities().filter(ref__in=wanted[start : start + REFS_CHUNK]), groups)
            found.update({entity.ref: entity for entity in chunk})
        rendered = dict(zip(found, render(list(found.values()), fields), strict=True))
        return Response({"items": [rendered.get(key) if key else None for key in keys]})


class EntityByUidView(CatalogView):
    policy = {"GET": "catalog.read", "DELETE": "catalog.read"}

    @extend_schema(
        operation_id="GetEntityByUid",
        tags=["catalog"],
        summary="One entity by its uid.",
        description="The uid is metadata.uid, which the catalog gives an entity when it first reads it and keeps "
        "across refreshes. 404 when no entity has it.",
        responses={200: EntitySerializer, **NOT_FOUND},
    )
    def get(self, request, uid: str):
        return Response(render([entity_by_uid(uid)], [])[0])

    @extend_schema(
        operation_id="DeleteEntityByUid",
        tags=["catalog"],
        summary="Delete an entity (it comes back on its location's next refresh if still there).",
        description="Administrators, and members of the entity's owner group, may delete the entity with this uid; "
        "its relations go with it.",
        responses={204: None, **NOT_FOUND},
    )
    def delete(self, request, uid: str):
        return _delete(self, entity_by_uid(uid))


def _delete(view: CatalogView, entity) -> Response:
    view.require("catalog.delete_entity", entity, "Only administrators and the entity's owners can delete it.")
    services.delete_entity(entity, user=view.request.user, orphans_only=False)
    return Response(status=status.HTTP_204_NO_CONTENT)


class EntityByNameView(CatalogView):
    policy = {"GET": "catalog.read", "DELETE": "catalog.read"}

    @extend_schema(
        operation_id="GetEntityByName",
        tags=["catalog"],
        summary="One entity by kind, namespace and name (any letter case).",
        description="The entity as the catalog serves it: apiVersion, kind, metadata (with uid and etag), spec and "
        "relations. 404 when the catalog holds no entity of that name.",
        parameters=ENTITY_PATH,
        responses={200: EntitySerializer, **NOT_FOUND},
    )
    def get(self, request, kind: str, namespace: str, name: str):
        return Response(render([entity_by_ref(kind, namespace, name)], [])[0])

    @extend_schema(
        operation_id="DeleteEntityByName",
        tags=["catalog"],
        summary="Delete an entity and its relations (it comes back on its location's next refresh if still there).",
        description="Administrators, and members of the entity's owner group, may delete the entity named by kind, "
        "namespace and name.",
        parameters=ENTITY_PATH,
        responses={204: None, **NOT_FOUND},
    )
    def delete(self, request, kind: str, namespace: str, name: str):
        return _delete(self, entity_by_ref(kind, namespace, name))


class FacetsView(CatalogView):
    @extend_schema(
        operation_id="GetEntityFacets",
        tags=["catalog"],
        summary="The values of the given fields among the filtered entities, with counts (most frequent first).",
        description="One list per facet: {value, count} for every value the field takes among the entities that "
        "match the filters, e.g. facet=spec.type gives service, website, library … with how many entities have each. "
        "Values are counted without regard to letter case.",
        parameters=[
            OpenApiParameter("facet", str, many=True, required=True, description="e.g. kind, spec.type"),
            FILTER,
        ],
        responses={200: FacetsResponseSerializer, **ERRORS},
    )
    def get(self, request):
        fields = [facet.strip() for facet in request.query_params.getlist("facet") if facet.strip()]
        if not fields:
            raise QueryError("At least one facet is required, e.g. facet=kind.")
        groups = queries.parse_filters(request.query_params.getlist("filter"))
        filtered = queries.apply_filters(entities(), groups)
        counted = revision.cached(
            "entity-facets", {"filter": groups, "facet": fields}, lambda: facets.count(filtered, fields)
        )
        return Response({"facets": counted})


class RefreshView(CatalogView):
    policy = {"POST": "catalog.refresh"}

    @extend_schema(
        operation_id="RefreshEntity",
        tags=["catalog"],
        summary="Queue a refresh of the location that provides the entity.",
        description="The location is read again in the background, as on its periodic refresh; the answer comes "
        "at once. 404 when the catalog holds no entity of that reference.",
        request=RefreshRequestSerializer,
        responses={200: OpenApiResponse(description="Queued."), **NOT_FOUND},
    )
    def post(self, request):
        body = RefreshRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            ref = parse_ref(body.validated_data["entityRef"])
        except RefError as exc:
            raise InputError(str(exc)) from None
        entity = entities().select_related("location").filter(ref=ref.key()).first()
        if entity is None:
            raise NotFound(f"No entity named {ref.key()}.")
        self.require("catalog.refresh", entity)
        services.refresh_location(entity.location, user=request.user)
        return Response(status=status.HTTP_200_OK)


class ValidateEntityView(CatalogView):
    policy = {"POST": "catalog.read"}
    reading_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="ValidateEntity",
        tags=["catalog"],
        summary="Check a descriptor as the catalog would when reading it.",
        description="Nothing is written. 200 when the entity is valid; 400 lists every problem (a missing or "
        "malformed field, a bad reference, a location ref that is not <type>:<target>).",
        request=ValidateEntityRequestSerializer,
        responses={
            200: OpenApiResponse(description="Valid."),
            400: OpenApiResponse(ValidateEntityErrorResponseSerializer, description="Its errors."),
            401: ErrorResponseSerializer,
            403: ErrorResponseSerializer,
        },
    )
    def post(self, request):
        body = ValidateEntityRequestSerializer(data=request.data)
        if not body.is_valid():
            messages = [f"{field}: {' '.join(map(str, errors))}" for field, errors in body.errors.items()]
            return _invalid(messages)
        location = body.validated_data["location"]
        kind, colon, target = location.partition(":")
        if not colon or not kind.strip() or not target.strip():
            return _invalid(
                [f"Invalid location ref {location!r}: expected <type>:<target>, e.g. url:https://host/path"]
            )
        problems = validate_entity(body.validated_data["entity"])
        if problems:
            return _invalid(
                [f"{problem.path}: {problem.message}" if problem.path else problem.message for problem in problems]
            )
        return Response(status=status.HTTP_200_OK)


def _invalid(messages: list[str]) -> Response:
    return Response({"errors": [{"name": "InputError", "message": message} for message in messages]}, status=400)
