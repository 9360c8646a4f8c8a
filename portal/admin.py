"""Django admin for the portal's background jobs and audit trail: both are read-only records.

Who may look is decided by ``portal.permissions`` (portal administrators), not by Django's model
permissions; nobody, superusers included, may add, change or delete an audit entry.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.html import format_html, format_html_join

from portal import permissions
from portal.models import AuditEntry, Job


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


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    view_rule = "portal.view_jobs"
    list_display = ("id", "name", "status", "user", "created", "duration_display", "attempts")
    list_filter = ("status", "name", "created")
    list_select_related = ("user",)
    search_fields = ("name", "object_type", "=object_id", "user__email", "error")
    fields = (
        ("name", "status", "attempts"),
        ("user", "object_type", "object_id"),
        ("created", "started", "completed", "duration_display"),
        "params_display",
        "error",
        "result_display",
        "log_display",
    )
    readonly_fields = flatten_fieldsets([(None, {"fields": fields})])

    @admin.display(description="Duration")
    def duration_display(self, job: Job) -> str:
        seconds = job.duration_seconds
        return f"{seconds:.1f} s" if seconds is not None else "—"

    @admin.display(description="Params")
    def params_display(self, job: Job) -> str:
        return _pretty_json(job.params)

    @admin.display(description="Result")
    def result_display(self, job: Job) -> str:
        return _pretty_json(job.result)

    @admin.display(description="Log")
    def log_display(self, job: Job) -> str:
        if not job.log:
            return "—"
        rows = format_html_join(
            "\n",
            '<tr class="log-{}"><td><time datetime="{}">{}</time></td><td>{}</td><td>{}</td></tr>',
            (
                (
                    line.get("level", ""),
                    line.get("at", ""),
                    line.get("at", "")[:19].replace("T", " "),
                    line.get("level", "").upper(),
                    line.get("message", ""),
                )
                for line in job.log
            ),
        )
        return format_html(
            "<table><thead><tr><th>Time (UTC)</th><th>Level</th><th>Message</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        """Finished jobs may be deleted by superusers; a job still running may not."""
        if obj is not None and not obj.is_terminal:
            return False
        return super().has_delete_permission(request, obj)


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
