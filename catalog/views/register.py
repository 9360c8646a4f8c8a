"""Registering an existing component: enter a URL, preview what it adds, confirm.

A location registered already is said so in its preview, with its page and the entities it holds,
and is offered a refresh instead of a registration.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import services
from catalog.forms import RegisterForm
from catalog.model.refs import DEFAULT_NAMESPACE
from catalog.models import Entity, Location
from catalog.views.common import entity_link, humanize, ref_link
from portal import permissions

#: Entities listed in a preview; the rest are counted.
PREVIEW_ROWS = 200
#: Entities of a registered location linked from its preview; the rest are on the location's page.
HELD_SHOWN = 20


def _preview_rows(preview) -> list[dict]:
    rows = []
    for body in preview.entities[:PREVIEW_ROWS]:
        metadata = body.get("metadata") or {}
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
        ref = f"{body['kind']}:{namespace}/{metadata.get('name')}".lower()
        owner = spec.get("owner") if isinstance(spec.get("owner"), str) else ""
        rows.append(
            {
                "ref": ref,
                "kind": body["kind"],
                "name": metadata.get("title") or metadata.get("name"),
                "humanized": humanize(ref),
                "type": spec.get("type") if isinstance(spec.get("type"), str) else "",
                "owner": owner,
                "description": metadata.get("description") if isinstance(metadata.get("description"), str) else "",
                "existing": ref_link(ref) if ref in preview.existing else None,
            }
        )
    return rows


def _registered(location: Location) -> dict:
    """A registered location as its preview shows it: its page and the entities it holds."""
    by_kind = services.counts_by_kind(location)
    held = (
        Entity.objects.filter(location=location, orphan=False)
        .only("ref", "kind", "namespace", "name", "title")
        .order_by("kind", "name", "ref")[:HELD_SHOWN]
    )
    entities = [{**entity_link(entity), "kind": entity.kind} for entity in held]
    count = sum(by_kind.values())
    return {"location": location, "count": count, "entities": entities, "more": max(0, count - len(entities))}


def _refresh(request, form: RegisterForm):
    """Refresh the registered location the form names (a run of the engine), then show its page."""
    location = services.registered_location(type=form.location_type, target=form.cleaned_data["target"])
    if location is None:
        form.add_error("target", "This location is not registered: preview it to register it.")
        return None
    if not permissions.can(request.user, "catalog.refresh", location):
        form.add_error("target", "You may not refresh this location.")
        return None
    services.refresh_location(location, user=request.user)
    messages.success(request, "It was registered already: a refresh is queued and this page follows its progress.")
    return redirect("catalog:location", location.pk)


@require_http_methods(["GET", "POST"])
def register(request):
    action = request.POST.get("action", "preview")
    form = RegisterForm(request.POST if request.method == "POST" else None, user=request.user)
    context = {"form": form, "catalog_tab": "register", "preview": None}
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        if action == "refresh":
            if (response := _refresh(request, form)) is not None:
                return response
        elif action == "confirm":
            try:
                location = services.register_location(
                    type=form.location_type, target=target, options=form.options, user=request.user
                )
            except services.LocationExists as exists:
                form.already_registered(exists)
            except services.CatalogError as exc:
                form.add_error("target", str(exc))
            else:
                messages.success(request, "Registered. The catalog is reading it now; this page follows its progress.")
                return redirect("catalog:location", location.pk)
        else:
            try:
                preview = services.analyze_location(type=form.location_type, target=target, options=form.options)
            except services.CatalogError as exc:
                form.add_error("target", str(exc))
            else:
                registered = services.registered_location(type=form.location_type, target=target)
                context["preview"] = {
                    "target": target,
                    "type": form.location_type,
                    "rows": _preview_rows(preview),
                    "count": len(preview.entities),
                    "by_kind": preview.counts_by_kind(),
                    "problems": preview.problems,
                    "failure": preview.failure,
                    "existing": len(preview.existing),
                    "registered": _registered(registered) if registered is not None else None,
                }
    return render(request, "catalog/register.html", context)
