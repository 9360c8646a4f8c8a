"""A template's form in a real browser, as people read its errors: a value that does not match a pattern is
explained in words (the field's help, the pattern described, or an example), never as a regular expression;
an entity picker refuses what the catalog does not have, saying what was typed and what to choose, and keeps
accepting any reference where the template allows it. Screenshots land in test-results/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog import services as catalog_services
from scaffolder.models import Task
from tests.browser.test_shell import sign_in
from tests.catalog.test_ui_support import file_writer, load_examples, load_file
from tests.conftest import PASSWORD, make_user

CHECKS = """apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: checks
  title: Form checks
  description: Fields whose answers the catalog and a pattern decide.
spec:
  owner: group:default/team-a
  type: service
  parameters:
    - title: Component
      required: [name, owner]
      properties:
        name:
          title: Name
          type: string
          description: The component's name, used for its repository and the catalog.
          pattern: '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'
        version:
          title: First version
          type: string
          pattern: '^v[0-9]+[.][0-9]+$'
          ui:placeholder: v0.1
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options: {catalogFilter: {kind: Group}}
        system:
          title: System
          type: string
          description: The system the component belongs to (optional).
          ui:field: EntityPicker
          ui:options: {catalogFilter: {kind: System}}
        upstream:
          title: Upstream
          type: string
          description: Any component, even one not in the catalog yet.
          ui:field: EntityPicker
          ui:options: {catalogFilter: {kind: Component}, defaultKind: Component, allowArbitraryValues: true}
  steps:
    - id: log
      name: Say hello
      action: debug:log
      input: {message: 'Hello ${{ parameters.name }}'}
"""
NAME_IN_WORDS = (
    "Use 3\N{EN DASH}40 characters: lowercase letters, digits and dashes, starting with a letter and ending with a "
    "letter or a digit."
)
REGEX = re.compile(r"[\^\$]|\[a-z|\{1,38\}")


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The example organisation, the golden paths, the checks template, and Janelle of team-a."""
    load_examples(settings)
    catalog_services.process_location(catalog_services.ensure_templates_location())
    load_file(file_writer(settings, tmp_path)("checks/template.yaml", CHECKS))
    return make_user("janelle-dawe@example.com", first_name="Janelle")


@pytest.fixture
def page(browser, console_errors, live_server, world):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = console_errors.watch(context.new_page())
    sign_in(page, live_server.url, "janelle-dawe@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Janelle").wait_for()
    yield page
    context.close()


def test_a_system_not_in_the_catalog_is_refused_under_its_field(page, live_server, shots, console_errors):
    page.goto(f"{live_server.url}/create/templates/default/checks/run")
    page.get_by_label("Name").fill("orders")
    page.get_by_label("Owner").select_option("group:default/team-b")
    page.get_by_label("System").fill("no-such-system")
    page.get_by_label("Upstream").fill("not-in-the-catalog")
    page.get_by_role("button", name="Review").click()

    expect(page.locator("#f-system-errors")).to_have_text(
        "There is no System named no-such-system in the catalog; choose one of the listed systems."
    )
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_label("System")).to_have_value("no-such-system")
    expect(page.get_by_label("System")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-upstream-errors")).to_have_count(0)
    assert page.evaluate("document.activeElement.id") == "f-system"
    assert Task.objects.count() == 0
    shots(page, "unknown-system")

    page.get_by_label("System").fill("podcast")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    expect(page.locator('[data-review="system"]')).to_have_text("podcast")
    expect(page.locator('[data-review="upstream"]')).to_have_text("component:not-in-the-catalog")
    shots(page, "review")
    page.get_by_role("button", name="Create", exact=True).click()
    page.wait_for_url(re.compile(r"/create/tasks/[0-9a-f-]+$"))
    assert Task.objects.get().values == {
        "name": "orders",
        "owner": "group:default/team-b",
        "system": "system:default/podcast",
        "upstream": "component:default/not-in-the-catalog",
    }
    assert console_errors == []


def test_a_value_not_matching_its_pattern_is_explained_in_words(page, live_server, shots, console_errors):
    page.goto(f"{live_server.url}/create/templates/default/checks/run")
    page.get_by_label("Name").fill("Orders API")
    page.get_by_label("First version").fill("1.0")
    page.get_by_label("Owner").select_option("group:default/team-a")
    page.get_by_role("button", name="Review").click()
    assert page.locator("#f-name").evaluate("element => element.validity.patternMismatch") is True

    page.evaluate("document.getElementById('run-form').noValidate = true")  # a browser that does not check
    page.get_by_role("button", name="Review").click()

    expect(page.locator("#f-name-errors")).to_have_text(NAME_IN_WORDS)
    expect(page.locator("#f-version-errors")).to_have_text("Use the expected format (for example: v0.1).")
    errors = page.locator(".errorlist").all_inner_texts()
    assert errors == [NAME_IN_WORDS, "Use the expected format (for example: v0.1)."]
    assert not any(REGEX.search(text) for text in errors)
    expect(page.get_by_label("Name")).to_have_attribute("pattern", "^[a-z][a-z0-9\\-]{1,38}[a-z0-9]$")
    assert Task.objects.count() == 0
    shots(page, "pattern-errors")

    page.get_by_label("Name").fill("orders-api")
    page.get_by_label("First version").fill("v1.0")
    page.get_by_role("button", name="Review").click()
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    assert console_errors == []


def test_a_golden_path_explains_its_name_with_its_help(page, live_server, shots, console_errors):
    page.goto(f"{live_server.url}/create/templates/default/django-service/run")
    page.get_by_label("Name").fill("Orders API")
    page.get_by_label("Description").fill("Takes and tracks customer orders.")
    page.get_by_label("Owner").select_option("group:default/team-a")
    page.get_by_label("System").fill("no-such-system")
    page.evaluate("document.getElementById('run-form').noValidate = true")
    page.get_by_role("button", name="Next").click()

    help_text = "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter (e.g. orders-api)."
    expect(page.locator("#f-name-errors")).to_have_text(help_text)
    expect(page.get_by_text(help_text)).to_have_count(1)  # said once, as the error, not again as the help
    expect(page.locator("#f-system-errors")).to_have_text(
        "There is no System named no-such-system in the catalog; choose one of the listed systems."
    )
    assert Task.objects.count() == 0
    shots(page, "golden-path-errors")
    assert console_errors == []
