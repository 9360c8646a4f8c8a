"""The catalog's rules in the policy module (``portal.permissions``): who may read, register, refresh and
delete. Imported when the catalog app is ready."""

from __future__ import annotations

from catalog import identity
from catalog.models import Entity
from portal.permissions import is_admin, rule


@rule("catalog.own")
def _catalog_own(user, entity) -> bool:
    """Members of an entity's owner group (directly or through a child team) own it; so does a User owner."""
    return entity is not None and identity.is_owner(user, entity)


@rule("catalog.register")
def _catalog_register(user, obj) -> bool:
    """Anyone signed in may register a URL; what it may reach is limited by the catalog's readers."""
    return True


@rule("catalog.register_file")
def _catalog_register_file(user, obj) -> bool:
    """Files on the server and GitHub organisation discovery: administrators only."""
    return is_admin(user)


@rule("catalog.read")
def _catalog_read(user, obj) -> bool:
    return True


@rule("catalog.refresh")
def _catalog_refresh(user, obj) -> bool:
    return True


@rule("catalog.delete_location")
def _catalog_delete_location(user, location) -> bool:
    """Its creator or an administrator; a location Atrium manages, no one."""
    if location is None or location.managed:
        return False
    return is_admin(user) or (location.created_by_id is not None and location.created_by_id == user.pk)


@rule("catalog.delete_entity")
def _catalog_delete_entity(user, entity) -> bool:
    """An administrator, or an owner of the entity (a member of its owner group, or its User owner)."""
    if entity is None:
        return False
    return is_admin(user) or identity.is_owner(user, entity)


@rule("catalog.unregister")
def _catalog_unregister(user, entity) -> bool:
    """Remove an entity's location and all it holds: an administrator, or an owner of every entity the
    location holds (so a team cannot remove what other teams own); never a location Atrium manages."""
    if entity is None or entity.location.managed:
        return False
    if is_admin(user):
        return True
    owners = identity.owner_groups_of(user)
    if not owners or not identity.is_owner(user, entity):
        return False
    held = Entity.objects.filter(location_id=entity.location_id).exclude(kind__iexact="location")
    return not held.exclude(owner_ref__in=owners).exists()


@rule("catalog.star")
def _catalog_star(user, entity) -> bool:
    """Anyone signed in stars the entities of the catalog (their own list, seen by no one else)."""
    return entity is not None
