import pytest
from pydantic import ValidationError

from app.config import Settings


def test_settings_come_from_app_variables(monkeypatch):
    monkeypatch.setenv("APP_ENVIRONMENT", "staging")
    monkeypatch.setenv("APP_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("APP_DEPENDENCIES", '{"database": "db.internal:5432"}')

    settings = Settings(_env_file=None)

    assert (settings.environment, settings.log_level, settings.dependencies) == (
        "staging",
        "WARNING",
        {"database": "db.internal:5432"},
    )


def test_an_unknown_log_level_is_refused(monkeypatch):
    monkeypatch.setenv("APP_LOG_LEVEL", "LOUD")

    with pytest.raises(ValidationError, match="log_level"):
        Settings(_env_file=None)
