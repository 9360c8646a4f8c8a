"""The local git host's repositories, read-only: the list, a folder (with its README), a file, its raw bytes.

Paths: ``/git/``, ``/git/<name>/`` (the default branch's root), ``/git/<name>/-/tree/<branch>/<path>``,
``/git/<name>/-/blob/<branch>/<path>`` and ``/git/<name>/-/raw/<branch>/<path>``.
"""

from __future__ import annotations

import posixpath

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from portal import permissions
from portal.integrations import localgit

#: Files larger than this are offered as a download rather than shown.
SHOWN_LIMIT = 512 * 1024
#: The raw view serves files up to this size.
RAW_LIMIT = 20 * 1024 * 1024
README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme")
#: Served with their own type by the raw view (never SVG or HTML, which could run script).
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _allowed(request) -> None:
    if not permissions.can(request.user, "portal.browse_repositories"):
        raise PermissionDenied("Sign in to read the repositories.")


def _repository(name: str) -> localgit.Repository:
    repository = localgit.find(name)
    if repository is None:
        raise Http404(f"There is no repository named {name} on this host.")
    return repository


def _crumbs(repository: localgit.Repository, ref: str, path: str) -> list[dict]:
    crumbs = [{"label": repository.short_name, "url": localgit.page_url(repository, "tree", ref)}]
    parts = path.split("/") if path else []
    for index, part in enumerate(parts):
        crumbs.append({"label": part, "url": localgit.page_url(repository, "tree", ref, "/".join(parts[: index + 1]))})
    return crumbs


def _readme(repository: localgit.Repository, ref: str, folder: str, entries: list[localgit.Entry]) -> dict | None:
    files = {entry.name.lower(): entry for entry in entries if entry.kind == "blob"}
    entry = next((files[name] for name in README_NAMES if name in files), None)
    if entry is None:
        return None
    data = localgit.blob(repository, ref, entry.path, SHOWN_LIMIT)
    if data is None:
        return {"entry": entry, "html": None, "url": localgit.page_url(repository, "blob", ref, entry.path)}
    text = data.decode("utf-8", "replace")
    if entry.name.lower().endswith((".md", ".markdown")):
        html = _render_markdown(text, repository, ref, folder)
    else:
        html = mark_safe(f"<pre>{escape(text)}</pre>")  # noqa: S308 -- escaped just above
    return {"entry": entry, "html": html, "url": localgit.page_url(repository, "blob", ref, entry.path)}


def _render_markdown(text: str, repository: localgit.Repository, ref: str, folder: str):
    """Markdown without raw HTML; relative links lead to the repository's files, images to their raw bytes."""
    tokens = _markdown.parse(text)
    for token in tokens:
        for child in token.children or []:
            attribute = "href" if child.type == "link_open" else "src" if child.type == "image" else ""
            target = str(child.attrGet(attribute) or "") if attribute else ""
            if not target or target.startswith(("#", "/")) or ":" in target.split("/")[0]:
                continue
            relative, _, anchor = target.partition("#")
            joined = localgit.clean_path(posixpath.join(folder, relative.split("?")[0]))
            if joined is None:
                continue
            view = "raw" if child.type == "image" else "blob"
            child.attrSet(
                attribute, localgit.page_url(repository, view, ref, joined) + (f"#{anchor}" if anchor else "")
            )
    return mark_safe(_markdown.renderer.render(tokens, _markdown.options, {}))  # noqa: S308 -- raw HTML is off


def repository_list(request):
    _allowed(request)
    rows = []
    for repository in localgit.repositories():
        branch = localgit.default_branch(repository)
        rows.append(
            {
                "repository": repository,
                "url": localgit.page_url(repository),
                "commit": localgit.last_commit(repository, branch),
            }
        )
    return render(request, "portal/repositories/list.html", {"rows": rows, "host": localgit.HOST})


def repository_home(request, name: str):
    _allowed(request)
    repository = _repository(name)
    return _folder(request, repository, localgit.default_branch(repository), "")


def repository_view(request, name: str, view: str, ref: str, path: str = ""):
    _allowed(request)
    repository = _repository(name)
    clean = localgit.clean_path(path)
    if clean is None or not localgit.has_ref(repository, ref):
        raise Http404(f"{repository.name} has no branch {ref}." if clean is not None else "No such path.")
    kind = localgit.kind_of(repository, ref, clean)
    if kind is None:
        raise Http404(f"{repository.name} has no {clean} on {ref}.")
    if view == "tree":
        if kind != "tree":
            raise Http404(f"{clean} is a file; open it as a file.")
        return _folder(request, repository, ref, clean)
    if kind != "blob":
        raise Http404(f"{clean or '/'} is a folder, not a file.")
    if view == "raw":
        return _raw(repository, ref, clean)
    return _file(request, repository, ref, clean)


def _context(repository: localgit.Repository, ref: str, path: str) -> dict:
    return {
        "repository": repository,
        "ref": ref,
        "path": path,
        "crumbs": _crumbs(repository, ref, path),
        "branches": localgit.branches(repository),
        "clone_url": f"file://{repository.path}",
        "home_url": localgit.page_url(repository),
        "list_url": reverse("portal:repositories"),
        "commit": localgit.last_commit(repository, ref, path),
    }


def _folder(request, repository: localgit.Repository, ref: str, path: str):
    if not localgit.has_ref(repository, ref):
        return render(request, "portal/repositories/empty.html", _context(repository, ref, path))
    entries = localgit.tree(repository, ref, path)
    rows = [
        {
            "entry": entry,
            "url": localgit.page_url(repository, "tree" if entry.kind == "tree" else "blob", ref, entry.path),
        }
        for entry in entries
        if entry.kind in ("tree", "blob")
    ]
    parent = localgit.page_url(repository, "tree", ref, posixpath.dirname(path)) if path else None
    context = {
        **_context(repository, ref, path),
        "rows": rows,
        "parent_url": parent,
        "readme": _readme(repository, ref, path, entries),
    }
    return render(request, "portal/repositories/tree.html", context)


def _file(request, repository: localgit.Repository, ref: str, path: str):
    data = localgit.blob(repository, ref, path, SHOWN_LIMIT)
    text = None
    if data is not None and b"\x00" not in data[:8000]:
        text = data.decode("utf-8", "replace")
    context = {
        **_context(repository, ref, path),
        "text": text,
        "lines": text.count("\n") + (0 if text.endswith("\n") else 1) if text else 0,
        "too_large": data is None,
        "size": localgit.size(repository, ref, path),
        "raw_url": localgit.page_url(repository, "raw", ref, path),
        "markdown": _render_markdown(text, repository, ref, posixpath.dirname(path))
        if text is not None and path.lower().endswith((".md", ".markdown"))
        else None,
    }
    return render(request, "portal/repositories/blob.html", context)


def _raw(repository: localgit.Repository, ref: str, path: str) -> HttpResponse:
    data = localgit.blob(repository, ref, path, RAW_LIMIT)
    if data is None:
        raise Http404(f"{path} is larger than {RAW_LIMIT // (1024 * 1024)} MB.")
    extension = posixpath.splitext(path)[1].lower()
    name = posixpath.basename(path)
    if extension in IMAGE_TYPES:
        response = HttpResponse(data, content_type=IMAGE_TYPES[extension])
    elif b"\x00" not in data[:8000]:
        response = HttpResponse(data, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(data, content_type="application/octet-stream")
        response["Content-Disposition"] = content_disposition_header(True, name)
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
