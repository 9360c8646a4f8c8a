"""The catalog's forms: registering a location."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from catalog import services
from catalog.ingest.readers import location_type
from catalog.models import Location, LocationType
from portal import permissions


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
