"""A task's page: its steps with status and duration, the live log (htmx polling with ``after``), the result,
Cancel and Retry by status and permission, a dry run's files; my tasks and all tasks; and the task of
someone else, which does not exist for other users."""

from __future__ import annotations

import base64
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models.runs import RunEvent, RunStatus, StepStatus
from tests.conftest import make_user
from tests.fakes.git_http import git
from tests.scaffolder.test_ui_support import make_task, text_of


@pytest.fixture
def running(user):
    return make_task(user, status=RunStatus.RUNNING)


def test_the_task_page_shows_steps_status_and_log(signed_in, running):
    response = signed_in.get(f"/create/tasks/{running.pk}")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1><a class="title-link" href="/create/templates/default/python-library">Python library</a></h1>' in html
    assert '<span class="badge badge-running" data-testid="task-status">Running</span>' in html
    steps = re.findall(
        r'<li class="task-step step-(\w+)" data-step="(\w+)">.*?<strong class="step-name">([^<]+)</strong>'
        r' <code class="step-action">([^<]+)</code>.*?<span class="(badge[^"]*)">(\w+)</span>'
        r'(?: <span class="step-duration muted">([^<]+)</span>)?',
        html,
        re.S,
    )
    assert steps == [
        ("succeeded", "fetch", "Render the skeleton", "fetch:template", "badge badge-ok", "Completed", "5.0 s"),
        ("running", "publish", "Publish to GitHub", "publish:github", "badge badge-running", "Running", "1 min 0 s"),
    ]
    log = re.findall(r'<span class="log-step">([^<]+)</span> <span class="log-message">([^<]+)</span>', html)
    assert log == [
        ("Render the skeleton", "Beginning step Render the skeleton"),
        ("Render the skeleton", "Finished step Render the skeleton"),
    ]
    last = running.events.order_by("id").last().pk
    assert (
        f'<div id="task-poller" hx-get="/create/tasks/{running.pk}/events?after={last}" hx-trigger="load delay:1s"'
        ' hx-swap="outerHTML"></div>'
    ) in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert '<button type="submit" class="button button-danger">Cancel</button>' in html
    assert "Retry" not in html


def test_the_poller_appends_only_new_events_with_the_steps_and_status(signed_in, running):
    last = running.events.order_by("id").last().pk
    RunEvent.objects.create(run=running, body={"message": "Pushing to github.com/acme/x", "stepId": "publish"})
    RunEvent.objects.create(run=running, body={"message": "Rate limited", "stepId": "publish", "level": "warning"})

    response = signed_in.get(f"/create/tasks/{running.pk}/events?after={last}", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.startswith('<ol hx-swap-oob="beforeend:#task-log"><li id="event-')
    assert re.findall(r'<li id="event-\d+" class="([^"]+)">', html) == ["log-line", "log-line log-warning"]
    assert "Beginning step" not in html
    assert "Pushing to github.com/acme/x" in html
    assert '<ol id="task-steps" class="task-steps" hx-swap-oob="true">' in html
    assert '<p id="task-status" class="task-status" hx-swap-oob="true">' in html
    newest = running.events.order_by("id").last().pk
    assert f'hx-get="/create/tasks/{running.pk}/events?after={newest}"' in html
    assert 'hx-swap-oob="delete"' not in html  # the page already had lines: no placeholder to remove


def test_the_task_page_and_its_poller_take_the_same_queries_however_long_the_log(signed_in, running):
    signed_in.get(f"/create/tasks/{running.pk}")
    with CaptureQueriesContext(connection) as short_page:
        signed_in.get(f"/create/tasks/{running.pk}")
    with CaptureQueriesContext(connection) as short_poll:
        signed_in.get(f"/create/tasks/{running.pk}/events?after=0")
    RunEvent.objects.bulk_create([RunEvent(run=running, body={"message": f"line {n}"}) for n in range(40)])
    with CaptureQueriesContext(connection) as long_page:
        html = signed_in.get(f"/create/tasks/{running.pk}").content.decode()
    with CaptureQueriesContext(connection) as long_poll:
        signed_in.get(f"/create/tasks/{running.pk}/events?after=0")

    assert html.count('class="log-line') == 42
    assert len(long_page) == len(short_page)
    assert len(long_poll) == len(short_poll)
    assert len(short_poll) <= 6


def test_the_first_events_replace_the_waiting_placeholder(signed_in, user):
    task = make_task(user, status=RunStatus.PENDING)
    page = signed_in.get(f"/create/tasks/{task.pk}").content.decode()
    assert '<p class="empty" id="task-log-empty">Waiting for a worker to pick the task up…</p>' in page
    RunEvent.objects.create(run=task, body={"message": "Beginning step Render the skeleton", "stepId": "fetch"})

    html = signed_in.get(f"/create/tasks/{task.pk}/events?after=0").content.decode()

    assert html.startswith('<p id="task-log-empty" hx-swap-oob="delete"></p><ol hx-swap-oob="beforeend:#task-log">')


def test_once_the_task_ended_the_poller_reloads_the_page_and_stops(signed_in, user):
    task = make_task(user, status=RunStatus.SUCCEEDED)

    response = signed_in.get(f"/create/tasks/{task.pk}/events?after=0")
    page = signed_in.get(f"/create/tasks/{task.pk}").content.decode()

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert response.content == b""
    assert "task-poller" not in page
    assert "http-equiv" not in page


def test_a_completed_task_shows_its_links_and_text(signed_in, user):
    output = {
        "links": [
            {"title": "Repository", "url": "https://github.com/acme/billing-client"},
            {"title": "Open in catalog", "icon": "catalog", "entityRef": "component:default/billing-client"},
            {"title": "Sneaky", "url": "javascript:alert(1)"},
        ],
        "text": [{"title": "Next steps", "content": "Run **pytest** in `billing-client`.\n\n- one\n- two"}],
    }
    task = make_task(user, status=RunStatus.SUCCEEDED, output=output)

    html = signed_in.get(f"/create/tasks/{task.pk}").content.decode()

    assert '<span class="badge badge-ok" data-testid="task-status">Completed</span>' in html
    assert re.findall(r'<li><a class="button[^"]*" href="([^"]+)">([^<]+)</a></li>', html) == [
        ("https://github.com/acme/billing-client", "Repository"),
        ("/catalog/component/default/billing-client", "Open in catalog"),
    ]
    assert "javascript:" not in html
    assert (
        '<h3>Next steps</h3><div class="markdown"><p>Run <strong>pytest</strong> in <code>billing-client</code>.</p>\n'
        "<ul><li>one</li><li>two</li></ul></div>"
    ) in html
    assert "Cancel" not in text_of(html)


def test_a_repository_of_the_local_git_host_links_to_its_page_in_the_portal(signed_in, user, settings, tmp_path):
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = tmp_path / "git"
    bare = tmp_path / "git" / "acme" / "billing-client.git"
    git("init", "--quiet", "--bare", str(bare))
    output = {
        "links": [
            {"title": "Repository", "url": f"file://{bare}"},
            {"title": "Elsewhere", "url": "file:///etc/passwd"},
        ]
    }
    task = make_task(user, status=RunStatus.SUCCEEDED, output=output)

    html = signed_in.get(f"/create/tasks/{task.pk}").content.decode()

    assert re.findall(r'<li><a class="button[^"]*" href="([^"]+)">([^<]+)</a></li>', html) == [
        ("/git/acme/billing-client/", "Repository")
    ]


def test_a_dry_run_step_that_would_fail_says_so_and_why(signed_in, user):
    task = make_task(user, status=RunStatus.FAILED, dry_run=True, error="The dry run found 1 step that would fail")
    task.steps.filter(key="publish").update(error="Would fail: GitHub is not configured")

    html = signed_in.get(f"/create/tasks/{task.pk}").content.decode()

    assert '<span class="badge badge-danger">Would fail</span>' in html
    assert "Would fail: GitHub is not configured" in html


def test_a_failed_task_says_why_and_offers_retry_to_its_creator(signed_in, user):
    task = make_task(user, status=RunStatus.FAILED, error="Step Publish to GitHub failed: Bad credentials")

    html = signed_in.get(f"/create/tasks/{task.pk}").content.decode()

    assert "<strong>The task failed.</strong> Step Publish to GitHub failed: Bad credentials" in html
    assert '<p class="step-error">Bad credentials</p>' in html
    assert f'<form method="post" action="/create/tasks/{task.pk}/retry" class="retry-form">' in html
    assert '<button type="submit" class="button button-primary">Retry from the failed step</button>' in html
    assert "button-danger" not in html


def test_retry_runs_the_task_again_from_the_failed_step(signed_in, user):
    task = make_task(user, status=RunStatus.FAILED, error="boom")

    response = signed_in.post(f"/create/tasks/{task.pk}/retry")

    task.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/create/tasks/{task.pk}"
    assert task.status == RunStatus.PENDING
    assert task.error == ""
    assert list(task.steps.order_by("index").values_list("status", flat=True)) == [
        StepStatus.SUCCEEDED,
        StepStatus.PENDING,
    ]


def test_cancel_stops_a_waiting_task(signed_in, user):
    task = make_task(user, status=RunStatus.PENDING)

    response = signed_in.post(f"/create/tasks/{task.pk}/cancel")

    task.refresh_from_db()
    assert response["Location"] == f"/create/tasks/{task.pk}"
    assert task.status == RunStatus.CANCELLED
    page = signed_in.get(response["Location"]).content.decode()
    assert '<span class="badge badge-warn" data-testid="task-status">Cancelled</span>' in page
    assert "Retry from the step that did not finish" in page


def test_cancel_of_a_running_task_is_asked_between_steps(signed_in, running):
    signed_in.post(f"/create/tasks/{running.pk}/cancel")

    running.refresh_from_db()
    page = signed_in.get(f"/create/tasks/{running.pk}").content.decode()
    assert running.status == RunStatus.RUNNING
    assert running.cancel_requested is True
    assert '<span class="badge badge-running" data-testid="task-status">Cancelling</span>' in page
    assert "button-danger" not in page


def test_another_users_task_does_not_exist_for_them(client, running):
    client.force_login(make_user("stranger@example.com"))

    for method, url in (
        ("get", f"/create/tasks/{running.pk}"),
        ("get", f"/create/tasks/{running.pk}/events?after=0"),
        ("post", f"/create/tasks/{running.pk}/cancel"),
        ("post", f"/create/tasks/{running.pk}/retry"),
    ):
        assert getattr(client, method)(url).status_code == 404
    running.refresh_from_db()
    assert running.cancel_requested is False


def test_an_administrator_sees_and_may_cancel_any_task(staff_client, running):
    html = staff_client.get(f"/create/tasks/{running.pk}").content.decode()

    assert '<button type="submit" class="button button-danger">Cancel</button>' in html
    assert staff_client.post(f"/create/tasks/{running.pk}/cancel").status_code == 302


def test_a_template_owner_sees_the_task_but_may_not_cancel_it(client, running, settings, tmp_path):
    from tests.catalog.test_ui_support import load_examples, load_file

    load_examples(settings)
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(tmp_path)]
    template = tmp_path / "template.yaml"
    template.write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: python-library}\n"
        "spec: {owner: group:default/team-a, type: library, steps: []}\n",
        encoding="utf-8",
    )
    load_file(template)
    client.force_login(make_user("janelle-dawe@example.com"))  # team-a

    page = client.get(f"/create/tasks/{running.pk}")

    assert page.status_code == 200
    assert "button-danger" not in page.content.decode()
    assert client.post(f"/create/tasks/{running.pk}/cancel").status_code == 403


def dry_run_output() -> dict:
    def entry(path: str, data: bytes, **extra) -> dict:
        return {"path": path, "base64Content": base64.b64encode(data).decode(), "executable": False, **extra}

    return {
        "directoryContents": [
            entry("README.md", b"# billing-client\n\nA <typed> client.\n"),
            entry("src/billing_client/__init__.py", b'__version__ = "0.1.0"\n'),
            entry("docs/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary"),
            entry("scripts/run.sh", b"#!/bin/sh\necho hi\n", executable=True),
        ]
    }


def test_a_dry_run_shows_its_file_tree_and_a_text_file(signed_in, user):
    task = make_task(user, status=RunStatus.SUCCEEDED, dry_run=True, output=dry_run_output())

    html = signed_in.get(f"/create/tasks/{task.pk}").content.decode()

    assert '<h2 id="dry-run-title">Files it would create <span class="badge">4 files</span></h2>' in html
    assert re.findall(r"<summary>([^<]+)</summary>", html) == ["docs/", "scripts/", "src/", "billing_client/"]
    assert re.findall(r'<li class="tree-file[^"]*"><a href="[^"]+"[^>]*>([^<]+)</a>', html) == [
        "logo.png",
        "run.sh",
        "__init__.py",
        "README.md",
    ]
    assert 'aria-current="true"' in html.split(">README.md</a>")[0].rsplit("<a ", 1)[1]
    assert '<h3 class="file-path"><code>README.md</code></h3>' in html
    assert '<pre class="code-block"><code># billing-client\n\nA &lt;typed&gt; client.\n</code></pre>' in html
    assert '<span class="badge">dry run</span>' in html


def test_a_dry_run_file_is_chosen_by_its_path_and_binary_files_are_only_listed(signed_in, user):
    task = make_task(user, status=RunStatus.SUCCEEDED, dry_run=True, output=dry_run_output())

    binary = signed_in.get(f"/create/tasks/{task.pk}?file=docs/logo.png").content.decode()
    script = signed_in.get(f"/create/tasks/{task.pk}?file=scripts/run.sh").content.decode()

    assert '<h3 class="file-path"><code>docs/logo.png</code></h3>' in binary
    assert '<p class="empty">A binary file of 17\xa0bytes: not shown.</p>' in binary
    assert "PNG" not in binary
    assert '<h3 class="file-path"><code>scripts/run.sh</code> <span class="badge">executable</span></h3>' in script
    assert "<code>#!/bin/sh\necho hi\n</code>" in script


def test_my_tasks_lists_mine_with_status_filters(signed_in, user, other_user):
    make_task(user, status=RunStatus.SUCCEEDED)
    make_task(user, status=RunStatus.FAILED)
    make_task(user, status=RunStatus.RUNNING, dry_run=True)
    make_task(other_user, status=RunStatus.SUCCEEDED)

    html = signed_in.get("/create/tasks/").content.decode()
    failed = signed_in.get("/create/tasks/?status=failed").content.decode()

    assert re.findall(r'<span class="(badge[^"]*)">(\w+)</span></td>', html) == [
        ("badge badge-running", "Running"),
        ("badge badge-danger", "Failed"),
        ("badge badge-ok", "Completed"),
    ]
    filters = re.findall(r'<a href="([^"]+)"( aria-current="page")?>(\w+) <span class="count">(\d+)</span>', html)
    assert filters == [
        ("/create/tasks/", ' aria-current="page"', "All", "3"),
        ("/create/tasks/?status=open", "", "Waiting", "0"),
        ("/create/tasks/?status=processing", "", "Running", "1"),
        ("/create/tasks/?status=completed", "", "Completed", "1"),
        ("/create/tasks/?status=failed", "", "Failed", "1"),
        ("/create/tasks/?status=cancelled", "", "Cancelled", "0"),
    ]
    assert re.findall(r'<span class="(badge[^"]*)">(\w+)</span></td>', failed) == [("badge badge-danger", "Failed")]
    assert '<th scope="col">By</th>' not in html


def test_task_lists_take_the_same_queries_for_few_or_many_tasks(signed_in, user):
    make_task(user)
    with CaptureQueriesContext(connection) as few:
        signed_in.get("/create/tasks/")
    for _ in range(12):
        make_task(user, status=RunStatus.FAILED)
    with CaptureQueriesContext(connection) as many:
        html = signed_in.get("/create/tasks/").content.decode()

    assert html.count('class="cell-name"') == 13
    assert len(many) == len(few)
    assert len(few) <= 7


def test_all_tasks_is_for_administrators_and_template_owners(signed_in, staff_user, user, other_user):
    from django.test import Client

    make_task(user)
    make_task(other_user, status=RunStatus.FAILED)
    staff_client = Client()
    staff_client.force_login(staff_user)

    assert signed_in.get("/create/tasks/all").status_code == 403
    assert 'href="/create/tasks/all"' not in signed_in.get("/create/tasks/").content.decode()
    html = staff_client.get("/create/tasks/all").content.decode()
    assert html.count('class="cell-name"') == 2
    assert '<th scope="col">By</th>' in html
    assert '<td data-label="by">Dana Developer</td>' in html
    assert '<td data-label="by">other@example.com</td>' in html
    assert '<a href="/create/tasks/all" aria-current="page">All tasks</a>' in html


def test_home_shows_my_running_tasks_and_the_last_finished(signed_in, user, other_user):
    running = make_task(user, status=RunStatus.RUNNING)
    finished = [make_task(user, status=RunStatus.SUCCEEDED) for _ in range(4)]
    make_task(other_user, status=RunStatus.RUNNING)

    html = signed_in.get("/").content.decode()

    section = html[html.index('data-testid="home-running-tasks"') :].split("</section>")[0]
    links = re.findall(r'<a href="/create/tasks/([0-9a-f-]+)">', section)
    assert links == [str(running.pk)] + [str(task.pk) for task in reversed(finished[1:])]
    assert "<h3>Recently finished</h3>" in section
    assert '<span class="badge badge-running">Running</span>' in section


def test_home_without_tasks_invites_to_create(signed_in):
    html = signed_in.get("/").content.decode()

    section = html[html.index('data-testid="home-running-tasks"') :].split("</section>")[0]
    assert '<p class="empty">Nothing running.</p>' in section
    assert '<a class="button button-primary" href="/create/">Create something</a>' in section


def test_my_running_tasks_on_home_take_two_queries(signed_in, user):
    from scaffolder.home import running_tasks_context

    for status in (RunStatus.RUNNING, RunStatus.PENDING, RunStatus.SUCCEEDED, RunStatus.FAILED):
        make_task(user, status=status)
    request = type("Request", (), {"user": user})()

    with CaptureQueriesContext(connection) as queries:
        section = running_tasks_context(request)

    assert len(queries) == 2
    assert [row["task"].status for row in section["running"]] == [RunStatus.PENDING, RunStatus.RUNNING]
    assert [row["task"].status for row in section["finished"]] == [RunStatus.FAILED, RunStatus.SUCCEEDED]
    assert [row["when"] for row in section["running"]] == ["just now", "just now"]
