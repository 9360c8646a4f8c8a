"""Safe file-system primitives for writing into a workspace that earlier steps may have filled.

Folders are opened one level at a time with ``O_NOFOLLOW`` relative to the folder above (``dir_fd``), so a
symbolic link anywhere below the trusted root is refused, never followed. Files and links are created under a
temporary name in the real folder and renamed over the final name: a reader never sees half a file, and an
existing link at that name is replaced rather than written through (files refuse to replace one, see below).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Sequence

from .limits import LimitExceeded, Limits, file_message

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def open_folder(root_fd: int, parts: Sequence[str]) -> int:
    """Open (creating as needed) the folder ``parts`` below ``root_fd``, never following a symbolic link."""
    fd = os.dup(root_fd)
    try:
        for depth, name in enumerate(parts):
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                os.mkdir(name, 0o777, dir_fd=fd)
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as error:
                if error.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                shown = "/".join(parts[: depth + 1])
                if stat.S_ISLNK(os.lstat(name, dir_fd=fd).st_mode):
                    raise ValueError(
                        f"refusing to write through the symbolic link {shown!r} in the workspace"
                    ) from None
                raise ValueError(f"{shown!r} already exists in the workspace and is not a folder") from None
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _existing(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return None


def _replace_atomically(dir_fd: int, name: str, create: Callable[[str], None]) -> None:
    temporary = f".atrium-{os.urandom(8).hex()}.tmp"
    try:
        create(temporary)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=dir_fd)
        raise


def write_file(dir_fd: int, name: str, data: bytes, mode: int, shown: str, *, replace: bool) -> bool:
    existing = _existing(dir_fd, name)
    if existing is not None:
        if stat.S_ISLNK(existing.st_mode):
            raise ValueError(f"refusing to write through the symbolic link {shown!r} in the workspace")
        if stat.S_ISDIR(existing.st_mode):
            raise ValueError(f"{shown!r} already exists in the workspace as a folder")
        if not replace:
            return False

    def create(temporary: str) -> None:
        fd = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    _replace_atomically(dir_fd, name, create)
    return True


def write_link(dir_fd: int, name: str, text: str, shown: str, *, replace: bool) -> bool:
    existing = _existing(dir_fd, name)
    if existing is not None:
        if stat.S_ISDIR(existing.st_mode):
            raise ValueError(f"{shown!r} already exists in the workspace as a folder")
        if not replace and not stat.S_ISLNK(existing.st_mode):
            return False
    _replace_atomically(dir_fd, name, lambda temporary: os.symlink(text, temporary, dir_fd=dir_fd))
    return True


def read_source(path: str, limits: Limits) -> tuple[bytes, int]:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_nlink > 1:
            raise ValueError("a file with several hard links can not be in a skeleton")
        if info.st_size > limits.file_bytes:
            raise LimitExceeded(file_message(limits))
        data = handle.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise LimitExceeded(file_message(limits))
    return data, stat.S_IMODE(info.st_mode) & 0o777


def text_of(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
