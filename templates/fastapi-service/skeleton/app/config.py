"""Every setting of the service, read from APP_* environment variables (see .env.example)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env", extra="ignore", frozen=True)

    service_name: str = "${{ values.name }}"
    environment: str = Field("development", description="Where this instance runs: development, staging, production.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    dependencies: dict[str, str] = Field(
        default_factory=dict,
        description='What /readyz checks, as JSON: name → "host:port", e.g. {"database": "db.internal:5432"}.',
    )
    readiness_timeout: float = Field(2.0, gt=0, description="Seconds each readiness check may take.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
