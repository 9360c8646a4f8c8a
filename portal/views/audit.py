"""The audit log as a portal page, for administrators: who did what, when, to which object.

Newest first, by pages of :data:`PAGE_SIZE` read with a keyset (``before`` / ``after``: the time and
id of an entry), so that every page costs the same however long the trail is. The filters are a GET
form: a filtered view is a link. An entry's object links to its page while the object exists: a run
to its run page, any other object to the page named ``<app_label>:<model_name>`` that takes its
primary key (``catalog:location``).
"""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from urllib.parse import urlencode

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from portal import audit, params, permissions
from portal.filtersets import SYSTEM, AuditFilter, object_types
from portal.models import AuditEntry
from portal.models.runs import Run

PAGE_SIZE = 50
#: The matching entries are counted up to this many ("more than 1000").
COUNT_LIMIT = 1000
#: Longer values are shown cut, with the whole value one click away.
VALUE_SHOWN = 120
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_CURSOR = re.compile(r"(\d{1,19})-(\d{1,19})")
BADGES = {
    "create": "badge badge-ok",
    "delete": "badge badge-danger",
    "login_failed": "badge badge-danger",
    audit.RUN_CANCEL: "badge badge-warn",
    "succeeded": "badge badge-ok",
    "failed": "badge badge-danger",
    "cancelled": "badge badge-warn",
}


def cursor(entry: AuditEntry) -> str:
    return f"{(entry.timestamp - EPOCH) // datetime.timedelta(microseconds=1)}-{entry.pk}"


def _parse_cursor(raw: str | None) -> tuple[datetime.datetime, int] | None:
    found = _CURSOR.fullmatch((raw or "").strip())
    if found is None:
        return None
    pk = int(found.group(2))
    try:
        moment = EPOCH + datetime.timedelta(microseconds=int(found.group(1)))
    except OverflowError:
        return None
    return (moment, pk) if pk <= params.MAX_INTEGER else None


def _page(entries, before: str | None, after: str | None) -> tuple[list[AuditEntry], bool, bool]:
    """One page of entries, newest first, and whether there are older and newer ones."""
    older_than, newer_than = _parse_cursor(before), _parse_cursor(after)
    if newer_than is not None and older_than is None:
        moment, pk = newer_than
        rows = entries.filter(Q(timestamp__gt=moment) | Q(timestamp=moment, id__gt=pk)).order_by("timestamp", "id")
        found = list(rows[: PAGE_SIZE + 1])
        return list(reversed(found[:PAGE_SIZE])), True, len(found) > PAGE_SIZE
    if older_than is not None:
        moment, pk = older_than
        entries = entries.filter(Q(timestamp__lt=moment) | Q(timestamp=moment, id__lt=pk))
    found = list(entries.order_by("-timestamp", "-id")[: PAGE_SIZE + 1])
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE, older_than is not None


def _url_for(model, pk) -> str | None:
    name = "portal:run" if issubclass(model, Run) else f"{model._meta.app_label}:{model._meta.model_name}"
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return None


def object_links(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """``{(object_type, object_id): url}`` of the entries' objects that exist and have a page: one query
    per model with a page (every kind of run in one)."""
    wanted: dict[type, dict[object, list[str]]] = defaultdict(dict)
    for entry in entries:
        if not entry.object_type or not entry.object_id:
            continue
        try:
            model = apps.get_model(entry.object_type)
        except (LookupError, ValueError):
            continue
        base = Run if issubclass(model, Run) else model
        try:
            pk = base._meta.pk.to_python(entry.object_id)
        except ValidationError:
            continue
        wanted[base].setdefault(pk, []).append(entry.object_type)
    links: dict[tuple[str, str], str] = {}
    for model, keys in wanted.items():
        if _url_for(model, next(iter(keys))) is None:
            continue  # no page for this kind of object: nothing to look up
        for pk in model._base_manager.filter(pk__in=list(keys)).values_list("pk", flat=True):
            url = _url_for(model, pk)
            for object_type in keys.get(pk, ()):
                if url is not None:
                    links[(object_type, str(pk))] = url
    return links


def _shown(value) -> dict:
    """A value of a change as the page shows it: text (JSON for what is not text), cut when long."""
    if value is None or value == "":
        return {"empty": True}
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(text) <= VALUE_SHOWN:
        return {"text": text, "redacted": text == audit.REDACTED}
    return {"text": text, "short": text[: VALUE_SHOWN - 20].rstrip() + "…"}


#: An entry with more changed fields than this shows their names, and their values on a click.
FIELDS_INLINE = 3
VERBS = {"create": "Set", "delete": "Removed"}


def changes_summary(entry: AuditEntry, changes: list[dict]) -> str:
    """``Set 6 fields: id, type, target, …`` for an entry whose changes are folded, else empty."""
    if len(changes) <= FIELDS_INLINE:
        return ""
    names = ", ".join(change["field"] for change in changes)
    return f"{VERBS.get(entry.action, 'Changed')} {len(changes)} fields: {names}"


def _field_order(object_type: str) -> dict[str, int]:
    """The position of each field in its model's declaration (the database may keep a JSON object's keys
    in an order of its own, as PostgreSQL's jsonb does)."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {field.name: index for index, field in enumerate(model._meta.concrete_fields)}


def changes_of(entry: AuditEntry) -> list[dict]:
    """The changed fields of an entry, in their model's field order (others after, by name): name, before
    and after."""
    rows = []
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    order = _field_order(entry.object_type)
    for field, values in sorted(changes.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        if isinstance(values, list) and len(values) == 2:
            before, after = values
        else:
            before, after = None, values
        rows.append(
            {
                "field": field,
                "before": _shown(before),
                "after": _shown(after),
                # A field set where none was (a creation, a run's error): its value is the change.
                "only_after": before in (None, "") and entry.action != "update",
                "only_before": after is None and entry.action == "delete",
            }
        )
    return rows


def audit_log(request):
    if not permissions.can(request.user, "portal.view_audit"):
        raise PermissionDenied("The audit log is for administrators.")
    form = AuditFilter(request.GET)
    query = form.query
    entries: QuerySet[AuditEntry] = AuditEntry.objects.all()
    if form.is_valid():
        entries = form.apply(entries)
        found, older, newer = _page(entries, request.GET.get("before"), request.GET.get("after"))
        matching = entries.order_by()[: COUNT_LIMIT + 1].count()
    else:
        found, older, newer, matching = [], False, False, 0
    links = object_links(found)

    def link(**changes: str) -> str:
        pairs = [(key, value) for key, value in {**query, **changes}.items() if value]
        return f"{request.path}?{urlencode(pairs)}" if pairs else request.path

    def only(**filters: str) -> str:
        return f"{request.path}?{urlencode(filters)}"

    def row(entry: AuditEntry) -> dict:
        changes = changes_of(entry)
        return {
            "entry": entry,
            "time": timezone.localtime(entry.timestamp),
            "actor": entry.actor_label,
            "actor_url": only(actor=entry.actor_label or SYSTEM),
            "action": audit.action_label(entry.action),
            "badge": BADGES.get(entry.action, "badge"),
            "object_url": links.get((entry.object_type, entry.object_id)),
            "history_url": only(type=entry.object_type, object=entry.object_id)
            if entry.object_type and entry.object_id
            else "",
            "changes": changes,
            "summary": changes_summary(entry, changes),
        }

    rows = [row(entry) for entry in found]
    types = object_types()
    if query["type"] and query["type"] not in types:
        types.append(query["type"])
    context = {
        "form": form,
        "query": query,
        "actions": list(audit.ACTION_LABELS.items()),
        "types": types,
        "rows": rows,
        "matching": matching,
        "more_than": matching > COUNT_LIMIT,
        "count_limit": COUNT_LIMIT,
        "filtered": any(query.values()),
        "older_url": link(before=cursor(found[-1])) if older and found else "",
        "newer_url": link(after=cursor(found[0])) if newer and found else "",
        "newest_url": link() if request.GET.get("before") or request.GET.get("after") else "",
        "clear_url": request.path,
        "system": SYSTEM,
        "timezone": timezone.get_current_timezone_name(),
    }
    return render(request, "portal/audit/list.html", context)
