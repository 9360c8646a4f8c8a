"""fetch:template, fetch:plain and fetch:plain:file: from the template's folder and from GitHub; bad inputs."""

import os

import pytest

from scaffolder.actions.registry import ActionError
from scaffolder.engine.workspace import PathError
from tests.scaffolder.engine_support import (
    action_context,
    located,
    make_task,
    run_action,
    template_doc,
    tree,
    write_files,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scaffolder_dirs")]

SKELETON = {
    "skeleton/README.md": "# ${{ values.name }}\n\n${{ values.description }}\n",
    "skeleton/${{ values.name }}/__init__.py": 'NAME = "${{ values.name }}"\n',
    "skeleton/.github/workflows/ci.yml": "run: ${{ matrix.python }}\n",
}


@pytest.fixture
def local_task(tmp_path):
    folder = tmp_path / "templates" / "svc"
    write_files(folder, SKELETON)
    template = located(template_doc("svc", []), f"file:{folder / 'template.yaml'}")
    return make_task(template)


def context(task, tmp_path, data):
    return action_context(task, tmp_path / "task", data)


def test_fetch_template_renders_the_skeleton_next_to_the_template(local_task, tmp_path):
    ctx = context(
        local_task,
        tmp_path,
        {
            "url": "./skeleton",
            "targetPath": "app",
            "values": {"name": "orders", "description": "Takes orders."},
            "copyWithoutTemplating": [".github/workflows/*"],
        },
    )

    assert run_action("fetch:template", ctx) == {}

    assert tree(ctx.workspace) == {
        "app/.github/workflows/ci.yml": "run: ${{ matrix.python }}\n",
        "app/README.md": "# orders\n\nTakes orders.\n",
        "app/orders/__init__.py": 'NAME = "orders"\n',
    }


def test_fetch_template_renders_only_files_with_the_template_extension(tmp_path):
    folder = tmp_path / "templates" / "ext"
    write_files(
        folder, {"skeleton/README.md.njk": "# ${{ values.name }}\n", "skeleton/raw.txt": "${{ values.name }}\n"}
    )
    task = make_task(located(template_doc("ext", []), f"file:{folder / 'template.yaml'}"))
    ctx = context(task, tmp_path, {"url": "./skeleton", "values": {"name": "x"}, "templateFileExtension": True})

    run_action("fetch:template", ctx)

    assert tree(ctx.workspace) == {"README.md": "# x\n", "raw.txt": "${{ values.name }}\n"}


def test_fetch_template_with_cookiecutter_compat_reads_double_braces(tmp_path):
    folder = tmp_path / "templates" / "cc"
    write_files(folder, {"skeleton/setup.cfg": "name = {{ cookiecutter.name }}\n"})
    task = make_task(located(template_doc("cc", []), f"file:{folder / 'template.yaml'}"))
    ctx = context(task, tmp_path, {"url": "./skeleton", "values": {"name": "lib"}, "cookiecutterCompat": True})

    run_action("fetch:template", ctx)

    assert tree(ctx.workspace) == {"setup.cfg": "name = lib\n"}


def test_fetch_template_keeps_files_already_in_the_workspace_unless_replace(local_task, tmp_path):
    ctx = context(local_task, tmp_path, {"url": "./skeleton", "values": {"name": "a", "description": "first"}})
    (ctx.workspace / "README.md").write_text("kept\n")

    run_action("fetch:template", ctx)
    kept = (ctx.workspace / "README.md").read_text()
    ctx.input = {**ctx.input, "replace": True}
    run_action("fetch:template", ctx)

    assert kept == "kept\n"
    assert (ctx.workspace / "README.md").read_text() == "# a\n\nfirst\n"


def test_fetch_template_reads_a_skeleton_from_github_next_to_the_template(github_fake, tmp_path):
    github_fake.add_file("acme/templates", "svc/template.yaml", "kind: Template\n")
    github_fake.add_file("acme/templates", "svc/skeleton/README.md", "# ${{ values.name }}\n")
    github_fake.add_file(
        "acme/templates", "svc/skeleton/bin/run", "#!/bin/sh\necho ${{ values.name }}\n", mode="100755"
    )
    github_fake.add_file("acme/templates", "svc/skeleton/docs/index.md", "../README.md", mode="120000")
    github_fake.add_file("acme/templates", "other/secret.txt", "not part of the skeleton\n")
    location = "url:https://github.com/acme/templates/blob/main/svc/template.yaml"
    task = make_task(located(template_doc("svc", []), location))
    ctx = context(task, tmp_path, {"url": "./skeleton", "values": {"name": "orders"}})

    run_action("fetch:template", ctx)

    assert tree(ctx.workspace) == {
        "README.md": "# orders\n",
        "bin/run": "#!/bin/sh\necho orders\n",
        "docs/index.md": "-> ../README.md",
    }
    assert os.access(ctx.workspace / "bin" / "run", os.X_OK)
    assert "/repos/acme/templates/git/trees/main" in github_fake.paths_requested()


def test_fetch_template_reads_an_absolute_github_tree_url(github_fake, tmp_path, local_task):
    github_fake.add_file("acme/shared", "skeletons/base/LICENSE", "MIT ${{ values.year }}\n", ref="v2")
    ctx = context(
        local_task, tmp_path, {"url": "https://github.com/acme/shared/tree/v2/skeletons/base", "values": {"year": 2026}}
    )

    run_action("fetch:template", ctx)

    assert tree(ctx.workspace) == {"LICENSE": "MIT 2026\n"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"values": {}}, "Invalid input passed to action fetch:template: input.url is required"),
        ({"url": 42}, "Invalid input passed to action fetch:template: input.url: 42 is not of type 'string'"),
        ({"url": "../other"}, "../other leaves the template's folder"),
        ({"url": "file:/etc"}, "file:/etc: give a path relative to the template (such as ./skeleton)"),
        ({"url": "/etc"}, "/etc: give a path relative to the template (such as ./skeleton)"),
        (
            {"url": "https://example.com/skeleton"},
            "https://example.com/skeleton: templates can be read from GitHub or from the template's own folder only",
        ),
        ({"url": "./missing"}, "./missing: no such folder next to the template"),
        (
            {"url": "./skeleton", "copyWithoutRender": ["a"], "copyWithoutTemplating": ["b"]},
            "copyWithoutRender and copyWithoutTemplating can not be used at the same time",
        ),
    ],
)
def test_fetch_template_refuses_bad_input_and_writes_nothing(local_task, tmp_path, data, message):
    ctx = context(local_task, tmp_path, data)

    with pytest.raises(ActionError) as raised:
        run_action("fetch:template", ctx)

    assert str(raised.value) == message
    assert tree(ctx.workspace) == {}


def test_fetch_template_refuses_a_target_path_outside_the_workspace(local_task, tmp_path):
    ctx = context(local_task, tmp_path, {"url": "./skeleton", "targetPath": "../escape"})

    with pytest.raises(PathError) as raised:
        run_action("fetch:template", ctx)

    assert str(raised.value) == "targetPath '../escape' leaves the workspace"
    assert not (tmp_path / "task" / "escape").exists()


def test_fetch_plain_copies_names_and_contents_as_they_are(local_task, tmp_path):
    ctx = context(local_task, tmp_path, {"url": "./skeleton", "targetPath": "raw"})

    run_action("fetch:plain", ctx)

    assert tree(ctx.workspace) == {f"raw/{path.removeprefix('skeleton/')}": text for path, text in SKELETON.items()}


def test_fetch_plain_file_copies_one_file_to_its_target_path(local_task, tmp_path):
    ctx = context(local_task, tmp_path, {"url": "./skeleton/README.md", "targetPath": "docs/README.template.md"})

    run_action("fetch:plain:file", ctx)

    assert tree(ctx.workspace) == {"docs/README.template.md": SKELETON["skeleton/README.md"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"url": "./skeleton/README.md"},
            "Invalid input passed to action fetch:plain:file: input.targetPath is required",
        ),
        ({"url": "./skeleton", "targetPath": "x"}, "./skeleton: no such file next to the template"),
        ({"url": "./skeleton/README.md", "targetPath": "."}, "targetPath must name a file in the workspace"),
    ],
)
def test_fetch_plain_file_refuses_bad_input(local_task, tmp_path, data, message):
    ctx = context(local_task, tmp_path, data)

    with pytest.raises(ActionError) as raised:
        run_action("fetch:plain:file", ctx)

    assert str(raised.value) == message
    assert tree(ctx.workspace) == {}
