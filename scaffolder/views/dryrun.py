"""The files of a dry run as a tree, and one file's contents (text shown, binary files only listed)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

#: Text larger than this is cut on the page (the API has it all).
MAX_SHOWN_BYTES = 200_000


def _decode(entry: dict) -> bytes | None:
    content = entry.get("base64Content")
    if not isinstance(content, str):
        return None
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        return None


def describe(entry: dict) -> dict:
    """``{path, name, size, kind, text}``: kind is text, binary, symlink, omitted or empty."""
    path = str(entry.get("path") or "")
    data = _decode(entry)
    result = {
        "path": path,
        "name": path.rsplit("/", 1)[-1],
        "executable": bool(entry.get("executable")),
        "size": len(data) if data is not None else None,
        "text": "",
        "kind": "text",
        "cut": False,
    }
    if entry.get("symlink"):
        result.update(kind="symlink", text=(data or b"").decode("utf-8", "replace"))
    elif entry.get("omitted") or data is None:
        result["kind"] = "omitted"
    elif not data:
        result["kind"] = "empty"
    elif b"\x00" in data[:8192]:
        result["kind"] = "binary"
    else:
        try:
            text = data[:MAX_SHOWN_BYTES].decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data[: MAX_SHOWN_BYTES - 3].decode("utf-8")
            except UnicodeDecodeError:
                result["kind"] = "binary"
                return result
        result.update(text=text, cut=len(data) > MAX_SHOWN_BYTES)
    return result


def tree(entries: list[dict], selected: str, base_url: str) -> list[dict]:
    """Nested ``{name, path, folder, children, url, current}`` rows, folders first, by name."""
    root: dict = {"children": {}}
    for entry in entries:
        path = str(entry.get("path") or "")
        if not path:
            continue
        node = root
        parts = path.split("/")
        for depth, part in enumerate(parts[:-1]):
            node = node["children"].setdefault(
                part, {"name": part, "path": "/".join(parts[: depth + 1]), "folder": True, "children": {}}
            )
        node["children"][parts[-1]] = {
            "name": parts[-1],
            "path": path,
            "folder": False,
            "children": {},
            "url": f"{base_url}?{urlencode({'file': path})}#dry-run-file",
            "current": path == selected,
            "binary": describe(entry)["kind"] == "binary",
        }
    return _flatten(root)


def _flatten(node: dict) -> list[dict]:
    children = sorted(node["children"].values(), key=lambda child: (not child["folder"], child["name"].lower()))
    return [{**child, "children": _flatten(child)} for child in children]


def chosen(entries: list[dict], requested: str) -> dict | None:
    """The entry to show: the one asked for, else the README at the top, else the first file."""
    paths = {str(entry.get("path")): entry for entry in entries}
    if requested in paths:
        return paths[requested]
    for candidate in ("README.md", "README.rst", "README", "catalog-info.yaml"):
        if candidate in paths:
            return paths[candidate]
    return entries[0] if entries else None
