import uuid

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fresh_catalog_cache(monkeypatch):
    """Each test starts from the same catalog revision: give its cached catalog reads keys of their own."""
    monkeypatch.setattr("catalog.revision.KEY_SALT", uuid.uuid4().hex)


def make_user(email: str = "dev@example.com", *, staff: bool = False, **extra):
    user = get_user_model().objects.create_user(username=email, email=email, password=PASSWORD, is_staff=staff, **extra)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


@pytest.fixture
def user(db):
    return make_user("dev@example.com", first_name="Dana", last_name="Developer")


@pytest.fixture
def other_user(db):
    return make_user("other@example.com")


@pytest.fixture
def staff_user(db):
    return make_user("admin@example.com", staff=True, is_superuser=True)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread of this process, consuming the run's own queue.

    Tasks reach it through the configured broker (the file broker by default, Redis in CI):
    nothing runs eagerly. Use with ``django_capture_on_commit_callbacks(execute=True)`` or in a
    transactional test so that ``delay_on_commit`` publishes.
    """
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


@pytest.fixture
def log_lines():
    """The log lines written while the test runs, from any thread, parsed from the project's JSON.

    A handler with the project's own formatter (``portal.logging``) on the root logger: call the
    fixture's value to get the lines so far, as dicts.
    """
    import io
    import json
    import logging

    from portal.logging import structured_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structured_formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


@pytest.fixture
def unreachable_database(db):
    """Connections opened from now on, in other threads, go to a database that cannot be opened.

    The default alias's settings are replaced by a copy naming a database in a folder that does not
    exist: SQLite cannot open the file, PostgreSQL has no such database (the name fits its 63
    characters). The test's own connection, already open, is untouched; the settings are restored.
    """
    import uuid

    from django.db import DEFAULT_DB_ALIAS, connections

    missing = f"/atrium-missing-{uuid.uuid4().hex[:12]}/atrium.sqlite3"
    original = connections.settings[DEFAULT_DB_ALIAS]
    connections.settings[DEFAULT_DB_ALIAS] = {**original, "NAME": missing}
    yield
    connections.settings[DEFAULT_DB_ALIAS] = original


@pytest.fixture
def fake_github(settings):
    """A fake GitHub REST API on 127.0.0.1 (``tests.fakes.github``), which CATALOG_GITHUB_API_URL
    points at for the test; add repositories and files to it, read what was requested."""
    from tests.fakes.github import FakeGitHub

    fake = FakeGitHub().start()
    settings.CATALOG_GITHUB_API_URL = fake.url
    settings.CATALOG_GITHUB_TOKEN = "fake-github-token"
    yield fake
    fake.stop()
