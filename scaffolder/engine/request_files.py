"""The files a dry-run request sends along with its template (``directoryContents``), carried to the
worker in the task's row: packed as a zip archive when the request arrives, unpacked into the task's
folder on the worker, which runs the template from there (``./skeleton`` resolves next to it).

Web and workers share nothing but the database and the broker, so this works whichever host runs the
task. Paths are checked when packing (relative, no ``..``) and again when unpacking.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from scaffolder.engine.workspace import PathError, clean_relative

#: The template's location while the files are still in the task row (replaced when unpacked).
PENDING_LOCATION = "dry-run-request:template.yaml"
TEMPLATE_FILE = "template.yaml"
MAX_FILES = 2000
MAX_BYTES = 20 * 1024 * 1024


class FilesError(ValueError):
    """Files a request may not send; the message names the file."""


def clean_path(path: str) -> str:
    """``path`` normalised (as :func:`.workspace.clean_relative` checks paths), or :class:`FilesError`
    when it is not the relative path of a file (nor a drive letter or a URL scheme before it)."""
    text = (path or "").replace("\\", "/")
    try:
        cleaned = clean_relative(text, "path")
    except PathError:
        cleaned = ""
    if not cleaned or ":" in cleaned.split("/")[0]:
        raise FilesError(f"{path}: give a relative path.")
    return cleaned


def pack(entries: list[tuple[str, bytes, bool]]) -> bytes:
    """``(path, content, executable)`` entries as a zip archive, or :class:`FilesError`."""
    if len(entries) > MAX_FILES:
        raise FilesError(f"at most {MAX_FILES} files.")
    total = 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content, executable in entries:
            name = clean_path(path)
            total += len(content)
            if total > MAX_BYTES:
                raise FilesError(f"at most {MAX_BYTES} bytes in all.")
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> Path:
    """Write the archive's files under ``folder`` (created); the path of its ``template.yaml``."""
    folder.mkdir(parents=True, mode=0o700)
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_FILES:
            raise FilesError(f"at most {MAX_FILES} files.")
        for member in members:
            name = clean_path(member.filename)
            total += member.file_size
            if total > MAX_BYTES:
                raise FilesError(f"at most {MAX_BYTES} bytes in all.")
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            target.write_bytes(archive.read(member))
            target.chmod(0o755 if (member.external_attr >> 16) & 0o111 else 0o644)
    return folder / TEMPLATE_FILE
