"""The fake GitHub of :mod:`tests.fakes.github`, extended with what the scaffolder writes and reads.

Added to the catalog's read-only fake (whose routes all keep working):

- ``GET /user`` (the token's account, ``login``), ``GET /users/{login}`` (User or Organization);
- ``POST /orgs/{org}/repos`` and ``POST /user/repos``: the repository is created with a bare git repository
  served by :class:`~tests.fakes.git_http.GitHttpServer` (its ``clone_url``), 422 if it exists;
- ``GET|PUT /repos/{o}/{r}/topics``, ``PATCH /repos/{o}/{r}`` (default branch, description),
  ``GET /repos/{o}/{r}/branches/{b}``, ``PUT /repos/{o}/{r}/branches/{b}/protection``;
- ``GET /repos/{o}/{r}/actions/workflows/{id}`` and ``POST …/dispatches`` (recorded);
- ``GET /repos/{o}/{r}/git/trees/{ref}?recursive=1`` over the files added with :meth:`add_file` (modes:
  ``100644``, ``100755``, ``120000`` for a symbolic link whose content is its target).

Writes need the token (``Authorization: token …``); other requests answer 401 "Bad credentials". The files of
a pushed repository are served by the contents API too (read back from its bare repository), so the catalog
can read a catalog-info.yaml the scaffolder published.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.git_http import GitHttpServer
from tests.fakes.github import FakeGitHub, FakeRepo, Request

FAKE_TOKEN = "fake-github-token"


def blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()  # noqa: S324 -- git's object naming


class FakeGitHubWrite(FakeGitHub):
    def __init__(self, git_root: Path, *, token: str = FAKE_TOKEN, login: str = "atrium-bot", orgs=("acme",)) -> None:
        super().__init__()
        self.token = token
        self.login = login
        self.orgs = {org.lower(): org for org in orgs}
        self.git = GitHttpServer(git_root, token=token)
        self.created: list[dict] = []
        self.dispatches: list[dict] = []
        self.protections: list[dict] = []
        self.edits: list[dict] = []
        self.workflows: set[tuple[str, str]] = set()
        self.modes: dict[tuple[str, str, str], str] = {}
        self.meta: dict[str, dict] = {}

    def handler_class(self):
        return _write_handler(self, super().handler_class())

    def start(self) -> FakeGitHubWrite:
        super().start()
        self.git.start()
        return self

    def stop(self) -> None:
        super().stop()
        self.git.stop()

    # --- content -----------------------------------------------------------------------------------

    def add_file(self, full_name: str, path: str, content, *, ref: str | None = None, mode: str = "100644") -> None:
        super().add_file(full_name, path, content, ref=ref)
        repo = self.repos[full_name.lower()]
        self.modes[(full_name.lower(), ref or repo.default_branch, path.lstrip("/"))] = mode

    def add_workflow(self, full_name: str, workflow_id: str) -> None:
        self.workflows.add((full_name.lower(), workflow_id))

    def create_repo(self, owner: str, name: str, body: dict) -> FakeRepo:
        repo = self.add_repo(f"{owner}/{name}", default_branch="main")
        self.meta[repo.full_name.lower()] = {
            "description": body.get("description") or "",
            "visibility": body.get("visibility") or ("private" if body.get("private") else "public"),
        }
        self.git.create(repo.full_name)
        self.created.append({"owner": owner, **body})
        return repo

    def sync(self, repo: FakeRepo) -> None:
        """Serve the pushed files of a repository through the contents API."""
        for branch in self.git.branches(repo.full_name):
            for path, (mode, data) in self.git.files(repo.full_name, branch).items():
                repo.files[(branch, path)] = data
                self.modes[(repo.full_name.lower(), branch, path)] = mode

    def repo_json(self, repo: FakeRepo) -> dict:
        data = super().repo_json(repo)
        meta = self.meta.get(repo.full_name.lower(), {})
        visibility = meta.get("visibility", "public")
        data.update(
            clone_url=f"{self.git.url}/{repo.full_name}.git",
            visibility=visibility,
            private=visibility != "public",
            description=meta.get("description", ""),
        )
        return data

    def tree_json(self, repo: FakeRepo, ref: str) -> dict | None:
        self.sync(repo)
        paths = sorted(path for file_ref, path in repo.files if file_ref == ref)
        if not paths:
            return None
        entries, folders = [], set()
        for path in paths:
            parts = path.split("/")
            for depth in range(1, len(parts)):
                folders.add("/".join(parts[:depth]))
            data = repo.files[(ref, path)]
            sha = blob_sha(data)
            self.blobs[sha] = data
            mode = self.modes.get((repo.full_name.lower(), ref, path), "100644")
            entries.append({"path": path, "mode": mode, "type": "blob", "sha": sha, "size": len(data)})
        entries += [{"path": folder, "mode": "040000", "type": "tree", "sha": "0" * 40} for folder in folders]
        return {"sha": "1" * 40, "tree": sorted(entries, key=lambda entry: entry["path"]), "truncated": False}


def _write_handler(fake: FakeGitHubWrite, base):
    class Handler(base):
        def _segments(self) -> tuple[list[str], dict]:
            parts = urlsplit(self.path)
            return [unquote(segment) for segment in parts.path.strip("/").split("/")], parse_qs(parts.query)

        def _json_body(self) -> dict:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}") if length else {}

        def _record(self, method: str) -> None:
            parts = urlsplit(self.path)
            with fake._lock:
                fake.requests.append(
                    Request(method, parts.path, parse_qs(parts.query), self.headers.get("Authorization", ""))
                )

        def _authorized(self) -> bool:
            header = self.headers.get("Authorization", "")
            if header in (f"token {fake.token}", f"Bearer {fake.token}"):
                return True
            self._send(401, {"message": "Bad credentials"})
            return False

        def _repo(self, segments: list[str]) -> FakeRepo | None:
            return fake.repos.get(f"{segments[1]}/{segments[2]}".lower()) if len(segments) >= 3 else None

        def _no_content(self) -> None:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            segments, _query = self._segments()
            repo = self._repo(segments) if segments[:1] == ["repos"] else None
            if segments == ["user"]:
                self._record("GET")
                if self._authorized():
                    self._send(200, {"login": fake.login, "type": "User", "url": f"{fake.url}/users/{fake.login}"})
            elif segments[:1] == ["users"] and len(segments) == 2:
                self._record("GET")
                name = segments[1]
                kind = "Organization" if name.lower() in fake.orgs else "User"
                self._send(200, {"login": name, "type": kind, "url": f"{fake.url}/users/{name}"})
            elif segments[:1] == ["orgs"] and len(segments) == 2 and segments[1].lower() in fake.orgs:
                self._record("GET")
                self._send(200, {"login": segments[1], "url": f"{fake.url}/orgs/{segments[1]}", "type": "Organization"})
            elif repo is not None and segments[3:5] == ["git", "trees"] and len(segments) == 6:
                self._record("GET")
                tree = fake.tree_json(repo, segments[5])
                self._send(200, tree) if tree else self._not_found()
            elif repo is not None and segments[3:] == ["topics"]:
                self._record("GET")
                self._send(200, {"names": list(repo.topics)})
            elif repo is not None and segments[3:4] == ["branches"] and len(segments) == 5:
                self._record("GET")
                self._branch(repo, segments[4])
            elif repo is not None and segments[3:5] == ["actions", "workflows"] and len(segments) == 6:
                self._record("GET")
                self._workflow(repo, segments[5])
            else:
                if repo is not None:
                    fake.sync(repo)
                super().do_GET()

        def _branch(self, repo: FakeRepo, branch: str) -> None:
            heads = fake.git.branches(repo.full_name)
            if branch not in heads:
                self._not_found()
                return
            url = f"{fake.url}/repos/{repo.full_name}/branches/{branch}"
            self._send(
                200,
                {
                    "name": branch,
                    "commit": {"sha": heads[branch]},
                    "protected": False,
                    "protection_url": f"{url}/protection",
                },
            )

        def _workflow(self, repo: FakeRepo, workflow_id: str) -> None:
            if (repo.full_name.lower(), workflow_id) not in fake.workflows:
                self._not_found()
                return
            url = f"{fake.url}/repos/{repo.full_name}/actions/workflows/{workflow_id}"
            self._send(200, {"id": 1, "name": workflow_id, "path": f".github/workflows/{workflow_id}", "url": url})

        def do_POST(self) -> None:
            segments, _query = self._segments()
            if segments[:2] == ["app", "installations"]:
                super().do_POST()  # a GitHub App asks for an installation token with its JWT
                return
            self._record("POST")
            if not self._authorized():
                return
            body = self._json_body()
            if segments[:1] == ["orgs"] and segments[2:] == ["repos"] and segments[1].lower() in fake.orgs:
                self._create(segments[1], body)
            elif segments == ["user", "repos"]:
                self._create(fake.login, body)
            elif (
                segments[:1] == ["repos"]
                and segments[3:5] == ["actions", "workflows"]
                and segments[6:] == ["dispatches"]
            ):
                repo = self._repo(segments)
                if repo is None or (repo.full_name.lower(), segments[5]) not in fake.workflows:
                    self._not_found()
                    return
                fake.dispatches.append({"repo": repo.full_name, "workflow": segments[5], **body})
                self._no_content()
            else:
                self._not_found()

        def _create(self, owner: str, body: dict) -> None:
            name = body.get("name") or ""
            if f"{owner}/{name}".lower() in fake.repos:
                self._send(
                    422,
                    {
                        "message": "Repository creation failed.",
                        "errors": [
                            {
                                "resource": "Repository",
                                "field": "name",
                                "message": "name already exists on this account",
                            }
                        ],
                    },
                )
                return
            self._send(201, fake.repo_json(fake.create_repo(owner, name, body)))

        def do_PUT(self) -> None:
            segments, _query = self._segments()
            self._record("PUT")
            if not self._authorized():
                return
            body = self._json_body()
            repo = self._repo(segments) if segments[:1] == ["repos"] else None
            if repo is not None and segments[3:] == ["topics"]:
                repo.topics = list(body.get("names") or [])
                self._send(200, {"names": repo.topics})
            elif repo is not None and segments[3:4] == ["branches"] and segments[5:] == ["protection"]:
                fake.protections.append({"repo": repo.full_name, "branch": segments[4], **body})
                self._send(200, {"url": self.path})
            else:
                self._not_found()

        def do_PATCH(self) -> None:
            segments, _query = self._segments()
            self._record("PATCH")
            if not self._authorized():
                return
            body = self._json_body()
            repo = self._repo(segments) if segments[:1] == ["repos"] and len(segments) == 3 else None
            if repo is None:
                self._not_found()
                return
            fake.edits.append({"repo": repo.full_name, **body})
            if body.get("default_branch"):
                repo.default_branch = body["default_branch"]
            if "description" in body:
                fake.meta.setdefault(repo.full_name.lower(), {})["description"] = body["description"]
            self._send(200, fake.repo_json(repo))

    return Handler
