"""Catalog health: every location with its status, and every error with where it was found."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.db.models import Count
from django.shortcuts import render

from catalog import services
from catalog.ingest.errors import ErrorKind
from catalog.models import Entity, Location, LocationError, LocationStatus
from portal import permissions
from portal.models.runs import Run

ERROR_PAGE_SIZE = 100
ERROR_KINDS = (ErrorKind.PARSE, ErrorKind.VALIDATION, ErrorKind.SUBSTITUTION, ErrorKind.READ, ErrorKind.CONFLICT)
STATUS_ORDER = {LocationStatus.FAILED: 0, LocationStatus.ERRORS: 1, LocationStatus.PENDING: 2, LocationStatus.OK: 3}


def _location_filter(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return ""


def health(request):
    locations = list(Location.objects.all())
    entity_counts = dict(Entity.objects.values_list("location_id").annotate(n=Count("id")).order_by())
    error_counts = dict(LocationError.objects.values_list("location_id").annotate(n=Count("id")).order_by())
    refreshing = set(
        Run.objects.active()
        .of_kind(services.REFRESH_LOCATION_RUN)
        .filter(object_type=Location._meta.label_lower)
        .values_list("object_id", flat=True)
    )
    rows = []
    for location in locations:
        rows.append(
            {
                "location": location,
                "entities": entity_counts.get(location.pk, 0),
                "errors": error_counts.get(location.pk, 0),
                "refreshing": str(location.pk) in refreshing,
                "can_refresh": permissions.can(request.user, "catalog.refresh", location),
                "can_delete": permissions.can(request.user, "catalog.delete_location", location),
            }
        )
    rows.sort(key=lambda item: (STATUS_ORDER.get(item["location"].status, 9), item["location"].target))

    location_id = _location_filter(request.GET.get("location", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in ERROR_KINDS else ""
    errors = LocationError.objects.select_related("location").order_by("location__target", "source_url", "line", "id")
    if location_id:
        errors = errors.filter(location_id=location_id)
    if kind:
        errors = errors.filter(kind=kind)
    error_total = sum(error_counts.values()) if not (location_id or kind) else errors.count()
    pages = max(1, -(-error_total // ERROR_PAGE_SIZE))
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        page = 1
    offset = (page - 1) * ERROR_PAGE_SIZE
    params = {key: value for key, value in (("location", location_id), ("kind", kind)) if value}

    def page_url(number: int) -> str:
        return "?" + urlencode({**params, "page": number}) + "#errors"

    context = {
        "rows": rows,
        "summary": {
            "locations": len(rows),
            "failing": sum(1 for item in rows if item["location"].status == LocationStatus.FAILED),
            "with_errors": sum(1 for item in rows if item["errors"]),
            "entities": sum(entity_counts.values()),
            "errors": sum(error_counts.values()),
        },
        "errors": list(errors[offset : offset + ERROR_PAGE_SIZE]),
        "error_total": error_total,
        "error_kinds": ERROR_KINDS,
        "filter_location": location_id,
        "filter_kind": kind,
        "page": page,
        "pages": pages,
        "previous_url": page_url(page - 1) if page > 1 else "",
        "next_url": page_url(page + 1) if page < pages else "",
        "catalog_tab": "health",
    }
    return render(request, "catalog/health.html", context)
