"""The files of a dry run as a tree, and one file's contents (the beginning of a text shown, binary files only
listed; the task page serves the whole file as a download)."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

#: Text larger than this is cut on the page (the download and the API have it all).
MAX_SHOWN_BYTES = 200_000
#: A file with a NUL byte in its first bytes is binary.
_SNIFFED_BYTES = 8192


def content(entry: dict) -> bytes | None:
    """The file's bytes (a link's target); None when the dry run left them out or they cannot be decoded."""
    encoded = entry.get("base64Content")
    if not isinstance(encoded, str) or entry.get("omitted"):
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _text(head: bytes) -> str | None:
    """The text of a file's first bytes (at most MAX_SHOWN_BYTES of them), or None when the file is binary."""
    if b"\x00" in head[:_SNIFFED_BYTES]:
        return None
    try:
        return head[:MAX_SHOWN_BYTES].decode("utf-8")
    except UnicodeDecodeError:
        try:
            return head[: MAX_SHOWN_BYTES - 3].decode("utf-8")  # a character cut where the page cuts
        except UnicodeDecodeError:
            return None


def _is_binary(entry: dict) -> bool:
    """Whether the page shows a file as binary, decoding only what it would show (the tree asks for every file)."""
    encoded = entry.get("base64Content")
    if not isinstance(encoded, str) or not encoded or entry.get("omitted") or entry.get("symlink"):
        return False
    try:
        head = base64.b64decode(encoded[: (MAX_SHOWN_BYTES + 2) // 3 * 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    return _text(head) is None


def describe(entry: dict) -> dict:
    """``{path, name, size, kind, text, cut}``: kind is text, binary, symlink, omitted or empty; a text longer
    than :data:`MAX_SHOWN_BYTES` is cut (``cut``)."""
    path = str(entry.get("path") or "")
    data = content(entry)
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
    elif data is None:
        result["kind"] = "omitted"
    elif not data:
        result["kind"] = "empty"
    elif (text := _text(data[:MAX_SHOWN_BYTES])) is None:
        result["kind"] = "binary"
    else:
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
            "binary": _is_binary(entry),
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
