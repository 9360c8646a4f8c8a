"""The scaffolder's services: templates, the form's rules on the server, who may run and see what, and the
writes (create, cancel, retry) with their denials leaving nothing behind."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from catalog.models import Entity
from portal.crypto import decrypt_json
from portal.models.runs import EventType, RunEvent, RunStep
from portal.permissions import can
from scaffolder import services
from scaffolder.models import Task
from tests.conftest import make_user
from tests.scaffolder.engine_support import install_people, install_template, template_doc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scaffolder_dirs")]

PAGES = [
    {
        "title": "Service",
        "description": "What to build",
        "required": ["name", "token"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z-]+$"},
            "token": {"type": "string", "ui:field": "Secret"},
            "tier": {"type": "string", "enum": ["gold", "silver"], "default": "silver"},
        },
    },
    {
        "title": "Database",
        "when": "${{ parameters.tier === 'gold' }}",
        "required": ["size"],
        "properties": {
            "size": {"type": "integer", "minimum": 1},
            "dbPassword": {"type": "string", "ui:widget": "password"},
        },
    },
    {
        "title": "Repository",
        "properties": {
            "repoUrl": {
                "type": "string",
                "ui:field": "RepoUrlPicker",
                "ui:options": {"allowedHosts": ["github.com"], "allowedOwners": ["acme"]},
            },
        },
    },
]
STEPS = [
    {"id": "log", "name": "Log", "action": "debug:log", "input": {"message": "hi"}},
    {"id": "publish", "action": "publish:git", "input": {}},
]


@pytest.fixture
def people(tmp_path):
    install_people(tmp_path / "people")


@pytest.fixture
def dana(people):
    return make_user("dev@example.com")


@pytest.fixture
def olga(people):
    return make_user("other@example.com")


@pytest.fixture
def admin(people):
    return make_user("admin@example.com", staff=True)


@pytest.fixture
def template(tmp_path):
    return install_template(tmp_path / "tpl", template_doc("svc", STEPS, parameters=PAGES))


def restricted(tmp_path, groups: str, owner: str = "group:default/sales") -> Entity:
    doc = template_doc("restricted", STEPS, annotations={"atrium.dev/allowed-groups": groups}, owner=owner)
    return install_template(tmp_path / "restricted", doc)


# --- templates and their forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["template:default/svc", "Template:Default/SVC", "default/svc", "svc"])
def test_template_entity_finds_a_template_by_any_form_of_its_ref(template, ref):
    assert services.template_entity(ref) == template


@pytest.mark.parametrize("ref", ["component:default/svc", "template:default/missing", "", "a:b:c"])
def test_template_entity_is_none_for_anything_else(template, ref):
    assert services.template_entity(ref) is None


def test_parameter_pages_are_the_forms_steps(template):
    pages = services.parameter_pages(template.body)

    assert [(page["title"], page["description"]) for page in pages] == [
        ("Service", "What to build"),
        ("Database", ""),
        ("Repository", ""),
    ]
    assert pages[0]["schema"]["required"] == ["name", "token"]


def test_secret_fields_are_secret_fields_and_password_widgets(template):
    assert services.secret_fields(template.body) == {"token", "dbPassword"}


def test_validate_values_fills_defaults_and_keeps_only_the_shown_fields(template):
    cleaned = services.validate_values(template.body, {"name": "orders", "token": "t", "size": 3, "extra": 1})

    assert cleaned == {"name": "orders", "token": "t", "tier": "silver"}


def test_a_value_with_a_nul_character_is_refused_before_anything_is_written(template, dana):
    values = {"name": "a\x00b", "token": "t", "extra": {"k\x00": "v", "list": ["ok", "x\x00"]}}

    with pytest.raises(services.TaskInputError) as raised:
        services.create_task(dana, template, values)

    message = ["Remove the NUL character (\\0): no value may contain one."]
    assert raised.value.errors == {"extra.k\\0": message, "extra.list.1": message, "name": message}
    assert Task.objects.count() == 0


def test_validate_values_checks_a_page_shown_by_its_when(template):
    with pytest.raises(services.TaskInputError) as raised:
        services.validate_values(template.body, {"name": "orders", "token": "t", "tier": "gold", "size": 0})

    assert raised.value.errors == {"size": ["Enter a number of at least 1."]}


def test_validate_values_reports_every_problem_by_field_without_quoting_values(template):
    values = {"name": "Not Valid", "tier": "bronze", "repoUrl": "gitlab.com?owner=evil&repo=x"}

    with pytest.raises(services.TaskInputError) as raised:
        services.validate_values(template.body, values)

    assert raised.value.errors == {
        "name": ["Use only lowercase letters and dashes."],
        "tier": ["Choose one of the offered values."],
        "token": ["This field is required."],
        "repoUrl": ["Choose a host among github.com.", "Choose one of the allowed owners."],
    }
    assert "Not Valid" not in str(raised.value.errors)


def test_validate_values_refuses_what_is_not_an_object(template):
    with pytest.raises(services.TaskInputError) as raised:
        services.validate_values(template.body, ["name"])  # type: ignore[arg-type]  # not an object: the point

    assert raised.value.errors == {"": ["The values must be a JSON object."]}


# --- who may run ------------------------------------------------------------------------------------------------


def test_everyone_signed_in_may_run_a_template_without_the_annotation(template, dana, olga):
    assert (services.can_run(dana, template), services.can_run(olga, template)) == (True, True)


def test_allowed_groups_admit_members_of_sub_groups_the_owners_and_admins(tmp_path, dana, olga, admin):
    entity = restricted(tmp_path, "group:default/platform", owner="group:default/sales")
    outsider = make_user("nobody@example.com")

    assert services.can_run(dana, entity) is True  # payments is a sub-group of platform
    assert services.can_run(olga, entity) is True  # sales owns the template
    assert services.can_run(admin, entity) is True
    assert services.can_run(outsider, entity) is False


def test_an_annotation_naming_no_valid_group_allows_only_owners_and_admins(tmp_path, dana, olga, admin):
    entity = restricted(tmp_path, "platform, team:x", owner="group:default/sales")

    assert services.allowed_groups(entity.body) == (set(), ["platform", "team:x"])
    assert (services.can_run(dana, entity), services.can_run(olga, entity), services.can_run(admin, entity)) == (
        False,
        True,
        True,
    )


def test_a_denied_user_gets_permission_denied_and_no_task(tmp_path, dana):
    entity = restricted(tmp_path, "group:default/sales")

    with pytest.raises(PermissionDenied):
        services.create_task(dana, entity, {})

    assert (Task.objects.count(), RunStep.objects.count(), RunEvent.objects.count()) == (0, 0, 0)


def test_invalid_values_create_no_task(template, dana):
    with pytest.raises(services.TaskInputError):
        services.create_task(dana, template, {"name": "x"})

    assert Task.objects.count() == 0


# --- create, cancel, retry ---------------------------------------------------------------------------------------


def test_create_task_stores_the_run_and_starts_it_after_commit(template, dana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        task = services.create_task(
            dana, template, {"name": "orders", "token": "tok", "tier": "gold", "size": 2, "dbPassword": "pw"}
        )

    assert len(callbacks) == 1
    assert (task.status, task.template_ref, task.created_by, task.dry_run) == (
        "pending",
        "template:default/svc",
        dana,
        False,
    )
    assert task.values == {"name": "orders", "tier": "gold", "size": 2}
    assert decrypt_json(task.secrets_encrypted) == {"token": "tok", "dbPassword": "pw"}
    assert task.template == template.body
    assert list(task.steps.values_list("index", "key", "name", "action", "status")) == [
        (0, "log", "Log", "debug:log", "pending"),
        (1, "publish", "publish", "publish:git", "pending"),
    ]


def test_cancelling_a_waiting_task_ends_it_at_once(template, dana):
    task = services.create_task(dana, template, {"name": "orders", "token": "tok"})

    assert services.cancel_task(dana, task) is True

    assert (task.status, task.secrets_encrypted, task.cancel_requested) == ("cancelled", "", True)
    assert list(task.steps.values_list("status", flat=True)) == ["cancelled", "cancelled"]
    assert [(event.type, event.body["message"]) for event in task.events.all()] == [
        (EventType.CANCELLED, "Cancelled by dev@example.com."),
        (EventType.COMPLETION, "Run completed with status: cancelled"),
    ]


def test_cancelling_a_running_task_asks_the_worker_to_stop(template, dana):
    task = services.create_task(dana, template, {"name": "orders", "token": "tok"})
    Task.objects.filter(pk=task.pk).update(status="running", heartbeat=timezone.now())

    assert services.cancel_task(dana, task) is True

    assert (task.status, task.cancel_requested) == ("running", True)


def test_a_finished_task_cannot_be_cancelled(template, dana):
    task = services.create_task(dana, template, {"name": "orders", "token": "tok"})
    Task.objects.filter(pk=task.pk).update(status="succeeded")

    assert services.cancel_task(dana, task) is False


def test_only_the_creator_and_admins_may_cancel_or_retry(template, dana, olga, admin):
    task = services.create_task(dana, template, {"name": "orders", "token": "tok"})

    with pytest.raises(PermissionDenied):
        services.cancel_task(olga, task)
    with pytest.raises(PermissionDenied):
        services.retry_task(olga, task)
    assert Task.objects.get(pk=task.pk).status == "pending"
    assert services.cancel_task(admin, task) is True


def test_retry_needs_a_failed_task_and_the_required_secrets_again(template, dana):
    task = services.create_task(dana, template, {"name": "orders", "token": "tok"})
    with pytest.raises(services.TaskInputError) as not_failed:
        services.retry_task(dana, task)
    Task.objects.filter(pk=task.pk).update(status="failed", secrets_encrypted="", error="Step Log failed: x")
    RunStep.objects.filter(run=task, key="log").update(status="failed", error="x")
    task.refresh_from_db()

    with pytest.raises(services.TaskInputError) as no_secret:
        services.retry_task(dana, task)
    with pytest.raises(services.TaskInputError) as unknown:
        services.retry_task(dana, task, secrets={"token": "again", "unknown": "refused"})
    assert Task.objects.get(pk=task.pk).status == "failed"
    retried = services.retry_task(dana, task, secrets={"token": "again"})

    assert not_failed.value.errors == {"": ["Only a failed or cancelled task can be retried."]}
    assert no_secret.value.errors == {"token": ["Give this secret again to retry the task."]}
    assert unknown.value.errors == {"secrets": ["unknown: not a secret field of this template."]}
    assert (retried.status, retried.error) == ("pending", "")
    assert decrypt_json(retried.secrets_encrypted) == {"token": "again"}
    assert list(retried.steps.values_list("status", "error")) == [("pending", ""), ("pending", "")]
    assert retried.events.latest("id").body == {"message": "Retried by dev@example.com from step Log."}


# --- who sees what ------------------------------------------------------------------------------------------------


def test_visible_tasks_are_ones_own_those_of_owned_templates_and_all_for_admins(tmp_path, dana, olga, admin):
    platform_template = install_template(tmp_path / "a", template_doc("platform-tpl", STEPS))  # owned by platform
    sales_template = install_template(tmp_path / "b", template_doc("sales-tpl", STEPS, owner="group:default/sales"))
    olgas_on_platform = services.create_task(olga, platform_template, {})
    olgas_on_sales = services.create_task(olga, sales_template, {})
    danas = services.create_task(dana, sales_template, {})

    assert set(services.visible_tasks(dana)) == {olgas_on_platform, danas}
    assert set(services.visible_tasks(olga)) == {olgas_on_platform, olgas_on_sales, danas}
    assert set(services.visible_tasks(admin)) == {olgas_on_platform, olgas_on_sales, danas}
    assert can(dana, "scaffolder.view_task", olgas_on_platform) is True
    assert can(dana, "scaffolder.view_task", olgas_on_sales) is False


def test_dry_run_result_has_backstages_shape(template, dana):
    task = services.create_task(dana, template, {"name": "orders", "token": "tok"}, dry_run=True)
    contents = [{"path": "README.md", "base64Content": "IyBoaQo=", "executable": False}]
    Task.objects.filter(pk=task.pk).update(status="succeeded", output={"links": [], "directoryContents": contents})
    RunEvent.objects.create(run=task, body={"message": "hi", "stepId": "log"})
    task.refresh_from_db()

    assert services.dry_run_result(task) == {
        "directoryContents": contents,
        "log": [{"body": {"message": "hi", "stepId": "log"}}],
        "output": {"links": []},
        "steps": [
            {"id": "log", "name": "Log", "action": "debug:log", "status": "open", "output": {}, "error": ""},
            {"id": "publish", "name": "publish", "action": "publish:git", "status": "open", "output": {}, "error": ""},
        ],
        "status": "completed",
        "error": "",
    }
