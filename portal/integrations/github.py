"""GitHub for every app: the settings, the PyGithub client, GitHub's web hosts, and its errors classified.

Settings, read when a client is asked for (so a test's ``settings`` fixture takes effect at once):

* ``GITHUB_API_URL`` — the REST API: ``https://api.github.com``, or ``https://HOST/api/v3`` for GitHub
  Enterprise Server (its web host is then ``HOST``);
* ``GITHUB_TOKEN`` — a token, or a GitHub App: ``GITHUB_APP_ID``, ``GITHUB_APP_PRIVATE_KEY`` and
  ``GITHUB_APP_INSTALLATION_ID`` together (the client then signs a JWT as the App and works with the
  installation's short-lived token, which PyGithub renews). When both are set, the App is used.

An app may override them: ``<APP>_GITHUB_API_URL`` and ``<APP>_GITHUB_TOKEN`` (``CATALOG_…``,
``SCAFFOLDER_…``) win for that app when they are not empty. The shared credentials go only to the
shared API: an app whose API URL is another server's gets its own token or none, so a token is never
sent to a server it was not configured for.

Errors stay each app's to word: :func:`classify` says what went wrong (not found, refused credentials,
another answer, a timeout, no connection) and whether trying again later may help.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import github
import requests
import urllib3
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from github import Auth, BadCredentialsException, GithubException, GithubRetry, UnknownObjectException

DEFAULT_API_URL = "https://api.github.com"
#: Seconds a request may take, unless the caller gives its own.
DEFAULT_TIMEOUT = 30
#: The web host of github.com, which every configuration accepts.
GITHUB_COM = "github.com"
#: The GitHub App settings, which go together.
APP_SETTINGS = ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_INSTALLATION_ID")

#: What a request can raise when the network, rather than GitHub, fails.
NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
#: Everything a call through the client can raise that :func:`classify` understands.
ERRORS = (GithubException, *NETWORK_ERRORS)

# --- settings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """What a client authenticates with: a token, a GitHub App installation, or nothing."""

    kind: str  # "token", "app" or "anonymous"
    #: The setting the credentials come from ("" for a token the caller gave), for messages.
    source: str = ""
    token: str = field(default="", repr=False)
    app_id: str = ""
    private_key: str = field(default="", repr=False)
    installation_id: int = 0

    def auth(self) -> Auth.Auth | None:
        if self.kind == "token":
            return Auth.Token(self.token)
        if self.kind == "app":
            return Auth.AppAuth(self.app_id, self.private_key).get_installation_auth(self.installation_id)
        return None


ANONYMOUS = Credentials("anonymous")


def _override(app: str | None, name: str) -> str:
    """``<APP>_GITHUB_<name>``, or "" when the app has none."""
    if not app:
        return ""
    return str(getattr(settings, f"{app.upper()}_GITHUB_{name}", "") or "")


def _shared_api_url() -> str:
    return (str(getattr(settings, "GITHUB_API_URL", "") or "").strip() or DEFAULT_API_URL).rstrip("/")


def api_url(app: str | None = None) -> str:
    """The REST API the app talks to: its own ``<APP>_GITHUB_API_URL``, else ``GITHUB_API_URL``."""
    own = _override(app, "API_URL").strip()
    return own.rstrip("/") if own else _shared_api_url()


def _server(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def private_key_pem(text: str) -> str:
    """A PEM key as given; one whose line breaks were written as ``\\n`` (one line in a ``.env``) restored."""
    text = (text or "").strip()
    return text.replace("\\n", "\n") if "\n" not in text and "\\n" in text else text


def valid_private_key(text: str) -> bool:
    """Whether ``text`` is an unencrypted PEM private key (what GitHub gives an App)."""
    try:
        serialization.load_pem_private_key(private_key_pem(text).encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _given(name: str) -> bool:
    value = getattr(settings, name, "")
    if isinstance(value, int):
        return value > 0  # GITHUB_APP_INSTALLATION_ID: 0 is unset
    return bool(str(value or "").strip())


def missing_app_settings() -> list[str]:
    """The GitHub App settings that are unset while another one is set ([] for all or none)."""
    present = [_given(name) for name in APP_SETTINGS]
    if all(present) or not any(present):
        return []
    return [name for name, given in zip(APP_SETTINGS, present, strict=True) if not given]


def github_app() -> Credentials | None:
    """The configured GitHub App installation, or None unless all three of its settings are set."""
    if not all(_given(name) for name in APP_SETTINGS):
        return None
    return Credentials(
        "app",
        "GITHUB_APP_ID",
        app_id=str(settings.GITHUB_APP_ID).strip(),
        private_key=private_key_pem(settings.GITHUB_APP_PRIVATE_KEY),
        installation_id=int(settings.GITHUB_APP_INSTALLATION_ID),
    )


def credentials(app: str | None = None) -> Credentials:
    """The app's own token; else, on the shared API, the GitHub App, then ``GITHUB_TOKEN``; else anonymous."""
    own = _override(app, "TOKEN")
    if app and own:
        return Credentials("token", f"{app.upper()}_GITHUB_TOKEN", token=own)
    if _server(api_url(app)) != _server(_shared_api_url()):
        return ANONYMOUS
    installation = github_app()
    if installation is not None:
        return installation
    shared = str(getattr(settings, "GITHUB_TOKEN", "") or "")
    return Credentials("token", "GITHUB_TOKEN", token=shared) if shared else ANONYMOUS


# --- hosts ----------------------------------------------------------------------------------------


def web_host(url: str) -> str | None:
    """The web host of a REST API URL: github.com for api.github.com, ``HOST`` for ``https://HOST/api/v3``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "api.github.com":
        return GITHUB_COM
    if host and parts.path.rstrip("/").endswith("/api/v3"):
        return host
    return None


def hosts(app: str | None = None) -> frozenset[str]:
    """Web hosts whose URLs are GitHub's: github.com, and the Enterprise host of the app's API URL."""
    enterprise = web_host(api_url(app))
    return frozenset({GITHUB_COM, enterprise} if enterprise else {GITHUB_COM})


def is_github_host(host: str, app: str | None = None) -> bool:
    return (host or "").lower() in hosts(app)


def is_github_url(url: str, app: str | None = None, *, schemes: tuple[str, ...] = ("http", "https")) -> bool:
    """Whether ``url`` has one of ``schemes`` and a host of the configured GitHub."""
    parts = urlsplit(url)
    return parts.scheme in schemes and is_github_host(parts.hostname or "", app)


# --- the client -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Connection:
    client: github.Github
    #: The client's authentication (a GitHub App's holds the installation token and renews it).
    auth: Auth.Auth | None


@functools.lru_cache(maxsize=16)
def _connect(base_url: str, given: Credentials, timeout: int) -> _Connection:
    auth = given.auth()
    gh = github.Github(
        base_url=base_url,
        auth=auth,
        timeout=timeout,
        # Two retries of a 5xx or a rate limit; a refused connection or a timeout is reported at once.
        retry=GithubRetry(total=2, connect=0, read=0, backoff_factor=0.5),
        seconds_between_requests=None,
        per_page=100,
        lazy=True,
    )
    return _Connection(gh, auth)


def _connection(app: str | None, token: str | None, timeout: int) -> _Connection:
    given = credentials(app) if token is None else Credentials("token", token=token) if token else ANONYMOUS
    return _connect(api_url(app), given, int(timeout))


def client(app: str | None = None, *, token: str | None = None, timeout: int = DEFAULT_TIMEOUT) -> github.Github:
    """A PyGithub client of the app's API, with its configured credentials, or with ``token`` ("": anonymous).

    Clients are kept (and with them a GitHub App's installation token until it is due for renewal).
    """
    return _connection(app, token, timeout).client


def access_token(app: str | None = None, *, timeout: int = DEFAULT_TIMEOUT) -> str:
    """A token for what PyGithub does not do (git over HTTPS): the configured token, or the GitHub App
    installation's current token (asked of GitHub when it has none, or when it is about to expire);
    "" when anonymous. Raises what :func:`classify` understands when GitHub refuses the App."""
    auth = _connection(app, None, timeout).auth
    return auth.token if auth is not None else ""


# --- errors ---------------------------------------------------------------------------------------

NOT_FOUND = "not-found"
BAD_CREDENTIALS = "bad-credentials"
ANSWERED = "answered"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Failure:
    """What a call to GitHub ran into, for the app to word and to retry or not."""

    kind: str
    #: The HTTP status GitHub answered with, when it answered.
    status: int | None = None
    #: GitHub's ``message`` and the messages of its ``errors`` list.
    messages: tuple[str, ...] = ()
    #: The class of the exception (``ConnectionError``, ``ReadTimeout`` …).
    error_name: str = ""

    @property
    def transient(self) -> bool:
        """Whether the same call may work later: no answer, a 5xx, a rate limit (403, 429)."""
        if self.kind in (TIMEOUT, UNREACHABLE):
            return True
        if self.kind in (ANSWERED, BAD_CREDENTIALS):
            return self.status is None or self.status >= 500 or self.status in (403, 429)
        return False

    @property
    def answered(self) -> str:
        """``GitHub answered 422 (Repository creation failed.; name already exists on this account)``."""
        detail = "; ".join(self.messages)
        return f"GitHub answered {self.status}" + (f" ({detail})" if detail else "")


def _messages(error: GithubException) -> tuple[str, ...]:
    data = error.data if isinstance(error.data, dict) else {}
    found = [str(data.get("message") or "")]
    found += [str(item.get("message") or "") for item in data.get("errors") or [] if isinstance(item, dict)]
    return tuple(message for message in found if message)


def classify(error: BaseException) -> Failure:
    """The kind of failure of a GitHub call (an exception of :data:`ERRORS`)."""
    name = type(error).__name__
    if isinstance(error, UnknownObjectException):
        return Failure(NOT_FOUND, error.status, _messages(error), name)
    if isinstance(error, BadCredentialsException):
        return Failure(BAD_CREDENTIALS, error.status, _messages(error), name)
    if isinstance(error, GithubException):
        return Failure(ANSWERED, error.status, _messages(error), name)
    if isinstance(error, requests.Timeout | urllib3.exceptions.TimeoutError):
        return Failure(TIMEOUT, error_name=name)
    return Failure(UNREACHABLE, error_name=name)
