"""Running a template from its form: pages one at a time, Back and Next keeping the answers, errors next to
their field with nothing created, the review, Create and Dry run, secrets kept out of pages, session and
logs, and users who may not run a template (fields and pages that depend on answers: test_ui_run_conditions)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.contrib.sessions.models import Session

from scaffolder.forms.state import FormState, dump
from scaffolder.models import Task
from tests.conftest import make_user
from tests.scaffolder import test_ui_support as support

# Fixtures of the Create tests.
golden, org, samples, widgets, write = support.golden, support.org, support.samples, support.widgets, support.write

LIBRARY = "/create/templates/default/python-library/run"
WIDGETS = "/create/templates/default/widgets/run"
DEMO = "/create/templates/default/conditional-parameters-demo/run"
SECRET = "s3cr3t-deploy-token-4242"
PASSWORD = "hunter2-database-password"
NAME_HELP = (
    "3 to 40 characters: lowercase letters, digits and dashes, starting with a letter (e.g. billing-client, imported "
    "as billing_client)."
)
NO_SUCH_SYSTEM = "There is no System named no-such-system in the catalog; choose one of the listed systems."
LIBRARY_DETAILS = {
    "name": "billing-client",
    "description": "A typed client for the billing API.",
    "owner": "group:default/team-a",
    "system": "podcast",
    "lifecycle": "production",
}
RESTRICTED = """apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: restricted
  title: Restricted
  annotations:
    atrium.dev/allowed-groups: group:default/team-b
spec:
  owner: group:default/team-b
  type: service
  parameters:
    - title: Only
      properties:
        name: {type: string}
  steps:
    - id: log
      action: debug:log
      input: {message: hi}
"""


def hidden(response, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', response.content.decode())
    assert match, f"no hidden {name}"
    return html_lib.unescape(match.group(1))


def step(client, url: str, response, data: dict | None = None, action: str = "next", **extra):
    body = {"state": hidden(response, "state"), "page": hidden(response, "page"), "action": action, **(data or {})}
    return client.post(url, body, **extra)


def fill_library(client):
    """Page 1 and 2 of the Python library form, up to its review."""
    first = client.get(LIBRARY)
    second = step(client, LIBRARY, first, LIBRARY_DETAILS)
    assert "<h2>Repository</h2>" in second.content.decode()
    repository = {"repoUrl.host": "local", "repoUrl.owner": "acme", "repoUrl.repo": "billing-client"}
    return step(client, LIBRARY, second, repository)


@pytest.fixture
def janelle(org):
    return make_user("janelle-dawe@example.com", first_name="Janelle")


@pytest.fixture
def client_of(client, janelle, golden, widgets):
    client.force_login(janelle)
    return client


def test_the_form_starts_on_its_first_page(client_of):
    response = client_of.get(LIBRARY)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<li aria-current="step" class="current"><span class="wizard-number">1</span> Library details</li>' in page
    assert '<li><span class="wizard-number">2</span> Repository</li>' in page
    assert '<li><span class="wizard-number">3</span> Review</li>' in page
    assert "<h2>Library details</h2>" in page
    assert '<input type="hidden" name="page" value="0">' in page
    assert 'id="f-name" name="name" required pattern="^[a-z][a-z0-9\\-]{1,38}[a-z0-9]$"' in page
    assert '<option value="experimental" selected>Experimental (not yet relied on)</option>' in page
    assert '<button type="submit" name="action" value="next" class="button button-primary">Next</button>' in page
    assert 'value="back"' not in page  # nothing before the first page


def test_next_and_back_keep_the_answers(client_of):
    first = client_of.get(LIBRARY)
    second = step(client_of, LIBRARY, first, LIBRARY_DETAILS)
    back = step(client_of, LIBRARY, second, {"repoUrl.host": "local", "repoUrl.owner": "acme"}, action="back")

    page = back.content.decode()
    assert "<h2>Library details</h2>" in page
    assert 'name="name" value="billing-client"' in page
    assert 'name="description" value="A typed client for the billing API."' in page
    assert '<option value="group:default/team-a" selected>team-a</option>' in page
    assert 'name="system" value="system:default/podcast"' in page
    assert '<option value="production" selected>Production (supported)</option>' in page
    again = step(client_of, LIBRARY, back, LIBRARY_DETAILS)
    assert (
        '<input type="text" id="f-repoUrl-owner" name="repoUrl.owner" required value="acme"' in again.content.decode()
    )


def test_errors_show_next_to_their_field_and_nothing_is_created(client_of):
    first = client_of.get(LIBRARY)
    response = step(client_of, LIBRARY, first, {**LIBRARY_DETAILS, "name": "Bad Name!", "description": "short"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Library details</h2>" in page
    assert (
        '<input type="text" id="f-name" name="name" value="Bad Name!" required'
        f' pattern="^[a-z][a-z0-9\\-]{{1,38}}[a-z0-9]$" title="{NAME_HELP}" minlength="3" maxlength="40"'
        ' aria-describedby="f-name-description f-name-errors" aria-invalid="true" autofocus>'
    ) in page
    assert f'<ul class="errorlist" id="f-name-errors"><li>{NAME_HELP}</li></ul>' in page
    assert support.text_of(page).count(NAME_HELP) == 1  # the help that explains the format is said once, as the error
    assert "{1,38}" not in support.text_of(page)  # the regular expression is never shown
    assert '<ul class="errorlist" id="f-description-errors"><li>Enter at least 10 characters.</li></ul>' in page
    assert "Some answers need another look" in page
    assert Task.objects.count() == 0
    fixed = step(client_of, LIBRARY, response, LIBRARY_DETAILS)
    assert "<h2>Repository</h2>" in fixed.content.decode()


def test_the_review_shows_every_answer_readably(client_of):
    review = fill_library(client_of)

    page = review.content.decode()
    assert "<h2>Review</h2>" in page
    assert '<input type="hidden" name="page" value="review">' in page
    rows = dict(re.findall(r'<dt class="depth-0">([^<]+)</dt>\s*<dd data-review="[^"]+">(.*?)</dd>', page))
    assert rows == {
        "Name": "billing-client",
        "Description": "A typed client for the billing API.",
        "Owner": '<a href="/catalog/group/default/team-a">team-a</a>',
        "System": '<a href="/catalog/system/default/podcast">podcast</a>',
        "Lifecycle": "Production (supported)",
        "Repository location": "local/acme/billing-client",
    }
    assert '<button type="submit" name="action" value="goto:0"' in page
    assert '<button type="submit" name="action" value="create" class="button button-primary">Create</button>' in page
    assert '<button type="submit" name="action" value="dry-run" class="button">Dry run</button>' in page
    assert Task.objects.count() == 0


def test_create_starts_the_task_and_opens_its_page(client_of, janelle):
    review = fill_library(client_of)

    response = step(client_of, LIBRARY, review, action="create")

    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/create/tasks/{task.pk}"
    assert task.created_by == janelle
    assert task.dry_run is False
    assert task.template_ref == "template:default/python-library"
    assert task.values == {
        "name": "billing-client",
        "description": "A typed client for the billing API.",
        "owner": "group:default/team-a",
        "system": "system:default/podcast",
        "lifecycle": "production",
        "repoUrl": "local?owner=acme&repo=billing-client",
    }
    page = client_of.get(response["Location"]).content.decode()
    assert "Python library" in page


def test_dry_run_starts_a_dry_run_task(client_of):
    review = fill_library(client_of)

    response = step(client_of, LIBRARY, review, action="dry-run")

    task = Task.objects.get()
    assert response["Location"] == f"/create/tasks/{task.pk}"
    assert task.dry_run is True


def test_change_from_the_review_opens_that_page(client_of):
    review = fill_library(client_of)

    response = step(client_of, LIBRARY, review, action="goto:1")

    assert "<h2>Repository</h2>" in response.content.decode()
    back = step(client_of, LIBRARY, review, action="back")
    assert "<h2>Repository</h2>" in back.content.decode()


def widget_pages(client):
    first = client.get(WIDGETS)
    basics = {"name": "orders", "count": "2", "lifecycle": "production", "database.engine": "postgres"}
    second = step(client, WIDGETS, first, basics)
    catalog = {
        "owner": "group:default/team-a",
        "repoUrl.host": "github.com",
        "repoUrl.owner": "acme",
        "repoUrl.repo": "orders",
    }
    third = step(client, WIDGETS, second, catalog)
    assert "<h2>Secrets</h2>" in third.content.decode()
    return third


def test_secrets_stay_out_of_pages_hidden_fields_session_and_logs(client_of, log_lines):
    third = widget_pages(client_of)

    review = step(client_of, WIDGETS, third, {"token": SECRET, "password": PASSWORD})
    back = step(client_of, WIDGETS, review, action="goto:2")
    again = step(client_of, WIDGETS, back, {"token": "", "password": ""})
    created = step(client_of, WIDGETS, again, action="create")

    for response in (review, back, again):
        page = response.content.decode()
        assert SECRET not in page
        assert PASSWORD not in page
    assert re.findall(r'<dd data-review="(token|password)">(.*?)</dd>', review.content.decode()) == [
        ("token", "••••"),
        ("password", "••••"),
    ]
    assert '<p class="help" id="f-token-help">A value was given: leave empty to keep it.</p>' in back.content.decode()
    assert Session.objects.count() == 1
    for session in Session.objects.all():
        assert SECRET not in str(session.get_decoded())
        assert SECRET not in session.session_data
    assert not any(SECRET in str(line) or PASSWORD in str(line) for line in log_lines())
    task = Task.objects.get()
    assert created["Location"] == f"/create/tasks/{task.pk}"
    assert "token" not in task.values
    assert "password" not in task.values
    assert task.secrets_encrypted
    assert SECRET not in task.secrets_encrypted


def test_a_secret_already_given_is_kept_when_its_page_is_posted_empty(client_of):
    third = widget_pages(client_of)
    review = step(client_of, WIDGETS, third, {"token": SECRET})

    again = step(client_of, WIDGETS, step(client_of, WIDGETS, review, action="goto:2"), {"token": ""})

    assert re.findall(r'<dd data-review="token">(.*?)</dd>', again.content.decode()) == ["••••"]


def test_a_state_altered_or_of_another_template_starts_again(client_of, janelle):
    first = client_of.get(LIBRARY)
    foreign = dump(FormState({"name": "x"}), user=janelle, template_ref="template:default/widgets")

    for token in ("garbage", foreign):
        response = client_of.post(LIBRARY, {"state": token, "page": "0", "action": "next", **LIBRARY_DETAILS})
        page = response.content.decode()
        assert "its answers were lost, please fill it in again" in page
        assert "<h2>Library details</h2>" in page
    assert hidden(first, "state")


def test_errors_found_at_the_end_open_the_page_of_the_field(client_of, janelle):
    values = {**LIBRARY_DETAILS, "repoUrl": "local?owner=acme&repo=ok", "name": "NOT VALID"}
    state = dump(FormState(values, {0, 1}), user=janelle, template_ref="template:default/python-library")

    response = client_of.post(LIBRARY, {"state": state, "page": "review", "action": "create"})

    page = response.content.decode()
    assert "<h2>Library details</h2>" in page
    assert f'<ul class="errorlist" id="f-name-errors"><li>{NAME_HELP}</li></ul>' in page
    assert Task.objects.count() == 0


def test_a_system_not_in_the_catalog_is_refused_and_nothing_is_created(client_of):
    first = client_of.get(LIBRARY)
    response = step(client_of, LIBRARY, first, {**LIBRARY_DETAILS, "system": "no-such-system"})

    page = response.content.decode()
    assert "<h2>Library details</h2>" in page
    assert 'name="system" value="no-such-system"' in page  # what was typed, to correct it
    assert f'<ul class="errorlist" id="f-system-errors"><li>{NO_SUCH_SYSTEM}</li></ul>' in page
    assert "Some answers need another look" in page
    assert Task.objects.count() == 0
    fixed = step(client_of, LIBRARY, response, {**LIBRARY_DETAILS, "system": "audio-playback"})
    assert "<h2>Repository</h2>" in fixed.content.decode()


def test_a_system_gone_from_the_catalog_by_the_end_opens_its_page(client_of, janelle):
    values = {
        "name": "orders",
        "count": 2,
        "lifecycle": "production",
        "database": {"engine": "postgres"},
        "owner": "group:default/team-a",
        "repoUrl": "github.com?owner=acme&repo=orders",
        "system": "system:default/no-such-system",
    }
    state = dump(FormState(values, {0, 1, 2}), user=janelle, template_ref="template:default/widgets")

    response = client_of.post(WIDGETS, {"state": state, "page": "review", "action": "create"})

    page = response.content.decode()
    assert "<h2>Catalog</h2>" in page
    assert f'<ul class="errorlist" id="f-system-errors"><li>{NO_SUCH_SYSTEM}</li></ul>' in page
    assert Task.objects.count() == 0


@pytest.fixture
def restricted(write, golden):
    from tests.catalog.test_ui_support import load_file

    return load_file(write("restricted/template.yaml", RESTRICTED))


def test_a_user_not_allowed_sees_no_card_and_gets_403(client_of, restricted):
    url = "/create/templates/default/restricted/run"

    gallery = client_of.get("/create/").content.decode()
    page = client_of.get("/create/templates/default/restricted").content.decode()
    get = client_of.get(url)
    post = client_of.post(url, {"page": "review", "action": "create", "name": "x"})

    assert 'data-template="template:default/restricted"' not in gallery
    assert 'data-template="template:default/python-library"' in gallery
    assert "You are not allowed to run this template" in page
    assert f'href="{url}"' not in page
    assert get.status_code == 403
    assert post.status_code == 403
    assert Task.objects.count() == 0


def test_a_member_of_an_allowed_group_may_run_it(client, restricted, org):
    member = make_user("amelia-park@example.com")  # amelia.park is in team-b
    client.force_login(member)

    assert client.get("/create/templates/default/restricted/run").status_code == 200


def test_after_a_dry_run_the_same_answers_open_the_review(client_of):
    review = fill_library(client_of)
    tried = step(client_of, LIBRARY, review, action="dry-run")
    Task.objects.filter(pk=Task.objects.get().pk).update(status="succeeded")
    page = client_of.get(tried["Location"])

    again = client_of.post(LIBRARY, {"state": hidden(page, "state"), "page": "review", "action": "review"})

    assert '<button type="submit" name="action" value="review" class="button button-primary">' in page.content.decode()
    html = again.content.decode()
    assert "<h2>Review</h2>" in html
    assert '<dd data-review="repoUrl">local/acme/billing-client</dd>' in html
    assert Task.objects.count() == 1
