"""Browser tests: Playwright (Python) driving Debian's Chromium headless against the live server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
#: Screenshots land here, one folder per test, for people to look at.
OUTPUT = Path(os.environ.get("ATRIUM_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-results"))

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
# synchronous, so Django's guard against ORM use from async code does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and was not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's chromium package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class ConsoleErrors(list):
    def watch(self, page):
        page.set_default_timeout(10_000)

        def on_console(message) -> None:
            if message.type == "error":
                self.append(f"console: {message.text} at {message.location.get('url')}")

        def on_request_failed(request) -> None:
            # A request the browser itself abandons (the page navigated on) is not a failure of the page.
            if request.failure != "net::ERR_ABORTED":
                self.append(f"request failed: {request.url}")

        def on_response(response) -> None:
            if response.status >= 400 and response.request.resource_type != "document":
                self.append(f"HTTP {response.status}: {response.url}")

        page.on("console", on_console)
        page.on("requestfailed", on_request_failed)
        page.on("response", on_response)
        page.on("pageerror", lambda error: self.append(f"page error: {error}"))
        return page


@pytest.fixture
def shots(request):
    folder = OUTPUT / "screenshots" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shoot(page, name: str, *, full_page: bool = True) -> Path:
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shoot


@pytest.fixture
def console_errors():
    return ConsoleErrors()
