"""The golden paths end to end through the worker: render, publish, register, output links.

``django-service`` as shipped, on each host its repository picker offers: the local git host (publish:git to a
bare repository under SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR) and GitHub (publish:github, to the fake GitHub over smart
HTTP, registered from GitHub); and Backstage's sample Node.js template, whose last step uses an action Atrium
does not have.
"""

from pathlib import Path

import pytest

from catalog import services as catalog
from catalog.models import Entity
from scaffolder import services
from tests.conftest import make_user
from tests.fakes.git_http import git
from tests.golden.test_golden_paths import DJANGO_COMPONENT, DJANGO_PARAMETERS, EXPECTED_FILES
from tests.scaffolder.engine_support import install_people, register_file, step_states, wait_for

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

ROOT = Path(__file__).resolve().parents[2]
BACKSTAGE = ROOT / "tests" / "data" / "backstage" / "templates"


@pytest.fixture
def dana(transactional_db, tmp_path):
    install_people(tmp_path / "people")
    return make_user("dev@example.com", first_name="Dana", last_name="Developer")


def shipped_template(name: str) -> Entity:
    catalog.process_location(catalog.ensure_templates_location())
    entity = services.template_entity(name)
    assert entity is not None
    return entity


def registered_component(ref: str) -> dict:
    """The entity as its catalog-info.yaml wrote it (without the annotations the catalog adds)."""
    body = Entity.objects.get(ref=ref).body
    metadata = {
        key: body["metadata"][key] for key in ("name", "description", "tags", "links") if key in body["metadata"]
    }
    annotations = body["metadata"]["annotations"]
    metadata["annotations"] = {key: annotations[key] for key in annotations if key == "github.com/project-slug"}
    return {"apiVersion": body["apiVersion"], "kind": body["kind"], "metadata": metadata, "spec": body["spec"]}


def test_the_shipped_django_service_publishes_to_the_local_git_host_and_registers(celery_worker, dana, scaffolder_dirs):
    entity = shipped_template("django-service")
    values = {**DJANGO_PARAMETERS, "repoUrl": "local?owner=acme&repo=orders-api"}

    task = wait_for(services.create_task(dana, entity, values), timeout=120)

    bare = scaffolder_dirs / "git" / "acme" / "orders-api.git"
    assert (task.status, task.error) == ("succeeded", "")
    assert step_states(task) == [
        ("fetch", "succeeded"),
        ("fetch-celery", "succeeded"),
        ("publish", "succeeded"),
        ("publish-github", "skipped"),
        ("register", "succeeded"),
    ]
    assert (
        git("--git-dir", str(bare), "ls-tree", "-r", "--name-only", "main").splitlines()
        == EXPECTED_FILES["django-service"]
    )
    assert git("--git-dir", str(bare), "log", "--format=%an|%s", "main") == (
        "Dana Developer|Initial commit from the django-service golden path"
    )
    local_component = {**DJANGO_COMPONENT, "metadata": {**DJANGO_COMPONENT["metadata"], "annotations": {}}}
    del local_component["metadata"]["links"]
    assert registered_component("component:default/orders-api") == local_component
    assert task.output == {
        "links": [
            {"title": "Repository", "url": f"file://{bare}"},
            {"title": "Open in catalog", "icon": "catalog", "entityRef": "component:default/orders-api"},
        ]
    }
    assert list((scaffolder_dirs / "workspaces").iterdir()) == []


def test_the_shipped_django_service_publishes_to_github_and_registers_from_it(celery_worker, dana, github_fake):
    entity = shipped_template("django-service")

    task = wait_for(services.create_task(dana, entity, DJANGO_PARAMETERS), timeout=120)

    assert (task.status, task.error) == ("succeeded", "")
    assert [(item["owner"], item["name"], item["visibility"]) for item in github_fake.created] == [
        ("acme", "orders-api", "private")
    ]
    assert github_fake.repos["acme/orders-api"].topics == ["python", "django", "service"]
    assert sorted(github_fake.git.files("acme/orders-api")) == EXPECTED_FILES["django-service"]
    assert registered_component("component:default/orders-api") == DJANGO_COMPONENT
    assert task.output["links"] == [
        {"title": "Repository", "url": f"{github_fake.git.url}/acme/orders-api.git"},
        {"title": "Open in catalog", "icon": "catalog", "entityRef": "component:default/orders-api"},
    ]


def test_backstages_node_template_publishes_then_stops_at_an_action_atrium_does_not_have(
    celery_worker, dana, github_fake
):
    register_file(BACKSTAGE / "example-nodejs-template" / "template.yaml")
    entity = services.template_entity("example-nodejs-template")

    task = wait_for(
        services.create_task(dana, entity, {"name": "hello", "repoUrl": "github.com?owner=acme&repo=hello"})
    )

    assert (task.status, task.error) == ("failed", "Step Notify failed: action notification:send is not installed")
    assert step_states(task) == [
        ("fetch-base", "succeeded"),
        ("publish", "succeeded"),
        ("register", "succeeded"),
        ("notify", "failed"),
    ]
    assert {path: data.decode() for path, (_mode, data) in github_fake.git.files("acme/hello").items()} == {
        "catalog-info.yaml": 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: "hello"\n'
        "spec:\n  type: service\n  owner: user:guest\n  lifecycle: experimental\n",
        "index.js": "console.log('Hello from hello!');\n",
        "package.json": '{\n  "name": "hello",\n  "private": true,\n  "dependencies": {}\n}\n',
    }
    assert github_fake.git.commits("acme/hello", "main") != []
    assert task.steps.get(key="register").output["entityRef"] == "component:default/hello"
    assert Entity.objects.filter(ref="component:default/hello").exists()
