"""Sign-in: which social providers are enabled, and the django-allauth adapters (sign-up policy).

:func:`social_providers` is called by ``portal.settings`` while the settings are being read, so this
module must not import allauth (which needs configured settings) at import time. The adapters
(``ACCOUNT_ADAPTER`` and ``SOCIALACCOUNT_ADAPTER`` name them) are therefore built on first
attribute access, by which time Django is set up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal import env


@dataclass(frozen=True)
class SocialProvider:
    #: allauth's provider id, and the prefix of the environment variables (``GITHUB_CLIENT_ID`` …).
    id: str
    env_prefix: str
    scope: tuple[str, ...]


#: The providers Atrium supports, in the order the sign-in page lists them.
PROVIDERS = (
    SocialProvider("github", "GITHUB", ("read:user", "user:email")),
    SocialProvider("google", "GOOGLE", ("profile", "email")),
)


def social_providers(environ: Mapping[str, str] | None = None) -> dict[str, dict]:
    """``SOCIALACCOUNT_PROVIDERS`` from the environment (``os.environ`` when ``environ`` is None).

    A provider is enabled when both ``<NAME>_CLIENT_ID`` and ``<NAME>_CLIENT_SECRET`` (or
    ``<NAME>_CLIENT_SECRET_FILE``) are set and not blank; with only one of them it stays off.
    """
    enabled: dict[str, dict] = {}
    for provider in PROVIDERS:
        client_id = env.string(f"{provider.env_prefix}_CLIENT_ID", environ=environ).strip()
        secret = env.string(f"{provider.env_prefix}_CLIENT_SECRET", secret=True, environ=environ).strip()
        if client_id and secret:
            enabled[provider.id] = {
                "APPS": [{"client_id": client_id, "secret": secret}],
                "SCOPE": list(provider.scope),
            }
    return enabled


EMAIL_VERIFICATION_CHOICES = ("none", "optional", "mandatory")


def email_verification(*, debug: bool, environ: Mapping[str, str] | None = None) -> str:
    """``ACCOUNT_EMAIL_VERIFICATION``: mandatory in production, off in the demo (``DEBUG`` on).

    ``ACCOUNT_EMAIL_VERIFICATION`` in the environment overrides either default.
    """
    return env.choice(
        "ACCOUNT_EMAIL_VERIFICATION",
        "none" if debug else "mandatory",
        EMAIL_VERIFICATION_CHOICES,
        environ=environ,
    )


def _build_adapters() -> dict[str, type]:
    from allauth.account.adapter import DefaultAccountAdapter
    from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
    from django.conf import settings

    class AccountAdapter(DefaultAccountAdapter):
        """Sign-up with e-mail and password is open unless ``ACCOUNT_ALLOW_SIGNUP`` is off."""

        def is_open_for_signup(self, request) -> bool:
            return bool(settings.ACCOUNT_ALLOW_SIGNUP)

    class SocialAccountAdapter(DefaultSocialAccountAdapter):
        """A first sign-in with GitHub or Google creates an account only when sign-up is open."""

        def is_open_for_signup(self, request, sociallogin) -> bool:
            return bool(settings.ACCOUNT_ALLOW_SIGNUP)

    adapters: dict[str, type] = {"AccountAdapter": AccountAdapter, "SocialAccountAdapter": SocialAccountAdapter}
    for name, adapter in adapters.items():
        adapter.__module__ = __name__
        adapter.__qualname__ = name
    return adapters


def __getattr__(name: str):
    if name in {"AccountAdapter", "SocialAccountAdapter"}:
        globals().update(_build_adapters())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sync_site(sender=None, using: str = "default", **_kwargs) -> None:
    """Name the current Site after ``SITE_URL`` (after migrate), so sign-in e-mails name Atrium's host."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "Atrium"})
