"""A template's ``spec.parameters`` as an HTML form of several pages: build, read, check, review.

:mod:`.schema` reads the JSON Schema (pages, ``when:``, conditional parts, validation), :mod:`.fields` turns a
page into fields and reads a POST back into values, :mod:`.widgets` renders fields, :mod:`.pickers` serves
the catalog-aware fields, :mod:`.state` carries the answers from page to page, encrypted.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.safestring import SafeString

from scaffolder.forms import pickers
from scaffolder.forms.fields import Field, FormContext, autofocus, build, defaults, enum_text, page_names, parse
from scaffolder.forms.schema import MISSING, Page, pages_of, validate, visible_pages
from scaffolder.forms.widgets import render_fields

SECRET_MASK = "••••"  # noqa: S105 - what a secret looks like on the review, not a secret

__all__ = ["SECRET_MASK", "TemplateForm"]


class TemplateForm:
    """The form of one template for one user; ``secret_paths`` are the names the services keep secret."""

    def __init__(self, template: dict, user, secret_paths: set[str] | frozenset[str] = frozenset()) -> None:
        self.template = template
        self.pages = pages_of(template)
        self.context = FormContext(user, frozenset(secret_paths))
        self._visible: dict[str, list[Page]] = {}

    # --- values -------------------------------------------------------------------------------------

    def public(self, values: dict) -> dict:
        """The values without secrets (what ``when:`` expressions may read)."""
        return {
            name: value
            for name, value in values.items()
            if name not in self.context.secret_paths and not self._is_secret_name(name)
        }

    def _is_secret_name(self, name: str) -> bool:
        for page in self.pages:
            schema = (page.schema.get("properties") or {}).get(name)
            if isinstance(schema, dict) and self.context.is_secret(name, schema):
                return True
        return False

    def visible(self, values: dict) -> list[Page]:
        """The pages shown for these answers (``when:`` is evaluated once per set of answers)."""
        public = self.public(values)
        key = json.dumps(public, sort_keys=True, default=str)
        if key not in self._visible:
            self._visible[key] = visible_pages(self.pages, public)
        return self._visible[key]

    def shown_values(self, values: dict) -> dict:
        """Only the values of the pages shown for them (a page hidden by ``when:`` loses its answers)."""
        shown: set[str] = set()
        for page in self.visible(values):
            shown |= page_names(page.schema)
        hidden = set().union(*(page_names(page.schema) for page in self.pages)) - shown
        return {name: value for name, value in values.items() if name not in hidden}

    def with_defaults(self, page: Page, values: dict) -> dict:
        return {**values, **defaults(page.schema, {k: v for k, v in values.items() if k in page_names(page.schema)})}

    def read(self, page: Page, data, values: dict) -> tuple[dict, dict[str, list[str]]]:
        """``values`` with this page's answers replaced by those of the POST ``data`` (and their read errors)."""
        names = page_names(page.schema)
        earlier = {name: value for name, value in values.items() if name in names}
        answers, errors = parse(page.schema, data, self.context, earlier)
        kept = {name: value for name, value in values.items() if name not in names}
        return {**kept, **answers}, errors

    def check(self, page: Page, values: dict, read_errors: dict[str, list[str]] | None = None) -> dict:
        """Errors of one page (those of reading the POST first, then the schema's), by field path."""
        errors = {path: list(messages) for path, messages in (read_errors or {}).items()}
        names = page_names(page.schema)
        for path, messages in validate(page.schema, {k: v for k, v in values.items() if k in names}).items():
            if path in errors:
                continue
            errors[path] = messages
        return errors

    # --- rendering ----------------------------------------------------------------------------------

    def fields(self, page: Page, values: dict, errors: dict[str, list[str]] | None = None) -> list[Field]:
        fields = build(page.schema, values, errors or {}, self.context)
        autofocus(fields)
        return fields

    def render(self, page: Page, values: dict, errors: dict[str, list[str]] | None = None) -> SafeString:
        return render_fields(self.fields(page, values, errors))

    def page_errors(self, page: Page, values: dict, errors: dict[str, list[str]]) -> list[str]:
        """Errors no field of the page shows (a rule of the page as a whole, or of a field not shown)."""
        paths = {item.path for top in self.fields(page, values) for item in top.walk()}
        return [message for path, messages in errors.items() if path not in paths for message in messages]

    def page_of(self, path: str, values: dict) -> Page | None:
        """The shown page a field path belongs to (for errors found at the end)."""
        name = path.split(".", 1)[0]
        for page in self.visible(values):
            if name in page_names(page.schema):
                return page
        return None

    def review(self, values: dict) -> list[dict]:
        """The answers, page by page, as people read them (secrets masked)."""
        sections = []
        for page in self.visible(values):
            rows: list[dict] = []
            for item in build(page.schema, values, {}, self.context):
                _rows(item, rows, 0)
            sections.append({"page": page, "rows": rows})
        return sections


def _rows(field: Field, rows: list[dict], depth: int) -> None:
    row: dict[str, Any] = {"label": field.title, "path": field.path, "depth": depth, "text": "", "url": ""}
    rows.append(row)
    if field.kind == "object":
        row["group"] = True
        for child in field.children:
            _rows(child, rows, depth + 1)
        return
    if field.kind == "array":
        row["group"] = True
        for index, children in enumerate(field.items):
            rows.append({"label": f"{index + 1}", "path": f"{field.path}.{index}", "depth": depth + 1, "group": True})
            for child in children:
                _rows(child, rows, depth + 2)
        return
    row.update(display(field))


def display(field: Field) -> dict:
    """``{text, url, empty, secret}``: a field's value for the review page."""
    if field.secret:
        return {"text": SECRET_MASK if field.secret_set else "", "secret": True, "empty": not field.secret_set}
    value = field.value
    if value is MISSING or value is None or value == "" or value == []:
        return {"text": "", "empty": True}
    if field.kind == "checkbox":
        return {"text": "Yes" if value else "No"}
    if field.kind in ("select", "radio", "checkboxes"):
        schema = field.schema if field.kind != "checkboxes" else (field.schema.get("items") or {})
        names = found if isinstance(found := schema.get("enumNames"), list) else []
        options = [enum_text(option) for option in schema.get("enum") or []]
        labels = []
        for item in value if isinstance(value, list) else [value]:
            text = enum_text(item)
            position = options.index(text) if text in options else -1
            labels.append(str(names[position]) if 0 <= position < len(names) else text)
        return {"text": ", ".join(labels)}
    if field.kind in ("owner", "entity") and isinstance(value, str):
        label = next((choice.label for choice in field.choices if choice.value == value.lower()), None)
        return {"text": label or pickers.short_ref(value), "url": pickers.entity_url(value), "ref": value}
    if field.kind == "repo":
        parts = pickers.split_repo_url(value)
        return {"text": f"{parts['host']}/{parts['owner']}/{parts['repo']}"}
    if isinstance(value, list):
        return {"text": ", ".join(str(item) for item in value)}
    if isinstance(value, bool):
        return {"text": "Yes" if value else "No"}
    return {"text": str(value)}
