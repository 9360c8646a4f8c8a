"""Registering, in a real browser, a location that is registered already: the preview says so, links
its page and its entities and offers Refresh, which queues a refresh and shows the location's page;
and text that names no location is told which forms the catalog reads. Any console error fails the
test; screenshots land in test-results/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Location
from portal.models import Run
from tests.browser.test_shell import sign_in
from tests.catalog.test_ui_support import file_writer, load_file
from tests.conftest import PASSWORD, make_user

DESCRIPTOR = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: invoices, description: Sends the invoices}
spec: {type: service, lifecycle: production, owner: billing}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: invoices-api}
spec: {type: openapi, lifecycle: production, owner: billing, definition: "openapi: 3.0.0"}
"""


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The descriptor, registered and read, and an administrator."""
    path = file_writer(settings, tmp_path)("billing/catalog-info.yaml", DESCRIPTOR)
    location = load_file(path)
    make_user("lead@example.com", staff=True, is_superuser=True, first_name="Lee")
    return {"path": path, "location": location}


def test_a_registered_location_is_said_so_in_its_preview_and_refreshed(
    browser, live_server, world, shots, console_errors
):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = console_errors.watch(context.new_page())
    sign_in(page, base, "lead@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Lee").wait_for()

    page.goto(f"{base}/catalog/register")
    field = page.get_by_label("Descriptor URL or file path")
    field.fill("not a url")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".field.has-error")).to_contain_text(
        "Enter the URL of a catalog-info.yaml file on GitHub (https://github.com/OWNER/REPO/blob/BRANCH/"
        "catalog-info.yaml), a GitHub organisation URL (https://github.com/ORG) or an absolute path or glob "
        "on the server inside CATALOG_FILE_ROOTS."
    )
    shots(page, "register-not-a-url")

    page.get_by_label("Descriptor URL or file path").fill(str(world["path"]))
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("preview")
    registered = preview.get_by_test_id("registered")
    expect(registered).to_contain_text("This location is already registered.")
    expect(registered).to_contain_text("It holds 2 entities: invoices-api API, invoices Component.")
    expect(registered.get_by_role("link", name="See its page")).to_have_attribute(
        "href", f"/catalog/locations/{world['location'].pk}"
    )
    expect(registered.get_by_role("link", name="invoices", exact=True)).to_have_attribute(
        "href", "/catalog/component/default/invoices"
    )
    expect(preview.get_by_role("button", name=re.compile("Register"))).to_have_count(0)
    shots(page, "register-already-registered")

    assert Run.objects.filter(object_id=str(world["location"].pk)).count() == 0
    preview.get_by_role("button", name="Refresh").click()
    page.wait_for_url(f"{base}/catalog/locations/{world['location'].pk}")
    expect(page.locator(".messages")).to_contain_text("a refresh is queued")
    expect(page.get_by_test_id("job-status")).to_contain_text("queued")
    shots(page, "location-refresh-queued")
    run = Run.objects.get(object_id=str(world["location"].pk))
    assert run.created_by is not None
    assert (run.kind, run.created_by.email) == ("catalog.refresh_location", "lead@example.com")
    assert Location.objects.filter(target=str(world["path"])).count() == 1
    context.close()
    assert console_errors == []
