"""The repository hosts a golden path may publish to, as the repository picker offers them.

Atrium's own local git host (:data:`portal.integrations.localgit.HOST`) is always there; GitHub is there
when the scaffolder has credentials for it (github.com, or the GitHub Enterprise host of its API URL).
A picker's ``allowedHosts`` narrows the list, as in Backstage; when none of its hosts is configured
here, they are offered anyway, marked as not configured, so the form says why publishing would fail.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.integrations import github as integration
from portal.integrations import localgit

#: The scaffolder's name for its GitHub settings (``SCAFFOLDER_GITHUB_*``).
GITHUB_APP = "scaffolder"


@dataclass(frozen=True)
class Host:
    name: str
    label: str
    configured: bool = True


def github_host() -> str | None:
    """The web host of the configured GitHub (github.com unless the API is an Enterprise one's
    ``https://HOST/api/v3``), or None when the scaffolder has no GitHub credentials."""
    if integration.credentials(GITHUB_APP).kind == "anonymous":
        return None
    return integration.web_host(integration.api_url(GITHUB_APP)) or integration.GITHUB_COM


def configured() -> list[Host]:
    hosts = [Host(localgit.HOST, f"{localgit.HOST} (Atrium's git host)")]
    github = github_host()
    if github:
        hosts.append(Host(github, github))
    return hosts


def offered(options: dict) -> list[Host]:
    """The hosts a picker with these ``ui:options`` offers, configured ones first."""
    allowed = options.get("allowedHosts") if isinstance(options, dict) else None
    allowed = [host for host in allowed if isinstance(host, str) and host] if isinstance(allowed, list) else []
    known = configured()
    if not allowed:
        return known
    chosen = [host for host in known if host.name in allowed]
    return chosen or [Host(name, f"{name} (not configured)", configured=False) for name in allowed]


def names(options: dict) -> list[str]:
    return [host.name for host in offered(options)]
