from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    """Builds a client of an app made from the given settings only (no .env file, no APP_* variables)."""

    def make(**settings) -> TestClient:
        return TestClient(create_app(Settings(_env_file=None, **settings)))

    return make


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client(environment="test")
