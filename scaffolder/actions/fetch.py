"""``fetch:template``, ``fetch:plain`` and ``fetch:plain:file``: files of the template into the workspace.

Rendering and copying go through the sandboxed skeleton renderer (:mod:`scaffolder.templating`): nothing is
written outside the workspace, no symbolic link is followed, sizes and time are bounded. They run in dry runs
too, and are run again when a resumed task re-creates its workspace.
"""

from __future__ import annotations

import os
from pathlib import Path

from scaffolder.actions import sources
from scaffolder.actions.registry import Action, ActionError, object_schema, register
from scaffolder.engine.context import ActionContext
from scaffolder.engine.rendering import limits
from scaffolder.engine.workspace import clean_relative, inside_workspace
from scaffolder.templating import DEFAULT_LIMITS, render_skeleton_sandboxed
from scaffolder.templating.files import open_folder, read_source, write_file
from scaffolder.templating.limits import LimitExceeded

_GLOBS = {"type": "array", "items": {"type": "string"}}


def _target(ctx: ActionContext, name: str = "targetPath") -> tuple[str, Path]:
    relative = clean_relative(ctx.input.get(name), name)
    return relative, inside_workspace(ctx.workspace, relative, name)


def fetch_template(ctx: ActionContext) -> dict:
    data = ctx.input
    extension = data.get("templateFileExtension")
    if data.get("copyWithoutRender") and data.get("copyWithoutTemplating"):
        raise ActionError("copyWithoutRender and copyWithoutTemplating can not be used at the same time")
    source = sources.local_copy(ctx, data["url"])
    relative, target = _target(ctx)
    written = render_skeleton_sandboxed(
        source,
        target,
        data.get("values") or {},
        workspace=ctx.workspace,
        copy_without_templating=data.get("copyWithoutTemplating") or [],
        copy_without_render=data.get("copyWithoutRender") or [],
        template_file_extension=extension if extension not in (None, False, "") else None,
        cookiecutter_compat=bool(data.get("cookiecutterCompat")),
        trim_blocks=bool(data.get("trimBlocks")),
        lstrip_blocks=bool(data.get("lstripBlocks")),
        replace=bool(data.get("replace", False)),
        redact=ctx.secrets,
        limits=limits(),
    )
    ctx.logger.info(f"Rendered {len(written)} files into {relative or 'the workspace'}")
    return {}


def fetch_plain(ctx: ActionContext) -> dict:
    source = sources.local_copy(ctx, ctx.input["url"])
    relative, target = _target(ctx)
    written = render_skeleton_sandboxed(
        source,
        target,
        {},
        workspace=ctx.workspace,
        copy_without_render=["**"],
        replace=bool(ctx.input.get("replace", False)),
        redact=ctx.secrets,
        limits=limits(),
    )
    ctx.logger.info(f"Copied {len(written)} files into {relative or 'the workspace'}")
    return {}


def fetch_plain_file(ctx: ActionContext) -> dict:
    source = sources.local_copy(ctx, ctx.input["url"], single_file=True)
    relative = clean_relative(ctx.input["targetPath"], "targetPath")
    if not relative:
        raise ActionError("targetPath must name a file in the workspace")
    parts = relative.split("/")
    inside_workspace(ctx.workspace, "/".join(parts[:-1]), "targetPath")
    try:
        data, mode = read_source(str(source), DEFAULT_LIMITS)
    except OSError as error:
        raise ActionError(f"{ctx.input['url']}: cannot be read ({error.strerror})") from None
    except (ValueError, LimitExceeded) as error:
        raise ActionError(f"{ctx.input['url']}: {error}") from None
    root = os.open(ctx.workspace, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        folder = open_folder(root, parts[:-1])
        try:
            write_file(folder, parts[-1], data, mode, relative, replace=bool(ctx.input.get("replace", True)))
        finally:
            os.close(folder)
    except ValueError as error:
        raise ActionError(str(error)) from None
    finally:
        os.close(root)
    ctx.logger.info(f"Copied {ctx.input['url']} to {relative}")
    return {}


_URL = {"type": "string", "minLength": 1, "description": "Relative to the template, or a GitHub tree URL"}
_TARGET = {"type": "string", "description": "Folder of the workspace to write into (default: the workspace)"}

register(
    Action(
        id="fetch:template",
        description="Renders a skeleton folder of the template into the workspace with the given values.",
        input_schema=object_schema(
            {
                "url": _URL,
                "targetPath": _TARGET,
                "values": {"type": "object", "description": "Values available as ${{ values.x }} in the skeleton"},
                "copyWithoutRender": {**_GLOBS, "description": "Globs of files copied as they are, names included"},
                "copyWithoutTemplating": {**_GLOBS, "description": "Globs of files whose contents are copied"},
                "cookiecutterCompat": {"type": "boolean", "description": "{{ }} delimiters and jsonify"},
                "templateFileExtension": {
                    "type": ["string", "boolean"],
                    "description": "Render only files with this extension (true: .njk), dropped from the name",
                },
                "replace": {"type": "boolean", "description": "Replace files already in the workspace"},
                "trimBlocks": {"type": "boolean"},
                "lstripBlocks": {"type": "boolean"},
            },
            ["url"],
        ),
        output_schema=object_schema({}),
        handler=fetch_template,
        examples=[
            {
                "description": "Render the skeleton next to the template",
                "example": "steps:\n  - id: fetch\n    action: fetch:template\n    input:\n      url: ./skeleton\n"
                "      values:\n        name: ${{ parameters.name }}\n",
            }
        ],
    )
)
register(
    Action(
        id="fetch:plain",
        description="Copies a folder of the template into the workspace as it is.",
        input_schema=object_schema({"url": _URL, "targetPath": _TARGET, "replace": {"type": "boolean"}}, ["url"]),
        output_schema=object_schema({}),
        handler=fetch_plain,
        examples=[
            {
                "description": "Copy static files",
                "example": "steps:\n  - id: static\n    action: fetch:plain\n    input:\n      url: ./static\n"
                "      targetPath: static\n",
            }
        ],
    )
)
register(
    Action(
        id="fetch:plain:file",
        description="Copies one file of the template into the workspace as it is.",
        input_schema=object_schema(
            {
                "url": _URL,
                "targetPath": {"type": "string", "minLength": 1, "description": "The file's path in the workspace"},
                "replace": {"type": "boolean"},
            },
            ["url", "targetPath"],
        ),
        output_schema=object_schema({}),
        handler=fetch_plain_file,
        examples=[
            {
                "description": "Add a licence",
                "example": "steps:\n  - id: licence\n    action: fetch:plain:file\n    input:\n"
                "      url: ./LICENSE\n      targetPath: LICENSE\n",
            }
        ],
    )
)
