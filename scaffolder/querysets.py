"""Which tasks a user may see: their own, those of templates their teams own, and all for administrators."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from catalog import identity
from catalog.models import Entity
from portal.permissions import is_admin
from scaffolder.models import Task


def owned_template_refs(user) -> QuerySet:
    """Refs of the Template entities owned by the user's groups (or the user's User entity)."""
    refs = identity.owner_groups_of(user)
    if not refs:
        return Entity.objects.none().values_list("ref", flat=True)
    return Entity.objects.filter(kind__iexact="template", owner_ref__in=refs).values_list("ref", flat=True)


def visible_to(user) -> QuerySet[Task]:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Task.objects.none()
    if is_admin(user):
        return Task.objects.all()
    return Task.objects.filter(Q(created_by=user) | Q(template_ref__in=list(owned_template_refs(user))))
