"""A template's page in Create: what it asks, what it will do, and what it gives back, before you start."""

from __future__ import annotations

from django.shortcuts import render

from scaffolder import services
from scaffolder.actions.registry import get_action
from scaffolder.forms.fields import field_kind, page_names, schema_type
from scaffolder.forms.schema import ordered_properties, pages_of
from scaffolder.views.common import spec, tabs, template_card, template_or_404

#: How the template page names each kind of field.
KIND_LABELS = {
    "owner": "owner (catalog group or user)",
    "entity": "catalog entity",
    "repo": "repository location",
    "entity-name": "entity name",
    "secret": "secret",
    "password": "password",
    "select": "choice",
    "radio": "choice",
    "checkboxes": "choices",
    "checkbox": "yes / no",
    "lines": "list",
    "textarea": "text (several lines)",
    "object": "group of fields",
    "array": "list of groups",
}


def describe_fields(schema: dict, depth: int = 0) -> list[dict]:
    """The fields of a page as rows: name, title, kind, required, description (nested ones indented)."""
    rows = []
    required = {name for name in schema.get("required") or [] if isinstance(name, str)}
    for name, child in ordered_properties(schema):
        kind = field_kind(child)
        label = KIND_LABELS.get(kind, schema_type(child))
        rows.append(
            {
                "name": name,
                "title": child.get("title") if isinstance(child.get("title"), str) else name,
                "kind": label,
                "required": name in required,
                "description": child.get("description") if isinstance(child.get("description"), str) else "",
                "depth": depth,
                "conditional": False,
            }
        )
        if kind == "object":
            rows.extend(describe_fields(child, depth + 1))
    conditional = {
        name for name in _conditional_names(schema) if name not in {row["name"] for row in rows if row["depth"] == 0}
    }
    for name in sorted(conditional):
        rows.append(
            {
                "name": name,
                "title": name,
                "kind": "",
                "required": False,
                "description": "",
                "depth": depth,
                "conditional": True,
            }
        )
    return rows


def _conditional_names(schema: dict) -> set[str]:
    return page_names(schema) - set(schema.get("properties") or {})


def describe_steps(template: dict) -> list[dict]:
    rows = []
    for index, step in enumerate(spec(template).get("steps") or []):
        if not isinstance(step, dict):
            continue
        action_id = found if isinstance(found := step.get("action"), str) else ""
        try:
            action = get_action(action_id)
        except KeyError:
            action = None
        rows.append(
            {
                "number": index + 1,
                "id": step.get("id") or "",
                "name": step.get("name") or step.get("id") or action_id,
                "action": action_id,
                "description": action.description if action else "",
                "known": action is not None,
                "condition": step.get("if") if isinstance(step.get("if"), str) else "",
                "each": isinstance(step.get("each"), (str, list, dict)) and "each" in step,
            }
        )
    return rows


def describe_output(template: dict) -> dict:
    output = spec(template).get("output")
    output = output if isinstance(output, dict) else {}
    links = [link for link in output.get("links") or [] if isinstance(link, dict)]
    texts = [text for text in output.get("text") or [] if isinstance(text, dict)]
    return {
        "links": [
            {
                "title": link.get("title") or link.get("url") or link.get("entityRef") or "Link",
                "catalog": "entityRef" in link,
                "conditional": "if" in link,
            }
            for link in links
        ],
        "text": [{"title": text.get("title") or "Text", "conditional": "if" in text} for text in texts],
    }


def template_page(request, namespace: str, name: str):
    entity = template_or_404(namespace, name)
    template = entity.body if isinstance(entity.body, dict) else {}
    pages = [
        {"page": page, "fields": describe_fields(page.schema), "when": page.schema.get("when")}
        for page in pages_of(template)
    ]
    context = {
        "card": template_card(entity),
        "can_run": services.can_run(request.user, entity),
        "pages": pages,
        "steps": describe_steps(template),
        "output": describe_output(template),
        **tabs(request, "templates"),
    }
    return render(request, "scaffolder/template.html", context)
