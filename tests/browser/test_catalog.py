"""The catalog in a real browser: sign in, browse with the kind picker and a facet, search from the
header, read an entity page and its API definition, walk the relation graph to a team, register a
location through preview and confirm (a real Celery worker reads it), and look at it on a phone in the
dark theme; the list at 1366x900 (facets, owners, the search hint, nothing matching), requests
overtaken by typing or by leaving the page, and an entity's actions (star, refresh, view source,
unregister). Any console error fails the test; screenshots land in test-results/screenshots/."""

import contextlib
import re

import pytest
from playwright.sync_api import Error as PlaywrightError
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

    # The Catalog entry of the navigation opens the list, on components.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    page.wait_for_url(f"{base}/catalog/")
    expect(page.get_by_role("heading", name=re.compile(r"1\u201313 of 13 entities"))).to_be_visible()
    expect(page.get_by_label("Kind", exact=True)).to_have_value("Component")
    shots(page, "catalog-list")

    # The kind picker and the facets narrow the list in place (htmx: the page is not reloaded) and the
    # address keeps them.
    page.evaluate("window.stillThisPage = true")
    page.get_by_label("Kind", exact=True).select_option("all")
    expect(page.get_by_role("heading", name=re.compile(r"1\u201350 of 59 entities"))).to_be_visible()
    assert "kind=all" in page.url
    page.get_by_label("Kind", exact=True).select_option("Component")
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
    page.goto(f"{base}/catalog/?kind=all")
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
    last.click()  # the answer moves the ticked value first: its input is then another one
    page.wait_for_url(re.compile(rf"tag={re.escape(value)}"))
    expect(page.get_by_role("list", name="Active filters")).to_contain_text(value)
    assert page.evaluate("window.stillThisPage") is True
    context.close()


LONG_OWNERS = "---\n".join(
    f"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  description: Keeps the {name} of every developer-experience tool running, with dashboards and alerts.
  tags: [observability, python, kubernetes, grafana]
spec: {{type: service, lifecycle: production, owner: {owner}, system: developer-experience-portal-platform}}
"""
    for name, owner in (
        ("telemetry-collector-gateway", "developer-experience"),
        ("observability-dashboards", "platformengineeringguild"),
    )
)


def test_the_list_at_1366_by_900(browser, live_server, org, tmp_path, shots, console_errors):
    descriptor = tmp_path / "long-owners" / "catalog-info.yaml"
    descriptor.parent.mkdir()
    descriptor.write_text(LONG_OWNERS, encoding="utf-8")
    load_file(descriptor)
    base = live_server.url
    context, page = open_page(browser, console_errors, viewport={"width": 1366, "height": 900})
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.goto(f"{base}/catalog/")
    expect(page.get_by_role("heading", name=re.compile(r"1\u201315 of 15 entities"))).to_be_visible()
    shots(page, "list-1366")

    # The filter column grows with the page: no box of its own that scrolls, every facet reachable.
    filters = page.locator(".catalog-filters")
    assert filters.evaluate("element => getComputedStyle(element).overflowY") == "visible"
    assert filters.evaluate("element => element.scrollHeight - element.clientHeight") == 0
    box = filters.bounding_box()
    for facet in page.locator("fieldset.facet").all():
        facet.scroll_into_view_if_needed()
        expect(facet).to_be_in_viewport()
        inner = facet.bounding_box()
        assert box["y"] <= inner["y"]
        assert inner["y"] + inner["height"] <= box["y"] + box["height"]

    # Owner names are read whole: each on one line, however tight the table.
    owners = page.locator('td[data-label="owner"] a')
    assert owners.count() == 15
    lines = owners.evaluate_all("links => links.map(link => [link.textContent, link.getClientRects().length])")
    assert [count for _name, count in lines] == [1] * 15
    assert ["developer-experience", 1] in lines
    assert ["platformengineeringguild", 1] in lines

    # The search box's hint fits it.
    search = page.get_by_label("Search", exact=True)
    room = search.evaluate(
        """input => {
          const style = getComputedStyle(input);
          const context = document.createElement("canvas").getContext("2d");
          context.font = style.font;
          const free = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return free - context.measureText(input.placeholder).width;
        }"""
    )
    assert room >= 0

    # One way to register, the catalog's tab.
    expect(page.get_by_role("link", name="Register existing component")).to_have_count(1)
    expect(page.get_by_role("button", name="Register existing component")).to_have_count(0)

    # Nothing matches: one message with a link that clears the filters; no empty facets.
    page.get_by_label("Search", exact=True).fill("zzzz-nothing-like-this")
    page.get_by_label("Search", exact=True).press("Enter")
    message = page.get_by_test_id("no-results")
    expect(message).to_have_text("Nothing matches these filters. Clear filters")
    expect(page.locator(".catalog-filters").get_by_text("None", exact=True)).to_have_count(0)
    expect(page.locator("fieldset.facet")).to_have_count(1)  # only Show (all, owned, starred)
    expect(page.get_by_text("Nothing matches")).to_have_count(1)
    shots(page, "list-nothing-matches")
    message.get_by_role("link", name="Clear filters").click()
    expect(page.get_by_role("heading", name=re.compile(r"1\u201350 of 61 entities"))).to_be_visible()
    expect(page.get_by_label("Kind", exact=True)).to_have_value("all")
    expect(page.get_by_label("Search", exact=True)).to_have_value("")
    context.close()
    assert console_errors == []


class HeldRequests:
    """The list's htmx requests, held until released, so that a test can act while one is in flight."""

    def __init__(self, page) -> None:
        self.holding = True
        self.held: list = []
        page.route(re.compile(r"/catalog/\?"), self._route)
        self.page = page

    def _route(self, route) -> None:
        if self.holding and route.request.resource_type in ("xhr", "fetch"):
            self.held.append(route)
        else:
            route.continue_()

    def wait(self, count: int) -> None:
        for _ in range(100):
            if len(self.held) >= count:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"{count} requests expected in flight, {len(self.held)} seen")

    def release(self) -> None:
        self.holding = False
        for route in self.held:
            with contextlib.suppress(PlaywrightError):  # its page is gone: the request was abandoned with it
                route.continue_()
        self.held = []


def test_requests_overtaken_by_typing_or_by_leaving_log_no_error(browser, live_server, org, shots, console_errors):
    base = live_server.url
    context, page = open_page(browser, console_errors, viewport={"width": 1366, "height": 900})
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.goto(f"{base}/catalog/?kind=all")
    search = page.get_by_label("Search", exact=True)

    # Typing on while the first search is in flight: the next waits for it, none is cancelled.
    requests = HeldRequests(page)
    search.press_sequentially("wayback", delay=20)
    requests.wait(1)
    search.press_sequentially(" search", delay=20)
    page.wait_for_timeout(600)  # the next request is due
    search.press("Enter")
    page.wait_for_timeout(200)
    requests.release()
    expect(page.get_by_role("heading", name=re.compile("for \u201cwayback search\u201d"))).to_be_visible()
    expect(search).to_have_value("wayback search")
    assert page.url == f"{base}/catalog/?q=wayback%20search&kind=all"  # the fields left empty left out
    shots(page, "list-typed-fast")
    assert console_errors == []

    # A choice made while the answer to the previous one is on its way: that answer does not undo it.
    page.goto(f"{base}/catalog/")
    requests = HeldRequests(page)
    page.get_by_label("Kind", exact=True).select_option("all")
    requests.wait(1)
    page.get_by_role("radio", name="Owned").check()
    page.wait_for_timeout(300)
    requests.release()
    expect(page.get_by_role("heading", name=re.compile(r"1\u20139 of 9 entities"))).to_be_visible()
    expect(page.get_by_role("radio", name="Owned")).to_be_checked()
    expect(page.get_by_label("Kind", exact=True)).to_have_value("all")
    assert page.url == f"{base}/catalog/?kind=all&user=owned"
    assert console_errors == []

    # A facet ticked while "show all" of another loads: the two are answered in turn.
    page.goto(f"{base}/catalog/?kind=all")
    requests = HeldRequests(page)
    tags = page.locator("[data-facet=tag]")
    tags.locator("details.facet-more summary").click()
    requests.wait(1)
    page.locator("[data-facet=lifecycle]").get_by_label("production").check()
    page.wait_for_timeout(300)
    requests.release()
    expect(page.get_by_role("heading", name=re.compile(r"1\u201311 of 11 entities"))).to_be_visible()
    assert console_errors == []

    # Leaving the page while a facet request is in flight.
    requests = HeldRequests(page)
    page.locator("[data-facet=lifecycle]").get_by_label("experimental").check()
    requests.wait(1)
    first = page.locator(".catalog-table td.cell-name a").first
    target, name = first.get_attribute("href"), first.inner_text()
    first.click()
    page.wait_for_url(f"{base}{target}")
    requests.release()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    page.wait_for_timeout(300)
    context.close()
    assert console_errors == []


def test_entity_actions_star_refresh_view_source_and_unregister(
    browser, live_server, org, tmp_path, shots, console_errors
):
    descriptor = tmp_path / "invoice-renderer" / "catalog-info.yaml"
    descriptor.parent.mkdir()
    descriptor.write_text(NEW_COMPONENT, encoding="utf-8")
    location = load_file(descriptor)
    base = live_server.url
    url = f"{base}/catalog/component/default/invoice-renderer"
    context, page = open_page(browser, console_errors, viewport={"width": 1366, "height": 900})
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.goto(url)
    actions = page.get_by_role("group", name="Actions on this entity")
    shots(page, "entity-actions")

    # The star toggles in place, and stays.
    page.evaluate("window.stillThisPage = true")
    actions.get_by_role("button", name="Star", exact=True).click()
    expect(actions.get_by_role("button", name="Starred", exact=True)).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stillThisPage") is True
    shots(page, "entity-starred")
    page.reload()
    expect(actions.get_by_role("button", name="Starred", exact=True)).to_be_visible()

    # The list's "Starred" filter has it.
    page.goto(f"{base}/catalog/")
    page.get_by_role("radio", name="Starred").check()
    expect(page.get_by_role("heading", name=re.compile(r"1\u20131 of 1 entity"))).to_be_visible()
    expect(page.locator(".catalog-table").get_by_role("link", name="invoice-renderer")).to_be_visible()
    page.get_by_label("Kind", exact=True).select_option("all")
    page.get_by_role("radio", name="Owned").check()
    expect(page.get_by_role("heading", name=re.compile(r"1\u201310 of 10 entities"))).to_be_visible()
    shots(page, "list-owned")

    # View source: a file on the server shows its path.
    page.goto(url)
    actions.get_by_text("View source").click()
    expect(actions.locator("code.source-path")).to_have_text(str(descriptor))
    shots(page, "entity-view-source")

    # Refresh: a message, and a link to the run that reads the location again.
    actions.get_by_role("button", name="Refresh").click()
    message = page.locator(".message-success")
    expect(message).to_contain_text(f"A refresh of {descriptor} is queued.")
    shots(page, "entity-refresh-queued")
    message.get_by_role("link", name="Follow the refresh").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Catalog refresh")

    # Unregister: what goes is listed first, then it is gone.
    page.goto(url)
    actions.get_by_role("link", name="Unregister…").click()
    listed = page.get_by_test_id("unregister-entities")
    expect(listed.get_by_role("link")).to_have_text(["invoice-renderer"])
    shots(page, "entity-unregister-confirm")
    page.get_by_role("button", name="Unregister the location and its 1 entity").click()
    page.wait_for_url(f"{base}/catalog/")
    expect(page.locator(".message-success")).to_contain_text("its 1 entity left the catalog")
    assert not Location.objects.filter(pk=location.pk).exists()
    assert not Entity.objects.filter(ref="component:default/invoice-renderer").exists()
    context.close()

    # Without JavaScript the star is a form that comes back to the page.
    context, page = open_page(browser, console_errors, java_script_enabled=False)
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.goto(f"{base}/catalog/component/default/artist-lookup")
    page.get_by_role("button", name="Star", exact=True).click()
    page.wait_for_url(f"{base}/catalog/component/default/artist-lookup")
    expect(page.get_by_role("button", name="Starred", exact=True)).to_be_visible()
    context.close()
    assert console_errors == []
