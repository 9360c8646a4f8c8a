"""The sandbox process: same results as in-process, limits enforced, nothing leaked into argv or environment."""

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from scaffolder.templating import Limits, TemplateError, render_value
from scaffolder.templating.sandbox import (
    PROJECT_ROOT,
    child_command,
    child_environment,
    evaluate_condition_sandboxed,
    render_skeleton_sandboxed,
    render_value_sandboxed,
)
from scaffolder.templating.skeleton import render_skeleton

DATA = Path(__file__).parent / "data" / "skeletons"
SECRET = "s3cr3t-Pa55w0rd-for-the-sandbox"
CONTEXT = {
    "parameters": {"name": "svc", "tags": ["a", "b"], "count": 2, "repoUrl": "github.com?owner=o&repo=r"},
    "secrets": {"token": SECRET},
}
ENDLESS = "{% macro f(n) %}{% if n %}${{ f(n - 1) }}${{ f(n - 1) }}{% endif %}{% endmacro %}${{ f(60) }}"
VALUES = {
    "name": "payments",
    "description": "Takes the money",
    "owner": "group:default/team-a",
    "version": "1.2.3",
    "package": "com.acme.payments",
    "packagePath": "com/acme/payments",
    "tags": ["python", "web"],
    "docs": True,
    "docker": False,
}


def sandbox_children() -> list[int]:
    """Process ids of this process's sandbox children."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat_line = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat_line.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"scaffolder.templating.sandbox" in command:
            found.append(int(entry))
    return found


def limit_of(pid: int, name: str) -> list[str]:
    """The soft and hard values of one resource limit of a process, as /proc shows them."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith(f"{name}  "):
            return line[len(name) :].split()[:2]
    return []


def test_a_value_renders_as_in_process():
    value = {"name": "${{ parameters.name }}", "tags": "${{ parameters.tags }}", "n": "${{ parameters.count + 1 }}"}
    assert render_value_sandboxed(value, CONTEXT) == {"name": "svc", "tags": ["a", "b"], "n": 3}
    assert render_value_sandboxed(value, CONTEXT) == render_value(value, CONTEXT)
    assert render_value_sandboxed("${{ parameters.repoUrl | parseRepoUrl }}", CONTEXT) == {
        "host": "github.com",
        "owner": "o",
        "repo": "r",
    }


def test_a_condition_is_evaluated():
    assert evaluate_condition_sandboxed("${{ parameters.count === 2 }}", CONTEXT) is True
    assert evaluate_condition_sandboxed("${{ parameters.missing }}", CONTEXT) is False


def test_a_skeleton_renders_as_in_process(tmp_path):
    in_sandbox = render_skeleton_sandboxed(
        DATA / "service", tmp_path / "a", VALUES, copy_without_templating=["static/**"]
    )
    in_process = render_skeleton(DATA / "service", tmp_path / "b", VALUES, copy_without_templating=["static/**"])
    assert in_sandbox == in_process
    for name in in_process:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_skeleton_options_pass_through_including_the_workspace(tmp_path):
    written = render_skeleton_sandboxed(
        DATA / "extension", tmp_path / "ws/out", {"name": "x"}, workspace=tmp_path / "ws", template_file_extension=True
    )
    assert written == ["README.md", "x/plain.txt"]
    assert (tmp_path / "ws/out/README.md").read_text() == "# x\n"


def test_relative_paths_are_the_callers(tmp_path, monkeypatch):
    (tmp_path / "skeleton").mkdir()
    (tmp_path / "skeleton/a.txt").write_text("${{ values.x }}")
    monkeypatch.chdir(tmp_path)
    assert render_skeleton_sandboxed("skeleton", "ws/out", {"x": 1}, workspace="ws") == ["a.txt"]
    assert (tmp_path / "ws/out/a.txt").read_text() == "1"


def test_option_errors_come_back_from_the_child(tmp_path):
    with pytest.raises(TemplateError) as caught:
        render_skeleton_sandboxed(DATA / "extension", tmp_path / "out", {}, copy_without_templating="static/**")
    assert str(caught.value) == "copyWithoutTemplating must be a list of glob patterns"


def test_a_template_error_in_the_child_comes_back_with_its_message():
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed({"a": "${{ parameters.name | nope }}"}, CONTEXT)
    assert str(caught.value) == "syntax error on line 1: No filter named 'nope'."
    assert caught.value.__context__ is None


def test_values_that_are_not_json_are_refused_before_starting_a_process():
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed("${{ x }}", {"x": object()})
    assert str(caught.value) == "the values given to the template must be JSON data"


def test_the_child_command_and_environment_carry_no_values(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user:pw@db/atrium")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert child_command() == [
        sys.executable,
        "-I",
        "-c",
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from scaffolder.templating.sandbox import child_main; child_main()",
        PROJECT_ROOT,
    ]
    assert child_environment() == {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def test_the_running_child_has_no_secret_in_argv_or_environment_and_has_its_limits(monkeypatch):
    monkeypatch.setenv("ATRIUM_TEST_SECRET", SECRET)
    limits = Limits(cpu_seconds=20, wall_seconds=4, memory_bytes=300 * 1024 * 1024, file_bytes=1024 * 1024)
    errors: list[str] = []

    def run() -> None:
        try:
            render_value_sandboxed(ENDLESS, CONTEXT, limits)
        except TemplateError as error:
            errors.append(str(error))

    thread = threading.Thread(target=run)
    thread.start()
    children: list[int] = []
    deadline = time.monotonic() + 2.5
    while not children and time.monotonic() < deadline:
        children = sandbox_children()
        time.sleep(0.02)
    assert len(children) == 1
    pid = children[0]
    while limit_of(pid, "Max cpu time") != ["20", "21"] and time.monotonic() < deadline + 2:
        time.sleep(0.02)  # the child sets its limits once it has read the job
    assert SECRET.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    environment = Path(f"/proc/{pid}/environ").read_bytes()
    assert SECRET.encode() not in environment
    assert {item.split(b"=", 1)[0] for item in environment.split(b"\0") if item} <= {b"LANG", b"PATH"}
    assert limit_of(pid, "Max cpu time") == ["20", "21"]
    assert limit_of(pid, "Max address space") == ["314572800", "314572800"]
    assert limit_of(pid, "Max file size") == ["1048576", "1048576"]
    assert limit_of(pid, "Max core file size") == ["0", "0"]
    assert os.getsid(pid) == pid  # a session (and process group) of its own
    thread.join(10)
    assert errors == ["the template took longer than 4 s to render"]
    assert sandbox_children() == []


def test_the_wall_clock_limit_kills_the_process_group():
    started = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(ENDLESS, CONTEXT, Limits(wall_seconds=1, cpu_seconds=30))
    assert str(caught.value) == "the template took longer than 1 s to render"
    assert time.monotonic() - started < 5
    assert sandbox_children() == []
    assert render_value_sandboxed("${{ parameters.name }}", CONTEXT) == "svc"


def test_the_cpu_limit_ends_the_rendering():
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(ENDLESS, CONTEXT, Limits(cpu_seconds=1, wall_seconds=30))
    assert str(caught.value) == "the template used more than 1 s of CPU time to render"
    assert render_value_sandboxed("${{ parameters.name }}", CONTEXT) == "svc"


def test_a_reply_larger_than_the_output_limit_is_refused():
    limits = Limits(output_bytes=2 * 1024 * 1024, file_bytes=1024 * 1024)
    many = ["${{ 'x' * 1000000 }}"] * 5
    with pytest.raises(TemplateError) as caught:
        render_value_sandboxed(many, CONTEXT, limits)
    assert str(caught.value) == "the rendered output exceeds 2 MB"


def test_fifty_small_files_render_in_well_under_a_second(tmp_path):
    skeleton = tmp_path / "skeleton"
    for index in range(50):
        folder = skeleton / f"pkg{index % 5}" / "${{ values.name }}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file{index}.py").write_text(f"# ${{{{ values.name }}}} {index}\nVALUE = ${{{{ values.count }}}}\n")
    started = time.perf_counter()
    written = render_skeleton_sandboxed(skeleton, tmp_path / "out", {"name": "svc", "count": 3})
    elapsed = time.perf_counter() - started
    assert len(written) == 50
    assert (tmp_path / "out/pkg0/svc/file0.py").read_text() == "# svc 0\nVALUE = 3\n"
    assert elapsed < 1.0
