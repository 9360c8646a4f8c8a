"""Descriptors keep the order they were written in, on PostgreSQL as on SQLite: in the stored body,
in what the API serves, in a template's form, and in a task's copy of its template."""

from __future__ import annotations

import json
import re

from catalog.models import Entity
from catalog.services import process_location, register_location
from scaffolder.models import Task
from tests.catalog.test_ui_support import file_writer

TEMPLATE = """\
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  title: Ordered
  name: ordered
  description: Fields in the order written
spec:
  type: service
  owner: group:default/team-a
  parameters:
    - title: Details
      required: [zeta]
      properties:
        zeta: {type: string, title: Zeta}
        name: {type: string, title: Name}
        alpha: {type: string, title: Alpha}
        lifecycle: {type: string, title: Lifecycle}
        owner: {type: string, title: Owner}
  steps:
    - id: log
      action: debug:log
      input: {message: hi}
"""
WRITTEN = ["zeta", "name", "alpha", "lifecycle", "owner"]


def load(settings, tmp_path):
    path = file_writer(settings, tmp_path)("template.yaml", TEMPLATE)
    process_location(register_location(type="file", target=str(path), refresh=False))
    return Entity.objects.get(ref="template:default/ordered")


def test_the_stored_body_and_the_api_keep_the_written_order(db, settings, tmp_path, signed_in):
    entity = load(settings, tmp_path)

    assert list(entity.body["metadata"])[:3] == ["title", "name", "description"]
    assert list(entity.body["spec"]["parameters"][0]["properties"]) == WRITTEN

    response = signed_in.get("/api/catalog/entities/by-name/template/default/ordered")
    served = json.loads(response.content)
    assert list(served["spec"]["parameters"][0]["properties"]) == WRITTEN
    schema = signed_in.get("/api/scaffolder/v2/templates/default/template/ordered/parameter-schema").json()
    assert list(schema["steps"][0]["schema"]["properties"]) == WRITTEN


def test_the_form_and_the_task_keep_the_written_order(db, settings, tmp_path, signed_in):
    load(settings, tmp_path)

    page = signed_in.get("/create/templates/default/ordered/run").content.decode()
    assert re.findall(r'<input type="text" id="f-(\w+)"', page) == WRITTEN

    response = signed_in.post(
        "/api/scaffolder/v2/tasks",
        {"templateRef": "template:default/ordered", "values": {"zeta": "z"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["id"])
    assert list(task.template["spec"]["parameters"][0]["properties"]) == WRITTEN
