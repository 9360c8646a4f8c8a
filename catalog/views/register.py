"""Registering an existing component: enter a URL, preview what it adds, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import services
from catalog.forms import RegisterForm
from catalog.model.refs import DEFAULT_NAMESPACE
from catalog.views.common import humanize, ref_link

#: Entities listed in a preview; the rest are counted.
PREVIEW_ROWS = 200


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


@require_http_methods(["GET", "POST"])
def register(request):
    action = request.POST.get("action", "preview")
    form = RegisterForm(request.POST if request.method == "POST" else None, user=request.user)
    context = {"form": form, "catalog_tab": "register", "preview": None}
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        if action == "confirm":
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
                context["preview"] = {
                    "target": target,
                    "type": form.location_type,
                    "rows": _preview_rows(preview),
                    "count": len(preview.entities),
                    "by_kind": preview.counts_by_kind(),
                    "problems": preview.problems,
                    "failure": preview.failure,
                    "existing": len(preview.existing),
                }
    return render(request, "catalog/register.html", context)
