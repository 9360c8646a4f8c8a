"""Skeleton rendering: Backstage fetch:template semantics (in-process; the sandbox runs the same code)."""

import os
import shutil
import stat
from pathlib import Path

import pytest

from scaffolder.templating import Limits, TemplateError
from scaffolder.templating.globs import GlobSet
from scaffolder.templating.skeleton import render_skeleton

DATA = Path(__file__).parent / "data" / "skeletons"
NODEJS = Path(__file__).resolve().parents[1] / "data" / "backstage" / "templates" / "example-nodejs-template"
VALUES = {
    "name": "payments",
    "description": "Takes the money",
    "owner": "group:default/team-a",
    "version": "1.2.3",
    "package": "com.acme.payments",
    "packagePath": "com/acme/payments",
    "tags": ["python", "web"],
    "docs": True,
    "docker": True,
}


def make_skeleton(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file (its bytes) and link (``-> text``) below root."""
    found: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[relative] = path.read_bytes()
    return found


def test_the_service_skeleton_renders_contents_and_names(tmp_path):
    written = render_skeleton(DATA / "service", tmp_path / "out", VALUES, copy_without_templating=["static/**"])
    assert written == [
        "Dockerfile",
        "catalog-info.yaml",
        "com/acme/payments/Main.java",
        "docs/index.md",
        "logo.png",
        "payments/version.py",
        "scripts/run.sh",
        "static/template.html",
        "windows.txt",
    ]
    out = tmp_path / "out"
    assert (out / "catalog-info.yaml").read_text() == (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
        '  name: "payments"\n  description: "Takes the money"\n  tags: ["python","web"]\n'
        "spec:\n  type: service\n  owner: team-a\n  lifecycle: experimental\n"
    )
    assert (out / "payments" / "version.py").read_text() == 'VERSION = "1.2.3"\n'
    assert (out / "com/acme/payments/Main.java").read_text() == "package com.acme.payments;\n\npublic class Main {}\n"
    assert (out / "docs/index.md").read_text() == "# Payments\n\nDocumentation is enabled.\n\n- PYTHON\n- WEB\n"
    assert (out / "static/template.html").read_text() == "<p>${{ not rendered }}</p>\n"
    assert (out / "Dockerfile").read_text() == "FROM python:3.11\n"


def test_binary_files_are_copied_byte_for_byte(tmp_path):
    render_skeleton(DATA / "service", tmp_path, VALUES)
    assert (tmp_path / "logo.png").read_bytes() == (DATA / "service" / "logo.png").read_bytes()
    assert b"${{ values.name }}" in (tmp_path / "logo.png").read_bytes()


def test_crlf_line_endings_and_permissions_survive(tmp_path):
    render_skeleton(DATA / "service", tmp_path, VALUES)
    assert (tmp_path / "windows.txt").read_bytes() == b"name: payments\r\nowner: group:default/team-a\r\n"
    mode = stat.S_IMODE((tmp_path / "scripts/run.sh").stat().st_mode)
    assert mode & stat.S_IXUSR
    assert mode == 0o755 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_an_entry_whose_name_renders_empty_is_skipped_with_its_subtree(tmp_path):
    skeleton = make_skeleton(
        tmp_path / "skeleton",
        {
            "${{ values.optional }}/inside.txt": "x",
            "${{ values.optional }}/deeper/more.txt": "y",
            "{% if values.ci %}ci.yaml{% endif %}": "ci",
            "kept.txt": "kept",
        },
    )
    (skeleton / "empty-${{ values.ci }}").mkdir()
    written = render_skeleton(skeleton, tmp_path / "out", {"optional": "", "ci": False})
    assert written == ["kept.txt"]
    assert sorted(os.listdir(tmp_path / "out")) == ["empty-false", "kept.txt"]  # empty folders are made too


def test_a_name_may_render_to_several_folders(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"src/${{ values.path }}/file.txt": "${{ values.path }}"})
    assert render_skeleton(skeleton, tmp_path / "out", {"path": "a/b/./c"}) == ["src/a/b/c/file.txt"]
    assert (tmp_path / "out/src/a/b/c/file.txt").read_text() == "a/b/./c"


def test_a_name_rendering_to_an_empty_middle_folder_is_skipped_like_backstage(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"src/${{ values.path }}/file.txt": "x", "b.txt": "b"})
    assert render_skeleton(skeleton, tmp_path / "out", {"path": "a/"}) == ["b.txt"]


def test_copy_without_templating_still_renders_names(tmp_path):
    skeleton = make_skeleton(
        tmp_path / "skeleton",
        {"raw/${{ values.name }}.txt": "${{ values.name }}", ".github/workflows/ci.yaml": "${{ github.sha }}"},
    )
    written = render_skeleton(
        skeleton, tmp_path / "out", {"name": "svc"}, copy_without_templating=["raw/*", ".github/workflows/*"]
    )
    assert written == [".github/workflows/ci.yaml", "raw/svc.txt"]
    assert (tmp_path / "out/raw/svc.txt").read_text() == "${{ values.name }}"
    assert (tmp_path / "out/.github/workflows/ci.yaml").read_text() == "${{ github.sha }}"


def test_copy_without_render_renders_neither_names_nor_contents(tmp_path):
    skeleton = make_skeleton(
        tmp_path / "skeleton", {"raw/${{ values.name }}.txt": "${{ values.name }}", "x-${{ values.name }}": "y"}
    )
    written = render_skeleton(skeleton, tmp_path / "out", {"name": "svc"}, copy_without_render=["raw/**"])
    assert written == ["raw/${{ values.name }}.txt", "x-svc"]
    assert (tmp_path / "out/raw/${{ values.name }}.txt").read_text() == "${{ values.name }}"


def test_template_file_extension_renders_only_those_files_and_drops_the_extension(tmp_path):
    written = render_skeleton(DATA / "extension", tmp_path / "a", {"name": "svc"}, template_file_extension=True)
    assert written == ["README.md", "svc/plain.txt"]
    assert (tmp_path / "a/README.md").read_text() == "# svc\n"
    assert (tmp_path / "a/svc/plain.txt").read_text() == "kept ${{ values.name }}\n"
    assert render_skeleton(DATA / "extension", tmp_path / "b", {"name": "svc"}, template_file_extension="njk") == [
        "README.md",
        "svc/plain.txt",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"copy_without_render": ["a"], "copy_without_templating": ["b"]},
            "copyWithoutRender and copyWithoutTemplating can not be used at the same time",
        ),
        (
            {"template_file_extension": True, "copy_without_templating": ["b"]},
            "templateFileExtension can not be used with copyWithoutRender, copyWithoutTemplating or cookiecutterCompat",
        ),
        (
            {"template_file_extension": ".j2", "cookiecutter_compat": True},
            "templateFileExtension can not be used with copyWithoutRender, copyWithoutTemplating or cookiecutterCompat",
        ),
        ({"copy_without_templating": "static/**"}, "copyWithoutTemplating must be a list of glob patterns"),
    ],
)
def test_conflicting_options_are_refused(tmp_path, options, message):
    with pytest.raises(TemplateError) as caught:
        render_skeleton(DATA / "extension", tmp_path / "out", {}, **options)
    assert str(caught.value) == message
    assert not (tmp_path / "out").exists()


def test_cookiecutter_compat_uses_double_braces_and_jsonify(tmp_path):
    skeleton = make_skeleton(
        tmp_path / "skeleton", {"{{ cookiecutter.name }}.json": '{"name": {{ cookiecutter.name | jsonify }}} ${{ x }}'}
    )
    assert render_skeleton(skeleton, tmp_path / "out", {"name": "svc"}, cookiecutter_compat=True) == ["svc.json"]
    assert (tmp_path / "out/svc.json").read_text() == '{"name": "svc"} $'


def test_trim_and_lstrip_blocks_options(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"f.txt": "a\n  {% if true %}\nb\n  {% endif %}\nc\n"})
    render_skeleton(skeleton, tmp_path / "plain", {})
    render_skeleton(skeleton, tmp_path / "trimmed", {}, trim_blocks=True, lstrip_blocks=True)
    assert (tmp_path / "plain/f.txt").read_text() == "a\n  \nb\n  \nc\n"
    assert (tmp_path / "trimmed/f.txt").read_text() == "a\nb\nc\n"


def test_rendering_again_overwrites_and_gives_the_same_tree(tmp_path):
    out = tmp_path / "out"
    first = render_skeleton(DATA / "service", out, VALUES)
    before = tree(out)
    (out / "catalog-info.yaml").write_text("changed by hand")
    assert render_skeleton(DATA / "service", out, VALUES) == first
    assert tree(out) == before
    assert [name for name in os.listdir(out) if name.startswith(".atrium-")] == []


def test_replace_false_keeps_existing_files(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"a.txt": "new", "b.txt": "new"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out/a.txt").write_text("old")
    assert render_skeleton(skeleton, tmp_path / "out", {}, replace=False) == ["b.txt"]
    assert (tmp_path / "out/a.txt").read_text() == "old"


def test_internal_symlinks_are_copied_as_links(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"docs/README.md": "${{ values.name }}", "a/b/x.txt": "x"})
    (skeleton / "README.md").symlink_to("docs/README.md")
    (skeleton / "a/b/up").symlink_to("../../docs")
    written = render_skeleton(skeleton, tmp_path / "out", {"name": "svc"})
    assert written == ["README.md", "a/b/up", "a/b/x.txt", "docs/README.md"]
    assert os.readlink(tmp_path / "out/README.md") == "docs/README.md"
    assert (tmp_path / "out/README.md").read_text() == "svc"
    assert render_skeleton(skeleton, tmp_path / "out", {"name": "svc"}) == written  # links are replaced on re-runs


def test_the_target_may_be_a_folder_inside_the_workspace(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"a.txt": "${{ values.x }}"})
    written = render_skeleton(skeleton, tmp_path / "ws/sub/dir", {"x": 1}, workspace=tmp_path / "ws")
    assert written == ["a.txt"]
    assert (tmp_path / "ws/sub/dir/a.txt").read_text() == "1"


def test_the_target_must_be_inside_the_workspace_and_outside_the_skeleton(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"a.txt": "a"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, tmp_path / "elsewhere", {}, workspace=tmp_path / "ws")
    assert str(caught.value) == "the target folder must be inside the workspace"
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, skeleton / "out", {})
    assert str(caught.value) == "the target folder must not be inside the skeleton"
    with pytest.raises(TemplateError) as caught:
        render_skeleton(tmp_path / "missing", tmp_path / "out", {})
    assert str(caught.value) == "the skeleton folder does not exist"


def test_an_error_in_a_file_names_the_file(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"ok.txt": "fine", "docs/bad.md": "line\n${{ values.x | nope }}"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, tmp_path / "out", {})
    assert str(caught.value) == "docs/bad.md: syntax error on line 2: No filter named 'nope'."


def test_a_file_over_the_file_limit_is_refused(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"big.bin": b"\x00" * 2048, "small.txt": "x"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, tmp_path / "out", {}, limits=Limits(file_bytes=1024))
    assert str(caught.value) == "big.bin: the rendered file exceeds 1 KB"


def test_a_rendered_file_over_the_file_limit_is_refused(tmp_path):
    loop = "{% for i in values.items %}${{ values.text }}{% endfor %}"
    skeleton = make_skeleton(tmp_path / "skeleton", {"grow.txt": loop})
    values = {"items": list(range(100)), "text": "x" * 100}
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, tmp_path / "out", values, limits=Limits(file_bytes=5000))
    assert str(caught.value) == "grow.txt: the rendered file exceeds 5000 bytes"
    assert not (tmp_path / "out/grow.txt").exists()


def test_the_total_output_limit_counts_every_file(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {f"f{index}.txt": "x" * 600 for index in range(4)})
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, tmp_path / "out", {}, limits=Limits(output_bytes=2000))
    assert str(caught.value) == "f3.txt: the rendered output exceeds 2000 bytes"


def test_too_many_entries_are_refused(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {f"d/f{index}.txt": "x" for index in range(5)})
    with pytest.raises(TemplateError) as caught:
        render_skeleton(skeleton, tmp_path / "out", {}, limits=Limits(max_files=5))
    assert str(caught.value) == "the skeleton has more than 5 files and folders"


def test_the_backstage_nodejs_example_renders_as_in_backstage(tmp_path):
    written = render_skeleton(NODEJS / "content", tmp_path, {"name": "my-app"})
    assert written == ["catalog-info.yaml", "index.js", "package.json"]
    assert (tmp_path / "index.js").read_text() == "console.log('Hello from my-app!');\n"
    assert (tmp_path / "package.json").read_text() == (
        '{\n  "name": "my-app",\n  "private": true,\n  "dependencies": {}\n}\n'
    )
    assert '  name: "my-app"\n' in (tmp_path / "catalog-info.yaml").read_text()


def test_files_without_template_syntax_are_copied_untouched(tmp_path):
    content = "no expressions here\r\nmixed\nline endings\r\n"
    skeleton = make_skeleton(tmp_path / "skeleton", {"plain.txt": content.encode()})
    render_skeleton(skeleton, tmp_path / "out", {})
    assert (tmp_path / "out/plain.txt").read_bytes() == content.encode()


def test_globs_follow_minimatch_conventions():
    globs = GlobSet(["*.png", "static/**", "**/*.tpl", "docs/{a,b}.md", "file?.txt", "[!x]y.txt", "!static/keep.txt"])
    assert globs.matches("logo.png") is True
    assert globs.matches("img/logo.png") is False
    assert globs.matches("static/a/b/c.js") is True
    assert globs.matches("static", is_dir=True) is True
    assert globs.matches("static/keep.txt") is False
    assert globs.matches("x.tpl") is True
    assert globs.matches("deep/er/x.tpl") is True
    assert globs.matches("docs/a.md") is True
    assert globs.matches("docs/c.md") is False
    assert globs.matches("file1.txt") is True
    assert globs.matches("file10.txt") is False
    assert globs.matches("ay.txt") is True
    assert globs.matches("xy.txt") is False
    assert GlobSet([".github/workflows/*"]).matches(".github/workflows/ci.yaml") is True
    assert GlobSet(["./src/*.py"]).matches("src/a.py") is True
    assert GlobSet(["**"]).matches(".hidden/file") is True


def test_data_skeletons_are_left_unchanged(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(DATA / "service", copy, symlinks=True)
    render_skeleton(copy, tmp_path / "out", VALUES)
    assert tree(copy) == tree(DATA / "service")
