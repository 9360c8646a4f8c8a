"""A git server over smart HTTP on 127.0.0.1 for tests: ``git http-backend`` (the CGI git ships) behind HTTP
Basic authentication, serving the bare repositories under a folder.

With a ``token``, every request must authenticate with that token as its password (any user name), as GitHub
asks of ``https://x-access-token:TOKEN@github.com`` pushes; a request without it gets 401 and a
``WWW-Authenticate`` challenge, so git asks its credential helper. Every request is recorded (method, path,
query and whether and how it authenticated), so tests can check that a token never travelled in a URL.
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.fakes.server import FakeServer, QuietHandler


@dataclass(frozen=True)
class GitRequest:
    method: str
    path: str
    query: str
    #: The user name and password of the Basic authentication, or None.
    credentials: tuple[str, str] | None


def git(*args: str, cwd: Path | None = None) -> str:
    env = {"PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": "/"}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


class GitHttpServer(FakeServer):
    def __init__(self, root: Path, *, token: str | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.token = token
        self.requests: list[GitRequest] = []
        self._lock = threading.Lock()
        super().__init__()

    def handler_class(self):
        return _handler(self)

    # --- repositories ----------------------------------------------------------------------------

    def path_of(self, name: str) -> Path:
        """The bare repository ``owner/repo`` (``.git`` appended)."""
        return self.root / (name if name.endswith(".git") else f"{name}.git")

    def create(self, name: str, *, branch: str = "main") -> Path:
        path = self.path_of(name)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(path))
        return path

    def branches(self, name: str) -> dict[str, str]:
        path = self.path_of(name)
        if not path.exists():
            return {}
        lines = git("--git-dir", str(path), "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
        return dict(line.split(" ", 1) for line in lines.splitlines() if line)

    def commits(self, name: str, branch: str = "main") -> list[str]:
        if branch not in self.branches(name):
            return []
        return git("--git-dir", str(self.path_of(name)), "rev-list", branch).splitlines()

    def files(self, name: str, ref: str = "main") -> dict[str, tuple[str, bytes]]:
        """``path → (mode, bytes)`` of the tree at ``ref``."""
        path = str(self.path_of(name))
        found: dict[str, tuple[str, bytes]] = {}
        for line in git("--git-dir", path, "ls-tree", "-r", "--full-tree", ref).splitlines():
            meta, file_path = line.split("\t", 1)
            mode, kind, sha = meta.split()
            if kind == "blob":
                data = subprocess.run(
                    ["git", "--git-dir", path, "cat-file", "blob", sha], capture_output=True, check=True
                ).stdout
                found[file_path] = (mode, data)
        return found


def _credentials(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except ValueError:
        return None
    return user, password


def _handler(server: GitHttpServer):
    class Handler(QuietHandler):
        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline().strip():
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            credentials = _credentials(self.headers.get("Authorization", ""))
            with server._lock:
                server.requests.append(GitRequest(self.command, parts.path, parts.query, credentials))
            body = self._body()
            if server.token is not None and (credentials is None or credentials[1] != server.token):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="fake git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            env = {
                "PATH": os.environ["PATH"],
                "HOME": str(server.root),
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": unquote(parts.path),
                "QUERY_STRING": parts.query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "REMOTE_USER": credentials[0] if credentials else "anonymous",
                "REMOTE_ADDR": "127.0.0.1",
            }
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["HTTP_GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            result = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=False)
            raw = result.stdout
            separator = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
            head, _, content = raw.partition(separator)
            status = 200 if result.returncode == 0 else 500
            headers = []
            for line in head.decode("latin-1").splitlines():
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = _serve
        do_POST = _serve

    return Handler
