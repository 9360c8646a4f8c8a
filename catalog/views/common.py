"""What the catalog's pages share: entity URLs, readable references, the entity lookup."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.urls import reverse

from catalog.model.refs import DEFAULT_NAMESPACE
from catalog.models import Entity, LocationError, Star

PAGE_SIZE = 50


def split_ref(ref: str) -> tuple[str, str, str]:
    """``kind:namespace/name`` → its three parts (a ref without namespace gets ``default``)."""
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.rpartition("/")
    return kind, namespace or DEFAULT_NAMESPACE, name


def entity_url(kind: str, namespace: str, name: str) -> str:
    return reverse("catalog:entity", kwargs={"kind": kind.lower(), "namespace": namespace, "name": name})


def ref_url(ref: str) -> str:
    return entity_url(*split_ref(ref))


def url_of(entity: Entity) -> str:
    return entity_url(entity.kind, entity.namespace, entity.name)


def humanize(ref: str, default_kind: str | None = None) -> str:
    """A reference as people read it: no ``default`` namespace, no kind where the context implies it."""
    if not ref:
        return ""
    kind, namespace, name = split_ref(ref)
    text = name if namespace == DEFAULT_NAMESPACE else f"{namespace}/{name}"
    return text if default_kind and kind.lower() == default_kind.lower() else f"{kind.lower()}:{text}"


def ref_link(ref: str, default_kind: str | None = None) -> dict | None:
    """``{ref, label, url}`` for a template; None for an empty ref."""
    if not ref:
        return None
    return {"ref": ref, "label": humanize(ref, default_kind), "url": ref_url(ref)}


def entity_link(entity: Entity, label: str | None = None) -> dict:
    return {"ref": entity.ref, "label": label or entity.display_name, "url": url_of(entity), "entity": entity}


def _json_path(*keys: str):
    expression: str | KeyTransform = "body"
    for key in keys[:-1]:
        expression = KeyTransform(key, expression)
    return KeyTextTransform(keys[-1], expression)


def with_summary(queryset):
    """Entities for lists: without the (possibly large) body, with their tags, profile name and errors."""
    return queryset.defer("body", "search_text", "search_vector").annotate(
        tags=KeyTransform("tags", KeyTransform("metadata", "body")),
        profile_name=_json_path("spec", "profile", "displayName"),
        profile_email=_json_path("spec", "profile", "email"),
        has_errors=Exists(LocationError.objects.filter(entity_ref=OuterRef("ref"))),
    )


def row(entity: Entity) -> dict:
    """One entity as a list row: its links, and what to show in each column."""
    tags = found if isinstance(found := getattr(entity, "tags", None), list) else []
    name = getattr(entity, "profile_name", None) or entity.display_name
    return {
        "entity": entity,
        "label": name,
        "url": url_of(entity),
        "owner": ref_link(entity.owner_ref, "group"),
        "system": ref_link(entity.system_ref, "system"),
        "tags": [tag for tag in tags if isinstance(tag, str)],
        "has_errors": getattr(entity, "has_errors", False),
        "email": getattr(entity, "profile_email", None) or "",
    }


def lookup(kind: str, namespace: str, name: str, *, starred_by=None) -> tuple[str, Entity | None]:
    """The ref of a page's URL (compared without regard to case) and its entity, if any; with
    ``starred_by`` (a user), the entity's ``starred``: whether that user starred it (same query)."""
    ref = f"{kind}:{namespace}/{name}".lower()
    entities = Entity.objects.select_related("location", "source").filter(ref=ref)
    if starred_by is not None:
        entities = entities.annotate(
            starred=Exists(Star.objects.filter(user_id=starred_by.pk, entity_ref=OuterRef("ref")))
        )
    return ref, entities.first()
