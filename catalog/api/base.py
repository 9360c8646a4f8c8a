"""What every catalog API view shares: Backstage's error body, the policy checks, parameter parsing."""

from __future__ import annotations

import uuid
from typing import overload

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.views import APIView

from catalog.models import Entity
from catalog.queries import QueryError
from portal import params
from portal.api.errors import InputError, backstage_exception_handler
from portal.permissions import can

#: Columns an entity list never needs (the body holds what is served).
HEAVY_COLUMNS = ("search_text", "search_vector", "description")


def exception_handler(exc, context):
    """Backstage's error body; the query layer's errors are bad input."""
    if isinstance(exc, QueryError):
        exc = InputError(str(exc))
    return backstage_exception_handler(exc, context)


class CatalogView(APIView):
    """A catalog endpoint: Backstage error bodies, and the action each method needs."""

    #: The ``portal.permissions`` action each method needs (``portal.permissions.ApiAccess`` asks;
    #: HEAD and OPTIONS need GET's).
    policy: dict[str, str] = {"GET": "catalog.read"}
    #: Methods other than GET that only read (allowed to read-only tokens).
    reading_methods: frozenset[str] = frozenset()

    def get_exception_handler(self):
        return exception_handler

    def require(self, action: str, obj, message: str = "You are not allowed to do this.") -> None:
        """403 unless ``portal.permissions`` allows ``action`` on ``obj``."""
        if not can(self.request.user, action, obj):
            raise exceptions.PermissionDenied(message)

    def require_type_allowed(self, location_type: str) -> None:
        """Reading files on the server and discovering whole organisations is for administrators."""
        if location_type != "url":
            self.require(
                "catalog.register_file",
                None,
                "Only administrators can read files on the server or discover GitHub organisations.",
            )


# --- parameters -----------------------------------------------------------------------------------


@overload
def int_param(request, name: str, default: int, *, minimum: int = 0) -> int: ...
@overload
def int_param(request, name: str, default: None = None, *, minimum: int = 0) -> int | None: ...
def int_param(request, name: str, default: int | None = None, *, minimum: int = 0) -> int | None:
    """The whole number of parameter ``name`` (``default`` when absent); 400 for anything else."""
    try:
        return params.integer(name, request.query_params.get(name), default, minimum=minimum)
    except params.ParamError as error:
        raise QueryError(str(error)) from None


def bool_param(request, name: str) -> bool:
    raw = (request.query_params.get(name) or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise QueryError(f"{name} must be true or false, not {raw!r}.")


def entities() -> QuerySet[Entity]:
    """Entities, without the columns only search uses."""
    return Entity.objects.defer(*HEAVY_COLUMNS)


def entity_by_ref(kind: str, namespace: str, name: str, *, related: tuple[str, ...] = ()) -> Entity:
    """The entity ``kind:namespace/name`` (any letter case), or 404."""
    ref = f"{kind}:{namespace}/{name}".lower()
    entity = entities().select_related(*related).filter(ref=ref).first()
    if entity is None:
        raise exceptions.NotFound(f"No entity named {ref}.")
    return entity


def entity_by_uid(uid: str) -> Entity:
    try:
        value = uuid.UUID(uid)
    except ValueError:
        raise exceptions.NotFound(f"No entity with uid {uid}.") from None
    entity = entities().filter(uid=value).first()
    if entity is None:
        raise exceptions.NotFound(f"No entity with uid {uid}.")
    return entity
