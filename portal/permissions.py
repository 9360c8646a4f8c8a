"""The one policy module: who may do what. Deny by default.

Views, API views and services ask :func:`can` (may this user do this, to this object?) and
:func:`visible` (which rows of this queryset may the user see?). Each rule is a function of the
user and the object, each scope a function of the user and a queryset. An action with no rule, or
no scope, is denied; so is everything for an anonymous or inactive user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

Rule = Callable[[Any, Any], bool]
Scope = Callable[[Any, QuerySet], QuerySet]
Q = TypeVar("Q", bound=QuerySet)
_rules: dict[str, Rule] = {}
_scopes: dict[str, Scope] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def decorator(function: Rule) -> Rule:
        _rules[action] = function
        return function

    return decorator


def scope(action: str) -> Callable[[Scope], Scope]:
    """Register the queryset filter of ``action``: the rows a user may see (see :func:`visible`)."""

    def decorator(function: Scope) -> Scope:
        _scopes[action] = function
        return function

    return decorator


def signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def can(user: Any, action: str, obj: Any = None) -> bool:
    if not signed_in(user):
        return False
    check = _rules.get(action)
    return bool(check and check(user, obj))


def visible(user: Any, action: str, queryset: Q) -> Q:
    """The rows of ``queryset`` that ``user`` may see under ``action``'s scope; none without a scope."""
    if not signed_in(user):
        return queryset.none()
    narrow = _scopes.get(action)
    if narrow is None:
        return queryset.none()
    return narrow(user, queryset)  # type: ignore[return-value]  (a scope filters; it keeps the class)


def is_admin(user) -> bool:
    return bool(user.is_superuser or user.is_staff)


@rule("portal.view_admin")
def _view_admin(user, obj) -> bool:
    return is_admin(user)


@rule("portal.view_audit")
def _view_audit(user, obj) -> bool:
    return is_admin(user)


def started(user: Any, run: Any) -> bool:
    """Whether ``user`` started ``run`` (a run, or an app's subclass of it)."""
    return run is not None and run.created_by_id is not None and run.created_by_id == user.pk


@rule("portal.view_runs")
def _view_runs(user, obj) -> bool:
    """Every run of every kind: administrators."""
    return is_admin(user)


@rule("portal.view_run")
def _view_run(user, run) -> bool:
    return run is not None and (is_admin(user) or started(user, run))


@scope("portal.view_run")
def _runs_visible(user, runs):
    return runs if is_admin(user) else runs.filter(created_by=user)


@rule("portal.cancel_run")
def _cancel_run(user, run) -> bool:
    return run is not None and (is_admin(user) or started(user, run))


@rule("portal.retry_run")
def _retry_run(user, run) -> bool:
    return run is not None and (is_admin(user) or started(user, run))


@rule("portal.manage_token")
def _manage_token(user, token) -> bool:
    return token is not None and token.user_id == user.pk


# --- catalog ---------------------------------------------------------------------------------


@rule("catalog.own")
def _catalog_own(user, entity) -> bool:
    """Members of an entity's owner group (directly or through a child team) own it; so does a User owner."""
    from catalog import identity

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
    if is_admin(user):
        return True
    from catalog.identity import is_owner  # the catalog's models load after this module

    return is_owner(user, entity)


# --- golden paths ---------------------------------------------------------------------------------


@rule("scaffolder.run_template")
def _scaffolder_run_template(user, entity) -> bool:
    """Everyone signed in, unless the template's ``atrium.dev/allowed-groups`` annotation restricts it: then
    members of those groups (or of their sub-groups), members of the template's owner group, and
    administrators. An annotation naming no valid group reference leaves only the last two."""
    if entity is None:
        return False
    if is_admin(user):
        return True
    from catalog import identity
    from scaffolder.services import allowed_groups

    allowed = allowed_groups(entity.body)
    if allowed is None:
        return True
    refs, _unreadable = allowed
    return bool(refs & {group.ref for group in identity.my_groups(user)}) or identity.is_owner(user, entity)


def _task_template_owner(task) -> str:
    from catalog.models import Entity

    return Entity.objects.filter(ref=task.template_ref).values_list("owner_ref", flat=True).first() or ""


@rule("scaffolder.view_task")
def _scaffolder_view_task(user, task) -> bool:
    """Its creator, the owners of its template, administrators."""
    if task is None:
        return False
    if is_admin(user) or (task.created_by_id is not None and task.created_by_id == user.pk):
        return True
    from catalog import identity

    return identity.is_owner(user, _task_template_owner(task))


@rule("scaffolder.cancel_task")
def _scaffolder_cancel_task(user, task) -> bool:
    """Its creator and administrators."""
    return task is not None and (is_admin(user) or (task.created_by_id is not None and task.created_by_id == user.pk))


@rule("scaffolder.retry_task")
def _scaffolder_retry_task(user, task) -> bool:
    """Its creator and administrators."""
    return task is not None and (is_admin(user) or (task.created_by_id is not None and task.created_by_id == user.pk))


class ApiAccess(BasePermission):
    """Signed in, and a read-only token may only read."""

    message = "A read-only API token cannot change anything."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        token = request.auth if hasattr(request.auth, "read_only") else None
        return not (token is not None and token.read_only and request.method not in SAFE_METHODS)


class IsPortalAdmin(ApiAccess):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and can(request.user, "portal.view_admin")
