"""Run ``manage.py check --deploy`` with production-shaped settings.

The values are throwaway ones generated here: the point is to prove that a production
configuration passes every deploy check, including Atrium's own (``portal.checks``).
"""

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet

env = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://atrium@db.invalid:5432/atrium",
    "REDIS_URL": "redis://cache.invalid:6379/0",
    "CELERY_BROKER_URL": "redis://cache.invalid:6379/1",
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "API_TOKEN_PEPPER": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "atrium.example.com",
    "SITE_URL": "https://atrium.example.com",
}
sys.exit(subprocess.call([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env))
