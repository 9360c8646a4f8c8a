"""Create in a real browser: sign in, open Create, choose the Python library golden path, fill its form (an
error shown by the browser, then one from the server fixed in place), review, try it as a dry run and read
its files, then create it for real (a real Celery worker publishes to a fake GitHub and registers it in the
catalog) while the live log follows the steps, and open the result. Then the pages on a phone and in the
dark theme. Any console error fails the test; screenshots land in test-results/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog import services as catalog_services
from scaffolder.models import RunStatus, Task
from tests.browser.test_shell import sign_in
from tests.catalog.test_ui_support import load_examples
from tests.conftest import PASSWORD, make_user
from tests.fakes.github_write import FakeGitHubWrite
from tests.scaffolder.test_ui_support import make_task
from tests.scaffolder.test_ui_tasks import dry_run_output


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The example organisation, the golden paths, a fake GitHub to publish to, and Janelle of team-a."""
    load_examples(settings)
    catalog_services.process_location(catalog_services.ensure_templates_location())
    fake = FakeGitHubWrite(tmp_path / "github-git").start()
    settings.SCAFFOLDER_GITHUB_API_URL = fake.url
    settings.SCAFFOLDER_GITHUB_TOKEN = fake.token
    settings.CATALOG_GITHUB_API_URL = fake.url
    settings.CATALOG_GITHUB_TOKEN = fake.token
    settings.SCAFFOLDER_WORKSPACE_DIR = tmp_path / "workspaces"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = tmp_path / "git-checkouts"
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = tmp_path / "git"
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(tmp_path)]
    user = make_user("janelle-dawe@example.com", first_name="Janelle")
    yield {"fake": fake, "user": user, "folder": tmp_path}
    fake.stop()


def open_page(browser, console_errors, **options):
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    return context, console_errors.watch(context.new_page())


def fill_details(page) -> None:
    page.get_by_label("Description").fill("A typed client for the billing API.")
    page.get_by_label("Owner").select_option("group:default/team-a")
    page.get_by_label("System").fill("podcast")
    page.get_by_label("Lifecycle").select_option("production")


def test_create_a_python_library_from_its_golden_path(
    browser, live_server, world, celery_worker, shots, console_errors
):
    base = live_server.url
    context, page = open_page(browser, console_errors)
    polls: list[str] = []

    def on_response(response) -> None:
        if "/events?after=" in response.url:
            polls.append(response.url)

    page.on("response", on_response)
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()
    expect(page.get_by_test_id("home-running-tasks")).to_contain_text("Nothing running.")

    # Create, from the navigation: the gallery of golden paths, filtered by tag in place.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create").click()
    page.wait_for_url(f"{base}/create/")
    expect(page.locator(".template-card")).to_have_count(3)
    shots(page, "gallery")
    page.locator("[data-facet=tag]").get_by_label("library").check()
    expect(page.locator(".template-card")).to_have_count(1)
    assert "tag=library" in page.url
    page.get_by_role("link", name="Choose Python library").click()
    page.wait_for_url(f"{base}/create/templates/default/python-library/run")

    # Page 1: the browser refuses a name that does not match the pattern…
    expect(page.get_by_role("heading", name="Library details")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "f-name"
    page.get_by_label("Name").fill("Billing Client")
    fill_details(page)
    page.get_by_role("button", name="Next").click()
    assert page.locator("#f-name").evaluate("element => element.validity.patternMismatch") is True
    expect(page.get_by_role("heading", name="Library details")).to_be_visible()
    # …and so does the server, for a browser that does not check: the error sits under the field.
    page.evaluate("document.getElementById('run-form').noValidate = true")
    page.get_by_role("button", name="Next").click()
    error = page.locator("#f-name-errors")
    expect(error).to_have_text(
        "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter (e.g. billing-client, "
        "imported as billing_client)."
    )
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("A typed client for the billing API.")
    assert Task.objects.count() == 0
    shots(page, "form-error")
    page.get_by_label("Name").fill("billing-client")
    page.get_by_role("button", name="Next").click()

    # Page 2: where the repository goes: GitHub is configured, so it is offered next to the local git host.
    expect(page.get_by_role("heading", name="Repository", exact=True)).to_be_visible()
    host = page.get_by_label("Host")
    expect(host.locator("option")).to_have_text(["local (Atrium's git host)", "github.com"])
    host.select_option("github.com")
    page.get_by_label("Owner").fill("acme")
    page.get_by_label("Repository", exact=True).fill("billing-client")
    shots(page, "form-repository")
    page.get_by_role("button", name="Review").click()

    # The review.
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    expect(page.locator('[data-review="name"]')).to_have_text("billing-client")
    expect(page.locator('[data-review="owner"]')).to_have_text("team-a")
    expect(page.locator('[data-review="system"]')).to_have_text("podcast")
    expect(page.locator('[data-review="lifecycle"]')).to_have_text("Production (supported)")
    expect(page.locator('[data-review="repoUrl"]')).to_have_text("github.com/acme/billing-client")
    shots(page, "review")

    # A dry run: the worker renders the files; nothing is published.
    page.get_by_role("button", name="Dry run").click()
    page.wait_for_url(re.compile(r"/create/tasks/[0-9a-f-]+$"))
    expect(page.get_by_test_id("task-status")).to_have_text("Completed", timeout=60_000)
    dry_run = page.get_by_test_id("dry-run")
    expect(dry_run.get_by_role("link", name="pyproject.toml")).to_be_visible()
    expect(dry_run.locator(".file-path")).to_have_text("README.md")
    dry_run.get_by_role("link", name="pyproject.toml").click()
    expect(page.locator("#dry-run-file .file-path")).to_have_text("pyproject.toml")
    expect(page.locator("#dry-run-file pre")).to_contain_text('name = "billing-client"')
    assert world["fake"].created == []
    shots(page, "dry-run")

    # From the dry run, back to the review with the same answers, and Create.
    page.get_by_role("button", name="Review and create for real").click()
    expect(page.locator('[data-review="repoUrl"]')).to_have_text("github.com/acme/billing-client")
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(re.compile(r"/create/tasks/[0-9a-f-]+$"))
    log = page.get_by_test_id("task-log")
    expect(log).to_contain_text("Beginning step Render the skeleton", timeout=60_000)
    shots(page, "task-running")
    expect(page.get_by_test_id("task-status")).to_have_text("Completed", timeout=60_000)
    expect(page.locator(".task-step", has_text="Publish to Atrium's git host").locator(".badge")).to_have_text(
        "Skipped"
    )
    for step in ("Render the skeleton", "Publish to GitHub", "Register in the catalog"):
        expect(log).to_contain_text(f"Finished step {step}")
        expect(page.locator(".task-step", has_text=step).locator(".badge")).to_have_text("Completed")
    assert polls, "the log was followed live"
    result = page.get_by_test_id("task-result")
    expect(result.get_by_role("link", name="Repository")).to_have_attribute("href", re.compile(r"acme/billing-client"))
    expect(result.get_by_role("link", name="Open in catalog")).to_have_attribute(
        "href", "/catalog/component/default/billing-client"
    )
    shots(page, "task-completed")
    task = Task.objects.get(dry_run=False)
    assert task.status == RunStatus.SUCCEEDED
    assert [repo["name"] for repo in world["fake"].created] == ["billing-client"]
    result.get_by_role("link", name="Open in catalog").click()
    page.wait_for_url(f"{base}/catalog/component/default/billing-client")
    shots(page, "catalog-entity")

    # Home lists the tasks; My tasks too.
    page.goto(f"{base}/")
    expect(page.get_by_test_id("home-running-tasks").get_by_role("link", name="Python library")).to_have_count(2)
    page.goto(f"{base}/create/tasks/")
    expect(page.locator(".task-table tbody tr")).to_have_count(2)
    shots(page, "my-tasks")
    context.close()
    assert console_errors == []


@pytest.mark.parametrize(("scheme", "width"), [("dark", 1280), ("light", 390), ("dark", 390)])
def test_create_pages_in_both_themes_and_on_a_phone(browser, live_server, world, shots, console_errors, scheme, width):
    base = live_server.url
    phone = width < 600
    options = {"viewport": {"width": width, "height": 844 if phone else 900}, "color_scheme": scheme}
    context, page = open_page(browser, console_errors, is_mobile=phone, **options)
    failed = make_task(world["user"], status=RunStatus.FAILED, error="Step Publish to GitHub failed: Bad credentials")
    output = {**dry_run_output(), "links": [{"title": "Repository", "url": "https://github.com/acme/billing-client"}]}
    tried = make_task(world["user"], status=RunStatus.SUCCEEDED, dry_run=True, output=output)
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()
    prefix = f"{'phone' if phone else 'desktop'}-{scheme}"
    for name, path in (
        ("gallery", "/create/"),
        ("template", "/create/templates/default/django-service"),
        ("form", "/create/templates/default/django-service/run"),
        ("task-failed", f"/create/tasks/{failed.pk}"),
        ("dry-run", f"/create/tasks/{tried.pk}"),
        ("my-tasks", "/create/tasks/"),
        ("actions", "/create/actions"),
        ("home", "/"),
    ):
        page.goto(f"{base}{path}")
        expect(page.locator("main")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is wider than the screen by {overflow}px"
        shots(page, f"{prefix}-{name}")
    page.goto(f"{base}/create/templates/default/python-library/run")
    page.get_by_label("Name").fill("billing-client")
    fill_details(page)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Owner").fill("acme")
    page.get_by_label("Repository", exact=True).fill("billing-client")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    shots(page, f"{prefix}-review")
    page.goto(f"{base}/create/templates/default/django-service/run")
    page.get_by_role("button", name="Next").click()  # required fields: the browser says what is missing
    page.evaluate("document.getElementById('run-form').noValidate = true")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    shots(page, f"{prefix}-form-errors")
    context.close()
    assert console_errors == []


def test_fields_and_pages_that_depend_on_answers(browser, live_server, world, shots, console_errors):
    from tests.catalog.test_ui_support import load_file
    from tests.scaffolder.test_ui_run_conditions import CONDITIONAL
    from tests.scaffolder.test_ui_support import BACKSTAGE_TEMPLATES

    load_file(BACKSTAGE_TEMPLATES / "conditional-parameters-demo" / "template.yaml")
    folder = world["folder"] / "conditional"
    folder.mkdir()
    (folder / "template.yaml").write_text(CONDITIONAL, encoding="utf-8")
    load_file(folder / "template.yaml")
    base = live_server.url
    context, page = open_page(browser, console_errors)
    sign_in(page, base, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()

    # A field shown once the box it depends on is ticked: the form is refreshed in place (htmx).
    page.goto(f"{base}/create/templates/default/conditional/run")
    page.evaluate("window.stillThisPage = true")
    expect(page.get_by_label("Database name")).to_have_count(0)
    page.get_by_label("Has a database").check()
    expect(page.get_by_label("Database name")).to_be_visible()
    assert page.evaluate("window.stillThisPage") is True
    assert page.evaluate("document.activeElement.id") == "f-hasDb"
    shots(page, "dependent-field")
    page.get_by_label("Database name").fill("orders")
    page.get_by_role("button", name="Review").click()
    expect(page.locator('[data-review="dbName"]')).to_have_text("orders")

    # Pages shown for some answers only (Backstage's conditional-parameters-demo).
    page.goto(f"{base}/create/templates/default/conditional-parameters-demo/run")
    page.get_by_label("Component Name").fill("demo")
    page.get_by_label("Cloud Provider").select_option("GCP")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="GCP Configuration")).to_be_visible()
    expect(page.locator(".wizard-steps li")).to_have_text(
        [
            re.compile("Choose Cloud Provider"),
            re.compile("GCP Configuration"),
            re.compile("Advanced Options"),
            re.compile("Review"),
        ]
    )
    page.get_by_label("GCP Project ID").fill("p-1")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Enable Monitoring").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Monitoring Configuration")).to_be_visible()
    expect(page.get_by_label("Alert Threshold (%)")).to_have_value("90")
    shots(page, "conditional-page")
    page.get_by_role("button", name="Review").click()
    expect(page.locator('[data-review="gcpProjectId"]')).to_have_text("p-1")
    shots(page, "conditional-review")
    context.close()
    assert console_errors == []
