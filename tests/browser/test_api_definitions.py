"""API definitions and the API documentation in a real browser: a gRPC definition's methods lead to
their messages and a line of the definition text opens it, an AsyncAPI definition's channels show
their payloads, in the light and the dark theme; the Swagger UI page loads nothing from outside the
portal and leads back to it. Any console error fails the test; screenshots land in
test-results/screenshots/."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in
from tests.catalog.definitions_support import DEFINITIONS
from tests.catalog.test_ui_support import EXAMPLES, load_file, offline
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def org(transactional_db, settings):
    offline(settings)
    load_file(EXAMPLES / "all.yaml")
    load_file(DEFINITIONS / "catalog-info.yaml")
    return make_user("reader@example.com")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_grpc_and_asyncapi_definitions_read_and_link(browser, live_server, org, shots, console_errors, scheme):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme=scheme)
    page = console_errors.watch(context.new_page())
    sign_in(page, base, "reader@example.com", PASSWORD)
    page.get_by_role("heading", level=1).wait_for()

    # A method's response type links to the message, which opens where the link lands.
    page.goto(f"{base}/catalog/api/default/library-example")
    method = page.locator("#rpc-LibraryService-UpdateBook")
    method.locator("summary").click()
    expect(method.get_by_text("PATCH /v1/{book.name=shelves/*/books/*} (body: book)")).to_be_visible()
    shots(page, f"grpc-method-{scheme}", full_page=False)
    method.locator("h4", has_text="Response").get_by_role("link", name="Book").click()
    book = page.locator('[id="proto-google.example.library.v1.Book"]')
    expect(book).to_have_attribute("open", "")
    expect(book.get_by_role("cell", name="author", exact=True)).to_be_in_viewport()
    shots(page, f"grpc-message-{scheme}", full_page=False)

    # A link to a line of the definition opens the folded text at that line.
    page.goto(f"{base}/catalog/api/default/library-example#def-L42")
    expect(page.locator("details.definition-source")).to_have_attribute("open", "")
    expect(page.locator("#def-L42")).to_be_in_viewport()
    shots(page, f"grpc-source-{scheme}", full_page=False)

    # An AsyncAPI 3 channel shows its operation and the payload of its message.
    page.goto(f"{base}/catalog/api/default/streetlights-mqtt")
    channel = page.locator("details.channel").first
    channel.locator("summary").click()
    expect(channel.locator(".schema-name", has_text="lumens")).to_be_visible()
    shots(page, f"asyncapi-channel-{scheme}", full_page=False)
    dim = "smartylighting/streetlights/1/0/action/{streetlightId}/dim"
    page.locator("table.async-messages").get_by_role("link", name=dim).click()
    expect(page.locator("#ch-lightsdim")).to_have_attribute("open", "")
    context.close()
    assert console_errors == []


def test_the_api_documentation_loads_nothing_from_outside_and_leads_back(
    browser, live_server, org, shots, console_errors
):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    outside: list[str] = []

    def only_the_portal(route) -> None:
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_portal)
    page = console_errors.watch(context.new_page())
    sign_in(page, base, "reader@example.com", PASSWORD)
    page.get_by_role("heading", level=1).wait_for()

    page.goto(f"{base}/api/docs/")
    expect(page.locator(".opblock-summary-path", has_text="/api/portal/me")).to_be_visible()
    expect(page.get_by_text("Who is calling: the account of the session or of the API token.")).to_be_visible()
    shots(page, "api-docs", full_page=False)
    page.get_by_role("link", name="Back to Atrium").click()
    page.wait_for_url(f"{base}/")
    context.close()
    assert outside == []
    assert console_errors == []
