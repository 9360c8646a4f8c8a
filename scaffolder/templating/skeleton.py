"""Render a skeleton folder into a workspace: Backstage's ``fetch:template`` semantics, written defensively.

Semantics (as Backstage's ``fetch:template``):

- every file's contents and every file and folder name are rendered with ``values`` (``${{ values.name }}``);
  a name may render to several levels (``${{ values.packagePath }}`` with ``com/acme`` makes two folders);
- an entry whose name renders to an empty string is skipped, with everything below it (the Backstage idiom for
  optional files: ``${{ 'Dockerfile' if values.docker }}``);
- ``copy_without_templating`` globs (minimatch-like, relative to the skeleton, dot files included) copy matching
  files' contents verbatim but still render their names; the older ``copy_without_render`` renders neither;
- ``template_file_extension`` (``True`` means ``.njk``) renders only the contents of files with that extension,
  which is dropped from the name; names are always rendered; it excludes the two options above;
- ``cookiecutter_compat`` offers the values as ``cookiecutter`` with ``{{ }}`` delimiters and ``jsonify``;
- binary files (a NUL byte, or not UTF-8) and files with no template syntax are copied byte for byte; a file
  keeps its permission bits (less the umask), CRLF line endings survive rendering.

Safety (our additions):

- nothing is written outside ``target``: a rendered name that is absolute or has a ``..`` part is refused
  before anything is written;
- a symbolic link in the skeleton is copied as a link only when its text is relative, normalised and stays
  inside the skeleton and inside the target (checked on both sides); any other link is refused;
- a symbolic link already in the workspace (left by an earlier step) is never followed: folders are opened one
  level at a time with ``O_NOFOLLOW`` from ``workspace`` down, and a link found where a folder or a file is to
  be written is refused; a file is written to a temporary name in its real folder, then renamed over the old one;
- a file in the skeleton with more than one hard link is refused (it could be a second name of a file outside);
- existing files are overwritten (``replace=False`` keeps them, as Backstage's ``replace`` input does), so a
  re-run after a crash gives the same tree.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.paths import is_inside

from .engine import TemplateError, has_template_syntax, render_text, template_error
from .files import open_folder, read_source, text_of, write_file, write_link
from .globs import GlobSet
from .limits import DEFAULT_LIMITS, LimitExceeded, Limits, applying, entries_message, file_message, output_message


@dataclass(frozen=True)
class _Entry:
    path: str  # relative to the skeleton, "/"-separated
    kind: str  # "dir", "file" or "link"


@dataclass(frozen=True)
class _Planned:
    entry: _Entry
    parts: tuple[str, ...]  # output path relative to the target
    render_contents: bool
    link_text: str | None = None


class _Located(Exception):
    """A failure while handling one skeleton entry (its path is safe to show)."""

    def __init__(self, path: str, error: BaseException) -> None:
        super().__init__(path)
        self.path = path
        self.error = error


@contextlib.contextmanager
def _at(path: str) -> Iterator[None]:
    try:
        yield
    except _Located:
        raise
    except Exception as error:
        raise _Located(path, error) from None


# Planning ---------------------------------------------------------------------------------------------------------


def _walk(root: str, limits: Limits) -> list[_Entry]:
    entries: list[_Entry] = []

    def visit(folder: str, prefix: str) -> None:
        with os.scandir(folder) as iterator:
            children = sorted(iterator, key=lambda child: child.name)
        for child in children:
            relative = f"{prefix}{child.name}"
            if child.is_symlink():
                kind = "link"
            elif child.is_dir(follow_symlinks=False):
                kind = "dir"
            elif child.is_file(follow_symlinks=False):
                kind = "file"
            else:
                raise ValueError(f"{relative}: only files, folders and symbolic links can be in a skeleton")
            entries.append(_Entry(relative, kind))
            if len(entries) > limits.max_files:
                raise LimitExceeded(entries_message(limits))
            if kind == "dir":
                visit(child.path, f"{relative}/")

    visit(root, "")
    return entries


def _output_parts(rendered: str, *, first_is_empty: bool) -> tuple[str, ...] | None:
    """The output path's parts; None to skip the entry (a name rendered empty); refuses paths that escape.

    As in Backstage, a name rendered empty shows in the rendered path as an empty path, a leading ``/`` or a
    ``//``, and skips the entry. A leading ``/`` that does not come from an empty first name is an absolute path
    from a value, and is refused.
    """
    if rendered == "":
        return None
    if "\x00" in rendered:
        raise ValueError("the name renders with a NUL character")
    pieces = rendered.split("/")
    if ".." in pieces:
        raise ValueError(f"the name renders to {rendered!r}, which would leave the target folder")
    if rendered.startswith("/"):
        if first_is_empty:
            return None
        raise ValueError(f"the name renders to the absolute path {rendered!r}, outside the target folder")
    if "//" in rendered:
        return None
    return tuple(piece for piece in pieces if piece not in ("", "."))


def _extension(option: str | bool | None) -> str | None:
    if not option:
        return None
    extension = ".njk" if option is True else str(option)
    return extension if extension.startswith(".") else f".{extension}"


def _link_text(source_path: str, entry_depth: int, output_depth: int) -> str:
    """The text of a skeleton link that may be copied, or ValueError."""
    text = os.readlink(source_path)
    while text.startswith("./"):
        text = text[2:]
    ups = 0
    for piece in text.split("/"):
        if piece != "..":
            break
        ups += 1
    if not text or os.path.isabs(text) or os.path.normpath(text) != text or ups > min(entry_depth, output_depth):
        raise ValueError(f"the symbolic link points outside the skeleton ({text!r}); only links inside it are copied")
    return text


# The action -------------------------------------------------------------------------------------------------------


def _plan(
    entries: Sequence[_Entry],
    source_root: str,
    context: Mapping[str, Any],
    *,
    literal: GlobSet,
    legacy: bool,
    extension: str | None,
    options: Mapping[str, Any],
) -> list[_Planned]:
    """Every entry's output path (rendered, checked) before anything is written."""
    compat = options["cookiecutter_compat"]

    names: dict[str, str] = {}

    def render_name(name: str) -> str:
        if name not in names:
            templated = has_template_syntax(name, cookiecutter_compat=compat)
            names[name] = render_text(name, context, **options) if templated else name
        return names[name]

    plan: list[_Planned] = []
    for entry in entries:
        with _at(entry.path):
            segments = entry.path.split("/")
            matched = literal.matches(entry.path, is_dir=entry.kind == "dir")
            if extension:
                render_contents = entry.kind == "file" and os.path.splitext(segments[-1])[1] == extension
                if render_contents:
                    segments[-1] = segments[-1][: -len(extension)]
                render_names = True
            else:
                render_contents = not matched
                render_names = not (legacy and matched)
            # Each name is rendered on its own (and once): joined, they are what rendering the whole path gives, as
            # a name is a complete template by itself (Backstage renders each folder's own path too).
            rendered = [render_name(segment) for segment in segments] if render_names else segments
            parts = _output_parts("/".join(rendered), first_is_empty=rendered[0] == "")
            if parts is None:
                continue
            if not parts and entry.kind != "dir":
                raise ValueError("the name renders to an empty path")
            link_text = None
            if entry.kind == "link":
                link_text = _link_text(os.path.join(source_root, entry.path), entry.path.count("/"), len(parts) - 1)
            plan.append(_Planned(entry, parts, render_contents, link_text))
    return plan


def _execute(
    plan: Sequence[_Planned],
    source_root: str,
    target_fd: int,
    context: Mapping[str, Any],
    *,
    options: Mapping[str, Any],
    replace: bool,
    limits: Limits,
) -> list[str]:
    written: set[str] = set()
    total = 0
    for item in plan:
        with _at(item.entry.path):
            if item.entry.kind == "dir":
                os.close(open_folder(target_fd, item.parts))
                continue
            shown = "/".join(item.parts)
            folder_fd = open_folder(target_fd, item.parts[:-1])
            try:
                if item.link_text is not None:
                    changed = write_link(folder_fd, item.parts[-1], item.link_text, shown, replace=replace)
                else:
                    data, mode = read_source(os.path.join(source_root, item.entry.path), limits)
                    text = text_of(data) if item.render_contents else None
                    if text is not None and has_template_syntax(
                        text, cookiecutter_compat=options["cookiecutter_compat"]
                    ):
                        newline = "\r\n" if "\r\n" in text else "\n"
                        rendered = render_text(
                            text, context, limit_message=file_message(limits), newline=newline, **options
                        )
                        data = rendered.encode("utf-8")
                        if len(data) > limits.file_bytes:
                            raise LimitExceeded(file_message(limits))
                    total += len(data)
                    if total > limits.output_bytes:
                        raise LimitExceeded(output_message(limits))
                    changed = write_file(folder_fd, item.parts[-1], data, mode, shown, replace=replace)
            finally:
                os.close(folder_fd)
            if changed:
                written.add("/".join(item.parts))
    return sorted(written)


def _render_skeleton(
    source: Path | str,
    target: Path | str,
    values: Mapping[str, Any],
    workspace: Path | str | None,
    *,
    copy_without_templating: Sequence[str],
    copy_without_render: Sequence[str],
    extension: str | None,
    options: Mapping[str, Any],
    replace: bool,
    limits: Limits,
) -> list[str]:
    if copy_without_templating and copy_without_render:
        raise ValueError("copyWithoutRender and copyWithoutTemplating can not be used at the same time")
    if extension and (copy_without_templating or copy_without_render or options["cookiecutter_compat"]):
        raise ValueError(
            "templateFileExtension can not be used with copyWithoutRender, copyWithoutTemplating or cookiecutterCompat"
        )
    for name, patterns in (
        ("copyWithoutTemplating", copy_without_templating),
        ("copyWithoutRender", copy_without_render),
    ):
        if isinstance(patterns, (str, bytes)) or not isinstance(patterns, Sequence):
            raise ValueError(f"{name} must be a list of glob patterns")
    source_root = os.path.realpath(source)
    if not os.path.isdir(source_root):
        raise ValueError("the skeleton folder does not exist")
    target_path = os.path.abspath(target)
    trusted = os.path.abspath(workspace) if workspace is not None else target_path
    if not is_inside(target_path, trusted):
        raise ValueError("the target folder must be inside the workspace")
    if is_inside(os.path.realpath(target_path), source_root):
        raise ValueError("the target folder must not be inside the skeleton")
    context = {"cookiecutter" if options["cookiecutter_compat"] else "values": dict(values)}
    literal = GlobSet(copy_without_render or copy_without_templating)
    entries = _walk(source_root, limits)
    plan = _plan(
        entries,
        source_root,
        context,
        literal=literal,
        legacy=bool(copy_without_render),
        extension=extension,
        options=options,
    )
    target_parts = Path(os.path.relpath(target_path, trusted)).parts if target_path != trusted else ()
    os.makedirs(trusted, exist_ok=True)
    root_fd = os.open(trusted, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        target_fd = open_folder(root_fd, target_parts)
    finally:
        os.close(root_fd)
    try:
        return _execute(plan, source_root, target_fd, context, options=options, replace=replace, limits=limits)
    finally:
        os.close(target_fd)


def render_skeleton(
    source: Path | str,
    target: Path | str,
    values: Mapping[str, Any],
    *,
    workspace: Path | str | None = None,
    copy_without_templating: Sequence[str] = (),
    copy_without_render: Sequence[str] = (),
    template_file_extension: str | bool | None = None,
    cookiecutter_compat: bool = False,
    trim_blocks: bool = False,
    lstrip_blocks: bool = False,
    replace: bool = True,
    redact: Iterable[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> list[str]:
    """Render the skeleton ``source`` into ``target``; returns the files and links written, relative, sorted.

    ``workspace`` (default: ``target`` itself) is the folder trusted as it is: below it no symbolic link is
    followed, and ``target`` must lie inside it. ``redact`` lists secret strings to keep out of error messages.
    Raises TemplateError, whose message starts with the skeleton path of the entry at fault.
    """
    secrets = sorted({str(item) for item in redact if item}, key=len, reverse=True)
    options = {"cookiecutter_compat": cookiecutter_compat, "trim_blocks": trim_blocks, "lstrip_blocks": lstrip_blocks}
    failure: TemplateError | None = None
    try:
        with applying(limits):
            return _render_skeleton(
                source,
                target,
                values,
                workspace,
                copy_without_templating=copy_without_templating,
                copy_without_render=copy_without_render,
                extension=_extension(template_file_extension),
                options=options,
                replace=replace,
                limits=limits,
            )
    except _Located as located:
        failure = template_error(located.error, secrets, f"{located.path}: ")
    except Exception as error:  # every failure becomes a TemplateError (raised below, without its cause)
        failure = template_error(error, secrets)
    raise failure
