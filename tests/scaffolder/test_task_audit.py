"""The audit trail of golden-path tasks: who started, cancelled and retried one, and what a task changed in
the catalog is recorded as done by the user who started it."""

import pytest

from catalog.models import Entity
from portal import runs
from portal.models import AuditEntry
from scaffolder import services
from tests.conftest import make_user
from tests.scaffolder.engine_support import install_people, install_template, template_doc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scaffolder_dirs")]

STEPS = [{"id": "log", "name": "Log", "action": "debug:log", "input": {"message": "hello"}}]


@pytest.fixture
def dana(tmp_path):
    install_people(tmp_path / "people")
    return make_user("dev@example.com")


@pytest.fixture
def template(tmp_path) -> Entity:
    return install_template(tmp_path / "template", template_doc("audited", STEPS))


def _entries(task, action):
    return list(
        AuditEntry.objects.filter(object_type="scaffolder.task", object_id=str(task.pk), action=action).values_list(
            "actor_id", "actor_label"
        )
    )


def test_creating_a_task_is_audited_with_its_creator(dana, template):
    task = services.create_task(dana, template, {})

    assert _entries(task, "create") == [(dana.pk, dana.username)]


def test_cancelling_and_retrying_a_task_are_audited_with_who_did_it(dana, template):
    task = services.create_task(dana, template, {})

    assert services.cancel_task(dana, task) is True
    services.retry_task(dana, task)

    assert _entries(task, "cancel") == [(dana.pk, dana.username)]
    assert _entries(task, "retry") == [(dana.pk, dana.username)]


def test_a_denied_cancel_writes_no_audit_entry(dana, template):
    task = services.create_task(dana, template, {})
    olga = make_user("other@example.com")

    with pytest.raises(services.PermissionDenied):
        services.cancel_task(olga, task)

    assert _entries(task, "cancel") == []
    task.refresh_from_db()
    assert task.status == "pending"


def test_what_a_task_changes_in_the_catalog_names_the_user_who_started_it(dana, tmp_path, scaffolder_dirs):
    """catalog:register inside the run: the service is in the catalog, and the audit entry of the location
    that provides it has the task's creator as actor."""
    folder = scaffolder_dirs / "git-checkouts" / "acme" / "audited-service"
    folder.mkdir(parents=True)
    (folder / "catalog-info.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: audited-service}\n"
        "spec: {type: service, lifecycle: experimental, owner: group:default/payments}\n"
    )
    steps = [
        {
            "id": "register",
            "name": "Register",
            "action": "catalog:register",
            "input": {"catalogInfoUrl": f"file:{folder / 'catalog-info.yaml'}"},
        }
    ]
    entity = install_template(tmp_path / "register-template", template_doc("registers", steps))
    task = services.create_task(dana, entity, {})

    runs.execute(task.pk)

    task.refresh_from_db()
    assert (task.status, task.error) == ("succeeded", "")
    assert task.steps.get().output["entityRef"] == "component:default/audited-service"
    service = Entity.objects.get(ref="component:default/audited-service")
    created = AuditEntry.objects.filter(object_type="catalog.location", action="create")
    assert list(created.filter(object_id=str(service.location_id)).values_list("actor_id", "actor_label")) == [
        (dana.pk, dana.username)
    ]


def test_a_task_that_succeeds_records_its_end_with_its_template_and_creator(dana, template):
    task = services.create_task(dana, template, {})

    runs.execute(task.pk)

    [end] = AuditEntry.objects.filter(object_type="scaffolder.task", object_id=str(task.pk), action="succeeded")
    assert (end.actor_id, end.object_label, end.changes) == (
        dana.pk,
        f"template:default/audited task {task.pk} (succeeded)",
        {"status": ["running", "succeeded"]},
    )


def test_a_task_that_fails_records_its_end_with_the_error(dana, tmp_path):
    steps = [{"id": "publish", "name": "Publish", "action": "publish:nowhere", "input": {}}]
    broken = install_template(tmp_path / "broken", template_doc("broken", steps))
    task = services.create_task(dana, broken, {})

    runs.execute(task.pk)

    assert _entries(task, "failed") == [(dana.pk, dana.username)]
    end = AuditEntry.objects.get(object_type="scaffolder.task", object_id=str(task.pk), action="failed")
    assert end.changes == {
        "status": ["running", "failed"],
        "error": ["", "Step Publish failed: action publish:nowhere is not installed"],
    }


def test_a_task_cancelled_while_it_waits_records_its_end_once(dana, template):
    task = services.create_task(dana, template, {})

    assert services.cancel_task(dana, task) is True
    runs.execute(task.pk)

    assert _entries(task, "cancelled") == [(dana.pk, dana.username)]
