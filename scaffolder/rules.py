"""The golden paths' rules in the policy module (``portal.permissions``): who may run a template, and see,
cancel or retry its tasks. Imported when the scaffolder app is ready."""

from __future__ import annotations

from django.db.models import Q

from catalog import identity
from catalog.models import Entity
from portal.permissions import is_admin, rule, scope, started
from scaffolder.access import allowed_groups


@rule("scaffolder.run_template")
def _run_template(user, entity) -> bool:
    """Everyone signed in, unless the template's ``atrium.dev/allowed-groups`` annotation restricts it: then
    members of those groups (or of their sub-groups), members of the template's owner group, and
    administrators. An annotation naming no valid group reference leaves only the last two."""
    if entity is None:
        return False
    if is_admin(user):
        return True
    allowed = allowed_groups(entity.body)
    if allowed is None:
        return True
    refs, _unreadable = allowed
    return bool(refs & {group.ref for group in identity.my_groups(user)}) or identity.is_owner(user, entity)


def owned_template_refs(user):
    """Refs of the Template entities owned by the user's groups (or the user's User entity)."""
    refs = identity.owner_groups_of(user)
    if not refs:
        return Entity.objects.none().values_list("ref", flat=True)
    return Entity.objects.filter(kind__iexact="template", owner_ref__in=refs).values_list("ref", flat=True)


def _template_owner(task) -> str:
    return Entity.objects.filter(ref=task.template_ref).values_list("owner_ref", flat=True).first() or ""


@rule("scaffolder.view_task")
def _view_task(user, task) -> bool:
    """Its creator, the owners of its template, administrators."""
    if task is None:
        return False
    if is_admin(user) or started(user, task):
        return True
    return identity.is_owner(user, _template_owner(task))


@scope("scaffolder.view_task")
def _tasks_visible(user, tasks):
    if is_admin(user):
        return tasks
    return tasks.filter(Q(created_by=user) | Q(template_ref__in=list(owned_template_refs(user))))


@rule("scaffolder.view_all_tasks")
def _view_all_tasks(user, obj) -> bool:
    """The list of everyone's tasks: administrators, and owners of a template (they follow its runs)."""
    return is_admin(user) or owned_template_refs(user).exists()


@rule("scaffolder.cancel_task")
def _cancel_task(user, task) -> bool:
    """Its creator and administrators."""
    return task is not None and (is_admin(user) or started(user, task))


@rule("scaffolder.retry_task")
def _retry_task(user, task) -> bool:
    """Its creator and administrators."""
    return task is not None and (is_admin(user) or started(user, task))
