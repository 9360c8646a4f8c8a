"""Django admin for the portal's audit trail: a read-only record (runs have pages of their own, ``/runs/``).

Who may look is decided by ``portal.permissions`` (portal administrators), not by Django's model
permissions; nobody, superusers included, may add, change or delete an audit entry.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.html import format_html, format_html_join

from portal import permissions
from portal.models import AuditEntry


def _pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible to whoever ``view_rule`` allows; never added or edited through the admin."""

    view_rule = "portal.view_admin"

    def has_module_permission(self, request) -> bool:
        return permissions.can(request.user, self.view_rule)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can(request.user, self.view_rule)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    view_rule = "portal.view_audit"
    list_display = ("timestamp", "action", "actor_label", "object_type", "object_id", "object_label", "ip")
    list_filter = ("action", "object_type", ("actor", admin.RelatedOnlyFieldListFilter), "timestamp")
    search_fields = ("object_label", "actor_label", "=object_id")
    date_hierarchy = "timestamp"
    fields = (
        ("timestamp", "action"),
        ("actor_display", "ip", "request_id"),
        ("object_type", "object_id", "object_label"),
        "changes_display",
    )
    readonly_fields = flatten_fieldsets([(None, {"fields": fields})])
    actions = None

    @admin.display(description="Actor")
    def actor_display(self, entry: AuditEntry) -> str:
        if entry.actor_id is None:
            return entry.actor_label or "—"
        return f"{entry.actor_label} (user #{entry.actor_id})"

    @admin.display(description="Changes")
    def changes_display(self, entry: AuditEntry) -> str:
        if not entry.changes:
            return "—"
        rows = format_html_join(
            "\n",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (field, json.dumps(values[0], ensure_ascii=False), json.dumps(values[1], ensure_ascii=False))
                if isinstance(values, list) and len(values) == 2
                else (field, "", json.dumps(values, ensure_ascii=False))
                for field, values in sorted(entry.changes.items())
            ),
        )
        return format_html(
            "<table><thead><tr><th>Field</th><th>Before</th><th>After</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
