"""The task lists in a real browser: My tasks and Home name what each run created (the component, with a
link to its catalog page; the repository; or, while nothing is created yet, the name entered). Any
console error fails the test; screenshots land in test-results/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models.runs import RunStatus
from tests.browser.test_shell import sign_in
from tests.catalog.test_ui_support import file_writer, load_file
from tests.conftest import PASSWORD, make_user
from tests.scaffolder.test_ui_support import make_task
from tests.scaffolder.test_ui_task_created import NAMED, OUTPUT

COMPONENT = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: billing-client, description: A typed client of the billing API}
spec: {type: library, lifecycle: production, owner: billing}
"""


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """Dana's tasks: one that created billing-client (in the catalog), one that published a repository only,
    and one still running for the name she entered."""
    load_file(file_writer(settings, tmp_path)("billing-client/catalog-info.yaml", COMPONENT))
    user = make_user("dev@example.com", first_name="Dana", last_name="Developer")
    make_task(user, status=RunStatus.SUCCEEDED, output=OUTPUT, template=NAMED)
    make_task(user, status=RunStatus.SUCCEEDED, output={"links": OUTPUT["links"][:1]}, template=NAMED)
    make_task(user, status=RunStatus.RUNNING, template=NAMED, values={"name": "orders-api"})
    return user


def test_my_tasks_and_home_name_what_each_run_created(browser, live_server, world, shots, console_errors):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = console_errors.watch(context.new_page())
    sign_in(page, base, "dev@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Dana").wait_for()

    home = page.get_by_test_id("home-running-tasks")
    expect(home.locator("li").first).to_contain_text("Python library · orders-api Running")
    expect(home.get_by_role("link", name="billing-client", exact=True)).to_have_count(1)
    shots(page, "home-running-tasks")

    page.goto(f"{base}/create/tasks/")
    cells = page.locator('td[data-label="created"]')
    expect(cells).to_have_text(
        ["orders-api name entered", "acme/billing-client repository", "billing-client component"]
    )
    expect(cells.nth(1).get_by_role("link")).to_have_attribute("href", "https://github.com/acme/billing-client")
    shots(page, "my-tasks")

    cells.nth(2).get_by_role("link", name="billing-client").click()
    page.wait_for_url(f"{base}/catalog/component/default/billing-client")
    expect(page.get_by_role("heading", level=1)).to_contain_text("billing-client")
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = console_errors.watch(phone.new_page())
    sign_in(page, base, "dev@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Dana").wait_for()
    page.goto(f"{base}/create/tasks/")
    expect(page.locator('td[data-label="created"]').first).to_be_visible()
    shots(page, "phone-my-tasks")
    phone.close()
    assert console_errors == []
