"""Registering an existing component: preview writes nothing, confirm registers and queues the
refresh, the location page follows it, and every refusal is shown next to the field with no trace."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest
from django.db import models

from catalog.models import Entity, Location, LocationError, Source
from portal.models import AuditEntry, Run, RunEvent, RunStep
from portal.runs import execute
from tests.catalog.test_ui_support import file_writer
from tests.conftest import make_user
from tests.fakes.server import LoopbackServer

DESCRIPTOR = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: invoices, description: Sends the invoices}
spec: {type: service, lifecycle: production, owner: billing}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: invoices-api}
spec: {type: openapi, lifecycle: production, owner: billing, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: broken}
spec: {type: service}
"""
TABLES: tuple[type[models.Model], ...] = (Location, Source, Entity, LocationError, Run, RunStep, RunEvent, AuditEntry)


@pytest.fixture
def descriptor(settings, tmp_path):
    return file_writer(settings, tmp_path)("billing/catalog-info.yaml", DESCRIPTOR)


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("lead@example.com", staff=True, is_superuser=True))
    return client


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in TABLES}


def test_the_form_asks_a_url_and_administrators_also_a_path(signed_in, admin_client):
    # signed_in and admin_client share the test client: the last login wins, so ask in order.
    admin_html = admin_client.get("/catalog/register").content.decode()

    assert '<label for="id_target">Descriptor URL or file path</label>' in admin_html


def test_a_developer_is_asked_for_a_url(signed_in):
    html = signed_in.get("/catalog/register").content.decode()

    assert '<label for="id_target">Descriptor URL</label>' in html
    assert "only administrators" not in html


def test_the_preview_lists_entities_and_errors_and_writes_nothing(admin_client, descriptor):
    before = counts()

    response = admin_client.post("/catalog/register", {"target": str(descriptor), "action": "preview"})

    html = response.content.decode()
    assert response.status_code == 200
    assert counts() == before
    assert "gives <strong>2 entities</strong> (1 API, 1 Component) and <strong>2 errors</strong>" in html
    assert '<td><strong>invoices</strong> <span class="muted">component:invoices</span></td>' in html
    assert '<td><strong>invoices-api</strong> <span class="muted">api:invoices-api</span></td>' in html
    assert '<span class="badge badge-danger">validation</span>' in html
    assert f'<input type="hidden" name="target" value="{descriptor}">' in html
    assert (
        '<button type="submit" name="action" value="confirm" class="button button-primary">Register 2 entities</button>'
        in html
    )


def test_confirm_registers_the_location_and_queues_its_refresh(admin_client, descriptor):
    response = admin_client.post("/catalog/register", {"target": str(descriptor), "action": "confirm"})

    location = Location.objects.get(target=str(descriptor))
    assert response.status_code == 302
    assert response["Location"] == f"/catalog/locations/{location.pk}"
    assert location.type == "file"
    assert location.created_by is not None
    assert location.created_by.email == "lead@example.com"
    refresh = Run.objects.get(object_id=str(location.pk))
    assert (refresh.kind, refresh.status, refresh.created_by_id) == (
        "catalog.refresh_location",
        "pending",
        location.created_by_id,
    )
    assert Entity.objects.count() == 0  # read by a worker, not by the request


def test_the_location_page_polls_until_the_refresh_is_done_then_links_the_entities(admin_client, descriptor):
    admin_client.post("/catalog/register", {"target": str(descriptor), "action": "confirm"})
    location = Location.objects.get(target=str(descriptor))
    url = f"/catalog/locations/{location.pk}"

    waiting = admin_client.get(url).content.decode()
    assert f'hx-get="{url}?live=1" hx-trigger="every 1s" hx-swap="outerHTML"' in waiting
    assert "queued" in waiting

    execute(Run.objects.get(object_id=str(location.pk)).pk)  # what the worker does
    live = admin_client.get(f"{url}?live=1", HTTP_HX_REQUEST="true").content.decode()

    assert live.startswith('<div id="location-live" class="stack wide" data-active="false">')
    assert "hx-trigger" not in live
    assert '<span class="badge badge-ok">done</span>' in live
    assert '<a href="/catalog/component/default/invoices">invoices</a>' in live
    assert '<a href="/catalog/api/default/invoices-api">invoices-api</a>' in live
    assert '<span class="badge badge-danger">validation</span>' in live


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "ftp://example.com/catalog-info.yaml",
            "Enter the URL of a catalog-info.yaml file on GitHub "
            "(https://github.com/OWNER/REPO/blob/BRANCH/catalog-info.yaml).",
        ),
        (
            "https://intranet.example.com/catalog-info.yaml",
            "the host intranet.example.com is not in CATALOG_URL_ALLOWED_HOSTS",
        ),
        ("/etc/catalog-info.yaml", "only administrators may register files on the server"),
        ("https://github.com/acme", "Organisation discovery is for administrators"),
    ],
)
def test_a_refused_target_is_explained_next_to_the_field_and_nothing_is_written(signed_in, target, message):
    before = counts()

    for action in ("preview", "confirm", "refresh"):
        response = signed_in.post("/catalog/register", {"target": target, "action": action})
        html = response.content.decode()
        assert response.status_code == 200
        assert '<div class="field has-error">' in html
        assert message in html
    assert counts() == before


def test_a_path_outside_the_allowed_folders_is_refused_even_to_administrators(admin_client, settings):
    before = counts()

    response = admin_client.post("/catalog/register", {"target": "/etc/hosts", "action": "preview"})

    assert "is outside the folders the catalog may read" in response.content.decode()
    assert counts() == before


def test_a_location_registered_already_is_linked(admin_client, descriptor):
    admin_client.post("/catalog/register", {"target": str(descriptor), "action": "confirm"})
    location = Location.objects.get(target=str(descriptor))
    before = counts()

    response = admin_client.post("/catalog/register", {"target": str(descriptor), "action": "confirm"})

    html = response.content.decode()
    assert f'This location is already registered: <a href="/catalog/locations/{location.pk}">see its page</a>.' in html
    assert counts() == before


@pytest.fixture
def site(settings):
    """A local web server: /catalog-info.yaml is the descriptor, anything else is 404."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_GET(self):
            found = self.path == "/catalog-info.yaml"
            body = DESCRIPTOR.encode() if found else b"missing"
            self.send_response(200 if found else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = LoopbackServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.CATALOG_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_developer_previews_and_registers_a_url(signed_in, site):
    url = f"{site}/catalog-info.yaml"
    before = counts()

    preview = signed_in.post("/catalog/register", {"target": url, "action": "preview"}).content.decode()
    assert counts() == before
    assert "gives <strong>2 entities</strong>" in preview

    response = signed_in.post("/catalog/register", {"target": url, "action": "confirm"})
    location = Location.objects.get(type="url", target=url)
    assert response["Location"] == f"/catalog/locations/{location.pk}"


def test_a_url_that_cannot_be_read_says_why_and_offers_no_confirm(signed_in, site):
    before = counts()

    response = signed_in.post("/catalog/register", {"target": f"{site}/missing.yaml", "action": "preview"})

    html = response.content.decode()
    assert counts() == before
    assert "<p><strong>The location could not be read:</strong>" in html
    assert "answered 404" in html
    assert 'value="confirm"' not in html


def test_a_glob_matching_nothing_yet_may_still_be_registered(admin_client, settings, tmp_path):
    file_writer(settings, tmp_path)
    (tmp_path / "empty").mkdir()

    html = admin_client.post(
        "/catalog/register", {"target": str(tmp_path / "empty" / "*.yaml"), "action": "preview"}
    ).content.decode()

    assert "describes no entities yet" in html
    assert (
        '<button type="submit" name="action" value="confirm" class="button button-primary">'
        "Register the location</button>" in html
    )


def test_text_that_names_no_location_is_told_the_forms_accepted(signed_in):
    before = counts()

    html = signed_in.post("/catalog/register", {"target": "not a url", "action": "preview"}).content.decode()

    assert (
        '<ul class="errorlist" id="id_target_error"><li>Enter the URL of a catalog-info.yaml file on GitHub '
        "(https://github.com/OWNER/REPO/blob/BRANCH/catalog-info.yaml).</li></ul>" in html
    )
    assert "absolute path" not in html
    assert counts() == before


def test_administrators_are_told_every_form_they_may_enter(admin_client, settings):
    settings.CATALOG_URL_ALLOWED_HOSTS = ["docs.example.com"]
    before = counts()

    html = admin_client.post("/catalog/register", {"target": "not a url", "action": "preview"}).content.decode()

    assert (
        '<ul class="errorlist" id="id_target_error"><li>Enter the URL of a catalog-info.yaml file on GitHub '
        "(https://github.com/OWNER/REPO/blob/BRANCH/catalog-info.yaml), "
        "an http(s) URL of one on docs.example.com, a GitHub organisation URL (https://github.com/ORG) "
        "or an absolute path or glob on the server inside CATALOG_FILE_ROOTS.</li></ul>" in html
    )
    assert "A file location needs an absolute path" not in html
    assert counts() == before


@pytest.fixture
def registered(admin_client, descriptor):
    """The descriptor registered and read (what the worker does)."""
    admin_client.post("/catalog/register", {"target": str(descriptor), "action": "confirm"})
    location = Location.objects.get(target=str(descriptor))
    execute(Run.objects.get(object_id=str(location.pk)).pk)
    return location


def test_the_preview_of_a_registered_location_says_so_and_offers_a_refresh(admin_client, descriptor, registered):
    before = counts()

    response = admin_client.post("/catalog/register", {"target": str(descriptor), "action": "preview"})

    html = response.content.decode()
    assert response.status_code == 200
    assert counts() == before
    assert '<h2 id="preview-heading">2. Already in the catalog</h2>' in html
    assert (
        "<p><strong>This location is already registered.</strong> "
        f'<a href="/catalog/locations/{registered.pk}">See its page</a>; it was last read <time' in html
    )
    assert (
        "<p>It holds <strong>2 entities</strong>: "
        '<a href="/catalog/api/default/invoices-api">invoices-api</a> <span class="muted">API</span>, '
        '<a href="/catalog/component/default/invoices">invoices</a> <span class="muted">Component</span>.</p>'
    ) in html
    assert "<h3>What a refresh reads now</h3>" in html
    assert (
        f"<p>Reading <code>{descriptor}</code> gives <strong>2 entities</strong> (1 API, 1 Component) "
        "and <strong>2 errors</strong>.</p>" in html
    )
    assert '<button type="submit" name="action" value="refresh" class="button button-primary">Refresh</button>' in html
    assert 'value="confirm"' not in html
    assert "Register 2 entities" not in html


def test_a_registered_location_holding_many_entities_links_the_first_and_counts_the_rest(
    admin_client, settings, tmp_path
):
    components = "---\n".join(
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: c{n:02d}}}\n"
        "spec: {type: service, lifecycle: production, owner: billing}\n"
        for n in range(23)
    )
    path = file_writer(settings, tmp_path)("many/catalog-info.yaml", components)
    admin_client.post("/catalog/register", {"target": str(path), "action": "confirm"})
    execute(Run.objects.get(kind="catalog.refresh_location").pk)

    html = admin_client.post("/catalog/register", {"target": str(path), "action": "preview"}).content.decode()

    held = html[html.index("<p>It holds") :].split("</p>")[0]
    assert held.startswith("<p>It holds <strong>23 entities</strong>: ")
    assert held.count('<a href="/catalog/component/default/c') == 20
    assert held.endswith(
        '<a href="/catalog/component/default/c19">c19</a> <span class="muted">Component</span>, and 3 more on its page.'
    )


def test_refresh_reads_the_registered_location_again_and_shows_its_page(admin_client, descriptor, registered):
    first = Run.objects.get(object_id=str(registered.pk))

    response = admin_client.post("/catalog/register", {"target": str(descriptor), "action": "refresh"})

    assert response.status_code == 302
    assert response["Location"] == f"/catalog/locations/{registered.pk}"
    assert Location.objects.filter(target=str(descriptor)).count() == 1
    again = Run.objects.filter(object_id=str(registered.pk)).exclude(pk=first.pk).get()
    assert again.created_by is not None
    assert (again.kind, again.status, again.created_by.email) == (
        "catalog.refresh_location",
        "pending",
        "lead@example.com",
    )
    page = admin_client.get(response["Location"]).content.decode()
    assert "It was registered already: a refresh is queued and this page follows its progress." in page
    assert "queued" in page


def test_refresh_of_a_location_not_registered_is_refused_and_writes_nothing(admin_client, descriptor):
    before = counts()

    response = admin_client.post("/catalog/register", {"target": str(descriptor), "action": "refresh"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "This location is not registered: preview it to register it." in html
    assert counts() == before
