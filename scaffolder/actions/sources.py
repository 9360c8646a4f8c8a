"""Where the ``fetch:*`` actions read from: a ``url`` resolved against the template's own location.

- A template read from a file on the server (``backstage.io/managed-by-location: file:/…/template.yaml``):
  a relative ``url`` is a folder or file next to it, which must stay inside the template's folder (symbolic
  links resolved), so a template cannot copy the server's other files into a repository.
- A template read from GitHub (``url:https://github.com/o/r/blob/main/…/template.yaml``): a relative
  ``url`` is a path of the same repository and branch, and an absolute ``https://github.com/…/tree/…`` URL
  any repository the token may read. Their files are copied through PyGithub (the git trees and blobs API)
  into the task's scratch folder first, with the same limits as rendering.
"""

from __future__ import annotations

import base64
import os
import posixpath
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from github import GithubException

from portal.paths import resolves_inside
from scaffolder.actions import github as gh
from scaffolder.actions.registry import ActionError
from scaffolder.engine.context import ActionContext
from scaffolder.templating import DEFAULT_LIMITS
from scaffolder.templating.files import open_folder, write_file, write_link

LOCATION_ANNOTATION = "backstage.io/managed-by-location"
_FILE_MODES = {"100644": 0o644, "100755": 0o755}
_LINK_MODE = "120000"


def _location(template: dict) -> str:
    metadata = template.get("metadata") if isinstance(template, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    location = annotations.get(LOCATION_ANNOTATION) if isinstance(annotations, dict) else None
    return location if isinstance(location, str) else ""


def resolve(template: dict, url: str) -> Path | gh.GitHubPath:
    """A local path (inside the template's folder) or a place on GitHub, or :class:`ActionError`."""
    url = (url or "").strip()
    if not url:
        raise ActionError("url is empty")
    if urlsplit(url).scheme in ("http", "https"):
        if gh.is_github_url(url):
            return gh.parse_url(url)
        raise ActionError(f"{url}: templates can be read from GitHub or from the template's own folder only")
    if url.startswith("file:") or url.startswith("/") or urlsplit(url).scheme:
        raise ActionError(f"{url}: give a path relative to the template (such as ./skeleton)")
    location = _location(template)
    if location.startswith("file:"):
        base = os.path.dirname(location[len("file:") :])
        target = os.path.normpath(os.path.join(base, url))
        if not resolves_inside(target, base):
            raise ActionError(f"{url} leaves the template's folder")
        return Path(target)
    if location.startswith("url:") and gh.is_github_url(location[len("url:") :]):
        here = gh.parse_url(location[len("url:") :])
        path = posixpath.normpath(posixpath.join(posixpath.dirname(here.path), url))
        if path == ".." or path.startswith("../"):
            raise ActionError(f"{url} leaves the template's repository")
        return gh.GitHubPath(here.host, here.owner, here.repo, here.ref, "" if path == "." else path)
    raise ActionError(f"{url} cannot be resolved: the template was not read from a file or from GitHub")


def _tree_entries(ctx: ActionContext, place: gh.GitHubPath) -> tuple[object, list]:
    try:
        repo = gh.client().get_repo(place.full_name)
        tree = repo.get_git_tree(place.ref, recursive=True)
    except (GithubException, *gh.NETWORK_ERRORS) as error:
        raise gh.failure(error, f"reading {place.url()}") from None
    if getattr(tree, "raw_data", {}).get("truncated"):
        raise ActionError(f"{place.url()}: the repository is too large to read its tree at once")
    return repo, list(tree.tree)


def _parts(relative: str) -> list[str]:
    parts = relative.split("/")
    if any(part in ("", ".", "..") or "\x00" in part for part in parts):
        raise ActionError(f"GitHub gave an unusable path {relative!r}")
    return parts


def _blob(ctx: ActionContext, repo, entry, place: gh.GitHubPath) -> bytes:
    ctx.check_cancelled()
    try:
        blob = repo.get_git_blob(entry.sha)
    except (GithubException, *gh.NETWORK_ERRORS) as error:
        raise gh.failure(error, f"reading {place.url('blob')}/{entry.path}") from None
    return base64.b64decode(blob.content or "")


def download(ctx: ActionContext, place: gh.GitHubPath, *, single_file: bool = False) -> Path:
    """Copy a folder (or one file) of a repository into the task's scratch folder; its local path."""
    repo, entries = _tree_entries(ctx, place)
    prefix = f"{place.path}/" if place.path else ""
    if single_file:
        chosen = [(entry, place.path.rsplit("/", 1)[-1]) for entry in entries if entry.path == place.path]
        if not chosen or chosen[0][0].type != "blob":
            raise ActionError(f"{place.url('blob')}: no such file")
    else:
        chosen = [(entry, entry.path[len(prefix) :]) for entry in entries if entry.path.startswith(prefix)]
        chosen = [(entry, relative) for entry, relative in chosen if entry.type == "blob"]
        if not chosen:
            raise ActionError(f"{place.url()}: no such folder, or it is empty")
    if len(chosen) > DEFAULT_LIMITS.max_files:
        raise ActionError(f"{place.url()}: more than {DEFAULT_LIMITS.max_files} files")
    destination = ctx.task_dir / "sources" / uuid.uuid4().hex
    destination.mkdir(parents=True, mode=0o700)
    root = os.open(destination, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    total = 0
    try:
        for entry, relative in chosen:
            parts = _parts(relative)
            size = entry.size or 0
            total += size
            if size > DEFAULT_LIMITS.file_bytes or total > DEFAULT_LIMITS.output_bytes:
                raise ActionError(f"{place.url()}: the files are larger than the rendering limits")
            data = _blob(ctx, repo, entry, place)
            folder = open_folder(root, parts[:-1])
            try:
                if entry.mode == _LINK_MODE:
                    write_link(folder, parts[-1], data.decode("utf-8", "surrogateescape"), relative, replace=True)
                else:
                    write_file(folder, parts[-1], data, _FILE_MODES.get(entry.mode, 0o644), relative, replace=True)
            except ValueError as error:
                raise ActionError(str(error)) from None
            finally:
                os.close(folder)
    finally:
        os.close(root)
    ctx.logger.info(f"Read {len(chosen)} files from {place.url()}")
    return destination / chosen[0][1] if single_file else destination


def local_copy(ctx: ActionContext, url: str, *, single_file: bool = False) -> Path:
    """The folder (or file) ``url`` names, on this worker's disk (downloaded first when it is on GitHub)."""
    place = resolve(ctx.template, url)
    if isinstance(place, gh.GitHubPath):
        return download(ctx, place, single_file=single_file)
    if single_file and not place.is_file():
        raise ActionError(f"{url}: no such file next to the template")
    if not single_file and not place.is_dir():
        raise ActionError(f"{url}: no such folder next to the template")
    return place
