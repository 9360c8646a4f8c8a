"""A newcomer's first visit, in a real browser: sign up, verify, sign in, look around, make an
API token, use it, revoke it, sign out. Any console error fails the test."""

import re
import urllib.error
import urllib.request

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import make_user

PASSWORD = "a-long-and-unusual-passphrase"


def call_api(base_url: str, token: str) -> int:
    request = urllib.request.Request(f"{base_url}/api/portal/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = console_errors.watch(context.new_page())
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


def test_sign_up_sign_in_navigate_tokens_and_sign_out(page, live_server, shots, console_errors):
    base = live_server.url

    # An anonymous visitor is sent to the sign-in page.
    page.goto(f"{base}/")
    assert page.url == f"{base}/accounts/login/?next=/"
    shots(page, "sign-in")

    # Sign up; verification is mandatory outside the demo, so the e-mail link must be followed.
    page.get_by_role("link", name="sign up").click()
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    shots(page, "sign-up")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()
    shots(page, "verification-sent")
    assert len(mail.outbox) == 1
    found = re.search(r"https?://\S+/accounts/confirm-email/\S+", str(mail.outbox[0].body))
    assert found is not None
    link = found.group(0)
    page.goto(link.replace("http://testserver", base).replace("https://testserver", base))
    page.get_by_role("button", name="Confirm").click()

    # Sign in and land on Home.
    sign_in(page, base, "newcomer@example.com", PASSWORD)
    page.get_by_role("heading", level=1).filter(has_text="newcomer@example.com").wait_for()
    assert page.url == f"{base}/"
    shots(page, "home")

    # Every navigation entry opens a page of the shell.
    nav = page.get_by_role("navigation", name="Main")
    entries = [(link.inner_text().strip(), link.get_attribute("href")) for link in nav.get_by_role("link").all()]
    assert entries[0] == ("Home", "/")
    assert "Admin" not in [label for label, _ in entries]  # administrators only
    for label, href in entries:
        nav.get_by_role("link", name=label).click()
        page.wait_for_url(f"{base}{href}")
        assert nav.get_by_role("link", name=label).get_attribute("aria-current") == "page"
        shots(page, f"nav-{label.lower()}")

    # Create a read-write API token from the profile page: shown once, and it works.
    page.locator("details.user-menu > summary").click()
    page.get_by_role("menuitem", name="Profile and API tokens").click()
    page.wait_for_url(f"{base}/profile/")
    page.get_by_label("Token name").fill("laptop scripts")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    revealed = page.get_by_test_id("new-token")
    revealed.wait_for()
    token = revealed.input_value()
    assert re.fullmatch(r"atr_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}", token)
    shots(page, "token-created")
    assert call_api(base, token) == 200

    # Revoke it: the API refuses it from then on.
    page.get_by_role("button", name="Revoke token laptop scripts").click()
    page.get_by_text("revoked", exact=True).wait_for()
    assert page.get_by_test_id("new-token").count() == 0
    shots(page, "token-revoked")
    assert call_api(base, token) == 401

    # Sign out from the user menu.
    page.locator("details.user-menu > summary").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.goto(f"{base}/profile/")
    assert page.url == f"{base}/accounts/login/?next=/profile/"

    assert console_errors == []


def test_admin_sees_admin_entry_phone_layout_and_dark_theme(browser, live_server, shots, console_errors):
    make_user("lead@example.com", staff=True, is_superuser=True, first_name="Lee")
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True)
    page = console_errors.watch(context.new_page())
    base = live_server.url
    sign_in(page, base, "lead@example.com", "correct-horse-battery-staple")
    page.get_by_role("heading", level=1).filter(has_text="Lee").wait_for()
    shots(page, "phone-home-dark")

    # On a phone the navigation is behind the menu button.
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    shots(page, "phone-nav-open", full_page=False)
    labels = [link.inner_text().strip() for link in nav.get_by_role("link").all()]
    assert labels[0] == "Home"
    assert labels[-1] == "Admin"
    nav.get_by_role("link", name="Admin").click()
    page.wait_for_url(f"{base}/admin/")
    shots(page, "admin")

    # Error pages are drawn inside the shell (the browser reports the 404 status itself, so this
    # visit is outside the console-error watch).
    lost = context.new_page()
    response = lost.goto(f"{base}/no/such/page")
    assert response.status == 404
    expect(lost.get_by_role("heading", name="Nothing here")).to_be_visible()
    expect(lost.get_by_role("link", name="Back to Home")).to_be_visible()
    shots(lost, "phone-404")
    lost.close()

    # The theme switch persists the choice.
    page.goto(f"{base}/")
    page.get_by_role("button", name="Switch to light theme").click()
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    shots(page, "phone-home-light")
    context.close()

    assert console_errors == []
