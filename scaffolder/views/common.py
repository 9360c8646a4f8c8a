"""What the Create pages share: finding a template or a task the user may see, and showing them."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from portal.permissions import can
from scaffolder import services
from scaffolder.forms.pickers import entity_url, short_ref
from scaffolder.models import RunStatus, StepStatus, Task

#: Badge classes of the shell (atrium.css) by task and step status (the run engine's names).
STATUS_BADGES: dict[str, str] = {
    RunStatus.PENDING: "badge",
    RunStatus.RUNNING: "badge badge-running",
    RunStatus.SUCCEEDED: "badge badge-ok",
    RunStatus.FAILED: "badge badge-danger",
    RunStatus.CANCELLED: "badge badge-warn",
    StepStatus.SKIPPED: "badge",
}


def can_see_all_tasks(user) -> bool:
    """Administrators, and owners of a template (they follow its runs), see every task they may."""
    return can(user, "scaffolder.view_all_tasks")


def tabs(request, tab: str) -> dict:
    """The context of the Create tabs."""
    return {"create_tab": tab, "all_tasks_tab": can_see_all_tasks(request.user)}


def template_ref(namespace: str, name: str) -> str:
    return f"template:{namespace}/{name}".lower()


def template_or_404(namespace: str, name: str):
    entity = services.template_entity(template_ref(namespace, name))
    if entity is None:
        raise Http404("No such template in the catalog.")
    return entity


def task_or_404(user, pk) -> Task:
    """The task, if the user may see it (others get 404, as if it did not exist).

    One's own task is found with one query (the live log asks every second); others go through the policy.
    """
    own = Task.objects.select_related("created_by").filter(pk=pk, created_by=user, created_by__is_active=True).first()
    return own or get_object_or_404(services.visible_tasks(user).select_related("created_by"), pk=pk)


def template_url(ref: str, view: str = "scaffolder:template") -> str:
    kind, _, rest = ref.partition(":")
    namespace, _, name = rest.partition("/")
    return reverse(view, kwargs={"namespace": namespace or "default", "name": name or kind})


def metadata(body: dict) -> dict:
    meta = body.get("metadata") if isinstance(body, dict) else None
    return meta if isinstance(meta, dict) else {}


def spec(body: dict) -> dict:
    value = body.get("spec") if isinstance(body, dict) else None
    return value if isinstance(value, dict) else {}


def template_card(entity) -> dict:
    """A template as the gallery and its page show it."""
    body = entity.body if isinstance(entity.body, dict) else {}
    meta = metadata(body)
    tags = [tag for tag in meta.get("tags") or [] if isinstance(tag, str)]
    owner = entity.owner_ref or ""
    return {
        "entity": entity,
        "ref": entity.ref,
        "title": entity.title or meta.get("title") or entity.name,
        "name": entity.name,
        "namespace": entity.namespace,
        "description": entity.description or meta.get("description") or "",
        "tags": tags,
        "type": entity.spec_type,
        "owner": {"ref": owner, "label": short_ref(owner).removeprefix("group:"), "url": entity_url(owner)}
        if owner
        else None,
        "url": reverse("scaffolder:template", kwargs={"namespace": entity.namespace, "name": entity.name}),
        "run_url": reverse("scaffolder:run", kwargs={"namespace": entity.namespace, "name": entity.name}),
        "catalog_url": entity_url(entity.ref),
    }


def task_title(task: Task) -> str:
    """The template's title as the task recorded it (or its reference)."""
    title = getattr(task, "template_title", None)
    if title is None and isinstance(task.template, dict):
        title = metadata(task.template).get("title")
    return title or short_ref(task.template_ref).removeprefix("template:")


def badge(status: str) -> str:
    return STATUS_BADGES.get(status, "badge")
