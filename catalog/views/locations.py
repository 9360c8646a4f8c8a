"""A registered location: its last refresh (live while it runs), its entities and errors; refreshing
and deleting it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from catalog import services
from catalog.models import Entity, Location, LocationError
from catalog.views.common import row, with_summary
from portal import permissions
from portal.models.runs import Run

ENTITIES_SHOWN = 200
ERRORS_SHOWN = 100


#: Lines of the last refresh's log shown on the page (the newest).
LOG_SHOWN = 200


def latest_run(location: Location) -> Run | None:
    return Run.objects.for_object(location).of_kind(services.REFRESH_LOCATION_RUN).order_by("-created").first()


def live_context(location: Location) -> dict:
    job = latest_run(location)
    newest = list(job.events.filter(type="log").order_by("-id")[:LOG_SHOWN]) if job is not None else []
    log = newest[::-1]
    entities = Entity.objects.filter(location=location)
    by_kind = list(entities.values_list("kind").annotate(count=Count("id")).order_by("kind"))
    total = sum(count for _, count in by_kind)
    rows = [row(entity) for entity in with_summary(entities).order_by("kind", "name", "ref")[:ENTITIES_SHOWN]]
    errors = list(
        LocationError.objects.filter(location=location).order_by("source_url", "document_index", "line", "id")
    )
    return {
        "location": location,
        "job": job,
        "log": log,
        "active": job is not None and not job.is_terminal,
        "by_kind": by_kind,
        "total": total,
        "rows": rows,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
    }


def location_page(request, pk):
    location = get_object_or_404(Location.objects.select_related("created_by"), pk=pk)
    context = live_context(location)
    if getattr(request, "htmx", False) and request.GET.get("live"):
        return render(request, "catalog/location/_live.html", context)
    context.update(
        catalog_tab="health",
        can_refresh=permissions.can(request.user, "catalog.refresh", location),
        can_delete=permissions.can(request.user, "catalog.delete_location", location),
    )
    return render(request, "catalog/location/page.html", context)


@require_POST
def refresh(request, pk):
    location = get_object_or_404(Location, pk=pk)
    if not permissions.can(request.user, "catalog.refresh", location):
        raise PermissionDenied("You may not refresh this location.")
    services.refresh_location(location, user=request.user)
    messages.success(request, "A refresh is queued; this page follows its progress.")
    return redirect("catalog:location", location.pk)


@require_http_methods(["GET", "POST"])
def delete(request, pk):
    location = get_object_or_404(Location, pk=pk)
    if not permissions.can(request.user, "catalog.delete_location", location):
        raise PermissionDenied("Only administrators and the person who registered it may delete this location.")
    if request.method == "POST":
        try:
            count = services.delete_location(location)
        except services.CatalogError as exc:
            messages.error(request, str(exc))
            return redirect("catalog:location", location.pk)
        messages.success(
            request, f"The location {location.target} and its {count} entit{'y' if count == 1 else 'ies'} were deleted."
        )
        return redirect("catalog:health")
    count = Entity.objects.filter(location=location).count()
    return render(
        request, "catalog/location/delete.html", {"location": location, "count": count, "catalog_tab": "health"}
    )
