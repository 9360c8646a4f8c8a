"""The administrators' pages in a real browser at 1366 by 900: the audit log (filters as a link, objects
linked to their pages, changes before → after, nothing wider than the screen) and the runs pages it
links to (a failed golden-path task with its error, log and retry). Any console error fails the test;
screenshots land in test-results/screenshots/."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog import services as catalog
from portal import audit, runs
from portal.models import AuditEntry
from scaffolder import services
from tests.browser.test_shell import sign_in
from tests.conftest import PASSWORD, make_user
from tests.scaffolder.engine_support import install_people, install_template, template_doc

WIDTH, HEIGHT = 1366, 900
DANGER = "rgb(179, 38, 30)"  # --danger of the light theme
LONG_URL = (
    "https://github.com/acme/payments-platform/blob/main/services/payments-api/deploy/environments/"
    "production/europe-west1/catalog-info.yaml"
)


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """Dana ran three golden-path tasks (one registered a service, one failed, one was cancelled by Lee,
    an administrator, while it waited), and Lee registered a location with a long URL."""
    root = tmp_path / "scaffolder"
    settings.SCAFFOLDER_WORKSPACE_DIR = root / "workspaces"
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = root / "git"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = root / "git-checkouts"
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(tmp_path)]
    install_people(tmp_path / "people")
    dana = make_user("dev@example.com", first_name="Dana")
    lead = make_user("lead@example.com", staff=True, is_superuser=True, first_name="Lee")
    folder = root / "git-checkouts" / "acme" / "payments-api"
    folder.mkdir(parents=True)
    (folder / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: payments-api}\n"
        "spec: {type: service, lifecycle: experimental, owner: group:default/payments}\n"
    )
    register = [
        {
            "id": "register",
            "name": "Register in the catalog",
            "action": "catalog:register",
            "input": {"catalogInfoUrl": f"file:{folder / 'catalog-info.yaml'}"},
        }
    ]
    broken = [{"id": "publish", "name": "Publish to GitHub", "action": "publish:nowhere", "input": {}}]
    registers = install_template(tmp_path / "t1", template_doc("service-in-catalog", register))
    breaks = install_template(tmp_path / "t2", template_doc("broken-path", broken))
    succeeded = services.create_task(dana, registers, {})
    runs.execute(succeeded.pk)
    failed = services.create_task(dana, breaks, {})
    runs.execute(failed.pk)
    cancelled = services.create_task(dana, registers, {})
    runs.cancel(cancelled, by=lead)
    with audit.actor_context(user=lead):
        catalog.register_location(type="url", target=LONG_URL, user=lead, refresh=False)
    return {"dana": dana, "lead": lead, "succeeded": succeeded, "failed": failed, "cancelled": cancelled}


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = console_errors.watch(context.new_page())
    yield page
    context.close()


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is wider than the screen by {overflow}px"
    wide = page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].map(wrap => wrap.scrollWidth - wrap.clientWidth)"
    )
    assert all(extra <= 0 for extra in wide), f"a table of {page.url} overflows by {wide}px"


def test_the_audit_log_and_the_runs_pages_it_links_to(page, live_server, world, shots, console_errors):
    base = live_server.url
    sign_in(page, base, "lead@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Lee").wait_for()

    # The audit log sits in the navigation between Runs and the Django admin.
    nav = page.get_by_role("navigation", name="Main")
    labels = [link.inner_text().strip() for link in nav.get_by_role("link").all()]
    assert labels[-3:] == ["Runs", "Audit log", "Admin"]
    nav.get_by_role("link", name="Audit log").click()
    page.wait_for_url(f"{base}/audit/")
    expect(nav.get_by_role("link", name="Audit log")).to_have_attribute("aria-current", "page")
    table = page.get_by_test_id("audit-entries")
    expect(table).to_be_visible()
    no_overflow(page)
    shots(page, "audit-log")

    # Newest first: Lee's sign-in, then the location Lee registered.
    first = table.locator("tbody tr").first
    expect(first.locator("td").nth(1).get_by_role("link")).to_have_text("lead@example.com")
    expect(first.locator("td").nth(2)).to_have_text("Signed in")

    # The failed task's end: Dana's, with the error, the task linked to its run page.
    ended = table.locator("tbody tr", has_text="Ended: failed")
    expect(ended).to_have_count(1)
    expect(ended.locator("td").nth(1).get_by_role("link")).to_have_text("dev@example.com")
    expect(ended.locator(".changes dt")).to_have_text(["status", "error"])
    expect(ended.locator(".changes dd")).to_have_text(
        ["running → failed", "Step Publish to GitHub failed: action publish:nowhere is not installed"]
    )
    shots(page, "audit-log-failed-entry", full_page=False)

    # Filter by actor and action with the form: the filtered view is a link.
    page.get_by_label("Actor", exact=True).fill("dev@example.com")
    page.get_by_label("Action", exact=True).select_option("create")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/audit/\?"))
    assert parse_qs(urlsplit(page.url).query) == {"actor": ["dev@example.com"], "action": ["create"]}
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)  # three tasks and the location the first one registered
    assert rows.locator("td:nth-child(2) a").all_inner_texts() == ["dev@example.com"] * 4
    expect(page.get_by_test_id("audit-count")).to_have_text("4 entries match these filters.")
    no_overflow(page)
    shots(page, "audit-log-filtered")

    # What the task registered in the catalog names Dana, and links to the location's page.
    registered = rows.filter(has_text="catalog.location")
    expect(registered).to_have_count(1)
    registered.get_by_role("link", name="history").click()
    page.wait_for_url(re.compile(r"/audit/\?type=catalog.location&object="))
    expect(rows).to_have_count(1)
    location = AuditEntry.objects.get(object_type="catalog.location", actor_id=world["dana"].pk)
    expect(rows.first.get_by_role("link", name=location.object_label)).to_have_attribute(
        "href", f"/catalog/locations/{location.object_id}"
    )

    # A long value is cut, and opens in place.
    page.goto(f"{base}/audit/?actor=lead&action=create&type=catalog.location")
    folded = table.locator(".changes-folded")
    expect(folded.locator("> summary")).to_have_text("Set 6 fields: id, type, target, managed, created, created_by")
    folded.locator("> summary").click()
    value = table.locator(".long-value").first
    expect(value.locator("summary")).to_contain_text("…")
    value.locator("summary").click()
    expect(value.locator(".value")).to_have_text(LONG_URL)
    no_overflow(page)
    shots(page, "audit-log-long-value")

    # From the failed task's end to its run page: status, error, log and retry.
    page.goto(f"{base}/audit/?action=failed")
    table.locator("tbody tr").first.get_by_role("link", name=re.compile("broken-path")).click()
    page.wait_for_url(f"{base}/runs/{world['failed'].pk}/")
    expect(page.get_by_test_id("run-status")).to_have_text("Failed")
    expect(page.get_by_test_id("run-error")).to_have_text(
        "Step Publish to GitHub failed: action publish:nowhere is not installed"
    )
    assert page.get_by_test_id("run-error").evaluate("element => getComputedStyle(element).color") == DANGER
    expect(page.get_by_test_id("run-log")).to_contain_text("Run completed with status: failed")
    expect(page.get_by_role("button", name="Retry from the step that did not finish")).to_be_visible()
    no_overflow(page)
    shots(page, "run-failed")

    # Back to the audit log, for this run only; then only what happened in a time range.
    page.get_by_role("link", name="Its entries in the audit log").click()
    expect(table.locator("tbody tr td:nth-child(3)")).to_have_text(["Ended: failed", "Created"])
    page.get_by_role("link", name="Clear filters").click()
    page.wait_for_url(f"{base}/audit/")
    ended_at = timezone.localtime(AuditEntry.objects.get(action="failed").timestamp).replace(second=0, microsecond=0)
    page.get_by_label("From", exact=True).fill(f"{ended_at:%Y-%m-%dT%H:%M}")
    page.get_by_label("To", exact=True).fill(f"{ended_at:%Y-%m-%dT%H:%M}")
    page.get_by_label("Action", exact=True).select_option("failed")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"since="))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_label("From", exact=True)).to_have_value(f"{ended_at:%Y-%m-%dT%H:%M}")
    shots(page, "audit-log-time-range")

    # The runs list, filtered by kind, status, user and subject.
    page.goto(f"{base}/runs/")
    no_overflow(page)
    shots(page, "runs")
    page.get_by_label("Kind").select_option("scaffolder.task")
    page.get_by_label("Status").select_option("failed")
    page.get_by_label("Started by").fill("dev@")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"/runs/\?"))
    expect(page.get_by_test_id("runs").locator("tbody tr")).to_have_count(1)
    shots(page, "runs-filtered")

    assert console_errors == []


def test_the_audit_log_in_the_dark_theme_fits_the_screen(browser, live_server, world, shots, console_errors):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, color_scheme="dark")
    page = console_errors.watch(context.new_page())
    sign_in(page, live_server.url, "lead@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="Lee").wait_for()

    page.goto(f"{live_server.url}/audit/")
    page.locator(".changes-folded > summary").first.click()

    expect(page.get_by_test_id("audit-entries")).to_be_visible()
    no_overflow(page)
    shots(page, "audit-log-dark")
    context.close()
    assert console_errors == []
