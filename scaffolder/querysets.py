"""Which tasks a user may see, as the policy decides (``scaffolder.view_task``, in ``scaffolder.rules``),
and what the task lists read of them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from portal import permissions
from scaffolder.models import Task


def visible_to(user) -> QuerySet[Task]:
    return permissions.visible(user, "scaffolder.view_task", Task.objects.all())


def for_lists(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Tasks as lists show them, in the same query: without their template, values, files and output
    (a dry run's output holds its files), with what the database reads out of that JSON: the template's
    title and form parameters, the output's links and the name entered in the form."""
    return tasks.defer("template", "values", "secrets_encrypted", "files", "output").annotate(
        template_title=KeyTextTransform("title", KeyTransform("metadata", "template")),
        template_parameters=KeyTransform("parameters", KeyTransform("spec", "template")),
        output_links=KeyTransform("links", "output"),
        entered_name=KeyTextTransform("name", "values"),
    )
