import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.core.checks import ERROR, WARNING
from django.core.checks.registry import registry

from portal.checks import github_settings, production_settings

ROOT = Path(__file__).resolve().parents[2]
FERNET_KEY = "2tpoVBMNGd4MOvXyPlA1KSx8oNFwdLh1wuVQ-IPLwB0="
DEV_KEY = "YXRyaXVtLWRldmVsb3BtZW50LW9ubHktZmVybmV0LWs="
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES can lead to unexpected behavior")


def with_engine(engine: str) -> dict:
    return {**django_settings.DATABASES["default"], "ENGINE": f"django.db.backends.{engine}"}


@pytest.fixture
def production(settings):
    """A correct production configuration: PostgreSQL, Redis, real secrets, DEBUG off."""
    settings.DEBUG = False
    settings.SECRET_KEY = "n6Jr0vH2qUeX8kLw3ZsT5yPa9BcD1fGhJ4mNoQ7rS-tVuWxYz_AbCdEfGh"
    settings.DATABASES = {"default": with_engine("postgresql")}
    settings.CELERY_BROKER_URL = "redis://redis:6379/1"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://redis:6379/0"}
    }
    settings.ENCRYPTION_KEYS = [FERNET_KEY]
    settings.API_TOKEN_PEPPER = "Qm9vTJ3xR7yK1wZ5aP8sD2fG6hL0nB4v"
    return settings


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_a_production_configuration_passes_every_check(production):
    assert production_settings() == []


def test_debug_allows_the_embedded_defaults(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    settings.DATABASES = {"default": with_engine("sqlite3")}
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.ENCRYPTION_KEYS = [settings.DEV_ENCRYPTION_KEY]
    settings.API_TOKEN_PEPPER = settings.DEV_API_TOKEN_PEPPER

    assert production_settings() == []


@pytest.mark.parametrize("value", ["", "atrium-development-only-insecure-secret-key", "s" * 31])
def test_missing_short_or_default_secret_key_is_an_error(production, value):
    production.SECRET_KEY = value

    [error] = production_settings()

    assert (error.id, error.level) == ("atrium.E001", ERROR)
    assert error.msg == "SECRET_KEY is missing, too short or the development default."


def test_sqlite_without_debug_is_an_error(production):
    production.DATABASES = {"default": with_engine("sqlite3")}

    [error] = production_settings()

    assert (error.id, error.level) == ("atrium.E002", ERROR)
    assert error.msg == "DEBUG is off but the database is SQLite."


@pytest.mark.parametrize("url", ["filesystem://", "memory://"])
def test_the_embedded_broker_without_debug_is_an_error(production, url):
    production.CELERY_BROKER_URL = url

    assert ids(production_settings()) == ["atrium.E003"]


@pytest.mark.parametrize("keys", [[], [DEV_KEY], [FERNET_KEY, DEV_KEY]])
def test_missing_or_development_encryption_key_is_an_error(production, keys):
    production.ENCRYPTION_KEYS = keys

    [error] = production_settings()

    assert (error.id, error.msg) == ("atrium.E004", "ENCRYPTION_KEYS is missing or holds the development key.")


def test_each_invalid_fernet_key_is_an_error_naming_its_position(production):
    production.ENCRYPTION_KEYS = [FERNET_KEY, "not-a-fernet-key", Fernet.generate_key().decode(), "c2hvcnQ="]

    errors = production_settings()

    assert [(error.id, error.msg) for error in errors] == [
        ("atrium.E005", "ENCRYPTION_KEYS: key number 2 is not a valid Fernet key."),
        ("atrium.E005", "ENCRYPTION_KEYS: key number 4 is not a valid Fernet key."),
    ]


@pytest.mark.parametrize("value", ["", "atrium-development-only-api-token-pepper", "p" * 31])
def test_missing_short_or_default_api_token_pepper_is_an_error(production, value):
    production.API_TOKEN_PEPPER = value

    assert ids(production_settings()) == ["atrium.E006"]


def test_local_memory_cache_without_debug_is_a_warning(production):
    production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    [warning] = production_settings()

    assert (warning.id, warning.level) == ("atrium.W001", WARNING)


def test_every_problem_is_reported_at_once(production):
    production.SECRET_KEY = ""
    production.CELERY_BROKER_URL = "filesystem://"
    production.ENCRYPTION_KEYS = []
    production.API_TOKEN_PEPPER = ""
    production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    assert ids(production_settings()) == ["atrium.E001", "atrium.E003", "atrium.E004", "atrium.E006", "atrium.W001"]


def test_the_check_is_registered_with_djangos_system_checks():
    assert production_settings in registry.get_checks()
    assert github_settings in registry.get_checks()


# --- the GitHub App ---------------------------------------------------------------------------------


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")


def test_no_github_app_and_a_complete_one_pass(settings):
    assert github_settings() == []

    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = private_key_pem()
    settings.GITHUB_APP_INSTALLATION_ID = 42

    assert github_settings() == []


def test_a_github_app_id_without_its_key_and_installation_is_an_error_even_with_debug(settings):
    settings.DEBUG = True
    settings.GITHUB_APP_ID = "12345"

    [error] = github_settings()

    assert (error.id, error.level) == ("atrium.E007", ERROR)
    assert error.msg == (
        "The GitHub App is configured in part only: GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID are not set."
    )


def test_a_github_app_key_without_its_id_is_an_error(settings):
    settings.GITHUB_APP_PRIVATE_KEY = private_key_pem()
    settings.GITHUB_APP_INSTALLATION_ID = 42

    [error] = github_settings()

    assert (error.id, error.msg) == (
        "atrium.E007",
        "The GitHub App is configured in part only: GITHUB_APP_ID is not set.",
    )


def test_a_github_app_key_that_is_not_a_pem_key_is_an_error(settings):
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = "ghp_this-is-a-token-not-a-key"
    settings.GITHUB_APP_INSTALLATION_ID = 42

    assert ids(github_settings()) == ["atrium.E008"]


def test_a_github_token_beside_a_github_app_is_a_warning(settings):
    settings.GITHUB_TOKEN = "ghp_shared"
    settings.GITHUB_APP_ID = "12345"
    settings.GITHUB_APP_PRIVATE_KEY = private_key_pem()
    settings.GITHUB_APP_INSTALLATION_ID = 42

    [warning] = github_settings()

    assert (warning.id, warning.level) == ("atrium.W002", WARNING)


def test_the_deploy_check_script_passes(tmp_path):
    # given a clean environment: the script supplies production-shaped values itself
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DATA_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "scripts/check_deploy.py"], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."
