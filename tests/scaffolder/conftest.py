"""Fixtures of the scaffolder's engine, action and service tests (folders of their own, a writable fake GitHub)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.fakes.github_write import FakeGitHubWrite


@pytest.fixture
def scaffolder_dirs(settings, tmp_path) -> Path:
    """Workspaces, local git repositories and their working copies under the test's own folder, which the
    catalog may read (templates and people files are written there too)."""
    root = tmp_path / "scaffolder"
    settings.SCAFFOLDER_WORKSPACE_DIR = root / "workspaces"
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = root / "git"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = root / "git-checkouts"
    settings.CATALOG_FILE_ROOTS = [str(django_settings.BASE_DIR), str(tmp_path)]
    settings.SCAFFOLDER_RENDER_TIME_LIMIT = 3
    return root


@pytest.fixture
def github_fake(settings, tmp_path):
    """A fake GitHub that can create repositories (pushed to over git's smart HTTP), for the scaffolder and
    for the catalog reading what it published."""
    fake = FakeGitHubWrite(tmp_path / "github-git").start()
    settings.SCAFFOLDER_GITHUB_API_URL = fake.url
    settings.SCAFFOLDER_GITHUB_TOKEN = fake.token
    settings.CATALOG_GITHUB_API_URL = fake.url
    settings.CATALOG_GITHUB_TOKEN = fake.token
    yield fake
    fake.stop()
