"""Which tasks a user may see, as the policy decides (``scaffolder.view_task``, in ``scaffolder.rules``)."""

from __future__ import annotations

from django.db.models import QuerySet

from portal import permissions
from scaffolder.models import Task


def visible_to(user) -> QuerySet[Task]:
    return permissions.visible(user, "scaffolder.view_task", Task.objects.all())
