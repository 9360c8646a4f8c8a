"""Whether a path lies inside a folder: the check that keeps reads and writes where they are allowed.

:func:`is_inside` compares the paths as written (made absolute, ``.`` and ``..`` applied, symbolic links
not followed): for a caller that has resolved them already, or that must judge a path before it exists.
:func:`resolves_inside` follows the symbolic links of both first (``os.path.realpath``), so a link that
points out of the folder is outside.
"""

from __future__ import annotations

import os

StrPath = str | os.PathLike[str]


def is_inside(path: StrPath, folder: StrPath) -> bool:
    """Whether ``path`` is ``folder`` or below it, comparing the paths as written."""
    path, folder = os.path.abspath(path), os.path.abspath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def resolves_inside(path: StrPath, folder: StrPath) -> bool:
    """Whether ``path`` is ``folder`` or below it once the symbolic links of both are followed."""
    return is_inside(os.path.realpath(path), os.path.realpath(folder))
