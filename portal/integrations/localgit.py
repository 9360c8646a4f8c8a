"""The local git host: bare repositories under ``SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR``, read-only.

Golden paths publish there when no GitHub is configured (``publish:git`` with a repository picked on the
``local`` host), and the portal serves them for reading: the repositories, a tree, a file, its raw bytes.
A repository is named by its path below the folder without ``.git`` (``acme/orders-api`` is
``<dir>/acme/orders-api.git``). ``publish:git`` also keeps a working copy of each one under
``SCAFFOLDER_GIT_CHECKOUT_DIR`` (what the catalog reads), so a ``file:`` URL of either leads back to
its repository (:func:`locate`).

Git runs with a fixed argument list, no system or global configuration and a time limit; a name or a
path inside a repository is checked before it reaches git, which reads objects only (``ls-tree``,
``cat-file``, ``log``), never the file system of a path given by a user.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.urls import reverse

from portal.paths import is_inside, resolves_inside

#: The host of a repository URL (``local?owner=acme&repo=orders-api``) that names this host.
HOST = "local"
#: Deepest folder nesting of a repository name (``team/group/name``).
MAX_DEPTH = 4
#: Repositories listed at most.
MAX_LISTED = 500
TIMEOUT = 15
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_ENV_KEPT = ("PATH", "LANG", "LC_ALL", "TMPDIR")


class GitError(Exception):
    """Git could not answer (a repository that is broken, a time limit)."""


@dataclass(frozen=True)
class Repository:
    name: str
    path: Path

    @property
    def owner(self) -> str:
        return self.name.rpartition("/")[0]

    @property
    def short_name(self) -> str:
        return self.name.rpartition("/")[2]


@dataclass(frozen=True)
class Entry:
    """One entry of a tree: ``kind`` is ``tree`` (a folder), ``blob`` (a file) or ``commit`` (a submodule)."""

    name: str
    path: str
    kind: str
    mode: str
    size: int | None


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str
    subject: str


@dataclass(frozen=True)
class Location:
    """Where a ``file:`` URL points: a repository, and a file of it (``""`` for the repository itself)."""

    repository: Repository
    path: str


def root() -> Path:
    return Path(settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR)


def checkout_root() -> Path:
    return Path(settings.SCAFFOLDER_GIT_CHECKOUT_DIR)


def valid_name(name: str) -> bool:
    parts = name.split("/") if isinstance(name, str) else []
    return 0 < len(parts) <= MAX_DEPTH and all(_PART.match(part) and not part.endswith(".git") for part in parts)


def valid_ref(ref: str) -> bool:
    return bool(_REF.match(ref or "")) and ".." not in ref and not ref.endswith((".lock", "/", "."))


def clean_path(path: str) -> str | None:
    """A path inside a repository as git names it (``docs/runbook.md``), or None for one that leaves it."""
    parts = [part for part in (path or "").split("/") if part not in ("", ".")]
    if any(part == ".." or "\x00" in part for part in parts):
        return None
    return "/".join(parts)


def _is_bare(path: Path) -> bool:
    return path.is_dir() and (path / "HEAD").is_file() and (path / "objects").is_dir()


def find(name: str) -> Repository | None:
    """The repository named ``name``, or None when there is none (or the name is not one)."""
    if not valid_name(name):
        return None
    path = root().joinpath(*name.split("/")).with_name(f"{name.rpartition('/')[2]}.git")
    if not resolves_inside(path, root()) or not _is_bare(path):
        return None
    return Repository(name, path)


def repositories() -> list[Repository]:
    """Every repository of the host, by name (at most :data:`MAX_LISTED`)."""
    found: list[Repository] = []
    base = root()
    if not base.is_dir():
        return found
    for folder, subfolders, _files in os.walk(base):
        depth = len(Path(folder).relative_to(base).parts)
        keep = []
        for sub in sorted(subfolders):
            if sub.endswith(".git"):
                name = "/".join([*Path(folder).relative_to(base).parts, sub.removesuffix(".git")])
                repository = find(name)
                if repository is not None:
                    found.append(repository)
            elif depth + 1 < MAX_DEPTH and _PART.match(sub):
                keep.append(sub)
        subfolders[:] = keep
        if len(found) >= MAX_LISTED:
            break
    return sorted(found, key=lambda repository: repository.name)[:MAX_LISTED]


def locate(url: str) -> Location | None:
    """The repository (and file) of a ``file:`` URL of a bare repository or of its working copy."""
    if not isinstance(url, str) or not url.startswith("file:"):
        return None
    path = os.path.normpath(unquote(urlsplit(url).path))
    for base, bare in ((root(), True), (checkout_root(), False)):
        if not os.path.isabs(path) or not is_inside(path, base) or path == os.path.normpath(base):
            continue
        parts = Path(path).relative_to(base).parts
        for depth in range(min(len(parts), MAX_DEPTH), 0, -1):
            head, rest = parts[:depth], parts[depth:]
            if bare and not head[-1].endswith(".git"):
                continue
            name = "/".join([*head[:-1], head[-1].removesuffix(".git")] if bare else head)
            repository = find(name)
            if repository is not None:
                return Location(repository, "" if bare else "/".join(rest))
    return None


def page_url(repository: Repository, view: str = "", ref: str = "", path: str = "") -> str:
    """The page of a repository, or of a folder or file of one of its branches (``view``: tree, blob, raw)."""
    home = reverse("portal:repository", kwargs={"name": repository.name})
    if not view:
        return home
    tail = f"{quote(ref, safe='')}/{quote(path)}" if path else quote(ref, safe="")
    return f"{home}-/{view}/{tail}"


def browse_url(target: str) -> str | None:
    """The portal page of a ``file:`` URL of a local repository or of a file of its working copy."""
    found = locate(target)
    if found is None:
        return None
    if not found.path:
        return page_url(found.repository)
    return page_url(found.repository, "blob", default_branch(found.repository), found.path)


# --- reading --------------------------------------------------------------------------------------


def _git(repository: Repository, *args: str, binary: bool = False) -> bytes:
    env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": os.devnull})
    try:
        result = subprocess.run(  # noqa: S603 -- a fixed program; arguments are never parsed by a shell
            ["git", "--git-dir", str(repository.path), *args],  # noqa: S607 -- git from PATH
            env=env,
            cwd="/",
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git did not answer within {TIMEOUT} s") from None
    except FileNotFoundError:
        raise GitError("git is not installed on this server") from None
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(lines[-1] if lines else f"git failed (exit status {result.returncode})")
    return result.stdout


def _text(repository: Repository, *args: str) -> str:
    return _git(repository, *args).decode("utf-8", "replace").strip()


def default_branch(repository: Repository) -> str:
    try:
        return _text(repository, "symbolic-ref", "--short", "HEAD")
    except GitError:
        return "main"


def branches(repository: Repository) -> list[str]:
    listed = _text(repository, "for-each-ref", "--format=%(refname:short)", "refs/heads/")
    return [line for line in listed.splitlines() if line]


def has_ref(repository: Repository, ref: str) -> bool:
    if not valid_ref(ref):
        return False
    try:
        _git(repository, "rev-parse", "--verify", "--quiet", f"refs/heads/{ref}^{{commit}}")
    except GitError:
        return False
    return True


def last_commit(repository: Repository, ref: str, path: str = "") -> Commit | None:
    args = ["log", "-1", "--format=%H%x00%an%x00%aI%x00%s", f"refs/heads/{ref}", "--"]
    try:
        line = _text(repository, *args, *([path] if path else []))
    except GitError:
        return None
    parts = line.split("\x00")
    return Commit(*parts) if len(parts) == 4 else None


def kind_of(repository: Repository, ref: str, path: str) -> str | None:
    """``tree``, ``blob`` or ``commit`` for a path of the branch; None when it has no such path."""
    if not path:
        return "tree"
    try:
        return _text(repository, "cat-file", "-t", f"refs/heads/{ref}:{path}")
    except GitError:
        return None


def tree(repository: Repository, ref: str, path: str = "") -> list[Entry]:
    """The entries of a folder of the branch: folders first, then files, by name."""
    spec = f"refs/heads/{ref}:{path}" if path else f"refs/heads/{ref}"
    raw = _git(repository, "ls-tree", "-z", "--long", spec)
    entries = []
    for record in raw.decode("utf-8", "replace").split("\x00"):
        if not record:
            continue
        meta, _, name = record.partition("\t")
        mode, kind, _sha, size = meta.split(maxsplit=3)
        entries.append(
            Entry(name, f"{path}/{name}" if path else name, kind, mode, int(size) if size.strip().isdigit() else None)
        )
    order = {"tree": 0, "commit": 1, "blob": 2}
    return sorted(entries, key=lambda entry: (order.get(entry.kind, 3), entry.name.lower()))


def size(repository: Repository, ref: str, path: str) -> int:
    return int(_text(repository, "cat-file", "-s", f"refs/heads/{ref}:{path}"))


def blob(repository: Repository, ref: str, path: str, limit: int) -> bytes | None:
    """The bytes of a file of the branch, or None when it is larger than ``limit``."""
    if size(repository, ref, path) > limit:
        return None
    return _git(repository, "cat-file", "blob", f"refs/heads/{ref}:{path}")
