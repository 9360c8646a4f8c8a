"""The entity page: about, relations (graph and table), API definition, team and person parts,
orphan and error banners, the descriptor; its actions (refresh, view source, unregister, star); and
deleting an orphan."""

from __future__ import annotations

from urllib.parse import urlsplit

import yaml
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from catalog import definitions, graph, queries, services
from catalog.ingest.github import is_github_url
from catalog.model import KNOWN_KINDS
from catalog.model.refs import RefError, parse_ref
from catalog.models import Entity, LocationError, LocationType, Relation
from catalog.views import groups
from catalog.views.common import entity_link, humanize, lookup, ref_link, ref_url, split_ref, url_of, with_summary
from portal import permissions

EDIT_URL = "backstage.io/edit-url"
VIEW_URL = "backstage.io/view-url"
MANAGED_BY = "backstage.io/managed-by-location"
CANONICAL_KINDS = {kind.lower(): kind for kind in KNOWN_KINDS}


class _Dumper(yaml.SafeDumper):
    """The descriptor as people write it: multi-line strings (API definitions) as literal blocks."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text and text == text.rstrip(" ") else None
    ),
)


#: The order people write a descriptor in (PostgreSQL's jsonb keeps no order of its own).
KEY_ORDER = {
    "": ("apiVersion", "kind", "metadata", "spec"),
    "metadata": ("name", "namespace", "title", "description", "labels", "annotations", "tags", "links"),
    "spec": (
        "type", "lifecycle", "owner", "system", "domain", "subcomponentOf", "providesApis", "consumesApis",
        "dependsOn", "dependencyOf", "profile", "parent", "children", "members", "memberOf", "definition",
    ),
}  # fmt: skip


def _ordered(value: dict, path: str = "") -> dict:
    first = KEY_ORDER.get(path, ())
    keys = [key for key in first if key in value] + [key for key in value if key not in first]
    return {
        key: _ordered(value[key], key if not path else f"{path}.{key}") if isinstance(value[key], dict) else value[key]
        for key in keys
    }


def descriptor_yaml(body: dict) -> str:
    return yaml.dump(_ordered(body), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def safe_url(value) -> str:
    """A link taken from a descriptor, if it is http(s) or mailto; never ``javascript:`` and the like."""
    if not isinstance(value, str):
        return ""
    scheme = urlsplit(value.strip()).scheme.lower()
    return value.strip() if scheme in ("http", "https", "mailto") else ""


def _location_url(value: str) -> str:
    """``url:https://…`` or ``file:/…`` (Backstage's annotation forms) → the URL or path."""
    return value[4:] if value.startswith("url:") else value


def edit_url(annotations: dict) -> str:
    """Where to change the descriptor: its ``backstage.io/edit-url``, or derived for a GitHub blob URL."""
    if annotations.get(EDIT_URL):
        return safe_url(annotations[EDIT_URL])
    source = _location_url(str(annotations.get(MANAGED_BY, "")))
    if is_github_url(source) and "/blob/" in source:
        return source.replace("/blob/", "/edit/", 1)
    return ""


def source_info(entity: Entity, annotations: dict) -> dict:
    link, text = queries.source_url(entity)
    return {
        "link": link,
        "text": text,
        "view_url": safe_url(annotations.get(VIEW_URL)),
        "edit_url": edit_url(annotations),
        "location": entity.location,
        "line": entity.line,
    }


def relations_of(entity: Entity) -> list[dict]:
    """The entity's relations with their targets resolved: two queries."""
    pairs = list(
        Relation.objects.filter(source_ref=entity.ref)
        .values_list("type", "target_ref")
        .distinct()
        .order_by("type", "target_ref")
    )
    targets = {
        target.ref: target
        for target in with_summary(Entity.objects.filter(ref__in={target for _, target in pairs})).only(
            "ref", "kind", "namespace", "name", "title", "orphan"
        )
    }
    relations = []
    for relation_type, target_ref in pairs:
        target = targets.get(target_ref)
        kind, _namespace, name = split_ref(target_ref)
        relations.append(
            {
                "type": relation_type,
                "label": graph.label(relation_type),
                "ref": target_ref,
                "target": target,
                "kind": target.kind if target else CANONICAL_KINDS.get(kind.lower(), kind),
                "name": (target.profile_name or target.display_name) if target else name,
                "humanized": humanize(target_ref),
                "url": url_of(target) if target else "",
                "missing_url": "" if target else ref_url(target_ref),
            }
        )
    return relations


def relation_graphs(entity: Entity, relations: list[dict], name: str) -> tuple:
    """The wide and the narrow (phone) drawing of the entity's relations."""
    center = graph.Node(entity.ref, entity.kind, name, url_of(entity))
    related = [
        (item["type"], graph.Node(item["ref"], item["kind"], item["name"], item["url"] or None)) for item in relations
    ]
    return graph.layout(center, related).svg(), graph.layout_narrow(center, related).svg()


def api_definition(spec: dict) -> definitions.Definition | None:
    definition = spec.get("definition")
    if not isinstance(definition, str):
        return None
    return definitions.read(str(spec.get("type", "")), definition)


def _domain_link(domain: str, namespace: str) -> dict | None:
    try:
        return ref_link(parse_ref(domain, default_kind="Domain", default_namespace=namespace).key(), "domain")
    except RefError:
        return None


def about(entity: Entity) -> dict:
    body = _dict(entity.body)
    metadata, spec = _dict(body.get("metadata")), _dict(body.get("spec"))
    links = [
        {"url": safe_url(link["url"]), "title": link.get("title") or link["url"]}
        for link in metadata.get("links") or []
        if isinstance(link, dict) and safe_url(link.get("url"))
    ]
    profile = _dict(spec.get("profile"))
    domain = found if isinstance(found := spec.get("domain"), str) and found else ""
    return {
        "description": entity.description,
        "owner": ref_link(entity.owner_ref, "group"),
        "system": ref_link(entity.system_ref, "system"),
        "domain": _domain_link(domain, entity.namespace),
        "lifecycle": entity.lifecycle,
        "type": entity.spec_type,
        "tags": [tag for tag in metadata.get("tags") or [] if isinstance(tag, str)],
        "labels": sorted(_dict(metadata.get("labels")).items()),
        "annotations": sorted(_dict(metadata.get("annotations")).items()),
        "links": links,
        "profile": profile,
        "targets": [str(t) for t in (spec.get("targets") or [spec.get("target")]) if isinstance(t, str)]
        if entity.kind.lower() == "location"
        else [],
        "spec": spec,
    }


def entity_page(request, kind: str, namespace: str, name: str):
    ref, entity = lookup(kind, namespace, name, starred_by=request.user)
    if entity is None:
        return not_in_catalog(request, ref)
    info = about(entity)
    relations = relations_of(entity)
    errors = list(LocationError.objects.filter(entity_ref=entity.ref).order_by("source_url", "line", "id"))
    context = {
        "entity": entity,
        "about": info,
        "source": source_info(entity, dict(info["annotations"])),
        "relations": relations,
        "graphs": relation_graphs(entity, relations, info["profile"].get("displayName") or entity.display_name),
        "errors": errors,
        "yaml": descriptor_yaml(entity.body),
        "owned_by_you": bool(entity.owner_ref) and permissions.can(request.user, "catalog.own", entity),
        "can_delete": entity.orphan and permissions.can(request.user, "catalog.delete_entity", entity),
        "can_refresh": permissions.can(request.user, "catalog.refresh", entity.location),
        "can_unregister": permissions.can(request.user, "catalog.unregister", entity),
        "can_star": permissions.can(request.user, "catalog.star", entity),
        "api": api_definition(info["spec"]) if entity.kind.lower() == "api" else None,
        "catalog_tab": "browse",
    }
    if entity.kind.lower() == "group":
        context["group"] = groups.group_context(entity, relations)
    elif entity.kind.lower() == "user":
        context["person"] = groups.user_context(request, entity, relations)
    return render(request, "catalog/entity.html", context)


def not_in_catalog(request, ref: str):
    """The page of an entity the catalog does not hold (yet): 404, saying who refers to it.

    Entities referring to it emitted the inverse relations too, so its relations name them.
    """
    kind, namespace, name = split_ref(ref)
    pairs = list(
        Relation.objects.filter(source_ref=ref).values_list("type", "target_ref").distinct().order_by("target_ref")[:50]
    )
    holders = {
        entity.ref: entity
        for entity in Entity.objects.filter(ref__in={target for _, target in pairs}).only(
            "ref", "kind", "namespace", "name", "title"
        )
    }
    referenced_by = [
        {"label": graph.label(relation_type), "link": entity_link(holders[target])}
        for relation_type, target in pairs
        if target in holders
    ]
    context = {"ref": ref, "kind": kind, "namespace": namespace, "name": name, "referenced_by": referenced_by}
    return render(request, "catalog/not_in_catalog.html", context, status=404)


@require_http_methods(["GET", "POST"])
def delete_entity(request, kind: str, namespace: str, name: str):
    """Confirm (GET) and delete (POST) an orphaned entity; others get 403 and nothing changes."""
    _ref, entity = lookup(kind, namespace, name)
    if entity is None:
        raise Http404("No such entity")
    if not entity.orphan:
        raise PermissionDenied("Only orphaned entities can be deleted here; this one is still in its location.")
    if not permissions.can(request.user, "catalog.delete_entity", entity):
        raise PermissionDenied("Only its owners and administrators may delete an orphaned entity.")
    if request.method == "POST":
        try:
            services.delete_entity(entity, user=request.user)
        except services.CatalogError as exc:  # its location provides it again since the check
            messages.error(request, str(exc))
            return redirect(url_of(entity))
        messages.success(request, f"{humanize(entity.ref)} was deleted from the catalog.")
        return redirect("catalog:list")
    location = entity.location
    return render(
        request,
        "catalog/entity_delete.html",
        {"entity": entity, "url": url_of(entity), "location": location, "file": location.type == LocationType.FILE},
    )


# --- actions ---------------------------------------------------------------------------------------

#: Entities listed by name on the unregister confirmation; the rest are counted.
UNREGISTER_LISTED = 500


def _entity_or_404(kind: str, namespace: str, name: str, **options) -> Entity:
    _ref, entity = lookup(kind, namespace, name, **options)
    if entity is None:
        raise Http404("No such entity")
    return entity


@require_POST
def refresh_entity(request, kind: str, namespace: str, name: str):
    """Read the entity's location again now: its catalog refresh run, with a link to follow it."""
    entity = _entity_or_404(kind, namespace, name)
    location = entity.location
    if not permissions.can(request.user, "catalog.refresh", location):
        raise PermissionDenied("You may not refresh this entity's location.")
    run = services.refresh_location(location, user=request.user)
    if permissions.can(request.user, "portal.view_run", run):
        follow = reverse("portal:run", kwargs={"pk": run.pk})
    else:  # queued by someone else: its location's page follows it too
        follow = reverse("catalog:location", kwargs={"pk": location.pk})
    messages.success(
        request,
        format_html('A refresh of {} is queued. <a href="{}">Follow the refresh</a>', location.target, follow),
    )
    return redirect(url_of(entity))


@require_http_methods(["GET", "POST"])
def unregister_entity(request, kind: str, namespace: str, name: str):
    """Confirm (GET, listing what goes) and remove (POST) the entity's location with every entity
    it holds; others than its owners and administrators get 403 and nothing changes."""
    entity = _entity_or_404(kind, namespace, name)
    if not permissions.can(request.user, "catalog.unregister", entity):
        raise PermissionDenied("Only its owners and administrators may unregister this entity.")
    location = entity.location
    if request.method == "POST":
        try:
            _location, removed = services.unregister_entity(entity, user=request.user)
        except services.CatalogError as exc:
            messages.error(request, str(exc))
            return redirect(url_of(entity))
        count = len(removed)
        messages.success(
            request,
            f"The location {location.target} was unregistered: its {count} entit{'y' if count == 1 else 'ies'} "
            "left the catalog.",
        )
        return redirect("catalog:list")
    held = Entity.objects.filter(location=location)
    by_kind = list(held.values_list("kind").annotate(count=Count("id")).order_by("kind"))
    total = sum(count for _kind, count in by_kind)
    listed = held.order_by("kind", "namespace", "name", "ref").only("ref", "kind", "namespace", "name", "title")
    groups: dict[str, list[dict]] = {}
    for other in listed[:UNREGISTER_LISTED]:
        groups.setdefault(other.kind, []).append(entity_link(other))
    context = {
        "entity": entity,
        "url": url_of(entity),
        "location": location,
        "groups": [{"kind": kind, "count": count, "links": groups.get(kind, [])} for kind, count in by_kind],
        "total": total,
        "unlisted": max(0, total - UNREGISTER_LISTED),
        "catalog_tab": "browse",
    }
    return render(request, "catalog/entity/unregister.html", context)


@require_POST
def star_entity(request, kind: str, namespace: str, name: str):
    """Star (``starred=1``) or unstar (``starred=0``) the entity: htmx gets the new button, a form
    without JavaScript goes back to the entity's page."""
    entity = _entity_or_404(kind, namespace, name)
    if not permissions.can(request.user, "catalog.star", entity):
        raise PermissionDenied("You may not star this entity.")
    starred = services.set_star(request.user, entity, starred=request.POST.get("starred") == "1")
    if getattr(request, "htmx", False):
        return render(request, "catalog/entity/_star.html", {"entity": entity, "starred": starred, "can_star": True})
    return redirect(url_of(entity))
