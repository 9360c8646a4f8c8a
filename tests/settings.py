"""Settings for the test suite: production settings (DEBUG off) with test-only secrets.

The environment decides the database, cache and broker: SQLite, local memory and the file broker
by default; PostgreSQL and Redis when DATABASE_URL, REDIS_URL and CELERY_BROKER_URL are set.
"""

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-that-is-long-enough-for-the-checks")
os.environ.setdefault("ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMtISE=")
os.environ.setdefault("API_TOKEN_PEPPER", "test-only-api-token-pepper-long-enough")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
# A data folder of the run's own (SQLite files, the file broker's queue folders, static files).
_data_dir = tempfile.mkdtemp(prefix="atrium-test-")
atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ.setdefault("DATA_DIR", _data_dir)
# Each run consumes from a queue of its own, so runs sharing a broker never take each other's tasks.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"atrium-test-{uuid.uuid4().hex[:12]}")

from portal.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# GitHub is the fakes of tests/fakes: no GitHub credentials of the environment running the suite may
# reach them (or GitHub itself).
GITHUB_API_URL = "https://api.github.com"
GITHUB_TOKEN = ""
GITHUB_APP_ID = ""
GITHUB_APP_PRIVATE_KEY = ""
GITHUB_APP_INSTALLATION_ID = 0
CATALOG_GITHUB_API_URL = ""
CATALOG_GITHUB_TOKEN = ""
SCAFFOLDER_GITHUB_API_URL = ""
SCAFFOLDER_GITHUB_TOKEN = ""
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared-cache memory database: the worker, heartbeat and test threads each
    # get a connection of their own that waits for a lock (busy_timeout, WAL) as the embedded default
    # does, instead of failing at once with "database table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(Path(_data_dir) / "test.sqlite3")}  # noqa: F405
