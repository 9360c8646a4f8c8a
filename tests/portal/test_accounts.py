"""Sign-in and sign-up (django-allauth), the provider settings, and the sign-in requirement."""

import copy
import html
import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from portal import accounts, env
from portal.models import AuditEntry
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
NEW_EMAIL = "newcomer@example.com"
NEW_PASSWORD = "plenty-of-entropy-42"
WRONG_PASSWORD = "not-the-right-password"
MISMATCH = "The email address and/or password you specified are not correct."
TOO_MANY = "Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """allauth keeps its rate-limit counters in the cache: give every test a cache namespace of its own.

    (``cache.clear()`` would do for local memory, but on Redis it flushes the whole database,
    other runs' keys and Celery queues included.)
    """
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', '')}:test-accounts:{uuid.uuid4().hex}"
    settings.CACHES = caches


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def _sign_in(client, email, password):
    return client.post(LOGIN, {"login": email, "password": password})


# --- e-mail and password ------------------------------------------------------------------------


def test_sign_in_with_email_and_password(client, user):
    response = _sign_in(client, "dev@example.com", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in_user_id(client) == str(user.pk)
    assert AuditEntry.objects.filter(action="login", actor=user).count() == 1


def test_sign_in_ignores_the_case_of_the_email_address(client, user):
    response = _sign_in(client, "Dev@Example.COM", PASSWORD)

    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(user.pk)


def test_wrong_password_is_refused_with_a_clear_message(client, user):
    response = _sign_in(client, "dev@example.com", WRONG_PASSWORD)

    assert response.status_code == 200
    assert MISMATCH in response.content.decode()
    assert _signed_in_user_id(client) is None
    assert AuditEntry.objects.filter(action="login_failed", object_label="dev@example.com").count() == 1


def test_sign_up_requires_following_the_emailed_link_before_signing_in(client, db):
    # Given a visitor who signs up
    response = client.post(SIGNUP, {"email": NEW_EMAIL, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then the account exists, is not signed in, and one e-mail with a confirmation link was sent
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    account = get_user_model().objects.get(email=NEW_EMAIL)
    assert EmailAddress.objects.get(user=account).verified is False
    assert _signed_in_user_id(client) is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [NEW_EMAIL]
    found = re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", str(mail.outbox[0].body))
    assert found is not None
    link = found[1]

    # when they try to sign in before confirming, they are refused and told to check their e-mail
    response = _sign_in(client, NEW_EMAIL, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert _signed_in_user_id(client) is None
    assert client.get("/profile/")["Location"] == "/accounts/login/?next=/profile/"

    # when they follow the link and confirm
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=account).verified is True

    # then they can sign in
    response = _sign_in(client, NEW_EMAIL, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in_user_id(client) == str(account.pk)
    assert client.get("/profile/").status_code == 200


def test_a_forged_confirmation_link_verifies_nothing(client, db):
    client.post(SIGNUP, {"email": NEW_EMAIL, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = client.get("/accounts/confirm-email/MQ:forged:signature/")

    assert response.status_code == 200
    assert "This email confirmation link expired or is invalid." in response.content.decode()
    assert EmailAddress.objects.get(email=NEW_EMAIL).verified is False
    assert _sign_in(client, NEW_EMAIL, NEW_PASSWORD)["Location"] == "/accounts/confirm-email/"
    assert _signed_in_user_id(client) is None


def test_without_verification_a_new_account_is_signed_in_at_once(client, db, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"

    response = client.post(SIGNUP, {"email": NEW_EMAIL, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _signed_in_user_id(client) == str(get_user_model().objects.get(email=NEW_EMAIL).pk)


@pytest.mark.parametrize(
    ("debug", "environ", "expected"),
    [
        (False, {}, "mandatory"),
        (True, {}, "none"),
        (True, {"ACCOUNT_EMAIL_VERIFICATION": "mandatory"}, "mandatory"),
        (False, {"ACCOUNT_EMAIL_VERIFICATION": " Optional "}, "optional"),
    ],
)
def test_email_verification_is_mandatory_unless_debug_or_overridden(debug, environ, expected):
    assert accounts.email_verification(debug=debug, environ=environ) == expected


def test_email_verification_rejects_an_unknown_value():
    with pytest.raises(env.EnvError, match="ACCOUNT_EMAIL_VERIFICATION: expected one of none, optional, mandatory"):
        accounts.email_verification(debug=False, environ={"ACCOUNT_EMAIL_VERIFICATION": "sometimes"})


def test_signup_with_a_short_password_creates_nothing(client, db):
    response = client.post(SIGNUP, {"email": NEW_EMAIL, "password1": "short", "password2": "short"})

    assert response.status_code == 200
    assert "This password is too short. It must contain at least 10 characters." in response.content.decode()
    assert get_user_model().objects.count() == 0
    assert mail.outbox == []


# --- rate limit -----------------------------------------------------------------------------------


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(client, user, other_user):
    # Given five failed attempts for one account
    for _ in range(5):
        response = _sign_in(client, "dev@example.com", WRONG_PASSWORD)
        assert response.status_code == 200
        assert MISMATCH in response.content.decode()

    # when the sixth comes with the right password, it is refused with a clear message
    response = _sign_in(client, "dev@example.com", PASSWORD)

    assert response.status_code == 200
    body = response.content.decode()
    assert TOO_MANY in body
    assert MISMATCH not in body
    assert _signed_in_user_id(client) is None
    assert AuditEntry.objects.filter(action="login").count() == 0
    # and the limit is per account: another account still signs in from the same address
    response = _sign_in(client, "other@example.com", PASSWORD)
    assert response.status_code == 302
    assert _signed_in_user_id(client) == str(other_user.pk)


def test_successful_sign_ins_do_not_count_towards_the_limit(client, user):
    for _ in range(6):
        assert _sign_in(client, "dev@example.com", PASSWORD).status_code == 302
        client.logout()

    assert _sign_in(client, "dev@example.com", PASSWORD).status_code == 302


# --- social providers -------------------------------------------------------------------------------

GITHUB = {
    "APPS": [{"client_id": "gh-id", "secret": "gh-secret"}],
    "SCOPE": ["read:user", "user:email"],
}
GOOGLE = {
    "APPS": [{"client_id": "g-id.apps.googleusercontent.com", "secret": "g-secret"}],
    "SCOPE": ["profile", "email"],
}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, {}, id="none"),
        pytest.param(
            {"GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET": "gh-secret"}, {"github": GITHUB}, id="github"
        ),
        pytest.param(
            {"GOOGLE_CLIENT_ID": "g-id.apps.googleusercontent.com", "GOOGLE_CLIENT_SECRET": "g-secret"},
            {"google": GOOGLE},
            id="google",
        ),
        pytest.param(
            {
                "GITHUB_CLIENT_ID": "gh-id",
                "GITHUB_CLIENT_SECRET": "gh-secret",
                "GOOGLE_CLIENT_ID": "g-id.apps.googleusercontent.com",
                "GOOGLE_CLIENT_SECRET": "g-secret",
            },
            {"github": GITHUB, "google": GOOGLE},
            id="both",
        ),
        pytest.param({"GITHUB_CLIENT_ID": "gh-id"}, {}, id="id-without-secret"),
        pytest.param({"GOOGLE_CLIENT_SECRET": "g-secret"}, {}, id="secret-without-id"),
        pytest.param({"GITHUB_CLIENT_ID": "  ", "GITHUB_CLIENT_SECRET": "gh-secret"}, {}, id="blank-id"),
    ],
)
def test_social_providers_are_enabled_by_their_client_id_and_secret(environ, expected):
    assert accounts.social_providers(environ) == expected


def test_social_provider_secrets_can_come_from_files(tmp_path):
    (tmp_path / "github").write_text("gh-secret\n", encoding="utf-8")
    (tmp_path / "google").write_text("g-secret", encoding="utf-8")
    environ = {
        "GITHUB_CLIENT_ID": "gh-id",
        "GITHUB_CLIENT_SECRET_FILE": str(tmp_path / "github"),
        "GOOGLE_CLIENT_ID": "g-id.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET_FILE": str(tmp_path / "google"),
    }

    assert accounts.social_providers(environ) == {"github": GITHUB, "google": GOOGLE}


def test_social_provider_secret_given_twice_is_an_error(tmp_path):
    (tmp_path / "github").write_text("gh-secret", encoding="utf-8")
    environ = {
        "GITHUB_CLIENT_ID": "gh-id",
        "GITHUB_CLIENT_SECRET": "gh-secret",
        "GITHUB_CLIENT_SECRET_FILE": str(tmp_path / "github"),
    }

    with pytest.raises(env.EnvError, match="set both GITHUB_CLIENT_SECRET and GITHUB_CLIENT_SECRET_FILE"):
        accounts.social_providers(environ)


def test_social_provider_secret_file_that_cannot_be_read_is_an_error(tmp_path):
    environ = {"GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET_FILE": str(tmp_path / "missing")}

    with pytest.raises(env.EnvError, match="GITHUB_CLIENT_SECRET_FILE: cannot read"):
        accounts.social_providers(environ)


def test_sign_in_page_offers_github_when_it_is_enabled(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = accounts.social_providers(
        {"GITHUB_CLIENT_ID": "gh-id", "GITHUB_CLIENT_SECRET": "gh-secret"}
    )

    body = client.get(LOGIN).content.decode()

    assert "Continue with GitHub" in body
    assert 'href="/accounts/github/login/?process=login"' in html.unescape(body)
    assert "Continue with Google" not in body


def test_sign_in_page_offers_both_providers_when_both_are_enabled(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"github": GITHUB, "google": GOOGLE}

    body = client.get(LOGIN).content.decode()

    assert "Continue with GitHub" in body
    assert "Continue with Google" in body


def test_sign_in_page_offers_no_provider_when_none_is_enabled(client, db, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}

    body = client.get(LOGIN).content.decode()

    assert "Continue with" not in body


# --- sign-up closed ---------------------------------------------------------------------------------


def test_closed_sign_up_says_so_and_creates_nothing(client, db, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = False

    page = client.get(SIGNUP)
    response = client.post(SIGNUP, {"email": NEW_EMAIL, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert page.status_code == 200
    assert "We are sorry, but the sign up is currently closed." in page.content.decode()
    assert "We are sorry, but the sign up is currently closed." in response.content.decode()
    assert get_user_model().objects.count() == 0
    assert EmailAddress.objects.count() == 0
    assert mail.outbox == []


def test_closed_sign_up_still_lets_existing_accounts_sign_in(client, user, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = False

    assert _sign_in(client, "dev@example.com", PASSWORD).status_code == 302
    assert _signed_in_user_id(client) == str(user.pk)


def test_adapters_are_the_portal_ones():
    from allauth.account.adapter import get_adapter as account_adapter
    from allauth.socialaccount.adapter import get_adapter as social_adapter

    assert type(account_adapter()).__qualname__ == "AccountAdapter"
    assert type(account_adapter()).__module__ == "portal.accounts"
    assert type(social_adapter()).__module__ == "portal.accounts"


# --- everything else requires sign-in (portal.middleware.LoginRequiredMiddleware) -------------------


@pytest.mark.parametrize("path", ["/", "/profile/", "/admin/", "/api/docs/"])
def test_anonymous_visitor_is_sent_to_sign_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_anonymous_api_call_gets_401_with_a_json_body(client, db):
    response = client.get("/api/portal/me")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("path", [LOGIN, SIGNUP, "/accounts/password/reset/"])
def test_sign_in_and_sign_up_pages_are_public(client, db, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_and_metrics_are_public(client, transactional_db, path):
    assert client.get(path).status_code == 200


def test_signed_in_user_reaches_pages(signed_in):
    assert signed_in.get("/").status_code == 200
    assert signed_in.get("/profile/").status_code == 200


def test_migrate_names_the_site_after_site_url(db, settings):
    from django.contrib.sites.models import Site

    from portal.accounts import sync_site

    settings.SITE_URL = "https://atrium.example.org"

    sync_site()

    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("atrium.example.org", "Atrium")


def test_an_htmx_request_without_a_session_is_sent_to_sign_in_as_a_whole_page(client, db):
    response = client.post("/profile/tokens/", HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=/profile/tokens/"
