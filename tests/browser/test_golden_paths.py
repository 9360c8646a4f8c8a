"""Each shipped golden path from its form to the end on the embedded defaults, as a newcomer runs it after
``make run``: no GitHub, so the repository picker offers Atrium's own git host; a real Celery worker renders,
publishes to a local bare repository and registers the component; then the component's page and the
repository's page (its files and README). Any console error fails the test; screenshots land in
test-results/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog import services as catalog_services
from catalog.models import Entity
from scaffolder.models import RunStatus, Task
from tests.browser.test_shell import sign_in
from tests.catalog.test_ui_support import load_examples
from tests.conftest import PASSWORD, make_user

ANSWERS = {
    "#f-description": "Takes and tracks customer orders.",
    "#f-system": "podcast",
    "#f-repoUrl-owner": "acme",
}


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The example organisation and the golden paths, no GitHub, and Janelle of team-a."""
    load_examples(settings)
    catalog_services.process_location(catalog_services.ensure_templates_location())
    settings.SCAFFOLDER_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = tmp_path / "git-checkouts"
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = tmp_path / "git"
    return make_user("janelle-dawe@example.com", first_name="Janelle")


def fill_page(page, name: str) -> None:
    """Answer what the current page of a golden path's form asks (the rest keeps its defaults)."""
    if page.locator("#f-name").count():
        page.locator("#f-name").fill(name)
    if page.locator("#f-owner").count():
        page.locator("#f-owner").select_option("group:default/team-a")
    if page.locator("#f-repoUrl-repo").count():
        expect(page.locator("#f-repoUrl-host option")).to_have_text(["local (Atrium's git host)"])
        page.locator("#f-repoUrl-repo").fill(name)
    for selector, value in ANSWERS.items():
        if page.locator(selector).count():
            page.locator(selector).fill(value)


@pytest.mark.parametrize(
    ("template", "name"),
    [("django-service", "orders-api"), ("fastapi-service", "pricing-api"), ("python-library", "billing-client")],
)
def test_a_golden_path_runs_to_the_end_on_the_embedded_defaults(
    browser, live_server, world, celery_worker, shots, console_errors, template, name
):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = console_errors.watch(context.new_page())
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()

    page.goto(f"{base}/create/templates/default/{template}/run")
    for _ in range(5):
        fill_page(page, name)
        if page.get_by_role("button", name="Review").count():
            break
        page.get_by_role("button", name="Next").click()
    shots(page, "repository-page")
    page.get_by_role("button", name="Review").click()
    expect(page.locator('[data-review="repoUrl"]')).to_have_text(f"local/acme/{name}")
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(re.compile(r"/create/tasks/[0-9a-f-]+$"))
    expect(page.get_by_test_id("task-status")).to_have_text("Completed", timeout=90_000)
    expect(page.locator(".task-step", has_text="Publish to Atrium's git host").locator(".badge")).to_have_text(
        "Completed"
    )
    expect(page.locator(".task-step", has_text="Publish to GitHub").locator(".badge")).to_have_text("Skipped")
    shots(page, "task-completed")
    assert Task.objects.get().status == RunStatus.SUCCEEDED

    result = page.get_by_test_id("task-result")
    expect(result.get_by_role("link", name="Repository")).to_have_attribute("href", f"/git/acme/{name}/")
    result.get_by_role("link", name="Open in catalog").click()
    page.wait_for_url(f"{base}/catalog/component/default/{name}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    entity = Entity.objects.get(ref=f"component:default/{name}")
    assert entity.owner_ref == "group:default/team-a"
    shots(page, "component")

    page.go_back()
    page.get_by_test_id("task-result").get_by_role("link", name="Repository").click()
    page.wait_for_url(f"{base}/git/acme/{name}/")
    tree = page.get_by_test_id("repo-tree")
    expect(tree.get_by_role("link", name="catalog-info.yaml")).to_be_visible()
    expect(page.locator(".readme .markdown h1").first).to_contain_text(name)
    shots(page, "repository")
    tree.get_by_role("link", name="catalog-info.yaml").click()
    expect(page.get_by_test_id("file-text")).to_contain_text(f"name: {name}")
    shots(page, "repository-file")
    context.close()
    assert console_errors == []
