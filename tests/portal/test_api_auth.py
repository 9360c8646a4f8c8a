"""API authentication with bearer tokens (portal.api.tokens) and the read-only rule (ApiAccess).

The module doubles as a URLconf (``pytest.mark.urls``): ``/api/test/rename`` is a small API view
that writes, so that the read-only rule can be shown to prevent a write, not only to answer 403.
"""

import datetime

import pytest
from django.test import Client
from django.urls import include, path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import tokens
from portal.models import ApiToken, AuditEntry

ME = "/api/portal/me"
FAILURE_BODY = {"detail": "Invalid or expired API token."}


class RenameView(APIView):
    """POST {"first_name": …}: renames the caller (a write, behind the default ApiAccess)."""

    def post(self, request):
        request.user.first_name = request.data["first_name"]
        request.user.save(update_fields=["first_name"])
        return Response({"first_name": request.user.first_name})


urlpatterns = [
    path("api/test/rename", RenameView.as_view()),
    path("", include("portal.urls")),
]


def _bearer(value: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


def _comparable(response) -> tuple:
    """Everything a caller sees, except the per-request id."""
    headers = {name: value for name, value in response.headers.items() if name != "X-Request-ID"}
    return response.status_code, response.content, headers


def test_valid_token_authenticates_me(client, user):
    issued = tokens.create_token(user, name="CI pipeline")

    response = client.get(ME, **_bearer(issued.plaintext))

    assert response.status_code == 200
    assert response.json() == {
        "username": "dev@example.com",
        "email": "dev@example.com",
        "name": "Dana Developer",
        "is_admin": False,
        "token_read_only": True,
    }


def test_bearer_keyword_is_case_insensitive(client, user):
    issued = tokens.create_token(user, name="CI pipeline")

    response = client.get(ME, HTTP_AUTHORIZATION=f"bearer {issued.plaintext}")

    assert response.status_code == 200
    assert response.json()["username"] == "dev@example.com"


def test_every_failure_mode_gives_the_same_401(client, user, other_user):
    good = tokens.create_token(user, name="good")
    secret = good.plaintext.split("_", 2)[2]
    expired = tokens.create_token(user, name="expired", expires_in_days=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
    revoked = tokens.create_token(user, name="revoked")
    tokens.revoke_token(revoked.token)
    deactivated = tokens.create_token(other_user, name="deactivated")
    other_user.is_active = False
    other_user.save()
    headers = {
        "wrong secret": _bearer(f"atr_{good.token.key_id}_{'x' * 43}"),
        "unknown key id": _bearer(f"atr_000000000000_{secret}"),
        "malformed": _bearer("not-a-token"),
        "malformed, prefix only": _bearer("atr_"),
        "no token after the keyword": {"HTTP_AUTHORIZATION": "Bearer"},
        "two words": _bearer(f"{good.plaintext} {good.plaintext}"),
        "expired": _bearer(expired.plaintext),
        "revoked": _bearer(revoked.plaintext),
        "user deactivated": _bearer(deactivated.plaintext),
        "non-ASCII (latin-1)": _bearer(good.plaintext[:-1] + "é"),
        "non-ASCII (beyond latin-1)": _bearer("atr_€€€€€€€€€€€€_☃"),
        "non-ASCII garbage": _bearer("\u00ff\u00fe\u00fd"),
    }

    responses = {mode: _comparable(client.get(ME, **header)) for mode, header in headers.items()}

    reference = responses["wrong secret"]
    assert reference[0] == 401
    assert reference[1] == b'{"detail":"Invalid or expired API token."}'
    assert reference[2]["WWW-Authenticate"] == 'Bearer realm="api"'
    assert reference[2]["Content-Type"] == "application/json"
    assert {mode: response for mode, response in responses.items() if response != reference} == {}
    assert ApiToken.objects.filter(last_used__isnull=False).count() == 0


def test_failure_answers_the_same_on_a_write(client, user):
    response = client.post(ME, **_bearer("atr_000000000000_" + "x" * 43))

    assert response.status_code == 401
    assert response.json() == FAILURE_BODY
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_from_the_query_string_is_ignored(client, user):
    issued = tokens.create_token(user, name="CI pipeline")

    response = client.get(ME, {"token": issued.plaintext, "access_token": issued.plaintext})

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_session_still_authenticates_the_api(signed_in):
    response = signed_in.get(ME)

    assert response.status_code == 200
    assert response.json()["token_read_only"] is None


def test_api_call_records_last_used(client, user):
    issued = tokens.create_token(user, name="CI pipeline")

    client.get(ME, **_bearer(issued.plaintext))

    assert ApiToken.objects.get().last_used is not None


def test_read_only_token_is_refused_on_an_unsafe_method_of_me(client, user):
    issued = tokens.create_token(user, name="CI pipeline", read_only=True)

    response = client.post(ME, **_bearer(issued.plaintext))

    assert response.status_code == 403
    assert response.json() == {"detail": "A read-only API token cannot change anything."}


def test_read_write_token_passes_the_permission_check_of_me(client, user):
    issued = tokens.create_token(user, name="CI pipeline", read_only=False)

    response = client.post(ME, **_bearer(issued.plaintext))

    assert response.status_code == 405  # allowed to try; /me simply has no POST


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_token_cannot_write_and_nothing_is_written(client, user, method):
    issued = tokens.create_token(user, name="CI pipeline", read_only=True)
    audit_before = AuditEntry.objects.count()

    response = getattr(client, method)(
        "/api/test/rename", {"first_name": "Mallory"}, content_type="application/json", **_bearer(issued.plaintext)
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "A read-only API token cannot change anything."}
    user.refresh_from_db()
    assert user.first_name == "Dana"
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.urls(__name__)
def test_read_write_token_writes_without_a_csrf_token(user):
    issued = tokens.create_token(user, name="CI pipeline", read_only=False)
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/test/rename", {"first_name": "Dora"}, content_type="application/json", **_bearer(issued.plaintext)
    )

    assert response.status_code == 200
    assert response.json() == {"first_name": "Dora"}
    user.refresh_from_db()
    assert user.first_name == "Dora"


@pytest.mark.urls(__name__)
def test_session_write_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/test/rename", {"first_name": "Mallory"}, content_type="application/json")

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.first_name == "Dana"
