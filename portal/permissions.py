"""The one policy module: who may do what. Deny by default.

Views, API views and services ask :func:`can`; each rule is a function of the user and the object.
An action with no rule is denied.
"""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.permissions import SAFE_METHODS, BasePermission

Rule = Callable[[object, object], bool]
_rules: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def decorator(function: Rule) -> Rule:
        _rules[action] = function
        return function

    return decorator


def can(user, action: str, obj=None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    check = _rules.get(action)
    return bool(check and check(user, obj))


def is_admin(user) -> bool:
    return bool(user.is_superuser or user.is_staff)


@rule("portal.view_admin")
def _view_admin(user, obj) -> bool:
    return is_admin(user)


@rule("portal.view_audit")
def _view_audit(user, obj) -> bool:
    return is_admin(user)


@rule("portal.view_jobs")
def _view_jobs(user, obj) -> bool:
    return is_admin(user)


@rule("portal.view_job")
def _view_job(user, job) -> bool:
    return job is not None and (is_admin(user) or job.user_id == user.pk)


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
