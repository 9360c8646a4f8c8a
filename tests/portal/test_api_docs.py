"""The API documentation: the Swagger UI page (/api/docs/) leads back to the portal and loads only the
portal's own files (Swagger UI from drf-spectacular's sidecar, so it works offline), and every
operation of the OpenAPI schema (/api/schema/) says what it does."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SIDECAR = "/static/drf_spectacular_sidecar/swagger-ui-dist"


def test_the_docs_page_leads_back_to_atrium_and_loads_only_the_portals_own_files(signed_in):
    response = signed_in.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>API documentation · Atrium</title>" in html
    assert (
        '<a class="docs-brand" href="/"><img src="/static/portal/favicon.svg" alt="" width="24" height="24"> Atrium</a>'
        in html
    )
    assert '<a class="docs-back" href="/"><span aria-hidden="true">←</span> Back to Atrium</a>' in html
    assets = re.findall(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"', html)
    assert assets == [
        "/static/portal/favicon.svg",
        f"{SIDECAR}/swagger-ui.css",
        "/static/portal/favicon.svg",
        f"{SIDECAR}/swagger-ui-bundle.js",
        f"{SIDECAR}/swagger-ui-standalone-preset.js",
    ]
    assert [url for url in assets if finders.find(url.removeprefix("/static/")) is None] == []
    assert 'url: "/api/schema/"' in html


def test_every_operation_of_the_schema_has_a_summary_and_a_description_of_its_own(signed_in):
    response = signed_in.get("/api/schema/?format=json")

    schema = response.json()
    failures: list[str] = []
    described: dict[str, str] = {}
    operations = 0
    for path, item in schema["paths"].items():
        for method in (method for method in HTTP_METHODS if method in item):
            operations += 1
            name = f"{method.upper()} {path}"
            summary = (item[method].get("summary") or "").strip()
            description = (item[method].get("description") or "").strip()
            if not summary:
                failures.append(f"{name}: no summary")
            if not description:
                failures.append(f"{name}: no description")
            elif description == summary:
                failures.append(f"{name}: the description repeats the summary")
            elif description in described:
                failures.append(f"{name}: the same description as {described[description]}")
            else:
                described[description] = name
    assert response.status_code == 200
    assert operations > 30
    assert failures == [], "Operations the API documentation does not describe:\n" + "\n".join(failures)
