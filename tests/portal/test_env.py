import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import env

ROOT = Path(__file__).resolve().parents[2]


def settings_process(tmp_path: Path, code: str, **variables: str) -> subprocess.CompletedProcess:
    """Import ``portal.settings`` in a fresh Python with only ``variables`` (and PATH) set."""
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["maybe", "2", "yes please"])
def test_a_bad_boolean_is_an_error_naming_the_variable(value):
    with pytest.raises(env.EnvError) as raised:
        env.boolean("DEBUG", False, environ={"DEBUG": value})

    assert raised.value.variable == "DEBUG"
    assert str(raised.value) == f"Environment variable DEBUG: expected true or false, got {value!r}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), (" yes ", True), ("on", True), ("0", False), ("off", False), ("", False)],
)
def test_booleans_accept_the_usual_spellings(value, expected):
    assert env.boolean("DEBUG", not expected, environ={"DEBUG": value}) is expected


def test_an_unset_variable_gives_the_default():
    assert env.boolean("DEBUG", True, environ={}) is True
    assert env.integer("SECURE_HSTS_SECONDS", 60, environ={}) == 60
    assert env.choice("LOG_LEVEL", "info", ("info", "debug"), environ={}) == "info"
    assert env.string_list("ALLOWED_HOSTS", ["localhost"], environ={}) == ["localhost"]


def test_a_bad_integer_is_an_error_naming_the_variable():
    with pytest.raises(env.EnvError) as raised:
        env.integer("CELERY_TASK_TIME_LIMIT", 1800, environ={"CELERY_TASK_TIME_LIMIT": "30m"})

    assert raised.value.variable == "CELERY_TASK_TIME_LIMIT"
    assert str(raised.value) == "Environment variable CELERY_TASK_TIME_LIMIT: expected an integer, got '30m'"


def test_an_integer_below_its_minimum_is_an_error_naming_the_variable():
    with pytest.raises(env.EnvError) as raised:
        env.integer("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60, environ={"CELERY_VISIBILITY_TIMEOUT": "59"})

    assert str(raised.value) == "Environment variable CELERY_VISIBILITY_TIMEOUT: must be at least 60, got 59"


def test_an_integer_above_its_maximum_is_an_error_naming_the_variable():
    with pytest.raises(env.EnvError) as raised:
        env.integer("SCAFFOLDER_EVENTS_WAIT", 10, minimum=0, maximum=25, environ={"SCAFFOLDER_EVENTS_WAIT": "30"})

    assert str(raised.value) == "Environment variable SCAFFOLDER_EVENTS_WAIT: must be at most 25, got 30"


def test_a_value_outside_the_choices_is_an_error_naming_the_variable():
    with pytest.raises(env.EnvError) as raised:
        env.choice("LOG_FORMAT", "json", ("json", "console"), environ={"LOG_FORMAT": "XML"})

    assert raised.value.variable == "LOG_FORMAT"
    assert str(raised.value) == "Environment variable LOG_FORMAT: expected one of json, console, got 'xml'"


def test_a_choice_ignores_case_and_spaces():
    assert env.choice("LOG_LEVEL", "info", ("info", "debug"), environ={"LOG_LEVEL": " DEBUG "}) == "debug"


def test_a_list_is_split_on_commas_without_blanks():
    hosts = env.string_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": " a.example.com, ,b.example.com,"})

    assert hosts == ["a.example.com", "b.example.com"]


def test_a_secret_is_read_from_its_file_variant(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-a-mounted-file\n", encoding="utf-8")

    value = env.string("SECRET_KEY", "default", secret=True, environ={"SECRET_KEY_FILE": str(secret_file)})

    assert value == "from-a-mounted-file"


def test_a_secret_list_is_read_from_its_file_variant(tmp_path):
    keys_file = tmp_path / "keys"
    keys_file.write_text("new-key,old-key\n", encoding="utf-8")

    keys = env.string_list("ENCRYPTION_KEYS", [], secret=True, environ={"ENCRYPTION_KEYS_FILE": str(keys_file)})

    assert keys == ["new-key", "old-key"]


def test_setting_a_secret_and_its_file_variant_is_an_error_naming_the_file_variable(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-file", encoding="utf-8")

    with pytest.raises(env.EnvError) as raised:
        env.string("SECRET_KEY", secret=True, environ={"SECRET_KEY": "inline", "SECRET_KEY_FILE": str(secret_file)})

    assert raised.value.variable == "SECRET_KEY_FILE"
    assert str(raised.value) == (
        "Environment variable SECRET_KEY_FILE: set both SECRET_KEY and SECRET_KEY_FILE; choose one"
    )


def test_an_empty_secret_beside_its_file_variant_counts_as_unset(tmp_path):
    # as docker compose passes `SECRET_KEY: ${SECRET_KEY:-}` when only the file is provided
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-file", encoding="utf-8")

    value = env.string("SECRET_KEY", secret=True, environ={"SECRET_KEY": "", "SECRET_KEY_FILE": str(secret_file)})

    assert value == "from-file"


def test_an_unreadable_secret_file_is_an_error_naming_the_file_variable(tmp_path):
    missing = tmp_path / "absent"

    with pytest.raises(env.EnvError) as raised:
        env.string("API_TOKEN_PEPPER", secret=True, environ={"API_TOKEN_PEPPER_FILE": str(missing)})

    assert str(raised.value) == (
        f"Environment variable API_TOKEN_PEPPER_FILE: cannot read {str(missing)!r}: No such file or directory"
    )


def test_the_file_variant_is_not_read_for_plain_variables(tmp_path):
    path = tmp_path / "value"
    path.write_text("from-file", encoding="utf-8")

    assert env.string("SITE_URL", "http://default", environ={"SITE_URL_FILE": str(path)}) == "http://default"


def test_settings_load_with_a_clean_environment(tmp_path):
    result = settings_process(tmp_path, "print(settings.DEBUG, settings.CELERY_TASK_TIME_LIMIT)")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "False 1800\n"


def test_settings_read_a_secret_from_its_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("mounted-secret-key-value\n", encoding="utf-8")

    result = settings_process(tmp_path, "print(settings.SECRET_KEY)", SECRET_KEY_FILE=str(secret_file))

    assert result.returncode == 0, result.stderr
    assert result.stdout == "mounted-secret-key-value\n"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DEBUG": "maybe"}, "Environment variable DEBUG: expected true or false, got 'maybe'"),
        (
            {"CELERY_VISIBILITY_TIMEOUT": "1h"},
            "Environment variable CELERY_VISIBILITY_TIMEOUT: expected an integer, got '1h'",
        ),
        (
            {"LOG_LEVEL": "loud"},
            "Environment variable LOG_LEVEL: expected one of debug, info, warning, error, got 'loud'",
        ),
        (
            {"CELERY_TASK_TIME_LIMIT": "3600", "CELERY_VISIBILITY_TIMEOUT": "3600"},
            "Environment variable CELERY_TASK_TIME_LIMIT: must be below CELERY_VISIBILITY_TIMEOUT (3600 s), "
            "or the broker redelivers tasks that are still running",
        ),
        (
            {"SECRET_KEY": "inline", "SECRET_KEY_FILE": "/run/secrets/secret_key"},
            "Environment variable SECRET_KEY_FILE: set both SECRET_KEY and SECRET_KEY_FILE; choose one",
        ),
    ],
)
def test_settings_refuse_to_load_with_a_bad_value_naming_the_variable(tmp_path, variables, message):
    result = settings_process(tmp_path, "settings.DEBUG", **variables)

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"portal.env.EnvError: {message}"


def test_only_the_process_environment_is_recorded_as_read():
    env.string("ATRIUM_NOT_A_SETTING", environ={"ATRIUM_NOT_A_SETTING": "x"})

    assert "ATRIUM_NOT_A_SETTING" not in env.READ
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"} <= env.READ
