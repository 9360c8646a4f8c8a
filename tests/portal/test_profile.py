"""The profile page: name, linked accounts, API tokens created and revoked from the page."""

import re

from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal import tokens
from portal.models import ApiToken, AuditEntry

PROFILE = "/profile/"
CREATE = "/profile/tokens/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _revealed(body: str) -> list[str]:
    return re.findall(r'value="(atr_[0-9a-f]{12}_[A-Za-z0-9_-]{43})"', body)


def _revoke_url(token) -> str:
    return f"/profile/tokens/{token.pk}/revoke"


def test_profile_page_shows_the_name_form_and_no_tokens(signed_in):
    response = signed_in.get(PROFILE)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="first_name" value="Dana"' in body
    assert 'name="last_name" value="Developer"' in body
    assert "You have no API tokens yet." in body


def test_name_is_saved(signed_in, user):
    response = signed_in.post(PROFILE, {"first_name": "Dora", "last_name": "Devops"})

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Dora", "Devops")
    assert "Your name was saved." in signed_in.get(PROFILE).content.decode()


def test_invalid_name_answers_400_and_saves_nothing(signed_in, user):
    response = signed_in.post(PROFILE, {"first_name": "x" * 151, "last_name": "Devops"})

    assert response.status_code == 400
    assert "Ensure this value has at most 150 characters (it has 151)." in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Dana", "Developer")


def test_token_created_from_the_page_is_shown_once(signed_in, user):
    response = signed_in.post(CREATE, {"name": "CI pipeline", "access": "write", "expires_in_days": "30"})

    assert response.status_code == 200
    assert "<h1>Profile</h1>" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [plaintext] = _revealed(response.content.decode())
    token = tokens.authenticate(plaintext)
    assert token.user == user
    assert token.name == "CI pipeline"
    assert token.read_only is False
    assert token.expires is not None

    later = signed_in.get(PROFILE).content.decode()

    assert _revealed(later) == []
    assert plaintext not in later
    assert plaintext.rsplit("_", 1)[1] not in later
    assert f"<code>atr_{token.key_id}_…</code>" in later


def test_token_created_with_htmx_returns_the_token_section_only(signed_in, user):
    response = signed_in.post(CREATE, {"name": "Laptop", "access": "read", "expires_in_days": ""}, **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" aria-labelledby="profile-tokens">')
    assert "<html" not in body
    assert "no-store" in response["Cache-Control"]
    [plaintext] = _revealed(body)
    token = tokens.authenticate(plaintext)
    assert (token.name, token.read_only, token.expires) == ("Laptop", True, None)
    assert _revealed(signed_in.get(PROFILE).content.decode()) == []
    assert _revealed(signed_in.get(PROFILE, **HTMX).content.decode()) == []


def test_token_without_a_name_answers_400_with_the_error_next_to_the_field(signed_in):
    response = signed_in.post(CREATE, {"name": "", "access": "read", "expires_in_days": "90"})

    assert response.status_code == 400
    body = response.content.decode()
    assert '<div class="field-errors"><ul class="errorlist" id="id_name_error">' in body
    assert "<li>Give the token a name.</li>" in body
    assert _revealed(body) == []
    assert ApiToken.objects.count() == 0


def test_token_with_a_blank_name_answers_400_with_htmx_too(signed_in):
    response = signed_in.post(CREATE, {"name": "   ", "access": "read", "expires_in_days": "90"}, **HTMX)

    assert response.status_code == 400
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" aria-labelledby="profile-tokens">')
    assert "<li>Give the token a name.</li>" in body
    assert ApiToken.objects.count() == 0


def test_token_with_an_expiry_not_offered_is_refused(signed_in):
    response = signed_in.post(CREATE, {"name": "CI", "access": "read", "expires_in_days": "100000"})

    assert response.status_code == 400
    assert "Select a valid choice. 100000 is not one of the available choices." in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_get_on_the_create_url_is_405_and_creates_nothing(signed_in):
    response = signed_in.get(CREATE, {"name": "CI", "access": "read"})

    assert response.status_code == 405
    assert ApiToken.objects.count() == 0


def test_revoking_own_token_works(signed_in, user):
    issued = tokens.create_token(user, name="CI pipeline")

    response = signed_in.post(_revoke_url(issued.token))

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    issued.token.refresh_from_db()
    assert issued.token.revoked is not None
    page = signed_in.get(PROFILE).content.decode()
    assert "Token “CI pipeline” was revoked. Programs using it can no longer call the API." in page
    assert '<span class="badge">revoked</span>' in page


def test_revoking_own_token_with_htmx_returns_the_token_section(signed_in, user):
    issued = tokens.create_token(user, name="CI pipeline")

    response = signed_in.post(_revoke_url(issued.token), **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" aria-labelledby="profile-tokens">')
    assert "Token “CI pipeline” was revoked." in body
    assert '<span class="badge">revoked</span>' in body
    issued.token.refresh_from_db()
    assert issued.token.revoked is not None


def test_revoking_an_already_revoked_token_says_so(signed_in, user):
    issued = tokens.create_token(user, name="CI pipeline")
    tokens.revoke_token(issued.token)
    revoked_at = ApiToken.objects.get().revoked

    response = signed_in.post(_revoke_url(issued.token), follow=True)

    assert "Token “CI pipeline” was already revoked." in response.content.decode()
    assert ApiToken.objects.get().revoked == revoked_at


def test_revoking_another_users_token_answers_404_and_leaves_it_active(signed_in, other_user):
    issued = tokens.create_token(other_user, name="Theirs")
    audit_before = AuditEntry.objects.count()

    response = signed_in.post(_revoke_url(issued.token))

    assert response.status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked is None
    assert tokens.authenticate(issued.plaintext).pk == issued.token.pk
    assert AuditEntry.objects.count() == audit_before


def test_revoking_a_token_that_does_not_exist_answers_404(signed_in):
    response = signed_in.post("/profile/tokens/999999/revoke")

    assert response.status_code == 404


def test_get_on_the_revoke_url_is_405_and_revokes_nothing(signed_in, user):
    issued = tokens.create_token(user, name="CI pipeline")

    response = signed_in.get(_revoke_url(issued.token))

    assert response.status_code == 405
    issued.token.refresh_from_db()
    assert issued.token.revoked is None


def test_tokens_are_listed_active_first_and_only_the_users_own(signed_in, user, other_user):
    old = tokens.create_token(user, name="Old laptop")
    tokens.create_token(user, name="CI pipeline")
    tokens.create_token(other_user, name="Someone else's")
    tokens.revoke_token(old.token)
    ApiToken.objects.filter(pk=old.token.pk).update(created=timezone.now())  # newest, yet revoked

    body = signed_in.get(PROFILE).content.decode()

    names = re.findall(r"<tr(?: class=\"inactive\")?>\s*<td>([^<]+)</td>", body)
    assert names == ["CI pipeline", "Old laptop"]


def test_linked_accounts_are_listed_even_when_their_provider_is_not_configured(signed_in, user, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    SocialAccount.objects.create(user=user, provider="github", uid="583231", extra_data={"login": "dana-dev"})
    SocialAccount.objects.create(
        user=user, provider="google", uid="1093", extra_data={"email": "dana@gmail.example", "name": "Dana D."}
    )

    body = signed_in.get(PROFILE).content.decode()

    assert re.findall(r"<li>([^<]+)</li>", body.split('data-testid="linked-accounts">')[1].split("</ul>")[0]) == [
        "GitHub — dana-dev",
        "Google — dana@gmail.example",
    ]


def test_no_linked_accounts_says_none(signed_in):
    body = signed_in.get(PROFILE).content.decode()

    assert "<dt>Linked accounts</dt>\n      <dd>\n        None\n      </dd>" in body


def test_profile_page_query_count_does_not_grow_with_tokens_or_linked_accounts(signed_in, user):
    tokens.create_token(user, name="First")
    SocialAccount.objects.create(user=user, provider="github", uid="1", extra_data={"login": "dana-dev"})
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(PROFILE).status_code == 200
    for number in range(9):
        tokens.revoke_token(tokens.create_token(user, name=f"Token {number}").token)
    SocialAccount.objects.create(user=user, provider="google", uid="2", extra_data={"email": "d@example.com"})

    with CaptureQueriesContext(connection) as many:
        assert signed_in.get(PROFILE).status_code == 200

    assert len(many) == len(one)


def test_token_section_lets_htmx_show_a_400_answer(signed_in):
    body = signed_in.get(PROFILE).content.decode()

    assert (
        '<div id="api-tokens" hx-on:htmx:before-swap="if (event.detail.xhr.status === 400) '
        '{ event.detail.shouldSwap = true; event.detail.isError = false; }">'
    ) in body
