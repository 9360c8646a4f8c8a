"""The golden-path templates in templates/: valid Template entities, the exact projects they render, and
generated projects that pass their own tests and lint.

A project is generated as the scaffolder's fetch:template steps would: each step's ``values`` rendered from
the sample parameters, its ``if:`` decided, its ``url`` rendered with ``copyWithoutTemplating``.
The generated projects install their dependencies from the package index into a fresh virtualenv (pip's own
cache makes later runs fast); the two services take a minute or more each and are marked ``slow``.
"""

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from catalog.model.validation import validate_entity
from scaffolder.templating import evaluate_condition, render_skeleton, render_value

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
NAME_PATTERN = "^[a-z][a-z0-9-]{1,38}[a-z0-9]$"

DJANGO_PARAMETERS = {
    "name": "orders-api",
    "description": "Takes and tracks customer orders.",
    "owner": "group:default/payments",
    "system": "system:default/checkout",
    "lifecycle": "experimental",
    "pythonVersion": "3.11",
    "celery": True,
    "repoUrl": "github.com?owner=acme&repo=orders-api",
}
LIBRARY_PARAMETERS = {
    "name": "billing-client",
    "description": "A typed client for the billing API.",
    "owner": "group:default/payments",
    "lifecycle": "production",
    "repoUrl": "github.com?owner=acme&repo=billing-client",
}
FASTAPI_PARAMETERS = {
    "name": "pricing-api",
    "description": "Quotes prices for the storefront.",
    "owner": "group:default/pricing",
    "system": "system:default/storefront",
    "lifecycle": "production",
    "pythonVersion": "3.11",
    "repoUrl": "github.com?owner=acme&repo=pricing-api",
}

VARIANTS: dict[str, tuple[str, dict]] = {
    "django-service": ("django-service", DJANGO_PARAMETERS),
    "django-service-without-celery": ("django-service", {**DJANGO_PARAMETERS, "celery": False}),
    "python-library": ("python-library", LIBRARY_PARAMETERS),
    "fastapi-service": ("fastapi-service", FASTAPI_PARAMETERS),
}

DJANGO_FILES = [
    ".dockerignore",
    ".env.example",
    ".github/workflows/ci.yml",
    ".gitignore",
    ".python-version",
    "Dockerfile",
    "README.md",
    "catalog-info.yaml",
    "config/__init__.py",
    "config/env.py",
    "config/health.py",
    "config/logging.py",
    "config/settings.py",
    "config/urls.py",
    "config/wsgi.py",
    "docs/runbook.md",
    "gunicorn.conf.py",
    "items/__init__.py",
    "items/apps.py",
    "items/migrations/0001_initial.py",
    "items/migrations/__init__.py",
    "items/models.py",
    "items/serializers.py",
    "items/urls.py",
    "items/views.py",
    "manage.py",
    "pyproject.toml",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/test_env.py",
    "tests/test_health.py",
    "tests/test_items_api.py",
    "tests/test_logging.py",
    "tests/test_migrations.py",
]
DJANGO_CELERY_FILES = ["config/celery.py", "items/tasks.py", "tests/test_tasks.py"]

EXPECTED_FILES = {
    "django-service": sorted(DJANGO_FILES + DJANGO_CELERY_FILES),
    "django-service-without-celery": DJANGO_FILES,
    "python-library": [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        ".gitignore",
        "CHANGELOG.md",
        "README.md",
        "catalog-info.yaml",
        "pyproject.toml",
        "src/billing_client/__init__.py",
        "src/billing_client/py.typed",
        "tests/test_package.py",
    ],
    "fastapi-service": [
        ".dockerignore",
        ".env.example",
        ".github/workflows/ci.yml",
        ".gitignore",
        ".python-version",
        "Dockerfile",
        "README.md",
        "app/__init__.py",
        "app/api.py",
        "app/config.py",
        "app/health.py",
        "app/logging.py",
        "app/main.py",
        "app/metrics.py",
        "catalog-info.yaml",
        "docs/runbook.md",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/test_api.py",
        "tests/test_config.py",
        "tests/test_health.py",
        "tests/test_logging.py",
        "tests/test_metrics.py",
    ],
}


def component(name, description, owner, lifecycle, component_type, tags, system=None):
    spec = {"type": component_type, "lifecycle": lifecycle, "owner": owner}
    if system:
        spec["system"] = system
    metadata = {
        "name": name,
        "description": description,
        "annotations": {"github.com/project-slug": f"acme/{name}"},
        "tags": tags,
    }
    if component_type == "service":
        metadata["links"] = [
            {"url": f"https://github.com/acme/{name}/blob/main/docs/runbook.md", "title": "Runbook", "icon": "docs"}
        ]
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": metadata, "spec": spec}


DJANGO_COMPONENT = component(
    "orders-api",
    "Takes and tracks customer orders.",
    "group:default/payments",
    "experimental",
    "service",
    ["python", "django"],
    system="system:default/checkout",
)
EXPECTED_COMPONENTS = {
    "django-service": DJANGO_COMPONENT,
    "django-service-without-celery": DJANGO_COMPONENT,
    "python-library": component(
        "billing-client",
        "A typed client for the billing API.",
        "group:default/payments",
        "production",
        "library",
        ["python", "library"],
    ),
    "fastapi-service": component(
        "pricing-api",
        "Quotes prices for the storefront.",
        "group:default/pricing",
        "production",
        "service",
        ["python", "fastapi"],
        system="system:default/storefront",
    ),
}


def load_template(name: str) -> dict:
    return yaml.safe_load((TEMPLATES / name / "template.yaml").read_text())


def fetch_steps(name: str, parameters: dict) -> list[dict]:
    """The template's fetch:template steps that run for these parameters, their inputs rendered."""
    context = {"parameters": parameters}
    steps = []
    for step in load_template(name)["spec"]["steps"]:
        if step["action"] == "fetch:template" and evaluate_condition(step.get("if", True), context):
            steps.append(render_value(step["input"], context))
    return steps


def generate(name: str, parameters: dict, target: Path) -> list[str]:
    """Render the template's skeletons into ``target``, as its fetch:template steps do; the files written."""
    written = []
    for step in fetch_steps(name, parameters):
        written += render_skeleton(
            TEMPLATES / name / step["url"],
            target,
            step["values"],
            copy_without_templating=step.get("copyWithoutTemplating", []),
        )
    return sorted(written)


def files_in(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Each variant rendered once: variant name → (project folder, files written)."""
    projects = {}
    for variant, (name, parameters) in VARIANTS.items():
        target = tmp_path_factory.mktemp("golden") / parameters["name"]
        projects[variant] = (target, generate(name, parameters, target))
    return projects


# The templates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["django-service", "python-library", "fastapi-service"])
def test_the_template_is_a_valid_backstage_template_entity(name):
    assert validate_entity(load_template(name)) == []


@pytest.mark.parametrize(
    ("name", "spec_type", "pages", "actions"),
    [
        (
            "django-service",
            "service",
            ["Service details", "Options", "Repository"],
            ["fetch:template", "fetch:template", "publish:git", "publish:github", "catalog:register"],
        ),
        (
            "python-library",
            "library",
            ["Library details", "Repository"],
            ["fetch:template", "publish:git", "publish:github", "catalog:register"],
        ),
        (
            "fastapi-service",
            "service",
            ["Service details", "Options", "Repository"],
            ["fetch:template", "publish:git", "publish:github", "catalog:register"],
        ),
    ],
)
def test_the_template_follows_the_golden_path_conventions(name, spec_type, pages, actions):
    spec = load_template(name)["spec"]
    properties = {key: value for page in spec["parameters"] for key, value in page["properties"].items()}

    assert (spec["owner"], spec["type"]) == ("group:default/platform", spec_type)
    assert [page["title"] for page in spec["parameters"]] == pages
    assert [step["action"] for step in spec["steps"]] == actions
    assert properties["name"]["pattern"] == NAME_PATTERN
    assert properties["owner"]["ui:field"] == "OwnerPicker"
    assert properties["owner"]["ui:options"] == {"catalogFilter": {"kind": "Group"}}
    assert properties["system"]["ui:field"] == "EntityPicker"
    assert properties["system"]["ui:options"] == {"catalogFilter": {"kind": "System"}}
    assert properties["repoUrl"]["ui:field"] == "RepoUrlPicker"
    assert "ui:options" not in properties["repoUrl"]  # every configured host: local git, and GitHub when set up
    conditions = {step["id"]: step.get("if") for step in spec["steps"] if step["action"].startswith("publish:")}
    assert conditions == {
        "publish": "${{ (parameters.repoUrl | parseRepoUrl).host == 'local' }}",
        "publish-github": "${{ (parameters.repoUrl | parseRepoUrl).host != 'local' }}",
    }
    assert [link["title"] for link in spec["output"]["links"]] == ["Repository", "Open in catalog"]


@pytest.mark.parametrize("name", ["orders-api", "billing-client", "pricing-api", "a1b", "x" * 40])
def test_the_name_pattern_accepts_repository_and_entity_names(name):
    assert re.fullmatch(NAME_PATTERN, name)


@pytest.mark.parametrize("name", ["Orders", "orders_api", "orders-", "9lives", "ab", "x" * 41])
def test_the_name_pattern_refuses_other_names(name):
    assert not re.fullmatch(NAME_PATTERN, name)


def test_the_library_import_name_is_the_name_with_underscores():
    [step] = fetch_steps("python-library", {**LIBRARY_PARAMETERS, "name": "billing-client-v2"})

    assert step["values"]["packageName"] == "billing_client_v2"


def test_celery_is_added_only_when_asked_for():
    with_celery = fetch_steps("django-service", DJANGO_PARAMETERS)
    without_celery = fetch_steps("django-service", {**DJANGO_PARAMETERS, "celery": False})

    assert [step["url"] for step in with_celery] == ["./skeleton", "./celery"]
    assert [step["url"] for step in without_celery] == ["./skeleton"]
    assert without_celery[0]["values"]["celery"] is False


# The rendered projects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_skeleton_renders_exactly_the_expected_files(rendered, variant):
    folder, written = rendered[variant]

    assert written == EXPECTED_FILES[variant]
    assert files_in(folder) == EXPECTED_FILES[variant]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_rendered_catalog_info_is_a_valid_component_of_the_values(rendered, variant):
    folder, _ = rendered[variant]
    entity = yaml.safe_load((folder / "catalog-info.yaml").read_text())

    assert validate_entity(entity) == []
    assert entity == EXPECTED_COMPONENTS[variant]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_no_template_syntax_is_left_and_verbatim_files_are_copied_as_they_are(rendered, variant):
    folder, written = rendered[variant]
    name, parameters = VARIANTS[variant]
    [main_step, *_] = fetch_steps(name, parameters)

    assert main_step["copyWithoutTemplating"] == [".github/workflows/*"]
    leftovers = []
    for path in written:
        text = (folder / path).read_text()
        if path.startswith(".github/workflows/"):
            assert text == (TEMPLATES / name / "skeleton" / path).read_text()
        elif "${{" in text or "{%" in text or "{#" in text:
            leftovers.append(path)

    assert leftovers == []


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_rendered_code_and_configuration_parse(rendered, variant):
    folder, written = rendered[variant]

    for path in written:
        text = (folder / path).read_text()
        if path.endswith(".py"):
            ast.parse(text, filename=path)
        elif path.endswith((".yml", ".yaml")):
            assert isinstance(yaml.safe_load(text), dict), path
        elif path.endswith(".toml"):
            assert isinstance(tomllib.loads(text), dict), path


def test_the_django_service_without_celery_mentions_no_celery(rendered):
    folder, written = rendered["django-service-without-celery"]

    assert [path for path in written if "celery" in (folder / path).read_text().lower()] == []


# The generated projects pass their own tests and lint --------------------------------------------------------

# Only what a developer's shell would have: none of Atrium's own settings (DJANGO_SETTINGS_MODULE,
# DATABASE_URL, CELERY_BROKER_URL …) may reach the generated project.
_PASSED_ENVIRONMENT = {"HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}
_PASSED_PREFIXES = ("PIP_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


def clean_environment(venv: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key in _PASSED_ENVIRONMENT or key.startswith(_PASSED_PREFIXES)
    }
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    environment["VIRTUAL_ENV"] = str(venv)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def run(command: list[str], cwd: Path, environment: dict[str, str], timeout: int = 600) -> None:
    result = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"


def fresh_venv(folder: Path) -> tuple[Path, dict[str, str]]:
    """A virtualenv without Atrium's packages (no system site-packages), and the environment to use it."""
    venv = folder / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=folder, environment=clean_environment(venv))
    return venv, clean_environment(venv)


def check_project(project: Path, venv: Path, environment: dict[str, str]) -> None:
    python = str(venv / "bin" / "python")
    run([python, "-m", "pytest", "-p", "no:cacheprovider", "-q"], cwd=project, environment=environment)
    run([python, "-m", "ruff", "check", "--no-cache", "."], cwd=project, environment=environment)
    run([python, "-m", "ruff", "format", "--no-cache", "--check", "."], cwd=project, environment=environment)


def test_the_generated_python_library_passes_its_own_tests_and_lint(tmp_path):
    project = tmp_path / "billing-client"
    generate("python-library", LIBRARY_PARAMETERS, project)
    venv, environment = fresh_venv(tmp_path)

    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", ".[test]"], project, environment)

    check_project(project, venv, environment)


@pytest.mark.slow
def test_the_generated_django_service_passes_its_own_tests_and_lint(tmp_path):
    project = tmp_path / "orders-api"
    without_celery = tmp_path / "orders-api-without-celery"
    generate("django-service", DJANGO_PARAMETERS, project)
    generate("django-service", {**DJANGO_PARAMETERS, "celery": False}, without_celery)
    venv, environment = fresh_venv(tmp_path)
    python = str(venv / "bin" / "python")

    run([python, "-m", "pip", "install", "-q", ".[dev]"], project, environment)

    check_project(project, venv, environment)
    run([python, "manage.py", "check", "--deploy", "--fail-level", "ERROR"], project, environment)
    check_project(without_celery, venv, environment)


@pytest.mark.slow
def test_the_generated_fastapi_service_passes_its_own_tests_and_lint(tmp_path):
    project = tmp_path / "pricing-api"
    generate("fastapi-service", FASTAPI_PARAMETERS, project)
    venv, environment = fresh_venv(tmp_path)

    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", ".[dev]"], project, environment)

    check_project(project, venv, environment)
