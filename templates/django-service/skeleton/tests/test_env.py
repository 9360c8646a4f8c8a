import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_string_reads_the_variable(monkeypatch):
    monkeypatch.setenv("EXAMPLE_NAME", "orders")

    assert env.string("EXAMPLE_NAME", default="other") == "orders"


def test_string_reads_the_file_named_by_the_file_variable(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("EXAMPLE_SECRET", raising=False)
    monkeypatch.setenv("EXAMPLE_SECRET_FILE", str(secret))

    assert env.string("EXAMPLE_SECRET") == "s3cret"


def test_string_without_default_is_required(monkeypatch):
    monkeypatch.delenv("EXAMPLE_MISSING", raising=False)
    monkeypatch.delenv("EXAMPLE_MISSING_FILE", raising=False)

    with pytest.raises(ImproperlyConfigured, match=r"^Set the environment variable EXAMPLE_MISSING \(or"):
        env.string("EXAMPLE_MISSING")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("YES", True), ("1", True), ("off", False), ("", False)])
def test_boolean_parses_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("EXAMPLE_FLAG", raw)

    assert env.boolean("EXAMPLE_FLAG", default=False) is expected


def test_boolean_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("EXAMPLE_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match=r"^EXAMPLE_FLAG must be one of true/false"):
        env.boolean("EXAMPLE_FLAG", default=False)


def test_integer_refuses_text(monkeypatch):
    monkeypatch.setenv("EXAMPLE_COUNT", "ten")

    with pytest.raises(ImproperlyConfigured, match=r"^EXAMPLE_COUNT must be a whole number, not 'ten'\.$"):
        env.integer("EXAMPLE_COUNT", default=1)


def test_strings_split_on_commas_and_drop_blanks(monkeypatch):
    monkeypatch.setenv("EXAMPLE_HOSTS", " api.example.com, ,localhost ")

    assert env.strings("EXAMPLE_HOSTS", default=[]) == ["api.example.com", "localhost"]


def test_choice_refuses_a_value_outside_the_choices(monkeypatch):
    monkeypatch.setenv("EXAMPLE_FORMAT", "xml")

    with pytest.raises(ImproperlyConfigured, match=r"^EXAMPLE_FORMAT must be one of json, console, not 'xml'\.$"):
        env.choice("EXAMPLE_FORMAT", ["json", "console"], default="json")
