import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="dana", password="correct-horse-battery-staple")


@pytest.fixture
def signed_in(api_client, user) -> APIClient:
    api_client.force_authenticate(user=user)
    return api_client
{% if values.celery %}

@pytest.fixture(autouse=True)
def _in_memory_broker(settings):
    """Tests talk to an in-memory broker; a test that needs another one sets its own."""
    settings.CELERY_BROKER_URL = "memory://"
{% endif %}