"""Reading the catalog from GitHub through PyGithub (github.com, GitHub Enterprise, the test fake).

File URLs have GitHub's web form, ``https://github.com/OWNER/REPO/blob/REF/PATH``; they are read with
the REST API (``GET /repos/{owner}/{repo}/contents/{path}?ref=``) at ``CATALOG_GITHUB_API_URL``, else
``GITHUB_API_URL``, so a GitHub Enterprise server works once that setting names its ``/api/v3``. The client,
the credentials and GitHub's hosts are :mod:`portal.integrations.github`'s.
"""

from __future__ import annotations

import base64
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import github
from django.conf import settings

from catalog.ingest.errors import ReadError
from portal.integrations import github as integration

#: The app whose ``CATALOG_GITHUB_*`` settings override the shared ones.
APP = "catalog"

#: ``/OWNER/REPO/blob/REF/PATH`` (``raw``, ``edit`` and ``tree`` name the same file).
_FILE_PATH = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:blob|raw|edit|tree)/(?P<ref>[^/]+)/(?P<path>.+)$")
_ORG_PATH = re.compile(r"^/(?P<org>[A-Za-z0-9][A-Za-z0-9-]*)/?$")


@dataclass(frozen=True)
class GitHubFile:
    host: str
    owner: str
    repo: str
    ref: str
    path: str

    def _web(self, mode: str, path: str) -> str:
        return f"https://{self.host}/{self.owner}/{self.repo}/{mode}/{self.ref}/{quote(path)}"

    @property
    def view_url(self) -> str:
        return self._web("blob", self.path)

    @property
    def edit_url(self) -> str:
        return self._web("edit", self.path)

    @property
    def source_location(self) -> str:
        """Backstage's ``backstage.io/source-location``: the folder of the file, as a ``url:`` ref."""
        folder = posixpath.dirname(self.path)
        return "url:" + self._web("tree", folder).rstrip("/") + "/"

    def same_repo(self, owner: str, repo: str) -> bool:
        return self.owner.lower() == owner.lower() and self.repo.lower() == repo.lower()


@dataclass(frozen=True)
class DiscoveredRepo:
    full_name: str
    default_branch: str
    html_url: str


def is_github_url(url: str) -> bool:
    """An http(s) URL on github.com or on the Enterprise host of the catalog's API URL."""
    return integration.is_github_url(url, APP, schemes=("http", "https"))


def parse_file_url(url: str) -> GitHubFile:
    """The parts of a GitHub file URL; :class:`ReadError` for a GitHub URL that names no file."""
    parts = urlsplit(url)
    match = _FILE_PATH.match(parts.path)
    if match is None:
        raise ReadError(
            f"{url} is not the URL of a file on GitHub; use https://{parts.hostname}/OWNER/REPO/blob/BRANCH/PATH"
        )
    path = posixpath.normpath(unquote(match["path"]))
    if path.startswith("../") or path == "..":
        raise ReadError(f"{url} leaves its repository")
    return GitHubFile((parts.hostname or "").lower(), match["owner"], match["repo"], unquote(match["ref"]), path)


def parse_org_url(url: str) -> str:
    """The organisation of ``https://github.com/ORG``; :class:`ValueError` for anything else."""
    parts = urlsplit(url.strip())
    match = _ORG_PATH.match(parts.path)
    if parts.scheme not in ("http", "https") or not is_github_url(url) or match is None:
        raise ValueError(f"{url!r} is not the URL of a GitHub organisation, like https://github.com/ORG")
    return match["org"]


def client() -> github.Github:
    return integration.client(APP, timeout=int(settings.CATALOG_READ_TIMEOUT))


def _failure(exc: Exception, what: str) -> ReadError:
    failure = integration.classify(exc)
    if failure.kind == integration.NOT_FOUND:
        return ReadError(f"{what}: not found on GitHub", missing=True)
    if failure.kind == integration.TIMEOUT:
        return ReadError(f"{what}: GitHub did not answer within {settings.CATALOG_READ_TIMEOUT} s", transient=True)
    if failure.kind == integration.UNREACHABLE:
        api = integration.api_url(APP)
        return ReadError(f"{what}: cannot reach GitHub at {api} ({failure.error_name})", transient=True)
    return ReadError(f"{what}: {failure.answered}", transient=failure.transient)


def _too_large(url: str, size: int) -> ReadError:
    return ReadError(f"{url} is {size} bytes, larger than the limit of {settings.CATALOG_READ_MAX_BYTES} bytes")


def read_file(url: str) -> bytes:
    """The bytes of a GitHub file URL (files over 1 MB come from the git blob API)."""
    target = parse_file_url(url)
    limit = settings.CATALOG_READ_MAX_BYTES
    try:
        repo = client().get_repo(f"{target.owner}/{target.repo}")
        content = repo.get_contents(target.path, ref=target.ref)
        if isinstance(content, list):
            raise ReadError(f"{url} is a folder; give the URL of a file")
        if content.size is not None and content.size > limit:
            raise _too_large(url, content.size)
        if content.encoding == "base64" and (content.content or not content.size):
            data = content.decoded_content
        else:  # above 1 MB the contents API leaves the content out
            blob = repo.get_git_blob(content.sha)
            data = base64.b64decode(blob.content)
    except ReadError:
        raise
    except integration.ERRORS as exc:
        raise _failure(exc, url) from None
    if len(data) > limit:
        raise _too_large(url, len(data))
    return data


def discover(org: str, *, topic: str = "", include_archived: bool = False, include_forks: bool = False):
    """The repositories of ``org`` to look in, in name order, after the filters."""
    try:
        repos = list(client().get_organization(org).get_repos(type="all"))
        found = []
        for repo in repos:
            if (repo.archived and not include_archived) or (repo.fork and not include_forks):
                continue
            if topic and topic.lower() not in [t.lower() for t in (repo.topics or [])]:
                continue
            found.append(DiscoveredRepo(repo.full_name, repo.default_branch, repo.html_url))
    except integration.ERRORS as exc:
        raise _failure(exc, f"GitHub organisation {org}") from None
    return sorted(found, key=lambda repo: repo.full_name.lower())


def repo_file_url(repo: DiscoveredRepo, path: str) -> str:
    return f"{repo.html_url.rstrip('/')}/blob/{quote(repo.default_branch)}/{quote(path.lstrip('/'))}"
