"""Fixtures of the Create UI and API tests (imported by the other ``test_ui_*``, ``test_forms*`` and
``test_api_*`` modules), and tests of the small helpers the Create pages share."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from catalog import services as catalog_services
from portal.models.runs import TERMINAL_RUN_STATUSES, RunEvent, RunStatus, RunStep, StepStatus
from portal.timefmt import duration
from scaffolder.models import TASK_KIND, Task
from tests.catalog.test_ui_support import file_writer, load_examples, load_file

BASE = Path(django_settings.BASE_DIR)
BACKSTAGE_TEMPLATES = BASE / "tests" / "data" / "backstage" / "templates"
GOLDEN = ("django-service", "fastapi-service", "python-library")
SAMPLES = ("conditional-output-demo", "conditional-parameters-demo", "example-nodejs-template")

#: A template with one field of every kind the form supports, over three pages.
WIDGETS_TEMPLATE = """apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: widgets
  title: Every widget
  description: One field of each kind.
  tags: [test, forms]
spec:
  owner: group:default/team-a
  type: service
  parameters:
    - title: Basics
      description: The usual fields.
      required: [name, count, lifecycle]
      properties:
        name:
          title: Name
          type: string
          description: The component's name.
          pattern: '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'
          minLength: 3
          maxLength: 40
          ui:autofocus: true
          ui:help: Lowercase letters, digits and dashes.
          ui:placeholder: orders-api
        summary:
          title: Summary
          type: string
          ui:widget: textarea
          ui:options: {rows: 3}
        count:
          title: Replicas
          type: integer
          minimum: 1
          maximum: 9
          default: 2
        ratio:
          title: Ratio
          type: number
        public:
          title: Public
          type: boolean
          default: true
        lifecycle:
          title: Lifecycle
          type: string
          enum: [experimental, production]
          enumNames: [Experimental, Production]
        environments:
          title: Environments
          type: array
          uniqueItems: true
          items: {type: string, enum: [dev, staging, prod]}
        topics:
          title: Topics
          type: array
          items: {type: string}
        contact:
          title: Contact
          type: string
          format: email
        database:
          title: Database
          type: object
          required: [engine]
          properties:
            engine: {title: Engine, type: string, enum: [postgres, mysql]}
            size: {title: Size (GB), type: integer, default: 10}
    - title: Catalog
      required: [owner, repoUrl]
      properties:
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options: {catalogFilter: {kind: Group}}
        system:
          title: System
          type: string
          ui:field: EntityPicker
          ui:options: {catalogFilter: {kind: System}, defaultKind: System}
        api:
          title: API
          type: string
          ui:field: EntityPicker
          ui:options: {catalogFilter: [{kind: API}], allowArbitraryValues: false}
        repoUrl:
          title: Repository
          type: string
          ui:field: RepoUrlPicker
          ui:options: {allowedHosts: [github.com, gitlab.example.com], allowedOwners: [acme, platform]}
    - title: Secrets
      properties:
        token:
          title: Deploy token
          type: string
          ui:field: Secret
        password:
          title: Database password
          type: string
          ui:widget: password
  steps:
    - id: log
      name: Say hello
      action: debug:log
      input:
        message: Hello ${{ parameters.name }}
  output:
    links:
      - title: Catalog
        url: https://example.com/${{ parameters.name }}
"""


@pytest.fixture
def write(settings, tmp_path):
    return file_writer(settings, tmp_path)


@pytest.fixture
def golden(db, settings):
    """The golden templates of ``templates/``, read into the catalog now."""
    location = catalog_services.ensure_templates_location()
    catalog_services.process_location(location)
    return location


@pytest.fixture
def samples(db, settings):
    """Backstage's three sample templates, read into the catalog now."""
    return [load_file(BACKSTAGE_TEMPLATES / name / "template.yaml") for name in SAMPLES]


@pytest.fixture
def org(db, settings):
    """Backstage's example organisation (groups, users, systems, APIs)."""
    return load_examples(settings)


@pytest.fixture
def widgets(write, org):
    """The template of every widget, with the example organisation for its pickers."""
    return load_file(write("widgets/template.yaml", WIDGETS_TEMPLATE))


def make_task(user, *, status=RunStatus.SUCCEEDED, template_ref="template:default/python-library", **extra) -> Task:
    """A task row as the engine leaves it (no worker involved), with two steps and a log."""
    now = timezone.now()
    terminal = status in TERMINAL_RUN_STATUSES
    task = Task.objects.create(
        kind=TASK_KIND,
        template_ref=template_ref,
        template=extra.pop(
            "template",
            {
                "apiVersion": "scaffolder.backstage.io/v1beta3",
                "kind": "Template",
                "metadata": {"name": template_ref.rsplit("/", 1)[-1], "title": "Python library"},
                "spec": {"steps": [{"id": "fetch", "name": "Render", "action": "fetch:template"}]},
            },
        ),
        values=extra.pop("values", {"name": "billing-client"}),
        created_by=user,
        status=status,
        started=now - timedelta(seconds=65) if status != RunStatus.PENDING else None,
        completed=now if terminal else None,
        heartbeat=now if status != RunStatus.PENDING else None,
        **extra,
    )
    first = StepStatus.SUCCEEDED if status != RunStatus.PENDING else StepStatus.PENDING
    second = {
        RunStatus.SUCCEEDED: StepStatus.SUCCEEDED,
        RunStatus.FAILED: StepStatus.FAILED,
        RunStatus.CANCELLED: StepStatus.CANCELLED,
        RunStatus.RUNNING: StepStatus.RUNNING,
        RunStatus.PENDING: StepStatus.PENDING,
    }[status]
    RunStep.objects.create(
        run=task,
        index=0,
        key="fetch",
        name="Render the skeleton",
        action="fetch:template",
        status=first,
        started=task.started,
        completed=task.started and now - timedelta(seconds=60),
    )
    RunStep.objects.create(
        run=task,
        index=1,
        key="publish",
        name="Publish to GitHub",
        action="publish:github",
        status=second,
        started=task.started and now - timedelta(seconds=60),
        completed=now if terminal else None,
        error="Bad credentials" if status == RunStatus.FAILED else "",
    )
    if status != RunStatus.PENDING:
        RunEvent.objects.create(
            run=task, body={"message": "Beginning step Render the skeleton", "stepId": "fetch", "status": "running"}
        )
        RunEvent.objects.create(
            run=task, body={"message": "Finished step Render the skeleton", "stepId": "fetch", "status": "succeeded"}
        )
    return task


def text_of(html: str) -> str:
    """The visible text of some HTML, whitespace collapsed (for assertions on what people read)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_duration_reads_like_people_write_it():
    start = timezone.now()
    assert duration(start, start + timedelta(milliseconds=400)) == "0.4 s"
    assert duration(start, start + timedelta(seconds=12)) == "12 s"
    assert duration(start, start + timedelta(seconds=65)) == "1 min 5 s"
    assert duration(start, start + timedelta(hours=2, minutes=3)) == "2 h 3 min"
    assert duration(None, start) == ""


def test_the_fixtures_load_every_template(golden, samples):
    from catalog.models import Entity

    refs = sorted(Entity.objects.filter(kind__iexact="template").values_list("ref", flat=True))
    assert refs == sorted([f"template:default/{name}" for name in GOLDEN + SAMPLES])
