"""Hostile templates: each ends in a clear TemplateError, writes nothing outside, leaks no secret, and the parent
process renders the next template as usual."""

import logging
import os
from pathlib import Path

import pytest

from scaffolder.templating import Limits, TemplateError, render_string, render_value
from scaffolder.templating.sandbox import render_skeleton_sandboxed, render_value_sandboxed
from scaffolder.templating.skeleton import render_skeleton

SECRET = "ghp_Sup3rS3cretT0kenValue"
CONTEXT = {"parameters": {"name": "svc", "tags": ["a"]}, "secrets": {"token": SECRET}}
MIB = 1024 * 1024


def assert_healthy() -> None:
    assert render_value_sandboxed("${{ parameters.name }}", CONTEXT) == "svc"
    assert render_string("${{ parameters.name }}", CONTEXT) == "svc"


def make_skeleton(root: Path, files: dict[str, str]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


UNSAFE = "access to the attribute {!r} is not allowed in templates"
INJECTIONS = [
    ("${{ ''.__class__.__mro__[1].__subclasses__() }}", UNSAFE.format("__class__")),
    ("${{ self.__init__.__globals__ }}", UNSAFE.format("__init__")),
    ("${{ cycler.__init__.__globals__.os }}", UNSAFE.format("__init__")),
    ("${{ joiner.__init__.__globals__.os.popen('id').read() }}",
     UNSAFE.format("__init__")),
    ("${{ lipsum.__globals__['os'].popen('id').read() }}",
     UNSAFE.format("__globals__")),
    ("${{ namespace.__init__.__globals__ }}", UNSAFE.format("__init__")),
    ("${{ config.__class__.__init__.__globals__['os'] }}",
     UNSAFE.format("__class__")),
    ("${{ request.application.__globals__.__builtins__ }}",
     UNSAFE.format("__globals__")),
    ("${{ parameters['__class__'] }}", UNSAFE.format("__class__")),
    ("${{ parameters._private }}", UNSAFE.format("_private")),
    ("${{ range(10**9) | list }}", "'range' is undefined"),
    ("${{ lipsum() }}", "'lipsum' is undefined"),
    ("${{ cycler('a', 'b').next() }}", "'cycler' is undefined"),
    ("${{ dict(a=1) }}", "'dict' is undefined"),
    ("${{ parameters | attr('__class__') }}", "syntax error on line 1: No filter named 'attr'."),
    ("${{ '{0.__class__}'.format(parameters) }}", UNSAFE.format("format")),
    ("${{ '%s' % parameters }}", "string formatting with % is not allowed in templates; use ~ to join strings"),
    ("${{ parameters.tags.append('x') }}", UNSAFE.format("append")),
    ("${{ (2).to_bytes(1000000000, 'big') }}", UNSAFE.format("to_bytes")),
    ("${{ 'x'.center(1000000000) }}", UNSAFE.format("center")),
    ("{% include '/etc/passwd' %}", "no loader for this environment specified"),
    ("{% extends '/etc/passwd' %}", "no loader for this environment specified"),
    ("{% set x = ''.__class__ %}${{ x }}", UNSAFE.format("__class__")),
    ("${{ 9 ** 99999 }}", "the number is too large"),
]  # fmt: skip


@pytest.mark.parametrize(("template", "message"), INJECTIONS)
def test_template_injection_is_refused_in_the_sandbox(template, message):
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed({"input": template}, CONTEXT)
    assert str(caught.value) == message
    assert_healthy()


@pytest.mark.parametrize(("template", "message"), INJECTIONS)
def test_template_injection_is_refused_in_process_too(template, message):
    with pytest.raises(TemplateError) as caught:
        render_value({"input": template}, CONTEXT)
    assert str(caught.value) == message


def test_injection_in_a_skeleton_file_is_refused(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"x.txt": "${{ self.__init__.__globals__ }}"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {})
    assert str(caught.value) == "x.txt: access to the attribute '__init__' is not allowed in templates"
    assert_healthy()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil", "${{ values.name }}: the name renders to '../evil', which would leave the target folder"),
        ("a/../../evil", "${{ values.name }}: the name renders to 'a/../../evil', which would leave the target folder"),
        (
            "/etc/evil",
            "${{ values.name }}: the name renders to the absolute path '/etc/evil', outside the target folder",
        ),
    ],
)
def test_a_file_name_that_escapes_the_target_is_refused(tmp_path, name, message):
    skeleton = make_skeleton(tmp_path / "skeleton", {"a-first.txt": "a", "${{ values.name }}": "evil"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "ws" / "out", {"name": name})
    assert str(caught.value) == message
    assert not (tmp_path / "ws").exists()  # names are checked before anything is written
    assert not (tmp_path / "ws" / "evil").exists()
    assert not (tmp_path / "evil").exists()
    assert_healthy()


def test_an_absolute_file_name_into_a_real_folder_is_refused(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"${{ values.name }}": "evil"})
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {"name": f"{outside}/evil"})
    assert str(caught.value) == (
        f"${{{{ values.name }}}}: the name renders to the absolute path '{outside}/evil', outside the target folder"
    )
    assert os.listdir(outside) == []


def test_a_folder_whose_name_renders_to_dot_dot_is_refused(tmp_path):
    skeleton = make_skeleton(tmp_path / "skeleton", {"${{ values.dots }}/evil.txt": "evil"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "ws/out", {"dots": ".."})
    assert str(caught.value) == "${{ values.dots }}: the name renders to '..', which would leave the target folder"
    assert not (tmp_path / "ws/evil.txt").exists()
    assert_healthy()


@pytest.mark.parametrize(
    ("link", "shown"),
    [("/etc", "/etc"), ("../../outside", "../../outside"), ("inside/../../x", "inside/../../x")],
)
def test_a_symlink_in_the_skeleton_pointing_outside_is_refused(tmp_path, link, shown):
    skeleton = make_skeleton(tmp_path / "skeleton", {"a.txt": "a", "inside/b.txt": "b"})
    (skeleton / "inside" / "link").symlink_to(link)
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {})
    assert str(caught.value) == (
        f"inside/link: the symbolic link points outside the skeleton ('{shown}'); only links inside it are copied"
    )
    assert not (tmp_path / "out").exists()
    assert_healthy()


def test_a_hard_link_in_the_skeleton_is_refused(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("private")
    skeleton = make_skeleton(tmp_path / "skeleton", {"a.txt": "a"})
    os.link(outside, skeleton / "copy.txt")
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {})
    assert str(caught.value) == "copy.txt: a file with several hard links can not be in a skeleton"
    assert not (tmp_path / "out/copy.txt").exists()


def test_a_file_symlink_left_in_the_workspace_is_not_written_through(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "config.txt").symlink_to(outside)  # left by an earlier step
    skeleton = make_skeleton(tmp_path / "skeleton", {"config.txt": "overwritten ${{ values.x }}"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, workspace, {"x": 1})
    assert str(caught.value) == "config.txt: refusing to write through the symbolic link 'config.txt' in the workspace"
    assert outside.read_text() == "precious"
    assert os.readlink(workspace / "config.txt") == str(outside)
    assert_healthy()


def test_a_folder_symlink_left_in_the_workspace_is_not_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "src").symlink_to(outside)
    skeleton = make_skeleton(tmp_path / "skeleton", {"src/main.py": "print(1)", "src/${{ values.x }}.py": "x"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, workspace, {"x": "y"})
    assert str(caught.value) == "src: refusing to write through the symbolic link 'src' in the workspace"
    assert os.listdir(outside) == []
    assert_healthy()


def test_a_target_folder_that_is_a_symlink_in_the_workspace_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "out").symlink_to(outside)
    skeleton = make_skeleton(tmp_path / "skeleton", {"a.txt": "a"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, workspace / "out", {}, workspace=workspace)
    assert str(caught.value) == "refusing to write through the symbolic link 'out' in the workspace"
    assert os.listdir(outside) == []


def test_a_symlink_created_by_one_render_is_not_followed_by_the_next(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    workspace = tmp_path / "ws"
    first = make_skeleton(tmp_path / "first", {"docs/readme.md": "r"})
    (first / "data").symlink_to("docs")  # an internal link: allowed and copied
    assert render_skeleton(first, workspace, {}) == ["data", "docs/readme.md"]
    os.remove(workspace / "data")
    (workspace / "data").symlink_to(outside)  # a later step points it outside
    second = make_skeleton(tmp_path / "second", {"data/secret.txt": "${{ values.x }}"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(second, workspace, {"x": "x"})
    assert str(caught.value) == "data: refusing to write through the symbolic link 'data' in the workspace"
    assert os.listdir(outside) == []


def test_a_gigabyte_expression_is_refused(tmp_path):
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed('${{ "x" * 1000000000 }}', CONTEXT)
    assert str(caught.value) == "the expression builds a value larger than 20 MB"
    skeleton = make_skeleton(tmp_path / "skeleton", {"big.txt": '${{ "x" * 1000000000 }}'})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {})
    assert str(caught.value) == "big.txt: the expression builds a value larger than 20 MB"
    assert not (tmp_path / "out/big.txt").exists()
    assert_healthy()


def test_a_loop_that_emits_a_gigabyte_is_stopped_at_the_file_limit(tmp_path):
    loop = (
        "{% for a in values.s %}{% for b in values.s %}{% for c in values.s %}${{ values.s }}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    skeleton = make_skeleton(tmp_path / "skeleton", {"big.txt": loop})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {"s": "x" * 1000})  # 10**12 characters
    assert str(caught.value) == "big.txt: the rendered file exceeds 20 MB"
    assert not (tmp_path / "out/big.txt").exists()
    assert_healthy()


def test_the_total_output_limit_stops_many_large_files(tmp_path):
    files = {f"f{index}.txt": "${{ values.s * 1000 }}" for index in range(5)}
    skeleton = make_skeleton(tmp_path / "skeleton", files)
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {"s": "y" * 1000}, limits=Limits(output_bytes=3 * MIB))
    assert str(caught.value) == "f3.txt: the rendered output exceeds 3 MB"
    assert sorted(os.listdir(tmp_path / "out")) == ["f0.txt", "f1.txt", "f2.txt"]
    assert_healthy()


def test_an_exponential_recursive_macro_hits_the_cpu_limit():
    template = "{% macro f(n) %}{% if n %}${{ f(n - 1) }}${{ f(n - 1) }}{% endif %}{% endmacro %}${{ f(100) }}"
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(template, CONTEXT, Limits(cpu_seconds=1))
    assert str(caught.value) == "the template used more than 1 s of CPU time to render"
    assert_healthy()


def test_huge_nested_loops_hit_the_wall_clock_limit():
    template = "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}"
    context = {**CONTEXT, "s": "x" * 100000}
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(template, context, Limits(wall_seconds=1, cpu_seconds=30))
    assert str(caught.value) == "the template took longer than 1 s to render"
    assert_healthy()


def test_infinite_recursion_is_a_clear_error():
    template = "{% macro f() %}${{ f() }}{% endmacro %}${{ f() }}"
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(template, CONTEXT)
    assert str(caught.value) == "the template calls itself too deeply (recursion)"
    assert_healthy()


def test_a_value_doubling_itself_stops_at_the_value_limit_before_memory_runs_out():
    template = (
        "{% macro grow(s, n) %}{% if n %}${{ grow(s ~ s ~ s ~ s, n - 1) }}{% else %}${{ s | length }}{% endif %}"
        "{% endmacro %}${{ grow('x', 30) }}"
    )
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(template, CONTEXT, Limits(memory_bytes=256 * MIB))
    assert str(caught.value) == "the expression builds a value larger than 20 MB"
    assert_healthy()


LEAKS = [
    ("${{ secrets.token | parseEntityRef }}",
     'Entity reference "***" had missing or empty kind (e.g. did not start with "component:" or similar)'),
    ("${{ {}[secrets.token]() }}", "'dict object' has no attribute '***'"),
    ("${{ secrets.token | projectSlug }}", "Invalid repo URL passed to parseRepoUrl: ***, missing repo"),
    ("${{ (parameters.name ~ secrets.token) | parseEntityRef }}",
     'Entity reference "svc***" had missing or empty kind (e.g. did not start with "component:" or similar)'),
]  # fmt: skip


@pytest.mark.parametrize(("template", "message"), LEAKS)
def test_a_secret_never_appears_in_an_error_or_a_log(caplog, template, message):
    caplog.set_level(logging.DEBUG)
    for render in (render_value, render_value_sandboxed):
        with pytest.raises(TemplateError) as caught:
            render({"input": template}, CONTEXT)
        assert str(caught.value) == message
        assert SECRET not in repr(caught.value)
    assert SECRET not in caplog.text
    assert_healthy()


def test_a_secret_passed_to_a_skeleton_is_redacted(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    skeleton = make_skeleton(tmp_path / "skeleton", {"token.txt": "${{ values.token | parseEntityRef }}"})
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(skeleton, tmp_path / "out", {"token": SECRET}, redact=[SECRET])
    assert str(caught.value) == (
        'token.txt: Entity reference "***" had missing or empty kind (e.g. did not start with "component:" or similar)'
    )
    assert SECRET not in caplog.text
