"""The files a dry-run request sends along, packed into the task's row and unpacked on the worker."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from scaffolder.engine import request_files
from scaffolder.engine.request_files import FilesError, pack, unpack


def test_files_come_back_as_sent_with_their_executable_bit(tmp_path):
    data = pack([("template.yaml", b"kind: Template\n", False), ("skeleton/bin/run", b"#!/bin/sh\n", True)])

    template = unpack(data, tmp_path / "request")

    assert template == tmp_path / "request" / "template.yaml"
    assert template.read_bytes() == b"kind: Template\n"
    run = tmp_path / "request" / "skeleton" / "bin" / "run"
    assert run.read_bytes() == b"#!/bin/sh\n"
    assert (os.stat(run).st_mode & 0o777, os.stat(template).st_mode & 0o777) == (0o755, 0o644)


@pytest.mark.parametrize("path", ["../outside", "/etc/passwd", "skeleton/../../x", "C:/x", "..", "."])
def test_paths_leaving_the_folder_are_refused_when_packing(path):
    with pytest.raises(FilesError) as refused:
        pack([(path, b"x", False)])
    assert str(refused.value) == f"{path}: give a relative path."


def test_an_archive_naming_a_path_outside_is_refused_when_unpacking(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escaped.txt", b"x")

    with pytest.raises(FilesError):
        unpack(buffer.getvalue(), tmp_path / "request")
    assert not (tmp_path / "escaped.txt").exists()


def test_too_many_files_or_bytes_are_refused(monkeypatch):
    monkeypatch.setattr(request_files, "MAX_FILES", 2)
    with pytest.raises(FilesError, match="at most 2 files"):
        pack([(f"f{n}", b"", False) for n in range(3)])
    monkeypatch.setattr(request_files, "MAX_BYTES", 10)
    with pytest.raises(FilesError, match="at most 10 bytes in all"):
        pack([("a", b"123456", False), ("b", b"123456", False)])
