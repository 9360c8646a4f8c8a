"""``/entities/by-name/{kind}/{namespace}/{name}/ancestry``: the chain of locations that produced an
entity, as Backstage answers it.

An entity read from a file that a ``Location`` entity names (``spec.target``/``spec.targets``,
resolved against that Location's own file, globs included) has that Location entity as its parent;
an entity read from the registered target itself (or found by discovery) has the registered
location as its parent, which Backstage represents as a generated ``Location`` entity
(``location:default/generated-<sha1 of type:target>``): Atrium serves that entity in the chain,
built from the location row.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from catalog.api.base import CatalogView, entities, entity_by_ref
from catalog.api.serializers import AncestryResponseSerializer, location_entity_ref
from catalog.api.views import ENTITY_PATH, NOT_FOUND
from catalog.ingest import readers
from catalog.ingest.errors import ReadError
from catalog.models import Entity, Location
from catalog.queries import relations_for_entities, serialize_entity

ANNOTATION_LOCATION = "backstage.io/managed-by-location"
ANNOTATION_ORIGIN = "backstage.io/managed-by-origin-location"


def location_entity(location: Location) -> dict:
    """The Location entity Backstage generates for a registered location."""
    location_ref = f"{location.type}:{location.target}"
    name = location_entity_ref(location.type, location.target).split("/", 1)[1]
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {ANNOTATION_LOCATION: location_ref, ANNOTATION_ORIGIN: location_ref},
        },
        "spec": {"type": location.type, "target": location.target},
        "relations": [],
    }


def _targets(entity: Entity) -> list[str]:
    spec = entity.body.get("spec") if isinstance(entity.body.get("spec"), dict) else {}
    found = [spec["target"]] if isinstance(spec.get("target"), str) else []
    if isinstance(spec.get("targets"), list):
        found.extend(target for target in spec["targets"] if isinstance(target, str))
    return found


def _names(candidate: Entity, url: str) -> bool:
    """Whether the Location entity ``candidate`` names the file ``url`` among its targets."""
    if candidate.source is None:
        return False
    for target in _targets(candidate):
        try:
            resolved = readers.resolve(candidate.source.url, target)
        except ReadError:
            continue
        if resolved == url or (readers.has_magic(resolved) and fnmatchcase(url, resolved)):
            return True
    return False


def ancestry(entity: Entity) -> dict:
    """``{rootEntityRef, items: [{entity, parentEntityRefs}]}``, the entity first, then up the chain."""
    location = entity.location
    locations = list(entities().select_related("source").filter(location=location, kind="Location", orphan=False))
    chain: list[tuple[Entity, Entity | None]] = []
    seen: set[int] = set()
    current: Entity | None = entity
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        url = current.source.url if current.source is not None else None
        parent = next(
            (
                candidate
                for candidate in locations
                if url is not None and candidate.pk not in seen and _names(candidate, url)
            ),
            None,
        )
        chain.append((current, parent))
        current = parent
    relations = relations_for_entities([item for item, _ in chain])
    root_ref = location_entity_ref(location.type, location.target)
    items = [
        {"entity": serialize_entity(item, relations), "parentEntityRefs": [parent.ref if parent else root_ref]}
        for item, parent in chain
    ]
    items.append({"entity": location_entity(location), "parentEntityRefs": []})
    return {"rootEntityRef": entity.ref, "items": items}


class EntityAncestryView(CatalogView):
    @extend_schema(
        operation_id="GetEntityAncestryByName",
        tags=["catalog"],
        summary="The entity and the Location entities and registered location above it.",
        description="items start with the entity, then each Location entity whose targets name the file it was "
        "read from, up to the registered location, served as the Location entity Backstage generates for it "
        "(generated-<hash>). Each item lists its parentEntityRefs.",
        parameters=ENTITY_PATH,
        responses={200: AncestryResponseSerializer, **NOT_FOUND},
    )
    def get(self, request, kind: str, namespace: str, name: str):
        entity = entity_by_ref(kind, namespace, name, related=("location", "source"))
        return Response(ancestry(entity))
