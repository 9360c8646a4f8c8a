"""The configuration surfaces agree with the settings.

``portal.env.READ`` is the list of every environment variable ``portal.settings`` asks for. It is
learned here by importing the settings in a fresh interpreter, once production-shaped (``DEBUG``
off, PostgreSQL, Redis, social sign-in configured) and once with ``DEBUG`` on, because some
variables are read only under a condition. A variable read only under some other condition would
be missed: give the production environment below what it needs to reach it.

Then ``docker-compose.yml``, ``.env.example`` and ``docs/configuration.md`` must name exactly those
variables, and the compose stack's settings must pass the production deploy checks that its
containers run before they start.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"

#: The compose services that run the Atrium image and get the shared x-atrium-env.
ATRIUM_SERVICES = {"web", "worker", "beat", "migrate"}

#: Only these variables of the test run's own environment reach the interpreters started here:
#: the settings must see the environment under test, never the one CI runs the suite with.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")

#: Throwaway production-shaped values (nothing is connected to) that reach every conditional read.
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "configuration-test-secret-key-long-enough-for-the-checks",
    "ENCRYPTION_KEYS": "Y29uZmlndXJhdGlvbi10ZXN0LWZlcm5ldC1rZXktMzI=",
    "API_TOKEN_PEPPER": "configuration-test-api-token-pepper-long-enough",
    "DATABASE_URL": "postgres://atrium@db.invalid:5432/atrium",
    "REDIS_URL": "redis://cache.invalid:6379/0",
    "CELERY_BROKER_URL": "redis://cache.invalid:6379/1",
    "EMAIL_URL": "smtp://mail.invalid:25",
    "GITHUB_CLIENT_ID": "configuration-test",
    "GITHUB_CLIENT_SECRET": "configuration-test",
    "GOOGLE_CLIENT_ID": "configuration-test",
    "GOOGLE_CLIENT_SECRET": "configuration-test",
    "TRUST_X_FORWARDED_PROTO": "true",
}

#: Imports the settings and prints the variables read, and which of them are secrets (those accept
#: NAME_FILE); the secret flag is observed on its way through ``portal.env._raw``.
PROBE = """
import json
from portal import env

secrets = set()
read_variable = env._raw

def recording_read(name, *, secret=False, environ=None):
    if secret:
        secrets.add(name)
    return read_variable(name, secret=secret, environ=environ)

env._raw = recording_read
import portal.settings  # noqa: E402,F401

print(json.dumps({"read": sorted(env.READ), "secret": sorted(secrets)}))
"""


@dataclass(frozen=True)
class Variables:
    read: frozenset[str]
    secret: frozenset[str]

    @property
    def accepted(self) -> frozenset[str]:
        """The names a deployment may set: every variable read, and NAME_FILE for each secret."""
        return self.read | {f"{name}_FILE" for name in self.secret}


def run_python(args: list[str], env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess:
    environ = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    environ.update(env)
    # DATA_DIR is a path inside the image; here it is a folder of the test's own.
    environ["DATA_DIR"] = str(data_dir)
    environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=180)


def probe(env: dict[str, str], data_dir: Path) -> Variables:
    result = run_python(["-c", PROBE], env, data_dir)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return Variables(read=frozenset(found["read"]), secret=frozenset(found["secret"]))


@pytest.fixture(scope="module")
def variables(tmp_path_factory) -> Variables:
    data_dir = tmp_path_factory.mktemp("settings-probe")
    production = probe(PRODUCTION_ENV, data_dir / "production")
    development = probe({"DEBUG": "true"}, data_dir / "development")
    return Variables(read=production.read | development.read, secret=production.secret | development.secret)


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service_env(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):  # the "NAME=value" form
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def atrium_services(services: dict) -> dict[str, dict]:
    return {
        name: service
        for name, service in services.items()
        if "build" in service or str(service.get("image", "")).startswith("atrium")
    }


# --- the variables the settings read --------------------------------------------------------------


def test_the_probe_finds_the_variables_read_under_conditions(variables):
    # Read only with DEBUG off, or only for PostgreSQL: the two runs of the probe must reach them.
    assert {"DATABASE_CONN_MAX_AGE", "SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT"} <= variables.read
    assert {"SECRET_KEY", "ENCRYPTION_KEYS", "API_TOKEN_PEPPER", "DATABASE_URL"} <= variables.secret
    assert variables.secret <= variables.read
    assert "ALLOWED_HOSTS" not in variables.secret


# --- docker-compose.yml ---------------------------------------------------------------------------


def test_compose_runs_the_atrium_image_as_web_worker_beat_and_migrate():
    services = compose()["services"]

    assert set(atrium_services(services)) == ATRIUM_SERVICES
    assert {"postgres", "redis", "mailpit"} <= set(services)


def test_compose_sets_only_variables_the_settings_read(variables):
    services = atrium_services(compose()["services"])

    for name, service in sorted(services.items()):
        environment = service_env(service)
        unknown = sorted(set(environment) - variables.accepted)
        assert unknown == [], f"{name} sets variables the settings never read: {unknown}"
        both = sorted(n for n in environment if n.endswith("_FILE") and n.removesuffix("_FILE") in environment)
        assert both == [], f"{name} sets both NAME and NAME_FILE: {both}"


def test_compose_gives_every_atrium_service_the_same_environment():
    services = atrium_services(compose()["services"])

    environments = {name: service_env(service) for name, service in services.items()}

    assert environments["web"]
    assert all(environment == environments["web"] for environment in environments.values())
    # Compose would interpolate a "$" in a value: a secret holding one would silently change.
    assert [name for name, value in environments["web"].items() if "$" in value] == []


def test_compose_settings_pass_the_production_deploy_checks(tmp_path):
    environment = service_env(compose()["services"]["web"])
    assert environment["DEBUG"] == "false"

    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], environment, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# --- .env.example ---------------------------------------------------------------------------------

#: A variable line of .env.example: "# NAME=default" (commented out) or "NAME=value".
ASSIGNMENT = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$")


def env_example() -> list[tuple[str, str, str]]:
    """(name, value shown, the line above it) for every variable line of .env.example."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    entries = []
    for number, line in enumerate(lines):
        match = ASSIGNMENT.match(line)
        if match:
            above = lines[number - 1] if number else ""
            entries.append((match[1], match[2], above))
    return entries


def test_env_example_lists_exactly_the_variables_the_settings_read(variables):
    names = [name for name, _value, _above in env_example()]

    assert sorted(names) == sorted(set(names)), "a variable is listed twice"
    assert set(names) == variables.read


def test_env_example_describes_every_variable_in_a_comment_above_it():
    undescribed = [
        name
        for name, _value, above in env_example()
        if not above.startswith("#") or ASSIGNMENT.match(above) or not above.lstrip("# ").strip()
    ]

    assert undescribed == []


def test_env_example_values_are_accepted_by_the_settings(tmp_path):
    shown = {name: value for name, value, _above in env_example() if value}
    assert shown["DEBUG"] == "false"

    result = run_python(["-c", "import portal.settings"], shown, tmp_path)

    assert result.returncode == 0, result.stderr


# --- docs/configuration.md ------------------------------------------------------------------------

#: A variable documented in a table row whose first cell is `NAME`, or in a heading naming it.
TABLE_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|")
HEADING = re.compile(r"^#{1,6} .*`([A-Z][A-Z0-9_]*)`")


def test_configuration_doc_documents_exactly_the_variables_the_settings_read(variables):
    documented = set()
    for line in CONFIGURATION_DOC.read_text(encoding="utf-8").splitlines():
        match = TABLE_ROW.match(line) or HEADING.match(line)
        if match:
            documented.add(match[1])

    assert sorted(variables.read - documented) == [], "read by the settings, not documented"
    assert sorted(documented - variables.read) == [], "documented, not read by the settings"


# --- the container's scripts ----------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_entrypoint_is_valid_shell(shell):
    result = subprocess.run([shell, "-n", str(ROOT / "docker" / "entrypoint.sh")], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr
    assert os.access(ROOT / "docker" / "entrypoint.sh", os.X_OK)


def test_gunicorn_configuration_loads(tmp_path):
    result = run_python(
        ["-m", "gunicorn", "--config", "docker/gunicorn.conf.py", "--check-config", "portal.wsgi:application"],
        {"DEBUG": "true", "LOG_LEVEL": "warning"},
        tmp_path,
    )

    assert result.returncode == 0, result.stderr


def load_healthcheck():
    spec = importlib.util.spec_from_file_location("atrium_healthcheck", ROOT / "docker" / "healthcheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("atrium.example.com,localhost", "atrium.example.com"),
        (" .example.com ", "example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_healthcheck_sends_a_host_django_allows(monkeypatch, allowed_hosts, host):
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)

    assert load_healthcheck().host_header() == host
