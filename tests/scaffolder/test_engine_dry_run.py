"""Dry runs through the worker: fetch actions run, publishing and registering only log, the answer holds the files;
and Backstage's sample templates dry-run to the files and outputs Backstage gives."""

import base64
from pathlib import Path

import pytest
import yaml

from catalog import services as catalog
from catalog.models import Location
from scaffolder import services
from tests.conftest import make_user
from tests.fakes.git_http import git
from tests.golden.test_golden_paths import DJANGO_COMPONENT, DJANGO_PARAMETERS, EXPECTED_FILES
from tests.scaffolder.engine_support import install_people, messages, register_file, wait_for

pytestmark = pytest.mark.usefixtures("scaffolder_dirs")

BACKSTAGE = Path(__file__).resolve().parents[2] / "tests" / "data" / "backstage" / "templates"


@pytest.fixture
def dev(transactional_db, tmp_path):
    install_people(tmp_path / "people")
    return make_user("dev@example.com")


def backstage_template(name: str):
    register_file(BACKSTAGE / name / "template.yaml")
    return services.template_entity(name)


def dry_run(user, entity, values) -> dict:
    return services.dry_run_result(wait_for(services.create_task(user, entity, values, dry_run=True)))


def contents(result: dict) -> dict[str, str]:
    return {item["path"]: base64.b64decode(item["base64Content"]).decode() for item in result["directoryContents"]}


def test_a_dry_run_of_the_django_service_returns_its_files_and_publishes_nothing(
    celery_worker, dev, github_fake, scaffolder_dirs
):
    catalog.process_location(catalog.ensure_templates_location())
    locations = Location.objects.count()

    result = dry_run(dev, services.template_entity("django-service"), DJANGO_PARAMETERS)

    assert (result["status"], result["error"]) == ("completed", "")
    assert [item["path"] for item in result["directoryContents"]] == EXPECTED_FILES["django-service"]
    assert yaml.safe_load(contents(result)["catalog-info.yaml"]) == DJANGO_COMPONENT
    executable = [item["path"] for item in result["directoryContents"] if item["executable"]]
    assert executable == ["manage.py"]
    assert [(step["id"], step["status"]) for step in result["steps"]] == [
        ("fetch", "completed"),
        ("fetch-celery", "completed"),
        ("publish", "skipped"),
        ("publish-github", "completed"),
        ("register", "completed"),
    ]
    logged = [entry["body"]["message"] for entry in result["log"]]
    assert "Dry run: would create acme/orders-api on github.com and push the workspace to main" in logged
    assert "Dry run: would register https://github.com/acme/orders-api/blob/main/catalog-info.yaml in the catalog" in (
        logged
    )
    assert result["output"] == {
        "links": [
            {"title": "Repository", "url": "https://github.com/acme/orders-api.git"},
            {"title": "Open in catalog", "icon": "catalog"},
        ]
    }
    assert (github_fake.requests, github_fake.git.requests) == ([], [])
    assert Location.objects.count() == locations
    assert not (scaffolder_dirs / "git").exists()


def test_a_dry_run_on_the_local_git_host_publishes_nothing_and_names_the_working_copy(
    celery_worker, dev, scaffolder_dirs
):
    catalog.process_location(catalog.ensure_templates_location())
    values = {**DJANGO_PARAMETERS, "repoUrl": "local?owner=acme&repo=orders-api"}

    result = dry_run(dev, services.template_entity("django-service"), values)

    assert (result["status"], result["error"]) == ("completed", "")
    assert [(step["id"], step["status"]) for step in result["steps"]] == [
        ("fetch", "completed"),
        ("fetch-celery", "completed"),
        ("publish", "completed"),
        ("publish-github", "skipped"),
        ("register", "completed"),
    ]
    checkout = scaffolder_dirs / "git-checkouts" / "acme" / "orders-api"
    logged = [entry["body"]["message"] for entry in result["log"]]
    assert f"Dry run: would register file:{checkout}/catalog-info.yaml in the catalog" in logged
    assert result["output"]["links"][0] == {
        "title": "Repository",
        "url": f"file://{scaffolder_dirs / 'git' / 'acme' / 'orders-api.git'}",
    }
    component = yaml.safe_load(contents(result)["catalog-info.yaml"])
    assert "annotations" not in component["metadata"]
    assert "links" not in component["metadata"]
    assert not (scaffolder_dirs / "git").exists()


def existing_repository(bare: Path, work: Path) -> None:
    """A local bare repository whose main branch already holds a commit."""
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git("init", "--quiet", "--initial-branch=main", str(work))
    (work / "README.md").write_text("# someone else's\n")
    git("-C", str(work), "add", "README.md")
    git("-C", str(work), "-c", "user.name=Someone", "-c", "user.email=someone@example.com", "commit", "-qm", "x")
    git("-C", str(work), "push", "--quiet", str(bare), "main")


def test_a_dry_run_marks_each_step_that_would_fail_and_goes_on(celery_worker, dev, scaffolder_dirs, tmp_path):
    catalog.process_location(catalog.ensure_templates_location())
    taken = tmp_path / "elsewhere" / "catalog-info.yaml"
    taken.parent.mkdir()
    taken.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders-api\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: group:default/payments\n"
    )
    register_file(taken)
    bare = scaffolder_dirs / "git" / "acme" / "orders-api.git"
    existing_repository(bare, tmp_path / "work")
    values = {**DJANGO_PARAMETERS, "repoUrl": "local?owner=acme&repo=orders-api"}

    result = dry_run(dev, services.template_entity("django-service"), values)

    branch_taken = f"the repository {bare} already has a branch main"
    conflict = f"component:default/orders-api is already in the catalog, from {taken}"
    assert [(step["id"], step["status"], step["error"]) for step in result["steps"]] == [
        ("fetch", "completed", ""),
        ("fetch-celery", "completed", ""),
        ("publish", "failed", f"Would fail: {branch_taken}"),
        ("publish-github", "skipped", ""),
        ("register", "failed", f"Would fail: {conflict}"),
    ]
    assert result["status"] == "failed"
    assert (
        result["error"] == f"The dry run found 2 steps that would fail: publish ({branch_taken}); register ({conflict})"
    )
    assert [item["path"] for item in result["directoryContents"]] == EXPECTED_FILES["django-service"]
    assert git("--git-dir", str(bare), "log", "--format=%s", "main") == "x"


def test_backstage_conditional_parameters_demo(celery_worker, dev):
    entity = backstage_template("conditional-parameters-demo")

    result = dry_run(dev, entity, {"name": "demo", "cloudProvider": "GCP", "gcpProjectId": "proj-1"})

    assert result["status"] == "completed"
    assert result["directoryContents"] == []
    assert "Creating demo on GCP.\nMonitoring enabled: false\n" in [entry["body"]["message"] for entry in result["log"]]
    assert result["output"] == {
        "text": [
            {"title": "Summary", "content": "**Component:** `demo`\n**Cloud Provider:** GCP\n"},
            {"title": "GCP Details", "content": "**Project ID:** proj-1\n**Region:** us-central1\n"},
        ]
    }


@pytest.mark.parametrize(
    ("values", "links", "texts"),
    [
        (
            {"name": "demo"},
            ["Backstage Homepage", "CI Dashboard", "CI Docs"],
            ["Summary", "CI Details", "CI Setup Instructions"],
        ),
        ({"name": "demo", "enableCI": "No", "showDetails": False}, ["Backstage Homepage"], ["Summary"]),
        ({"name": "demo", "enableCI": "No", "showDetails": True}, ["Backstage Homepage"], ["Summary", "CI Details"]),
    ],
)
def test_backstage_conditional_output_demo(celery_worker, dev, values, links, texts):
    entity = backstage_template("conditional-output-demo")

    result = dry_run(dev, entity, values)

    assert result["status"] == "completed"
    assert [link["title"] for link in result["output"]["links"]] == links
    assert [text["title"] for text in result["output"]["text"]] == texts
    assert result["output"]["text"][0] == {"title": "Summary", "content": "**Component:** `demo`\n"}
    assert "Creating demo" in [entry["body"]["message"] for entry in result["log"]]


def test_backstage_node_template_dry_runs_to_its_files_then_fails_on_the_missing_action(celery_worker, dev):
    entity = backstage_template("example-nodejs-template")

    task = wait_for(
        services.create_task(
            dev, entity, {"name": "hello", "repoUrl": "github.com?owner=acme&repo=hello"}, dry_run=True
        )
    )
    result = services.dry_run_result(task)

    not_configured = (
        "GitHub is not configured: an administrator sets GITHUB_TOKEN (or SCAFFOLDER_GITHUB_TOKEN, or a GitHub App), "
        "or the step is given a token input"
    )
    assert (result["status"], result["error"]) == (
        "failed",
        f"The dry run found 2 steps that would fail: publish ({not_configured}); "
        "notify (action notification:send is not installed)",
    )
    assert contents(result) == {
        "catalog-info.yaml": 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: "hello"\n'
        "spec:\n  type: service\n  owner: user:guest\n  lifecycle: experimental\n",
        "index.js": "console.log('Hello from hello!');\n",
        "package.json": '{\n  "name": "hello",\n  "private": true,\n  "dependencies": {}\n}\n',
    }
    assert [(step["id"], step["status"]) for step in result["steps"]] == [
        ("fetch-base", "completed"),
        ("publish", "failed"),
        ("register", "completed"),
        ("notify", "failed"),
    ]
    assert "Dry run: would create acme/hello on github.com and push the workspace to main" in messages(task)
