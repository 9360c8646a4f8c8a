"""The catalog's forms: registering a location."""

from __future__ import annotations

import os

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from catalog import services
from catalog.ingest import readers
from catalog.ingest.readers import location_type
from catalog.models import Location, LocationType
from portal import permissions

GITHUB_FILE_EXAMPLE = "https://github.com/OWNER/REPO/blob/BRANCH/catalog-info.yaml"


def accepted_targets(may_use_files: bool) -> str:
    """One sentence saying what the readers accept (``catalog.ingest.readers``): what the user may enter."""
    accepted = [f"the URL of a catalog-info.yaml file on GitHub ({GITHUB_FILE_EXAMPLE})"]
    if settings.CATALOG_URL_ALLOWED_HOSTS:
        accepted.append(f"an http(s) URL of one on {' or '.join(settings.CATALOG_URL_ALLOWED_HOSTS)}")
    if may_use_files:
        accepted.append("a GitHub organisation URL (https://github.com/ORG)")
        accepted.append("an absolute path or glob on the server inside CATALOG_FILE_ROOTS")
    listed = accepted[0] if len(accepted) == 1 else f"{', '.join(accepted[:-1])} or {accepted[-1]}"
    return f"Enter {listed}."


def names_a_path(target: str) -> bool:
    """Whether a target that is no http(s) URL is at least written as a file location (an absolute path)."""
    return os.path.isabs(readers.file_path(target) if readers.is_file(target) else target)


class RegisterForm(forms.Form):
    target = forms.CharField(
        label="Descriptor URL",
        max_length=2000,
        widget=forms.TextInput(
            attrs={"placeholder": "https://github.com/acme/payments/blob/main/catalog-info.yaml", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.location_type = ""
        self.options: dict = {}
        self.existing: Location | None = None
        self.may_use_files = permissions.can(user, "catalog.register_file")
        help_text = (
            "The URL of a <code>catalog-info.yaml</code> file, for example a file in a GitHub repository. "
            "Everything it describes, and every location it lists, is added."
        )
        if self.may_use_files:
            self.fields["target"].label = "Descriptor URL or file path"
            help_text += (
                " As an administrator you may also give an absolute path (or glob) on the server, inside "
                "CATALOG_FILE_ROOTS, or <code>https://github.com/ORG</code> to discover an organisation's repositories."
            )
        self.fields["target"].help_text = help_text

    def clean_target(self) -> str:
        target = self.cleaned_data["target"].strip()
        kind = location_type(target)
        if kind == LocationType.FILE and not names_a_path(target):
            raise forms.ValidationError(accepted_targets(self.may_use_files))
        if kind != LocationType.URL and not self.may_use_files:
            if kind == LocationType.FILE:
                raise forms.ValidationError(
                    "Enter an http(s) URL of a catalog-info.yaml file; "
                    "only administrators may register files on the server."
                )
            raise forms.ValidationError(
                "Organisation discovery is for administrators; enter the URL of one catalog-info.yaml file."
            )
        if not permissions.can(self.user, "catalog.register"):
            raise forms.ValidationError("You may not register locations.")
        try:
            target, options = services.check_target(kind, target)
        except services.CatalogError as exc:
            raise forms.ValidationError(str(exc)) from None
        self.location_type, self.options = kind, options
        return target

    def already_registered(self, exists: services.LocationExists) -> None:
        """Report on the field that the location is registered already, with a link to it."""
        self.existing = exists.location
        url = reverse("catalog:location", args=[exists.location.pk])
        self.add_error(
            "target", format_html('This location is already registered: <a href="{}">see its page</a>.', url)
        )
