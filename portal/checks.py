"""System checks that refuse unsafe production settings.

They run with every management command (``migrate``, ``runserver``, ``check --deploy`` …) and
before the web and worker processes start in the container image. With ``DEBUG`` on, the embedded
defaults are allowed.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from portal.integrations import github


def _insecure(value: str, default: str) -> bool:
    return not value or value == default or len(value) < 32


def _secret_key() -> str:
    try:
        return settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
        return ""


@register()
def production_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    errors: list[CheckMessage] = []
    if _insecure(_secret_key(), settings.DEV_SECRET_KEY):
        errors.append(
            Error(
                "SECRET_KEY is missing, too short or the development default.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to 50 random characters.",
                id="atrium.E001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "DEBUG is off but the database is SQLite.",
                hint="Set DATABASE_URL to a PostgreSQL database, e.g. postgres://atrium@db/atrium.",
                id="atrium.E002",
            )
        )
    if settings.CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
        errors.append(
            Error(
                "DEBUG is off but the Celery broker is the embedded file or memory broker.",
                hint="Set CELERY_BROKER_URL to a Redis URL, e.g. redis://redis:6379/0.",
                id="atrium.E003",
            )
        )
    keys = settings.ENCRYPTION_KEYS
    if not keys or settings.DEV_ENCRYPTION_KEY in keys:
        errors.append(
            Error(
                "ENCRYPTION_KEYS is missing or holds the development key.",
                hint="Generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'` and set ENCRYPTION_KEYS.",
                id="atrium.E004",
            )
        )
    else:
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError:
                errors.append(
                    Error(
                        f"ENCRYPTION_KEYS: key number {position} is not a valid Fernet key.",
                        hint="Each key is 32 bytes, url-safe base64 encoded (44 characters).",
                        id="atrium.E005",
                    )
                )
    if _insecure(settings.API_TOKEN_PEPPER, settings.DEV_API_TOKEN_PEPPER):
        errors.append(
            Error(
                "API_TOKEN_PEPPER is missing, too short or the development default.",
                hint="Set API_TOKEN_PEPPER to 32 or more random characters; changing it invalidates every API token.",
                id="atrium.E006",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        errors.append(
            Warning(
                "DEBUG is off but the cache is local memory: sign-in rate limits are not shared between processes.",
                hint="Set REDIS_URL.",
                id="atrium.W001",
            )
        )
    return errors


@register()
def github_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A GitHub App needs its three settings; with DEBUG on too, since no GitHub call could work."""
    problems: list[CheckMessage] = []
    missing = github.missing_app_settings()
    if missing:
        problems.append(
            Error(
                f"The GitHub App is configured in part only: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set.",
                hint="Set GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY (or GITHUB_APP_PRIVATE_KEY_FILE) and "
                "GITHUB_APP_INSTALLATION_ID together, or none of them.",
                id="atrium.E007",
            )
        )
    elif github.github_app() is not None:
        if not github.valid_private_key(settings.GITHUB_APP_PRIVATE_KEY):
            problems.append(
                Error(
                    "GITHUB_APP_PRIVATE_KEY is not a PEM private key.",
                    hint="Give the private key GitHub generated for the App (its .pem file, unencrypted); "
                    "GITHUB_APP_PRIVATE_KEY_FILE can name that file.",
                    id="atrium.E008",
                )
            )
        if settings.GITHUB_TOKEN:
            problems.append(
                Warning(
                    "Both GITHUB_TOKEN and a GitHub App are configured: the App is used, GITHUB_TOKEN is not.",
                    hint="Unset GITHUB_TOKEN, or the GITHUB_APP_* settings.",
                    id="atrium.W002",
                )
            )
    return problems
