"""The filters of the portal's own list pages, read from the query string (a filtered view is a link)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.apps import apps
from django.db.models import Q, QuerySet

from portal import audit
from portal.models.runs import Run

#: The value of the actor filter that selects what nobody signed in did (scheduled runs, failed sign-ins).
SYSTEM = "system"
#: ``until`` is inclusive of the minute it names (the precision of the browser's date-time field), or of
#: the whole day when only a date is given.
INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def object_types() -> list[str]:
    """The object types the audit trail names: the audited models, and every model of runs."""
    labels = {model._meta.label_lower for model in audit.registered_models()}
    labels.update(model._meta.label_lower for model in apps.get_models() if issubclass(model, Run))
    return sorted(labels)


class AuditFilter(forms.Form):
    actor = forms.CharField(label="Actor", required=False, max_length=254)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *audit.ACTION_LABELS.items()]
    )
    type = forms.CharField(label="Object type", required=False, max_length=100)
    object = forms.CharField(label="Object", required=False, max_length=200)
    since = forms.DateTimeField(label="From", required=False, input_formats=INPUT_FORMATS)
    until = forms.DateTimeField(label="To", required=False, input_formats=INPUT_FORMATS)

    def clean_until(self) -> datetime.datetime | None:
        until: datetime.datetime | None = self.cleaned_data.get("until")
        if until is None:
            return None
        raw = str(self.data.get("until", "")).strip()
        if len(raw) == len("2025-01-31"):
            return until + datetime.timedelta(days=1)
        if len(raw) == len("2025-01-31T12:00"):
            return until + datetime.timedelta(minutes=1)
        return until + datetime.timedelta(seconds=1)

    def clean(self) -> dict[str, Any]:
        super().clean()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since is not None and until is not None and since >= until:
            self.add_error("until", "“To” must not be before “From”.")
        return self.cleaned_data

    @property
    def query(self) -> dict[str, str]:
        """The filters as given (to fill the form in again, and to build links)."""
        return {name: str(self.data.get(name, "")).strip() for name in self.fields}

    def apply(self, entries: QuerySet) -> QuerySet:
        data = self.cleaned_data
        actor = data.get("actor") or ""
        if actor.lower() == SYSTEM:
            entries = entries.filter(actor_id__isnull=True, actor_label="")
        elif actor:
            entries = entries.filter(actor_label__icontains=actor)
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("type"):
            entries = entries.filter(object_type=data["type"].lower())
        if data.get("object"):
            text = data["object"]
            entries = entries.filter(Q(object_id=text) | Q(object_label__icontains=text))
        if data.get("since") is not None:
            entries = entries.filter(timestamp__gte=data["since"])
        if data.get("until") is not None:
            entries = entries.filter(timestamp__lt=data["until"])
        return entries
