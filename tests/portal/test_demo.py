import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal import demo


def test_seed_demo_refuses_without_debug(db):
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("seed_demo")

    assert get_user_model().objects.count() == 0


def test_seed_demo_creates_accounts_once_and_prints_credentials(db, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert f"administrator  {demo.DEMO_ADMIN_EMAIL}  password: {demo.DEMO_PASSWORD}" in out
    assert "already present" in out
    users = get_user_model().objects.order_by("email")
    assert [(u.email, u.is_superuser) for u in users] == [
        (demo.DEMO_ADMIN_EMAIL, True),
        (demo.DEMO_USER_EMAIL, False),
    ]
    assert users[0].check_password(demo.DEMO_PASSWORD)
