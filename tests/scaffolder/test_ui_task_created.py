"""The task lists (my tasks, all tasks, Home's running tasks) name what each run created: the catalog
entity of its output's entityRef link, else its Repository link, else the name entered in the form when
the template asks for one; in the same number of queries however many tasks."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models.runs import RunStatus
from tests.scaffolder.test_ui_support import make_task

OUTPUT = {
    "links": [
        {"title": "Repository", "url": "https://github.com/acme/billing-client"},
        {"title": "Open in catalog", "icon": "catalog", "entityRef": "component:default/billing-client"},
    ]
}
#: A template with a ``name`` parameter (on its first page), as a task records it.
NAMED = {
    "apiVersion": "scaffolder.backstage.io/v1beta3",
    "kind": "Template",
    "metadata": {"name": "python-library", "title": "Python library"},
    "spec": {
        "parameters": [
            {"title": "Details", "properties": {"name": {"title": "Name", "type": "string"}}},
            {"title": "Where", "properties": {"repoUrl": {"type": "string"}}},
        ],
        "steps": [],
    },
}


def created_cells(html: str) -> list[str]:
    return re.findall(r'<td data-label="created">(.*?)</td>', html, re.S)


def test_my_tasks_name_the_entity_the_repository_or_the_name_entered(signed_in, user):
    make_task(user, status=RunStatus.SUCCEEDED, output=OUTPUT, template=NAMED)
    make_task(user, status=RunStatus.SUCCEEDED, output={"links": OUTPUT["links"][:1]}, template=NAMED)
    make_task(user, status=RunStatus.FAILED, template=NAMED, values={"name": "orders-api"})
    make_task(user, status=RunStatus.RUNNING, values={"name": "not-asked"})

    html = signed_in.get("/create/tasks/").content.decode()

    assert '<th scope="col">Template</th><th scope="col">Created</th><th scope="col">Status</th>' in html
    assert created_cells(html) == [
        "",
        '<span class="task-created" data-what="name entered">orders-api <span class="muted">name entered</span></span>',
        '<span class="task-created" data-what="repository"><a href="https://github.com/acme/billing-client">'
        'acme/billing-client</a> <span class="muted">repository</span></span>',
        '<span class="task-created" data-what="component"><a href="/catalog/component/default/billing-client">'
        'billing-client</a> <span class="muted">component</span></span>',
    ]


def test_an_entity_outside_the_default_namespace_is_named_with_its_namespace(signed_in, user):
    links = [{"title": "Open in catalog", "entityRef": "Component:payments/ledger"}]
    make_task(user, status=RunStatus.SUCCEEDED, output={"links": links})

    html = signed_in.get("/create/tasks/").content.decode()

    assert created_cells(html) == [
        '<span class="task-created" data-what="component"><a href="/catalog/component/payments/ledger">'
        'payments/ledger</a> <span class="muted">component</span></span>'
    ]


def test_links_that_name_nothing_fall_back_to_the_name_entered(signed_in, user):
    links = [
        {"title": "Open in catalog", "entityRef": "not a ref"},
        {"title": "Repository", "url": "javascript:alert(1)"},
        {"title": "Docs", "url": "https://docs.example.com/billing-client"},
        "not a link",
    ]
    make_task(user, status=RunStatus.SUCCEEDED, output={"links": links}, template=NAMED)

    html = signed_in.get("/create/tasks/").content.decode()

    assert created_cells(html) == [
        '<span class="task-created" data-what="name entered">billing-client '
        '<span class="muted">name entered</span></span>'
    ]
    assert "javascript:" not in html


def test_a_dry_run_created_nothing_and_shows_the_name_entered(signed_in, user):
    make_task(user, status=RunStatus.SUCCEEDED, dry_run=True, output=OUTPUT, template=NAMED)

    html = signed_in.get("/create/tasks/").content.decode()

    assert created_cells(html) == [
        '<span class="task-created" data-what="name entered">billing-client '
        '<span class="muted">name entered</span></span>'
    ]
    assert "/catalog/component/default/billing-client" not in html


def test_all_tasks_name_what_each_run_created(staff_user, user, other_user):
    make_task(user, status=RunStatus.SUCCEEDED, output=OUTPUT)
    make_task(other_user, status=RunStatus.PENDING, template=NAMED, values={"name": "ledger"})
    client = Client()
    client.force_login(staff_user)

    html = client.get("/create/tasks/all").content.decode()

    assert [re.sub(r"<[^>]+>", "", cell) for cell in created_cells(html)] == [
        "ledger name entered",
        "billing-client component",
    ]


def test_home_names_what_my_tasks_created(signed_in, user):
    running = make_task(user, status=RunStatus.RUNNING, template=NAMED, values={"name": "orders-api"})
    done = make_task(user, status=RunStatus.SUCCEEDED, output=OUTPUT)

    html = signed_in.get("/").content.decode()

    section = html[html.index('data-testid="home-running-tasks"') :].split("</section>")[0]
    assert (
        f'<li><a href="/create/tasks/{running.pk}">Python library</a> · <span class="task-created" '
        'data-what="name entered" title="Name entered">orders-api</span> '
        '<span class="badge badge-running">Running</span>'
    ) in section
    assert (
        f'<li><a href="/create/tasks/{done.pk}">Python library</a> · <span class="task-created" '
        'data-what="component" title="Component"><a href="/catalog/component/default/billing-client">'
        "billing-client</a></span> "
        '<span class="badge badge-ok">Completed</span>'
    ) in section


@pytest.mark.parametrize("url", ["/create/tasks/", "/"])
def test_naming_what_was_created_adds_no_query_per_task(signed_in, user, url):
    make_task(user, status=RunStatus.SUCCEEDED, output=OUTPUT)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(url)
    for n in range(6):
        links = [{"title": "Open in catalog", "entityRef": f"component:default/c{n}"}]
        make_task(user, status=RunStatus.SUCCEEDED, output={"links": links})
        make_task(user, status=RunStatus.RUNNING, template=NAMED, values={"name": f"r{n}"})
    with CaptureQueriesContext(connection) as many:
        html = signed_in.get(url).content.decode()

    assert html.count('class="task-created"') == (13 if url == "/create/tasks/" else 9)
    assert len(many) == len(few)
