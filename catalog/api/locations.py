"""The location endpoints of Backstage's catalog API, and Atrium's catalog health (errors)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from catalog import services
from catalog.api.base import CatalogView, bool_param, entity_by_ref, int_param
from catalog.api.serializers import (
    AnalyzeLocationRequestSerializer,
    AnalyzeLocationResponseSerializer,
    CreateLocationRequestSerializer,
    CreateLocationResponseSerializer,
    LocationErrorsResponseSerializer,
    LocationItemSerializer,
    LocationSerializer,
    location_data,
)
from catalog.api.views import ENTITY_PATH, ERRORS, NOT_FOUND
from catalog.models import Location, LocationError
from catalog.queries import QueryError
from portal.api.errors import Conflict, InputError
from portal.api_schema import ErrorResponseSerializer

#: ``/errors`` and ``/locations/{id}/errors``: default and largest page.
ERRORS_LIMIT, ERRORS_MAX_LIMIT = 100, 1000
ID_PATH = [OpenApiParameter("location_id", str, OpenApiParameter.PATH, description="The location's id.")]
PAGE = [
    OpenApiParameter("limit", int, description=f"At most {ERRORS_MAX_LIMIT}; {ERRORS_LIMIT} by default."),
    OpenApiParameter("offset", int),
]


def location_by_id(location_id: str) -> Location:
    try:
        pk = uuid.UUID(location_id)
    except ValueError:
        raise NotFound(f"No location with id {location_id}.") from None
    location = Location.objects.filter(pk=pk).first()
    if location is None:
        raise NotFound(f"No location with id {location_id}.")
    return location


def _problem(problem) -> dict:
    return {
        "file": problem.source_url,
        "document": problem.document_index,
        "line": problem.line,
        "entityRef": problem.entity_ref or None,
        "kind": problem.kind,
        "message": problem.message,
    }


class LocationsView(CatalogView):
    policy = {"GET": "catalog.read", "POST": "catalog.register"}

    def reads(self, request) -> bool:
        # A dry run writes nothing.
        return request.method in SAFE_METHODS or (request.method == "POST" and self._dry_run(request))

    def policy_action(self, request) -> str | None:
        if request.method == "POST" and self._dry_run(request):
            return "catalog.read"
        return self.policy.get(request.method) or (self.policy.get("GET") if request.method in SAFE_METHODS else None)

    @staticmethod
    def _dry_run(request) -> bool:
        return (request.query_params.get("dryRun") or "").strip().lower() in ("true", "1", "yes")

    @extend_schema(
        operation_id="GetLocations",
        tags=["catalog"],
        summary="Every registered location.",
        description="Each item is {data: {id, type, target}}, oldest first, as Backstage answers it: the locations "
        "registered by people, and the one Atrium registers for its golden-path templates.",
        responses={200: LocationItemSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return Response([{"data": location_data(location)} for location in Location.objects.order_by("created")])

    @extend_schema(
        operation_id="CreateLocation",
        tags=["catalog"],
        summary="Register a location; it is read in the background.",
        description="With dryRun=true nothing is written: the answer lists the entities it would add (400 when "
        "it cannot be read or has errors). An existing location answers 409, or with onConflict=refresh "
        "is queued for a refresh (201, exists: true).",
        parameters=[
            OpenApiParameter("dryRun", str, description="true: only say what would be added."),
            OpenApiParameter("onConflict", str, enum=["reject", "refresh"]),
        ],
        request=CreateLocationRequestSerializer,
        responses={201: CreateLocationResponseSerializer, **ERRORS, 409: ErrorResponseSerializer},
    )
    def post(self, request):
        body = CreateLocationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.require_type_allowed(data["type"])
        on_conflict = request.query_params.get("onConflict", "reject")
        if on_conflict not in ("reject", "refresh"):
            raise QueryError(f"onConflict must be reject or refresh, not {on_conflict!r}.")
        if bool_param(request, "dryRun"):
            return self._dry_run_answer(data)
        try:
            location = services.register_location(
                type=data["type"], target=data["target"], options=data.get("options"), user=request.user
            )
        except services.LocationExists as exc:
            if on_conflict == "reject":
                raise Conflict(f"Location {exc.location.type}:{exc.location.target} already exists.") from None
            services.refresh_location(exc.location, user=request.user)
            answer = {"location": location_data(exc.location), "entities": [], "exists": True}
            return Response(answer, status=status.HTTP_201_CREATED)
        except services.CatalogError as exc:
            raise InputError(str(exc)) from None
        return Response({"location": location_data(location), "entities": []}, status=status.HTTP_201_CREATED)

    @staticmethod
    def _dry_run_answer(data: dict) -> Response:
        try:
            target, _ = services.check_target(data["type"], data["target"], data.get("options"))
            preview = services.analyze_location(type=data["type"], target=data["target"], options=data.get("options"))
        except services.CatalogError as exc:
            raise InputError(str(exc)) from None
        if preview.failure:
            raise InputError(f"The location could not be read: {preview.failure}")
        if preview.problems:
            raise InputError("The location has errors: " + "; ".join(str(problem) for problem in preview.problems))
        existing = Location.objects.filter(type=data["type"], target=target).first()
        location = existing or Location(id=uuid.uuid4(), type=data["type"], target=target)
        body = {"exists": existing is not None, "location": location_data(location), "entities": preview.entities}
        return Response(body, status=status.HTTP_201_CREATED)


class LocationView(CatalogView):
    policy = {"GET": "catalog.read", "DELETE": "catalog.read"}

    @extend_schema(
        operation_id="GetLocation",
        tags=["catalog"],
        summary="One location.",
        description="The location's id, type (url or file) and target. 404 when no location has that id.",
        parameters=ID_PATH,
        responses={200: LocationSerializer, **NOT_FOUND},
    )
    def get(self, request, location_id: str):
        return Response(location_data(location_by_id(location_id)))

    @extend_schema(
        operation_id="DeleteLocation",
        tags=["catalog"],
        summary="Delete a location and every entity it provides.",
        description="Its creator and administrators; no one for a location managed by Atrium.",
        parameters=ID_PATH,
        responses={204: None, **NOT_FOUND},
    )
    def delete(self, request, location_id: str):
        location = location_by_id(location_id)
        if location.managed:
            message = "This location is managed by Atrium and cannot be deleted."
        else:
            message = "Only the user who registered this location and administrators can delete it."
        self.require("catalog.delete_location", location, message)
        services.delete_location(location)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LocationByEntityView(CatalogView):
    @extend_schema(
        operation_id="getLocationByEntity",
        tags=["catalog"],
        summary="The registered location that provides an entity.",
        description="The location whose reading produced the entity, also when the entity comes from a file that "
        "a Location entity of that location points to. 404 when the catalog holds no entity of that name.",
        parameters=ENTITY_PATH,
        responses={200: LocationSerializer, **NOT_FOUND},
    )
    def get(self, request, kind: str, namespace: str, name: str):
        return Response(location_data(entity_by_ref(kind, namespace, name, related=("location",)).location))


class AnalyzeLocationView(CatalogView):
    policy = {"POST": "catalog.read"}
    reading_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="AnalyzeLocation",
        tags=["catalog"],
        summary="What a location holds, without registering it.",
        description="existingEntityFiles: every entity it would provide, with the file it is read from and "
        "whether the catalog holds it already; errors (Atrium): the problems reading it would record.",
        request=AnalyzeLocationRequestSerializer,
        responses={200: AnalyzeLocationResponseSerializer, **ERRORS},
    )
    def post(self, request):
        body = AnalyzeLocationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        spec = body.validated_data["location"]
        self.require_type_allowed(spec["type"])
        try:
            preview = services.analyze_location(type=spec["type"], target=spec["target"])
        except services.CatalogError as exc:
            raise InputError(str(exc)) from None
        if preview.failure:
            raise InputError(f"The location could not be read: {preview.failure}")
        files = []
        for entity in preview.entities:
            source = entity["metadata"].get("annotations", {}).get("backstage.io/managed-by-location", "")
            source_type, _, source_target = source.partition(":")
            ref = f"{entity['kind']}:{entity['metadata'].get('namespace', 'default')}/{entity['metadata']['name']}"
            files.append(
                {
                    "entity": entity,
                    "isRegistered": ref.lower() in preview.existing,
                    "location": {"type": source_type, "target": source_target},
                }
            )
        return Response(
            {
                "existingEntityFiles": files,
                "generateEntities": [],
                "errors": [_problem(problem) for problem in preview.problems],
            }
        )


def _errors_page(request, rows) -> Response:
    limit = min(int_param(request, "limit", ERRORS_LIMIT), ERRORS_MAX_LIMIT)
    offset = int_param(request, "offset", 0)
    total = rows.count()
    page = rows.select_related("location").order_by(
        "location__created", "location_id", "source_url", "document_index", "line", "id"
    )[offset : offset + limit]
    items = [{"location": location_data(error.location), **_problem(error), "created": error.created} for error in page]
    return Response({"items": items, "totalItems": total})


class ErrorsView(CatalogView):
    @extend_schema(
        operation_id="GetCatalogErrors",
        tags=["catalog"],
        summary="Atrium: catalog health, every problem found reading the locations (file, document, line).",
        description="A page of problems (a file that cannot be read, invalid YAML, an invalid entity, a conflict "
        "between two locations) with the location, file, document and line of each; totalItems counts them all.",
        parameters=PAGE,
        responses={200: LocationErrorsResponseSerializer, **ERRORS},
    )
    def get(self, request):
        return _errors_page(request, LocationError.objects.all())


class LocationErrorsView(CatalogView):
    @extend_schema(
        operation_id="GetLocationErrors",
        tags=["catalog"],
        summary="Atrium: the problems found reading one location (file, document, line).",
        description="The same page of problems as GET /errors, for one location only. An empty list when its "
        "last reading went well; 404 when no location has that id.",
        parameters=[*ID_PATH, *PAGE],
        responses={200: LocationErrorsResponseSerializer, **NOT_FOUND},
    )
    def get(self, request, location_id: str):
        return _errors_page(request, LocationError.objects.filter(location=location_by_id(location_id)))
