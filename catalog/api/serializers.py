"""Request bodies of the catalog API, and its response shapes (Backstage's), for validation and the
OpenAPI schema. Entities are built by ``catalog.queries.serialize_entity``, not by these classes:
their serializers only document the shape."""

from __future__ import annotations

import hashlib

from rest_framework import serializers

from catalog.models import Location, LocationType


def location_entity_ref(location_type: str, target: str) -> str:
    """Backstage's ref of the Location entity it generates for a registered location."""
    digest = hashlib.sha1(f"{location_type}:{target}".encode(), usedforsecurity=False).hexdigest()
    return f"location:default/generated-{digest}"


def location_data(location: Location) -> dict:
    """Backstage's Location: ``{id, type, target, entityRef}``."""
    return {
        "id": str(location.pk),
        "type": location.type,
        "target": location.target,
        "entityRef": location_entity_ref(location.type, location.target),
    }


# --- requests -------------------------------------------------------------------------------------


class LocationSpecSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=LocationType.choices)
    target = serializers.CharField(max_length=2000)

    class Meta:
        ref_name = "CatalogLocationSpec"


class CreateLocationRequestSerializer(LocationSpecSerializer):
    options = serializers.DictField(
        required=False,
        help_text="Atrium: options of a github-discovery location (topic, include_archived, include_forks, "
        "catalog_path).",
    )

    class Meta:
        ref_name = "CatalogCreateLocationRequest"


class AnalyzeLocationRequestSerializer(serializers.Serializer):
    location = LocationSpecSerializer()
    catalogFileName = serializers.CharField(
        required=False, help_text="Accepted for compatibility; Atrium reads the target as given."
    )

    class Meta:
        ref_name = "CatalogAnalyzeLocationRequest"


class ValidateEntityRequestSerializer(serializers.Serializer):
    entity = serializers.JSONField(help_text="The descriptor to validate.")
    location = serializers.CharField(help_text="Where it would be read from, e.g. url:https://host/catalog-info.yaml")

    class Meta:
        ref_name = "CatalogValidateEntityRequest"


class EntitiesByRefsRequestSerializer(serializers.Serializer):
    entityRefs = serializers.ListField(child=serializers.CharField(allow_blank=True))
    fields = serializers.ListField(  # type: ignore[assignment]  # Backstage's name; DRF moves fields off the class
        child=serializers.CharField(), required=False
    )
    query = serializers.JSONField(required=False, help_text="Predicate queries are not supported (400).")

    class Meta:
        ref_name = "CatalogEntitiesByRefsRequest"


class RefreshRequestSerializer(serializers.Serializer):
    entityRef = serializers.CharField(help_text="The entity whose location to refresh.")
    authorizationToken = serializers.CharField(required=False, help_text="Ignored.")

    class Meta:
        ref_name = "CatalogRefreshRequest"


# --- responses (documentation) --------------------------------------------------------------------


class EntityRefPartsSerializer(serializers.Serializer):
    kind = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()

    class Meta:
        ref_name = "CatalogEntityRefParts"


class EntityRelationSerializer(serializers.Serializer):
    type = serializers.CharField()
    targetRef = serializers.CharField()
    target = EntityRefPartsSerializer()

    class Meta:
        ref_name = "CatalogEntityRelation"


class EntitySerializer(serializers.Serializer):
    apiVersion = serializers.CharField()
    kind = serializers.CharField()
    metadata = serializers.DictField(help_text="name, namespace, uid, etag, title, description, labels, annotations…")
    spec = serializers.DictField(required=False)
    relations = EntityRelationSerializer(many=True, required=False)

    class Meta:
        ref_name = "CatalogEntity"


class PageInfoSerializer(serializers.Serializer):
    nextCursor = serializers.CharField(required=False)
    prevCursor = serializers.CharField(required=False)

    class Meta:
        ref_name = "CatalogPageInfo"


class EntitiesQueryResponseSerializer(serializers.Serializer):
    items = EntitySerializer(many=True)
    totalItems = serializers.IntegerField(required=False, help_text="Left out with totalItems=exclude.")
    pageInfo = PageInfoSerializer()

    class Meta:
        ref_name = "CatalogEntitiesQueryResponse"


class EntitiesBatchResponseSerializer(serializers.Serializer):
    items = serializers.ListField(child=EntitySerializer(allow_null=True), help_text="In request order; null: none.")

    class Meta:
        ref_name = "CatalogEntitiesBatchResponse"


class AncestryItemSerializer(serializers.Serializer):
    entity = EntitySerializer()
    parentEntityRefs = serializers.ListField(child=serializers.CharField())

    class Meta:
        ref_name = "CatalogAncestryItem"


class AncestryResponseSerializer(serializers.Serializer):
    rootEntityRef = serializers.CharField()
    items = AncestryItemSerializer(many=True)

    class Meta:
        ref_name = "CatalogEntityAncestryResponse"


class FacetSerializer(serializers.Serializer):
    value = serializers.CharField()
    count = serializers.IntegerField()

    class Meta:
        ref_name = "CatalogEntityFacet"


class FacetsResponseSerializer(serializers.Serializer):
    facets = serializers.DictField(child=FacetSerializer(many=True))

    class Meta:
        ref_name = "CatalogEntityFacetsResponse"


class LocationSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    target = serializers.CharField()
    entityRef = serializers.CharField(help_text="location:default/generated-<sha1 of type:target>")

    class Meta:
        ref_name = "CatalogLocation"


class LocationItemSerializer(serializers.Serializer):
    data = LocationSerializer()  # type: ignore[assignment]  # Backstage's name; DRF moves fields off the class

    class Meta:
        ref_name = "CatalogLocationItem"


class CreateLocationResponseSerializer(serializers.Serializer):
    location = LocationSerializer()
    entities = EntitySerializer(many=True, help_text="Dry run: the entities it would add; otherwise empty.")
    exists = serializers.BooleanField(required=False, help_text="Dry run, onConflict=refresh: already registered.")

    class Meta:
        ref_name = "CatalogCreateLocationResponse"


class AnalyzeExistingEntitySerializer(serializers.Serializer):
    entity = EntitySerializer()
    isRegistered = serializers.BooleanField(help_text="The catalog holds this entity already.")
    location = LocationSpecSerializer(help_text="The file the entity is read from.")

    class Meta:
        ref_name = "CatalogAnalyzeLocationExistingEntity"


class ProblemSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="file:/abs/path or https://… of the file read.")
    document = serializers.IntegerField(allow_null=True, help_text="0-based index of the YAML document.")
    line = serializers.IntegerField(allow_null=True)
    entityRef = serializers.CharField(allow_null=True)
    kind = serializers.ChoiceField(choices=["parse", "validation", "substitution", "read", "conflict"])
    message = serializers.CharField()

    class Meta:
        ref_name = "CatalogProblem"


class AnalyzeLocationResponseSerializer(serializers.Serializer):
    existingEntityFiles = AnalyzeExistingEntitySerializer(many=True)
    generateEntities = serializers.ListField(
        child=serializers.DictField(), help_text="Always empty: Atrium does not generate descriptors."
    )
    errors = ProblemSerializer(  # type: ignore[assignment]  # Backstage's name; DRF moves fields off the class
        many=True, help_text="Atrium: the problems reading the location would record."
    )

    class Meta:
        ref_name = "CatalogAnalyzeLocationResponse"


class ValidationErrorSerializer(serializers.Serializer):
    name = serializers.CharField()
    message = serializers.CharField()

    class Meta:
        ref_name = "CatalogValidationError"


class ValidateEntityErrorResponseSerializer(serializers.Serializer):
    errors = ValidationErrorSerializer(many=True)  # type: ignore[assignment]  # Backstage's name; DRF moves fields off the class

    class Meta:
        ref_name = "CatalogValidateEntityErrors"


class LocationErrorSerializer(ProblemSerializer):
    location = LocationSerializer()
    created = serializers.DateTimeField()

    class Meta:
        ref_name = "CatalogLocationError"


class LocationErrorsResponseSerializer(serializers.Serializer):
    items = LocationErrorSerializer(many=True)
    totalItems = serializers.IntegerField()

    class Meta:
        ref_name = "CatalogLocationErrors"
