"""portal.tokens: issuing, storing, checking and revoking API tokens."""

import datetime
import hashlib
import hmac
import json
import re

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from portal import tokens
from portal.models import ApiToken, AuditEntry

TOKEN_RE = re.compile(r"atr_(?P<key_id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def _secret(plaintext: str) -> str:
    match = TOKEN_RE.fullmatch(plaintext)
    assert match is not None
    return match["secret"]


def test_created_token_has_the_documented_format_and_is_read_only_by_default(user):
    issued = tokens.create_token(user, name="  CI pipeline  ")

    match = TOKEN_RE.fullmatch(issued.plaintext)
    assert match is not None
    row = ApiToken.objects.get()
    assert row.key_id == match["key_id"]
    assert row.name == "CI pipeline"
    assert row.user == user
    assert row.read_only is True
    assert row.expires is None
    assert row.revoked is None
    assert row.last_used is None


def test_token_is_stored_only_as_a_digest_keyed_with_the_pepper(user, settings):
    issued = tokens.create_token(user, name="CI pipeline", read_only=False)
    secret = _secret(issued.plaintext)

    row = ApiToken.objects.values().get()
    assert row["digest"] == hmac.new(settings.API_TOKEN_PEPPER.encode(), secret.encode(), hashlib.sha256).hexdigest()
    stored = json.dumps(row, default=str)
    assert secret not in stored
    assert issued.plaintext not in stored


def test_audit_entry_for_a_new_token_holds_neither_plaintext_nor_digest(user):
    issued = tokens.create_token(user, name="CI pipeline")
    row = ApiToken.objects.get()

    entry = AuditEntry.objects.get(object_type="portal.apitoken")
    assert entry.action == "create"
    assert entry.object_id == str(row.pk)
    assert entry.changes["digest"] == [None, "[redacted]"]
    assert entry.changes["key_id"] == [None, row.key_id]
    recorded = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert _secret(issued.plaintext) not in recorded
    assert row.digest not in recorded


def test_digest_depends_on_the_pepper():
    assert tokens.digest("same-secret", pepper="pepper-one") != tokens.digest("same-secret", pepper="pepper-two")
    assert tokens.digest("same-secret", pepper="pepper-one") == tokens.digest("same-secret", pepper="pepper-one")


def test_token_stops_matching_when_the_pepper_changes(user, settings):
    issued = tokens.create_token(user, name="CI pipeline")

    settings.API_TOKEN_PEPPER = "a-different-pepper-of-sufficient-length"

    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(issued.plaintext)


def test_empty_pepper_refuses_to_issue_a_token(user, settings):
    settings.API_TOKEN_PEPPER = ""

    with pytest.raises(ImproperlyConfigured, match="API_TOKEN_PEPPER is empty"):
        tokens.create_token(user, name="CI pipeline")

    assert ApiToken.objects.count() == 0


def test_valid_token_authenticates_its_user(user):
    issued = tokens.create_token(user, name="CI pipeline")

    token = tokens.authenticate(issued.plaintext)

    assert token.pk == issued.token.pk
    assert token.user == user


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"), id="wrong-secret"),
        pytest.param(lambda p: "atr_000000000000_" + _secret(p), id="unknown-key-id"),
        pytest.param(lambda p: p.replace("atr_", "abc_", 1), id="wrong-prefix"),
        pytest.param(lambda p: p.upper(), id="upper-case"),
        pytest.param(lambda p: p + " ", id="trailing-space"),
        pytest.param(lambda p: p + "é", id="non-ascii"),
        pytest.param(lambda p: p[:20], id="truncated"),
        pytest.param(lambda p: p + "x" * 200, id="too-long"),
        pytest.param(lambda p: "", id="empty"),
        pytest.param(lambda p: None, id="not-a-string"),
    ],
)
def test_anything_but_the_exact_token_is_refused(user, mutate):
    issued = tokens.create_token(user, name="CI pipeline")

    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(mutate(issued.plaintext))

    assert ApiToken.objects.get().last_used is None


def test_expired_token_is_refused(user):
    with time_machine.travel(NOW, tick=False):
        issued = tokens.create_token(user, name="CI pipeline", expires_in_days=7)

    with time_machine.travel(NOW + datetime.timedelta(days=7), tick=False), pytest.raises(tokens.InvalidToken):
        tokens.authenticate(issued.plaintext)


def test_token_still_works_just_before_it_expires(user):
    with time_machine.travel(NOW, tick=False):
        issued = tokens.create_token(user, name="CI pipeline", expires_in_days=7)

    with time_machine.travel(NOW + datetime.timedelta(days=7, seconds=-1), tick=False):
        assert tokens.authenticate(issued.plaintext).pk == issued.token.pk


def test_revoked_token_is_refused(user):
    issued = tokens.create_token(user, name="CI pipeline")
    tokens.revoke_token(issued.token)

    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(issued.plaintext)


def test_token_of_a_deactivated_user_is_refused(user):
    issued = tokens.create_token(user, name="CI pipeline")
    user.is_active = False
    user.save()

    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(issued.plaintext)


def test_last_used_is_written_at_most_once_a_minute(user):
    issued = tokens.create_token(user, name="CI pipeline")

    with time_machine.travel(NOW, tick=False):
        tokens.authenticate(issued.plaintext)
    with time_machine.travel(NOW + datetime.timedelta(seconds=59), tick=False):
        tokens.authenticate(issued.plaintext)
    assert ApiToken.objects.get().last_used == NOW

    with time_machine.travel(NOW + datetime.timedelta(seconds=60), tick=False):
        tokens.authenticate(issued.plaintext)
    assert ApiToken.objects.get().last_used == NOW + datetime.timedelta(seconds=60)


def test_last_used_is_not_recorded_in_the_audit_trail(user):
    issued = tokens.create_token(user, name="CI pipeline")

    tokens.authenticate(issued.plaintext)

    assert list(AuditEntry.objects.filter(object_type="portal.apitoken").values_list("action", flat=True)) == ["create"]


@pytest.mark.parametrize("days", [1, 30, tokens.MAX_EXPIRY_DAYS])
def test_expiry_within_bounds_is_accepted(user, days):
    with time_machine.travel(NOW, tick=False):
        tokens.create_token(user, name="CI pipeline", expires_in_days=days)

    assert ApiToken.objects.get().expires == NOW + datetime.timedelta(days=days)


@pytest.mark.parametrize("days", [0, -1, tokens.MAX_EXPIRY_DAYS + 1, True, "30", 1.5])
def test_expiry_out_of_bounds_is_refused_and_creates_nothing(user, days):
    with pytest.raises(ValueError, match="Expiry must be a whole number of days between 1 and 3650"):
        tokens.create_token(user, name="CI pipeline", expires_in_days=days)

    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "A token needs a name."), ("   ", "A token needs a name."), ("x" * 101, "at most 100 characters")],
)
def test_invalid_name_is_refused_and_creates_nothing(user, name, message):
    with pytest.raises(ValueError, match=message):
        tokens.create_token(user, name=name)

    assert ApiToken.objects.count() == 0


def test_revoking_twice_records_one_revocation(user):
    issued = tokens.create_token(user, name="CI pipeline")
    with time_machine.travel(NOW, tick=False):
        first = tokens.revoke_token(issued.token)
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        second = tokens.revoke_token(ApiToken.objects.get())

    assert (first, second) == (True, False)
    assert ApiToken.objects.get().revoked == NOW
    updates = AuditEntry.objects.filter(object_type="portal.apitoken", action="update")
    assert [entry.changes for entry in updates] == [{"revoked": [None, NOW.isoformat()]}]


def test_revoking_updates_the_instance_passed_in(user):
    issued = tokens.create_token(user, name="CI pipeline")

    tokens.revoke_token(issued.token)

    assert issued.token.revoked is not None
    assert issued.token.is_active is False
    assert issued.token.revoked <= timezone.now()
