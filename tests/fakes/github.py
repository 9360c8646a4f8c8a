"""A small fake of GitHub's REST API on 127.0.0.1, serving what PyGithub calls for the catalog.

Served: ``GET /orgs/{org}``, ``GET /orgs/{org}/repos`` (paginated with ``Link`` headers, at most
``page_size`` repositories a page whatever ``per_page`` asks), ``GET /repos/{owner}/{repo}``,
``GET /repos/{owner}/{repo}/contents/{path}?ref=`` (base64 content, left out above 1 MB as GitHub
does) and ``GET /repos/{owner}/{repo}/git/blobs/{sha}``; for a GitHub App added with :meth:`add_app`,
``POST /app/installations/{id}/access_tokens``, which checks the App's JWT (RS256, signed with the App's
key, issued by its id) and answers the installation's token. Every request is recorded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from tests.fakes.server import FakeServer, QuietHandler

#: Above this size GitHub's contents API omits the content (encoding "none").
CONTENTS_LIMIT = 1024 * 1024


@dataclass
class FakeRepo:
    owner: str
    name: str
    default_branch: str = "main"
    archived: bool = False
    fork: bool = False
    topics: list[str] = field(default_factory=list)
    #: (ref, path) → bytes
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class FakeApp:
    """A GitHub App: its id, the public half of its key (PEM), and its installations' tokens."""

    app_id: str
    public_key: str
    #: installation id → the token GitHub gives for it
    installations: dict[int, str]
    expires_at: str = "2099-01-01T00:00:00Z"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str


class FakeGitHub(FakeServer):
    def __init__(self, *, page_size: int = 100) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.blobs: dict[str, bytes] = {}
        self.requests: list[Request] = []
        self.page_size = page_size
        self.apps: dict[str, FakeApp] = {}
        self._lock = threading.Lock()
        super().__init__()

    def handler_class(self):
        return _handler(self)

    # --- content -------------------------------------------------------------------------------

    def add_repo(self, full_name: str, **attributes) -> FakeRepo:
        owner, name = full_name.split("/")
        repo = FakeRepo(owner, name, **attributes)
        self.repos[full_name.lower()] = repo
        return repo

    def add_file(self, full_name: str, path: str, content: bytes | str, *, ref: str | None = None) -> None:
        repo = self.repos.get(full_name.lower()) or self.add_repo(full_name)
        data = content.encode("utf-8") if isinstance(content, str) else content
        repo.files[(ref or repo.default_branch, path.lstrip("/"))] = data

    def remove_file(self, full_name: str, path: str, *, ref: str | None = None) -> None:
        repo = self.repos[full_name.lower()]
        del repo.files[(ref or repo.default_branch, path.lstrip("/"))]

    def add_app(self, app_id: str | int, public_key: str, installations: dict[int, str]) -> FakeApp:
        app = FakeApp(str(app_id), public_key, dict(installations))
        self.apps[app.app_id] = app
        return app

    def installation_token(self, authorization: str, installation_id: int) -> tuple[int, dict]:
        """(status, body) of ``POST /app/installations/{id}/access_tokens`` with that Authorization header."""
        scheme, _, signed = authorization.partition(" ")
        if scheme != "Bearer" or not signed:
            return 401, {"message": "A JSON web token could not be decoded"}
        try:
            issuer = str(jwt.decode(signed, options={"verify_signature": False}).get("iss", ""))
            app = self.apps[issuer]
            jwt.decode(
                signed, app.public_key, algorithms=["RS256"], issuer=app.app_id, options={"require": ["exp", "iat"]}
            )
        except (KeyError, jwt.PyJWTError):
            return 401, {"message": "A JSON web token could not be decoded"}
        token = app.installations.get(installation_id)
        if token is None:
            return 404, {"message": "Not Found"}
        return 201, {"token": token, "expires_at": app.expires_at, "permissions": {}, "repository_selection": "all"}

    def paths_requested(self) -> list[str]:
        return [request.path for request in self.requests]

    # --- JSON ----------------------------------------------------------------------------------

    def repo_json(self, repo: FakeRepo) -> dict:
        return {
            "id": zlib.crc32(repo.full_name.encode("utf-8")),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": {"login": repo.owner, "type": "Organization"},
            "private": False,
            "html_url": f"https://github.com/{repo.full_name}",
            "url": f"{self.url}/repos/{repo.full_name}",
            "default_branch": repo.default_branch,
            "archived": repo.archived,
            "fork": repo.fork,
            "topics": list(repo.topics),
        }

    def content_json(self, repo: FakeRepo, ref: str, path: str, data: bytes) -> dict:
        sha = hashlib.sha1(data).hexdigest()  # noqa: S324  (git's object naming, not security)
        self.blobs[sha] = data
        large = len(data) > CONTENTS_LIMIT
        return {
            "type": "file",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": len(data),
            "encoding": "none" if large else "base64",
            "content": "" if large else base64.encodebytes(data).decode("ascii"),
            "url": f"{self.url}/repos/{repo.full_name}/contents/{path}?ref={ref}",
            "html_url": f"https://github.com/{repo.full_name}/blob/{ref}/{path}",
            "git_url": f"{self.url}/repos/{repo.full_name}/git/blobs/{sha}",
            "download_url": None,
        }


def _handler(fake: FakeGitHub):
    class Handler(QuietHandler):
        def _send(self, status: int, body, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _not_found(self) -> None:
            self._send(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            with fake._lock:
                fake.requests.append(Request("GET", parts.path, query, self.headers.get("Authorization", "")))
            segments = [unquote(segment) for segment in parts.path.strip("/").split("/")]
            if segments[:1] == ["orgs"] and len(segments) == 2:
                self._org(segments[1])
            elif segments[:1] == ["orgs"] and len(segments) == 3 and segments[2] == "repos":
                self._org_repos(segments[1], query)
            elif segments[:1] == ["repos"] and len(segments) == 3:
                repo = fake.repos.get(f"{segments[1]}/{segments[2]}".lower())
                self._send(200, fake.repo_json(repo)) if repo else self._not_found()
            elif segments[:1] == ["repos"] and len(segments) >= 4 and segments[3] == "contents":
                self._contents(f"{segments[1]}/{segments[2]}", "/".join(segments[4:]), query)
            elif segments[:1] == ["repos"] and segments[3:5] == ["git", "blobs"] and len(segments) == 6:
                data = fake.blobs.get(segments[5])
                if data is None:
                    self._not_found()
                else:
                    content = base64.encodebytes(data).decode("ascii")
                    self._send(200, {"sha": segments[5], "size": len(data), "encoding": "base64", "content": content})
            else:
                self._not_found()

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            authorization = self.headers.get("Authorization", "")
            with fake._lock:
                fake.requests.append(Request("POST", parts.path, parse_qs(parts.query), authorization))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            segments = parts.path.strip("/").split("/")
            if segments[:2] == ["app", "installations"] and segments[3:] == ["access_tokens"] and segments[2].isdigit():
                self._send(*fake.installation_token(authorization, int(segments[2])))
            else:
                self._not_found()

        def _org(self, org: str) -> None:
            if any(repo.owner.lower() == org.lower() for repo in fake.repos.values()):
                self._send(200, {"login": org, "url": f"{fake.url}/orgs/{org}", "type": "Organization"})
            else:
                self._not_found()

        def _org_repos(self, org: str, query: dict) -> None:
            repos = sorted(
                (repo for repo in fake.repos.values() if repo.owner.lower() == org.lower()),
                key=lambda repo: repo.name,
            )
            if not repos:
                self._not_found()
                return
            size = min(int(query.get("per_page", ["30"])[0]), fake.page_size)
            page = int(query.get("page", ["1"])[0])
            last = max(1, -(-len(repos) // size))
            chunk = repos[(page - 1) * size : page * size]
            links = []
            base = f"{fake.url}/orgs/{org}/repos?per_page={size}"
            if page < last:
                links.append(f'<{base}&page={page + 1}>; rel="next"')
                links.append(f'<{base}&page={last}>; rel="last"')
            headers = {"Link": ", ".join(links)} if links else {}
            self._send(200, [fake.repo_json(repo) for repo in chunk], headers)

        def _contents(self, full_name: str, path: str, query: dict) -> None:
            repo = fake.repos.get(full_name.lower())
            if repo is None:
                self._not_found()
                return
            ref = query.get("ref", [repo.default_branch])[0]
            data = repo.files.get((ref, path))
            if data is not None:
                self._send(200, fake.content_json(repo, ref, path, data))
                return
            prefix = path.rstrip("/") + "/"
            listing = [
                fake.content_json(repo, ref, file_path, content)
                for (file_ref, file_path), content in sorted(repo.files.items())
                if file_ref == ref and file_path.startswith(prefix)
            ]
            self._send(200, listing) if listing else self._not_found()

    return Handler
