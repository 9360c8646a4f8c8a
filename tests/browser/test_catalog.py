"""The catalog in a real browser: sign in, browse with a facet, search from the header, read an
entity page and its API definition, walk the relation graph to a team, register a location through
preview and confirm (a real Celery worker reads it), and look at it on a phone in the dark theme.
Any console error fails the test; screenshots land in test-results/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Entity, Location
from tests.browser.test_shell import sign_in
from tests.catalog.test_ui_support import EXAMPLES, load_file, offline
from tests.conftest import PASSWORD, make_user

NEW_COMPONENT = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: invoice-renderer
  description: Renders invoices as PDF.
  tags: [python, pdf]
spec:
  type: service
  lifecycle: production
  owner: team-a
  dependsOn: [resource:artists-db, component:pdf-toolkit]
"""


@pytest.fixture
def org(transactional_db, settings, tmp_path):
    offline(settings)
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(tmp_path)]
    load_file(EXAMPLES / "all.yaml")
    load_file(EXAMPLES / "acme-corp.yaml")
    # Janelle Dawe of team-a, an administrator here, signs in with the address of her User entity.
    return make_user("janelle-dawe@example.com", staff=True, is_superuser=True, first_name="Janelle")


def open_page(browser, console_errors, **options):
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    page = console_errors.watch(context.new_page())
    return context, page


def test_browse_search_entity_graph_group_and_register(
    browser, live_server, org, celery_worker, tmp_path, shots, console_errors
):
    base = live_server.url
    context, page = open_page(browser, console_errors)
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()
    teams = page.get_by_test_id("home-my-teams")
    expect(teams.get_by_role("link", name="team-a")).to_be_visible()
    expect(page.get_by_test_id("home-owned")).to_contain_text("Component")
    shots(page, "home-my-teams")

    # The Catalog entry of the navigation opens the list.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    page.wait_for_url(f"{base}/catalog/")
    expect(page.get_by_role("heading", name=re.compile(r"1\u201350 of 59 entities"))).to_be_visible()
    shots(page, "catalog-list")

    # A facet narrows the list in place (htmx: the page is not reloaded) and the address keeps it.
    page.evaluate("window.stillThisPage = true")
    page.locator("[data-facet=kind]").get_by_label("Component").check()
    expect(page.get_by_role("heading", name=re.compile(r"1\u201313 of 13 entities"))).to_be_visible()
    assert "kind=Component" in page.url
    page.locator("[data-facet=lifecycle]").get_by_label("production").check()
    expect(page.get_by_role("heading", name=re.compile(r"1\u20139 of 9 entities"))).to_be_visible()
    assert "kind=Component" in page.url
    assert "lifecycle=production" in page.url
    assert page.evaluate("window.stillThisPage") is True
    shots(page, "catalog-facets")

    # The header search box searches the catalog.
    page.locator("#header-search").fill("petstore")
    page.locator("#header-search").press("Enter")
    page.wait_for_url(re.compile(r"/catalog/\?q=petstore"))
    results = page.locator(".catalog-table")
    expect(results.get_by_role("link", name="petstore", exact=True).first).to_be_visible()
    shots(page, "catalog-search")

    # The API's page renders its OpenAPI definition readably.
    page.goto(f"{base}/catalog/api/default/petstore")
    expect(page.get_by_role("heading", name="API definition")).to_be_visible()
    operation = page.locator("details.operation", has_text="/pets/{petId}")
    operation.locator("summary").click()
    expect(operation.get_by_role("cell", name="petId")).to_be_visible()
    shots(page, "api-petstore")

    # The relation graph: click the owner's node to reach the team's page.
    page.goto(f"{base}/catalog/component/default/artist-lookup")
    graph = page.get_by_test_id("relation-graph")
    expect(graph.locator("svg.graph-wide")).to_be_visible()
    expect(graph.locator("svg.graph-narrow")).to_be_hidden()
    shots(page, "component-graph")
    graph.locator('svg.graph-wide a[data-ref="group:default/team-a"]').click()
    page.wait_for_url(f"{base}/catalog/group/default/team-a")
    expect(page.get_by_role("heading", name=re.compile("Members"))).to_be_visible()
    members = page.get_by_role("region", name=re.compile("Members"))
    expect(members.get_by_role("link", name="Janelle Dawe")).to_be_visible()
    shots(page, "group-team-a")

    # Register a file through preview and confirm; a worker reads it while the page follows.
    descriptor = tmp_path / "invoice-renderer" / "catalog-info.yaml"
    descriptor.parent.mkdir()
    descriptor.write_text(NEW_COMPONENT, encoding="utf-8")
    page.get_by_role("link", name="Register existing component").first.click()
    page.get_by_label("Descriptor URL or file path").fill(str(descriptor))
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("invoice-renderer")
    assert Location.objects.filter(target=str(descriptor)).count() == 0
    shots(page, "register-preview")
    preview.get_by_role("button", name="Register 1 entity").click()
    page.wait_for_url(re.compile(r"/catalog/locations/"))
    expect(page.get_by_test_id("job-status")).to_contain_text("done", timeout=30_000)
    page.get_by_role("link", name="invoice-renderer").click()
    page.wait_for_url(f"{base}/catalog/component/default/invoice-renderer")
    expect(page.locator('.graph-wide g.graph-unresolved[data-ref="component:default/pdf-toolkit"]')).to_be_visible()
    shots(page, "registered-component")
    assert Entity.objects.filter(ref="component:default/invoice-renderer").exists()
    context.close()
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_phone_layout(browser, live_server, org, shots, console_errors, scheme):
    base = live_server.url
    context, page = open_page(
        browser, console_errors, viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme=scheme
    )
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()
    page.goto(f"{base}/catalog/")
    expect(page.locator("details.facet-panel")).not_to_have_attribute("open", "")
    expect(page.locator(".catalog-table")).to_be_visible()
    shots(page, f"phone-list-{scheme}")
    page.goto(f"{base}/catalog/component/default/artist-lookup")
    expect(page.get_by_test_id("relation-graph")).to_be_visible()
    shots(page, f"phone-entity-{scheme}")
    page.goto(f"{base}/catalog/api/default/petstore")
    page.locator("details.operation").first.locator("summary").click()
    shots(page, f"phone-api-{scheme}")
    page.goto(f"{base}/catalog/health")
    shots(page, f"phone-health-{scheme}")
    page.goto(f"{base}/catalog/group/default/team-a")
    shots(page, f"phone-group-{scheme}")
    page.goto(f"{base}/")
    shots(page, f"phone-home-{scheme}")
    context.close()
    assert console_errors == []


def test_desktop_dark_pages(browser, live_server, org, shots, console_errors):
    base = live_server.url
    context, page = open_page(browser, console_errors, color_scheme="dark")
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()
    for name, path in (
        ("list", "/catalog/?kind=API"),
        ("system", "/catalog/system/default/artist-engagement-portal"),
        ("user", "/catalog/user/default/janelle.dawe"),
        ("health", "/catalog/health"),
        ("register", "/catalog/register"),
        ("missing", "/catalog/component/default/pdf-toolkit"),
    ):
        page.goto(f"{base}{path}")
        shots(page, f"dark-{name}")
    page.goto(f"{base}/catalog/api/default/petstore")
    page.locator("details.operation").first.locator("summary").click()
    shots(page, "dark-api")
    context.close()
    # The page of an entity not in the catalog answers 404, which Chromium logs; that one is expected.
    expected = "404 (Not Found) at " + base + "/catalog/component/default/pdf-toolkit"
    assert [error for error in console_errors if not error.endswith(expected)] == []


def test_a_facet_with_many_values_loads_the_rest_when_opened(browser, live_server, org, shots, console_errors):
    base = live_server.url
    context, page = open_page(browser, console_errors)
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.goto(f"{base}/catalog/")
    tags = page.locator("[data-facet=tag]")
    expect(tags.locator(".facet-option")).to_have_count(8)
    more = tags.locator("details.facet-more")
    summary = more.locator("summary")
    counted = re.match(r"(\d+) more", summary.inner_text())
    assert counted is not None
    hidden = int(counted.group(1))

    page.evaluate("window.stillThisPage = true")
    summary.click()
    expect(more.locator(".facet-load")).to_have_count(0)
    expect(tags.locator(".facet-option")).to_have_count(8 + hidden)
    assert "more=" not in page.url
    shots(page, "catalog-facet-more")

    last = more.locator(".facet-option input").last
    value = last.get_attribute("value")
    last.check()
    page.wait_for_url(re.compile(rf"tag={re.escape(value)}"))
    expect(page.get_by_role("list", name="Active filters")).to_contain_text(value)
    assert page.evaluate("window.stillThisPage") is True
    context.close()
