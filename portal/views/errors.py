"""Error pages rendered inside the shell."""

from __future__ import annotations

from django.http import HttpResponsePermanentRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static


def favicon(request):
    """Browsers ask for /favicon.ico on pages that do not name an icon (the admin's)."""
    return HttpResponsePermanentRedirect(static("portal/favicon.svg"))


def permission_denied(request, exception=None):
    return render(request, "portal/errors/403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "portal/errors/404.html", {"path": request.path}, status=404)


def server_error(request):
    # No context processors: the failure may come from them or from the database.
    template = loader.get_template("portal/errors/500.html")
    return HttpResponseServerError(template.render({"request_id": getattr(request, "request_id", "")}))
