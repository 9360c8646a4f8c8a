"""Forms whose fields and pages depend on the answers: a field shown by another (refreshed in place with
htmx), pages shown by ``when:`` (Backstage's conditional-parameters-demo), lists of groups, and a template
that asks nothing."""

from __future__ import annotations

import re

from scaffolder.models import Task
from tests.catalog.test_ui_support import load_file
from tests.scaffolder import test_ui_run as run
from tests.scaffolder.test_ui_run import DEMO, RESTRICTED, step
from tests.scaffolder.test_ui_support import text_of

# Fixtures of the Create tests.
client_of, golden, janelle, org, samples, widgets, write = (
    run.client_of,
    run.golden,
    run.janelle,
    run.org,
    run.samples,
    run.widgets,
    run.write,
)

CONDITIONAL = """apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: conditional
  title: Conditional
spec:
  owner: group:default/team-a
  type: service
  parameters:
    - title: Database
      properties:
        hasDb: {title: Has a database, type: boolean, default: false}
      dependencies:
        hasDb:
          oneOf:
            - properties: {hasDb: {const: false}}
            - properties:
                hasDb: {const: true}
                dbName: {title: Database name, type: string, minLength: 3}
              required: [dbName]
  steps:
    - id: log
      action: debug:log
      input: {message: hi}
"""


def test_fields_depending_on_an_answer_appear_when_it_changes(client_of, write):
    load_file(write("conditional/template.yaml", CONDITIONAL))
    url = "/create/templates/default/conditional/run"
    first = client_of.get(url)
    assert 'data-field="hasDb" data-refresh' in first.content.decode()
    assert 'hx-trigger="change from:[data-refresh]"' in first.content.decode()
    assert "dbName" not in first.content.decode()

    refreshed = step(client_of, url, first, {"hasDb": "true"}, action="refresh", HTTP_HX_REQUEST="true")

    fragment = refreshed.content.decode()
    assert fragment.startswith('<form id="run-form"')
    assert '<input type="text" id="f-dbName" name="dbName" required minlength="3">' in fragment
    assert "errorlist" not in fragment
    missing = step(client_of, url, refreshed, {"hasDb": "true"})
    assert (
        '<ul class="errorlist" id="f-dbName-errors"><li>This field is required.</li></ul>' in missing.content.decode()
    )
    review = step(client_of, url, missing, {"hasDb": "true", "dbName": "orders"})
    assert '<dd data-review="dbName">orders</dd>' in review.content.decode()


def test_pages_shown_only_for_some_answers(client_of, samples):
    first = client_of.get(DEMO)
    assert list(re.findall(r'<span class="wizard-number">\d+</span> ([^<]+)</li>', first.content.decode())) == [
        "Choose Cloud Provider",
        "Advanced Options",
        "Review",
    ]
    aws = step(client_of, DEMO, first, {"name": "demo", "cloudProvider": "AWS"})
    assert "<h2>AWS Configuration</h2>" in aws.content.decode()
    advanced = step(client_of, DEMO, aws, {"awsRegion": "eu-west-1"})
    assert "<h2>Advanced Options</h2>" in advanced.content.decode()
    # Back to the first page: GCP instead of AWS; the AWS answers go with their page.
    start = step(client_of, DEMO, step(client_of, DEMO, advanced, action="back"), action="back")
    gcp = step(client_of, DEMO, start, {"name": "demo", "cloudProvider": "GCP"})
    assert "<h2>GCP Configuration</h2>" in gcp.content.decode()
    advanced = step(client_of, DEMO, gcp, {"gcpProjectId": "p-1", "gcpRegion": "europe-west1"})
    # A page may still follow Advanced Options (Monitoring, for some answers): its button is Next.
    assert 'value="next" class="button button-primary">Next</button>' in advanced.content.decode()
    monitoring = step(client_of, DEMO, advanced, {"enableMonitoring": "true"})
    assert "<h2>Monitoring Configuration</h2>" in monitoring.content.decode()
    review = step(client_of, DEMO, monitoring, {"alertEmail": "ops@example.com", "alertThreshold": "80"})

    text = text_of(review.content.decode())
    assert "GCP Configuration" in text
    assert "AWS" not in text.replace("Cloud Provider GCP", "")
    created = step(client_of, DEMO, review, action="create")
    assert created.status_code == 302
    assert Task.objects.get().values == {
        "name": "demo",
        "cloudProvider": "GCP",
        "gcpProjectId": "p-1",
        "gcpRegion": "europe-west1",
        "enableMonitoring": True,
        "alertEmail": "ops@example.com",
        "alertThreshold": 80,
    }


def test_list_items_are_added_and_removed_in_place(client_of, write):
    load_file(
        write(
            "lists/template.yaml",
            CONDITIONAL.replace("name: conditional", "name: lists").replace(
                "properties:\n        hasDb: {title: Has a database, type: boolean, default: false}",
                "properties:\n        hasDb: {type: boolean}\n        ports:\n          title: Ports\n"
                "          type: array\n"
                "          items: {title: Port, type: object, properties: {number: {type: integer}}}",
            ),
        )
    )
    url = "/create/templates/default/lists/run"
    first = client_of.get(url)

    added = step(client_of, url, first, {"ports.__count": "0"}, action="add:ports")
    two = step(client_of, url, added, {"ports.__count": "1", "ports.0.number": "80"}, action="add:ports")
    removed = step(
        client_of,
        url,
        two,
        {"ports.__count": "2", "ports.0.number": "80", "ports.1.number": "443"},
        action="remove:ports:0",
    )

    assert 'name="ports.0.number"' in added.content.decode()
    assert 'name="ports.1.number"' in two.content.decode()
    page = removed.content.decode()
    assert '<input type="number" id="f-ports-0-number" name="ports.0.number" value="443" step="1">' in page
    assert 'name="ports.1.number"' not in page


def test_a_template_that_asks_nothing_goes_straight_to_its_review(client_of, write):
    load_file(
        write(
            "plain/template.yaml",
            RESTRICTED.replace("name: restricted", "name: plain")
            .replace("  annotations:\n    atrium.dev/allowed-groups: group:default/team-b\n", "")
            .replace("  parameters:\n    - title: Only\n      properties:\n        name: {type: string}\n", ""),
        )
    )
    url = "/create/templates/default/plain/run"

    review = client_of.get(url)
    created = step(client_of, url, review, action="create")

    assert "<h2>Review</h2>" in review.content.decode()
    assert '<p class="empty">This template asks nothing.</p>' in review.content.decode()
    assert created.status_code == 302
    assert Task.objects.get().values == {}
