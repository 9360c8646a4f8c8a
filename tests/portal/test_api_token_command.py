"""``manage.py api_token create|list|revoke``."""

import argparse
import datetime
import io
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command

from portal import tokens
from portal.management.commands.api_token import DEFAULT_NAME, Command
from portal.models import ApiToken

TOKEN_LINE = re.compile(r"atr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n")
NOW = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_token_and_it_reads_and_writes_by_default(user):
    out, err = _run("create", "dev@example.com")

    assert TOKEN_LINE.fullmatch(out)
    token = tokens.authenticate(out.strip())
    assert token.user == user
    assert (token.name, token.read_only, token.expires) == (DEFAULT_NAME, False, None)
    assert err == (
        f"Created token '{DEFAULT_NAME}' (atr_{token.key_id}_…) for dev@example.com: read and write, never expires.\n"
    )


def test_create_with_name_read_only_and_expiry(user):
    with time_machine.travel(NOW, tick=False):
        out, err = _run("create", "dev@example.com", "--name", "CI pipeline", "--read-only", "--expires", "30")

    token = ApiToken.objects.get()
    assert out == f"atr_{token.key_id}_{out.strip().split('_', 2)[2]}\n"
    assert (token.name, token.read_only, token.expires) == ("CI pipeline", True, NOW + datetime.timedelta(days=30))
    assert err.endswith("read only, expires 2026-04-01T09:30:00+00:00.\n")
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert tokens.authenticate(out.strip()).pk == token.pk


def test_create_finds_the_user_by_username_too(db):
    from tests.conftest import make_user

    alice = make_user("alice@example.com")
    alice.username = "alice"
    alice.save()

    out, _ = _run("create", "alice")

    assert tokens.authenticate(out.strip()).user == alice


def test_create_for_an_unknown_user_fails_clearly_and_creates_nothing(user):
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match=r"^No user has the username or e-mail address 'nobody'\.$"):
        call_command("api_token", "create", "nobody", stdout=out, stderr=err)

    assert ApiToken.objects.count() == 0
    assert out.getvalue() == ""


def test_create_for_a_deactivated_user_fails_and_creates_nothing(user):
    user.is_active = False
    user.save()

    with pytest.raises(CommandError, match="is deactivated; a token for them would not work"):
        _run("create", "dev@example.com")

    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("days", ["0", "3651", "-5"])
def test_create_with_an_expiry_out_of_bounds_fails_and_creates_nothing(user, days):
    with pytest.raises(CommandError, match="Expiry must be a whole number of days between 1 and 3650"):
        _run("create", "dev@example.com", "--expires", days)

    assert ApiToken.objects.count() == 0


def test_create_with_a_blank_name_fails_and_creates_nothing(user):
    with pytest.raises(CommandError, match=r"^A token needs a name\.$"):
        _run("create", "dev@example.com", "--name", "  ")

    assert ApiToken.objects.count() == 0


def test_list_shows_tokens_without_secrets(user, other_user):
    with time_machine.travel(NOW, tick=False):
        active = tokens.create_token(user, name="CI pipeline", read_only=False, expires_in_days=30)
        revoked = tokens.create_token(user, name="Old laptop")
        tokens.revoke_token(revoked.token)
        theirs = tokens.create_token(other_user, name="Theirs")

    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        out, _ = _run("list", "dev@example.com")

    assert out.splitlines() == [
        "KEY ID        STATUS   ACCESS      CREATED           EXPIRES           LAST USED         NAME",
        f"{active.token.key_id}  active   read-write  2026-03-02 09:30  2026-04-01 09:30  never"
        "             CI pipeline",
        f"{revoked.token.key_id}  revoked  read        2026-03-02 09:30  never             never"
        "             Old laptop",
    ]
    for issued in (active, revoked):
        assert issued.plaintext.split("_", 2)[2] not in out
        assert issued.token.digest not in out
    assert theirs.token.key_id not in out


def test_list_for_a_user_without_tokens_says_so(user):
    out, _ = _run("list", "dev@example.com")

    assert out == "dev@example.com has no API tokens.\n"


def test_list_for_an_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="No user has the username or e-mail address 'nobody'"):
        _run("list", "nobody")


def test_revoke_by_key_id(user):
    issued = tokens.create_token(user, name="CI pipeline")
    kept = tokens.create_token(user, name="Laptop")

    out, _ = _run("revoke", issued.token.key_id)

    assert out == f"Revoked token 'CI pipeline' (atr_{issued.token.key_id}_…).\n"
    with pytest.raises(tokens.InvalidToken):
        tokens.authenticate(issued.plaintext)
    assert tokens.authenticate(kept.plaintext).pk == kept.token.pk


def test_revoke_accepts_the_displayed_form_and_says_when_already_revoked(user):
    issued = tokens.create_token(user, name="CI pipeline")
    _run("revoke", issued.token.display)
    revoked_at = ApiToken.objects.get().revoked

    out, _ = _run("revoke", issued.plaintext)

    assert out == f"Token 'CI pipeline' (atr_{issued.token.key_id}_…) was already revoked.\n"
    assert ApiToken.objects.get().revoked == revoked_at


@pytest.mark.parametrize("key_id", ["000000000000", "not-a-key-id", "atr_"])
def test_revoke_an_unknown_key_id_fails_clearly_and_revokes_nothing(user, key_id):
    issued = tokens.create_token(user, name="CI pipeline")

    with pytest.raises(CommandError, match=f"No API token has the key id '{key_id}'"):
        _run("revoke", key_id)

    assert ApiToken.objects.get().revoked is None
    assert tokens.authenticate(issued.plaintext).pk == issued.token.pk


def test_help_documents_that_tokens_read_and_write_unless_read_only():
    parser = Command().create_parser("manage.py", "api_token")
    [commands] = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    create_help = commands.choices["create"].format_help()

    assert "Read-write unless --read-only is given" in " ".join(create_help.split())
    assert "TOKEN=$(manage.py api_token create alice)" in Command.help
