"""The software catalog: locations, the entities read from them, their relations and errors.

Identity follows Backstage: an entity is ``kind:namespace/name``, compared case-insensitively
(``Entity.ref`` holds the lower-cased form; the descriptor keeps the original spelling).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from portal.fields import OrderedJSONField


class LocationType(models.TextChoices):
    URL = "url", "URL"  # http(s) URL; GitHub blob/tree URLs are read through the GitHub API
    FILE = "file", "File or glob on the server"
    GITHUB_DISCOVERY = "github-discovery", "GitHub organisation discovery"


class LocationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for its first read"
    OK = "ok", "Read without errors"
    ERRORS = "errors", "Read, with errors"
    FAILED = "failed", "Could not be read"


class Location(models.Model):
    """A registered place to read descriptors from. Everything reachable from it is its own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=32, choices=LocationType.choices)
    target = models.CharField(max_length=2000)
    #: Options of the location type (discovery: org, topic, catalog_path, include_archived, include_forks).
    options = models.JSONField(default=dict, blank=True)
    #: Registered by Atrium itself (the templates folder, configured locations): not deletable by users.
    managed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=LocationStatus.choices, default=LocationStatus.PENDING)
    last_refreshed = models.DateTimeField(null=True, blank=True)
    #: Why the last read failed as a whole (unreachable host, …); per-document errors are LocationErrors.
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "target"], name="catalog_location_unique_target")]
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.type}:{self.target}"


class Source(models.Model):
    """One file read for a location (the location's own target, or one reached through it).

    ``content_hash`` is the digest of the raw bytes last processed: an unchanged source is not
    parsed again, which is what makes a refresh with nothing changed cheap.
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="sources")
    url = models.CharField(max_length=2000, help_text="file:/abs/path or https://… of the file read")
    content_hash = models.CharField(max_length=64, blank=True)
    last_read = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "url"], name="catalog_source_unique_url")]

    def __str__(self) -> str:
        return self.url


class Entity(models.Model):
    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    #: ``kind:namespace/name``, lower-cased: the identity.
    ref = models.CharField(max_length=400, unique=True)
    kind = models.CharField(max_length=63)
    namespace = models.CharField(max_length=63)
    name = models.CharField(max_length=253)
    api_version = models.CharField(max_length=100)
    #: The entity as served by the API (apiVersion, kind, metadata incl. uid/etag, spec), after substitutions.
    body = OrderedJSONField()
    etag = models.CharField(max_length=64)
    #: Digest of the processed descriptor; equal digest means nothing to write.
    content_hash = models.CharField(max_length=64)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="entities")
    source = models.ForeignKey(Source, null=True, on_delete=models.SET_NULL, related_name="entities")
    document_index = models.PositiveIntegerField(default=0)
    line = models.PositiveIntegerField(default=1)
    #: No longer produced by its location; kept (and shown) until someone deletes it.
    orphan = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    # Denormalised for lists, facets, sorting (lower-cased where they are refs or enums).
    title = models.CharField(max_length=400, blank=True)
    description = models.TextField(blank=True)
    spec_type = models.CharField(max_length=200, blank=True)
    lifecycle = models.CharField(max_length=200, blank=True)
    owner_ref = models.CharField(max_length=400, blank=True)
    system_ref = models.CharField(max_length=400, blank=True)
    #: Lower-cased text searched by the SQLite fallback; PostgreSQL searches ``search_vector``.
    search_text = models.TextField(blank=True)
    #: PostgreSQL full-text vector (GIN-indexed there); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    # Not columns: set on the groups that catalog.identity.group_entities returns, the distance from
    # the member (0: a direct member) and whether the membership is inherited (through a child team).
    depth: int
    inherited: bool

    class Meta:
        verbose_name_plural = "entities"
        indexes = [
            models.Index(fields=["kind", "namespace", "name"]),
            # Covers the facet counts served from columns (catalog.facets): read from the index alone.
            models.Index(
                fields=["kind", "namespace", "spec_type", "lifecycle", "owner_ref", "id"], name="catalog_entity_facets"
            ),
            models.Index(fields=["owner_ref"]),
            models.Index(fields=["system_ref"]),
            models.Index(fields=["location", "source"]),
            models.Index(fields=["orphan"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"

    @property
    def display_name(self) -> str:
        return self.title or self.name


class SearchEntry(models.Model):
    """Flattened ``key=value`` pairs of an entity (Backstage's search table), for filters and facets.

    Keys and values are lower-cased; a multi-valued field (tags, relations) gives one row per value.
    """

    #: No database constraint: ingestion writes millions of these rows in one transaction, and a
    #: deferred foreign-key check per row would cost more than writing them; deletions cascade
    #: through the ORM, and ingestion locks the location against concurrent writers.
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="search_entries", db_constraint=False)
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200, null=True)
    original_value = models.CharField(max_length=200, null=True)

    class Meta:
        indexes = [models.Index(fields=["key", "value", "entity"]), models.Index(fields=["entity", "key"])]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class Relation(models.Model):
    """``source_ref --type--> target_ref``, emitted while processing ``origin``.

    Processing an entity emits each relation and its inverse (``ownedBy`` and ``ownerOf``), so an
    entity's relations are the rows whose ``source_ref`` is its ref, whoever emitted them. A target
    with no entity of that ref is unresolved, and resolves when the entity arrives.
    """

    #: No database constraint, for the same reason as ``SearchEntry.entity``.
    origin = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="emitted_relations", db_constraint=False)
    source_ref = models.CharField(max_length=400)
    type = models.CharField(max_length=64)
    target_ref = models.CharField(max_length=400)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "source_ref", "type", "target_ref"], name="catalog_relation_unique"
            )
        ]
        indexes = [models.Index(fields=["source_ref", "type"]), models.Index(fields=["target_ref"])]

    def __str__(self) -> str:
        return f"{self.source_ref} {self.type} {self.target_ref}"


class LocationError(models.Model):
    """A problem found while reading a location: which file, which document, which line, what."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="errors")
    source_url = models.CharField(max_length=2000, blank=True)
    document_index = models.PositiveIntegerField(null=True, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    entity_ref = models.CharField(max_length=400, blank=True)
    #: parse, validation, substitution, read, conflict
    kind = models.CharField(max_length=32)
    message = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_url", "document_index", "id"]
        indexes = [models.Index(fields=["entity_ref"])]

    def __str__(self) -> str:
        where = f"{self.source_url}:{self.line}" if self.line else self.source_url
        return f"{where}: {self.message}"


class Revision(models.Model):
    """A counter of changes to the catalog's entities (one row), raised in the same transaction as
    the change: cached reads (facet counts) are keyed by it, so a change makes them stale at once."""

    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalog revision {self.number}"


class Star(models.Model):
    """A user's star on an entity. Kept by ref, as Backstage keeps starred entities: a star outlives the
    entity's rows (a refresh that moves it, an unregistration), and shines again when it comes back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="catalog_stars")
    #: ``kind:namespace/name``, lower-cased, as ``Entity.ref``.
    entity_ref = models.CharField(max_length=400)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "entity_ref"], name="catalog_star_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.entity_ref}"
