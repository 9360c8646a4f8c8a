"""A task's folder on the worker: ``SCAFFOLDER_WORKSPACE_DIR/<task id>-<attempt>/``.

Inside it, ``workspace/`` is what the actions fill (the future repository) and the rest is scratch space of
the actions (skeletons fetched from GitHub, git's own folders), kept out of the workspace so that nothing a
template writes can become git configuration or a hook. Each claim of a task gets a folder of its own, so a
worker thought dead cannot write into its successor's; the folder is deleted when the task ends.

Paths given by templates (``targetPath``, ``sourcePath``, ``filePath``) are checked with
:func:`inside_workspace`: relative, no ``..``, and no symbolic link on the way.
"""

from __future__ import annotations

import base64
import os
import posixpath
import shutil
import stat
import sys
import uuid
from pathlib import Path

from django.conf import settings

WORKSPACE = "workspace"
#: Dry-run results: files larger than this are listed without their content.
DRY_RUN_FILE_BYTES = 1024 * 1024
#: Dry-run results: the contents of all files together, at most.
DRY_RUN_TOTAL_BYTES = 10 * 1024 * 1024


class PathError(ValueError):
    """A path given by a template that would leave the workspace or go through a symbolic link."""


def task_dir(task_id: uuid.UUID | str, attempt: int) -> Path:
    return Path(settings.SCAFFOLDER_WORKSPACE_DIR) / f"{task_id}-{attempt}"


def create(task_id: uuid.UUID | str, attempt: int) -> Path:
    """A fresh folder for this claim of the task (earlier claims' folders on this worker are deleted)."""
    delete(task_id)
    folder = task_dir(task_id, attempt)
    (folder / WORKSPACE).mkdir(parents=True, mode=0o700)
    return folder


def delete(task_id: uuid.UUID | str) -> None:
    """Delete every folder of the task on this worker."""
    root = Path(settings.SCAFFOLDER_WORKSPACE_DIR)
    if not root.is_dir():
        return
    prefix = f"{task_id}-"
    for entry in os.scandir(root):
        if entry.name.startswith(prefix) and entry.name[len(prefix) :].isdigit():
            _remove(Path(entry.path))


def folders() -> dict[Path, tuple[str, int]]:
    """This worker's task folders: ``{folder: (task id, attempt)}``."""
    root = Path(settings.SCAFFOLDER_WORKSPACE_DIR)
    found: dict[Path, tuple[str, int]] = {}
    if not root.is_dir():
        return found
    for entry in os.scandir(root):
        task_id, _, attempt = entry.name.rpartition("-")
        try:
            found[Path(entry.path)] = (str(uuid.UUID(task_id)), int(attempt))
        except ValueError:
            continue
    return found


def sweep(running: set[tuple[str, int]], *, keep: str = "") -> int:
    """Delete the folders of this worker that no running claim uses: left by a worker that died (or
    was stopped) mid-task, whose task then ended or was claimed again elsewhere. ``running`` holds
    the ``(task id, attempt)`` of the tasks processing now; ``keep`` a task id left alone. Returns
    how many folders went."""
    removed = 0
    for folder, claim in folders().items():
        if claim[0] != keep and claim not in running:
            _remove(folder)
            removed += 1
    return removed


def _remove(path: Path) -> None:
    def writable(function, failed, _error) -> None:  # a read-only folder from a skeleton: make it deletable
        os.chmod(os.path.dirname(failed), 0o700)
        function(failed)

    if path.is_symlink() or not path.exists():
        path.unlink(missing_ok=True)
    elif sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=writable)
    else:
        shutil.rmtree(path, onerror=writable)


def clean_relative(path: str | None, what: str) -> str:
    """``path`` as a normalised relative path (``""`` for the folder itself), or :class:`PathError`."""
    text = (path or "").strip()
    if "\x00" in text:
        raise PathError(f"{what} contains a NUL character")
    if text.startswith("/") or text.startswith("\\") or (len(text) > 1 and text[1] == ":"):
        raise PathError(f"{what} {text!r} must be a path relative to the workspace")
    normal = posixpath.normpath(text) if text else "."
    if normal == ".." or normal.startswith("../"):
        raise PathError(f"{what} {text!r} leaves the workspace")
    return "" if normal == "." else normal


def inside_workspace(workspace: Path, path: str | None, what: str, *, must_exist: bool = False) -> Path:
    """The absolute path of ``path`` in the workspace, after checking that no part of it is a symbolic link."""
    relative = clean_relative(path, what)
    current = workspace
    for part in relative.split("/") if relative else []:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            if must_exist:
                raise PathError(f"{what} {relative!r} does not exist in the workspace") from None
            return workspace / relative
        if stat.S_ISLNK(mode):
            raise PathError(f"{what} {relative!r} goes through a symbolic link in the workspace")
    return current


def walk(root: Path) -> list[tuple[str, os.stat_result]]:
    """Every file and symbolic link below ``root``, relative and sorted; links are not followed."""
    found: list[tuple[str, os.stat_result]] = []
    for folder, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        for name in sorted(files + [name for name in folders if os.path.islink(os.path.join(folder, name))]):
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                found.append((os.path.relpath(path, root).replace(os.sep, "/"), info))
    return sorted(found)


def read_file(path: Path, limit: int) -> bytes | None:
    """A file's bytes (never through a link), or None when it is larger than ``limit``."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def directory_contents(root: Path, redact_bytes) -> list[dict]:
    """Backstage's dry-run ``directoryContents``: ``[{"path", "base64Content", "executable"}]``.

    A symbolic link is listed with its target as content and ``"symlink": true``; a file over the size cap
    (or past the total cap) is listed without content and with ``"omitted": true``.
    """
    entries: list[dict] = []
    total = 0
    if not root.is_dir():
        return entries
    for relative, info in walk(root):
        path = root / relative
        entry: dict = {"path": relative, "executable": bool(info.st_mode & 0o111) and stat.S_ISREG(info.st_mode)}
        if stat.S_ISLNK(info.st_mode):
            content: bytes | None = os.readlink(path).encode("utf-8", "surrogateescape")
            entry["symlink"] = True
        else:
            content = read_file(path, DRY_RUN_FILE_BYTES) if total < DRY_RUN_TOTAL_BYTES else None
        if content is None:
            entry["base64Content"] = ""
            entry["omitted"] = True
        else:
            content = redact_bytes(content)
            total += len(content)
            entry["base64Content"] = base64.b64encode(content).decode("ascii")
        entries.append(entry)
    return entries
