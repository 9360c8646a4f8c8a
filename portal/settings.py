"""Atrium settings: one module, driven by environment variables.

Every variable is documented in ``docs/configuration.md`` and ``.env.example``. The defaults are the
embedded ones (SQLite, a file broker, local-memory cache, console e-mail) so the portal runs on a
laptop with nothing installed; ``portal.checks`` refuses them when ``DEBUG`` is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url

from portal import env

BASE_DIR = Path(__file__).resolve().parent.parent

# The insecure defaults below are only acceptable with DEBUG on; portal.checks enforces that.
DEV_SECRET_KEY = "atrium-development-only-insecure-secret-key"  # noqa: S105
DEV_ENCRYPTION_KEY = "YXRyaXVtLWRldmVsb3BtZW50LW9ubHktZmVybmV0LWs="
DEV_API_TOKEN_PEPPER = "atrium-development-only-api-token-pepper"  # noqa: S105

DEBUG = env.boolean("DEBUG", False)
SECRET_KEY = env.string("SECRET_KEY", DEV_SECRET_KEY, secret=True)
ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS", [])
DATA_DIR = Path(env.string("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

#: Fernet keys for secrets stored in the database; the first encrypts, all decrypt (rotation).
ENCRYPTION_KEYS = env.string_list("ENCRYPTION_KEYS", [DEV_ENCRYPTION_KEY] if DEBUG else [], secret=True)
#: Server-side secret mixed into API token digests (HMAC-SHA256).
API_TOKEN_PEPPER = env.string("API_TOKEN_PEPPER", DEV_API_TOKEN_PEPPER if DEBUG else "", secret=True)

INSTALLED_APPS = [
    "django_prometheus",
    "portal",  # first, so that its templates override allauth's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "catalog",
    "scaffolder",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.ApiGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.LoginRequiredMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.shell",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = env.string("DATABASE_URL", f"sqlite:///{DATA_DIR / 'atrium.sqlite3'}", secret=True)
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
except ValueError as exc:  # unknown scheme, malformed URL
    raise env.EnvError("DATABASE_URL", str(exc)) from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    _database["CONN_MAX_AGE"] = env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    _database.setdefault("OPTIONS", {})["connect_timeout"] = 5
    # The catalog's queries are short; JIT compilation only adds latency to them.
    _database["OPTIONS"]["options"] = "-c jit=off"
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
REDIS_URL = env.string("REDIS_URL", "", secret=True)
CACHE_KEY_PREFIX = env.string("CACHE_KEY_PREFIX", "atrium")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "atrium",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # Django's default keeps 300 entries; the catalog caches facet counts per field and search.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# --- Celery -----------------------------------------------------------------------------------
# The file transport ignores the host; naming one keeps kombu from warning that none was supplied.
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", "filesystem://localhost//", secret=True)
CELERY_VISIBILITY_TIMEOUT = env.integer("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 1800, minimum=10)
if CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise env.EnvError(
        "CELERY_TASK_TIME_LIMIT",
        f"must be below CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT} s), "
        "or the broker redelivers tasks that are still running",
    )
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(5, CELERY_TASK_TIME_LIMIT // 10)
CELERY_TASK_DEFAULT_QUEUE = env.string("CELERY_TASK_DEFAULT_QUEUE", "atrium")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    for _folder in (_broker_dir / "out", _broker_dir / "processed", _broker_dir / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {
            "data_folder_in": str(_broker_dir / "out"),
            "data_folder_out": str(_broker_dir / "out"),
            "processed_folder": str(_broker_dir / "processed"),
            "control_folder": str(_broker_dir / "control"),
            "store_processed": False,
            # The file broker polls its folders; a tenth of a second keeps tasks starting at once.
            "polling_interval": 0.1,
        }
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Authentication ---------------------------------------------------------------------------
from portal.accounts import email_verification, social_providers  # noqa: E402

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = email_verification(debug=DEBUG)
ACCOUNT_ALLOW_SIGNUP = env.boolean("ACCOUNT_ALLOW_SIGNUP", True)
ACCOUNT_ADAPTER = "portal.accounts.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
# Failed sign-ins: at most 10 a minute per IP address and 5 per 5 minutes per account.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
SOCIALACCOUNT_ADAPTER = "portal.accounts.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
#: GitHub and Google are enabled when their client id and secret are set (see portal.accounts).
SOCIALACCOUNT_PROVIDERS = social_providers()
#: Reverse proxies in front of Atrium that append to X-Forwarded-For: the per-IP sign-in limits
#: must count the client's address, not the proxy's (0: use the connection's address).
ALLAUTH_TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_URL = env.string("EMAIL_URL", "console:", secret=True)
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Atrium <atrium@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def _email_settings(url: str) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme in {"smtp", "smtp+tls", "smtps"}:
        if not parts.hostname:
            raise env.EnvError("EMAIL_URL", "an smtp URL needs a host, e.g. smtp://mail.example.com:25")
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": parts.port or {"smtp": 25, "smtp+tls": 587, "smtps": 465}[scheme],
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["10"])[0]),
        }
    raise env.EnvError("EMAIL_URL", f"unknown scheme {scheme!r}; use console:, smtp://, smtp+tls:// or smtps://")


globals().update(_email_settings(EMAIL_URL))

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.permissions.ApiAccess"],
    "DEFAULT_SCHEMA_CLASS": "portal.api.errors.ApiSchema",
    # DRF's parsers, refusing a NUL character anywhere in a body.
    "DEFAULT_PARSER_CLASSES": [
        "portal.params.JSONParser",
        "portal.params.FormParser",
        "portal.params.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")
SPECTACULAR_SETTINGS = {
    "TITLE": "Atrium API",
    "DESCRIPTION": "The REST API of Atrium. Authenticate with an API token: `Authorization: Bearer atr_…`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["portal.permissions.ApiAccess"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/[a-z]+/",
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "portal.models.runs.RunStatus",
        "RunStepStatusEnum": "portal.models.runs.StepStatus",
    },
}

# --- Internationalisation, static files -------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.string("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.boolean("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Deliberately not preloaded: the browser preload list is for public apex domains and leaving
    # it takes months; an internal portal on a company subdomain has no place there.
    SECURE_HSTS_PRELOAD = False
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # Plain HTTP chosen explicitly (docker-compose.yml on localhost): a decision taken, which the
    # deploy checks need not warn about again.
    if not SECURE_SSL_REDIRECT:
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    if not SESSION_COOKIE_SECURE:
        SILENCED_SYSTEM_CHECKS += ["security.W012", "security.W016"]
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env.boolean("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env.choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
LOG_FORMAT = env.choice("LOG_FORMAT", "json", ("json", "console"))
LOGGING_CONFIG = None  # portal.logging configures logging once, for web and workers alike

from portal.logging import configure_logging  # noqa: E402

configure_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)

# --- Atrium -----------------------------------------------------------------------------------
#: Public URL of the portal, used in links sent by e-mail.
SITE_URL = env.string("SITE_URL", "http://localhost:8000").rstrip("/")
#: Prometheus metrics: django_prometheus exports /metrics through portal.urls.
PROMETHEUS_EXPORT_MIGRATIONS = False
#: Seconds a readiness probe waits for each dependency.
READINESS_TIMEOUT = 1.0

# --- Background runs (portal.runs) ------------------------------------------------------------
#: Days a finished run is kept before the daily portal.prune_runs deletes it (kinds that keep their
#: runs, such as golden-path tasks, are never pruned). JOB_RETENTION_DAYS is its former name.
RUN_RETENTION_DAYS = env.integer(
    "RUN_RETENTION_DAYS",
    30 if env.string("RUN_RETENTION_DAYS") else env.integer("JOB_RETENTION_DAYS", 30, minimum=1),
    minimum=1,
)
#: Seconds between two heartbeats of a running run.
RUN_HEARTBEAT_SECONDS = env.integer("RUN_HEARTBEAT_SECONDS", 10, minimum=1)
#: A running run whose heartbeat is older than this many seconds has lost its worker: the next worker
#: (or the sweep) takes it over at the step it was in.
RUN_STALE_AFTER = env.integer("RUN_STALE_AFTER", 60, minimum=2)
if RUN_STALE_AFTER <= 2 * RUN_HEARTBEAT_SECONDS:
    raise env.EnvError("RUN_STALE_AFTER", f"must be more than twice RUN_HEARTBEAT_SECONDS ({RUN_HEARTBEAT_SECONDS} s)")
#: Seconds between two sweeps (portal.sweep_runs on beat) for runs no message will bring back.
RUN_SWEEP_SECONDS = env.integer("RUN_SWEEP_SECONDS", 60, minimum=1)
#: A pending run whose last message is older than this many seconds is published again by the sweep.
RUN_REPUBLISH_AFTER = env.integer("RUN_REPUBLISH_AFTER", 300, minimum=1)

# --- GitHub -----------------------------------------------------------------------------------
# Shared by every app through portal.integrations.github; CATALOG_GITHUB_* and SCAFFOLDER_GITHUB_*
# below override the API URL and the token for one app.
#: REST API of GitHub: https://HOST/api/v3 for GitHub Enterprise Server.
GITHUB_API_URL = env.string("GITHUB_API_URL", "https://api.github.com").rstrip("/")
#: Token every app talks to GitHub with, unless it has a token of its own or a GitHub App is configured.
GITHUB_TOKEN = env.string("GITHUB_TOKEN", "", secret=True)
#: A GitHub App installation instead of a token: the App's id, its private key (PEM) and the installation.
GITHUB_APP_ID = env.string("GITHUB_APP_ID", "").strip()
GITHUB_APP_PRIVATE_KEY = env.string("GITHUB_APP_PRIVATE_KEY", "", secret=True)
GITHUB_APP_INSTALLATION_ID = env.integer("GITHUB_APP_INSTALLATION_ID", 0, minimum=0)

# --- Golden paths -----------------------------------------------------------------------------
#: Folder of the scaffolder's per-task workspaces (deleted when each task ends).
SCAFFOLDER_WORKSPACE_DIR = Path(env.string("SCAFFOLDER_WORKSPACE_DIR", str(DATA_DIR / "workspaces"))).resolve()
#: Token of publish:github, github:actions:dispatch and fetch actions reading templates on GitHub;
#: empty: the shared GitHub credentials (GITHUB_TOKEN or the GitHub App).
SCAFFOLDER_GITHUB_TOKEN = env.string("SCAFFOLDER_GITHUB_TOKEN", "", secret=True)
#: REST API of the GitHub the scaffolder publishes to; empty: GITHUB_API_URL.
SCAFFOLDER_GITHUB_API_URL = env.string("SCAFFOLDER_GITHUB_API_URL", "").rstrip("/")
#: Bare repositories publish:git creates when a template names no remote (the embedded default).
SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = Path(
    env.string("SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR", str(DATA_DIR / "git"))
).resolve()
#: Working copies of those repositories, which catalog:register reads (the catalog may always read them).
SCAFFOLDER_GIT_CHECKOUT_DIR = Path(env.string("SCAFFOLDER_GIT_CHECKOUT_DIR", str(DATA_DIR / "git-checkouts"))).resolve()
#: Seconds of CPU time one rendering (a step's input, a skeleton) may use; wall-clock time is three times that.
SCAFFOLDER_RENDER_TIME_LIMIT = env.integer("SCAFFOLDER_RENDER_TIME_LIMIT", 10, minimum=1)
#: Seconds the dry-run API waits for its task before answering 504.
SCAFFOLDER_DRY_RUN_TIMEOUT = env.integer("SCAFFOLDER_DRY_RUN_TIMEOUT", 30, minimum=1)
#: Seconds GET /api/scaffolder/v2/tasks/{id}/events waits for a new event of a running task (long polling).
SCAFFOLDER_EVENTS_WAIT = env.integer("SCAFFOLDER_EVENTS_WAIT", 10, minimum=0, maximum=25)

# --- Catalog ----------------------------------------------------------------------------------
#: Token the catalog reads GitHub with (contents of repositories, organisation discovery); empty:
#: the shared GitHub credentials, and without those anonymous (60 requests an hour).
CATALOG_GITHUB_TOKEN = env.string("CATALOG_GITHUB_TOKEN", "", secret=True)
#: REST API of the GitHub the catalog reads; empty: GITHUB_API_URL.
CATALOG_GITHUB_API_URL = env.string("CATALOG_GITHUB_API_URL", "").rstrip("/")
#: Secret of the GitHub webhook (POST /api/catalog/webhooks/github); empty: the webhook is refused.
CATALOG_GITHUB_WEBHOOK_SECRET = env.string("CATALOG_GITHUB_WEBHOOK_SECRET", "", secret=True)
#: Hosts (or host:port) whose http(s) URLs the catalog may read; GitHub is read through its API.
CATALOG_URL_ALLOWED_HOSTS = env.string_list("CATALOG_URL_ALLOWED_HOSTS", [])
#: Largest file the catalog reads (descriptor, or $text/$json/$yaml target), in bytes.
CATALOG_READ_MAX_BYTES = env.integer("CATALOG_READ_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
#: Seconds a read of a URL may take in all.
CATALOG_READ_TIMEOUT = env.integer("CATALOG_READ_TIMEOUT", 10, minimum=1)
#: Folders that file locations (and their Location targets and $text files) may read.
CATALOG_FILE_ROOTS = [
    str(Path(root).expanduser().resolve()) for root in env.string_list("CATALOG_FILE_ROOTS", [str(BASE_DIR)])
]
#: Minutes between two scheduled refreshes of every location.
CATALOG_REFRESH_INTERVAL = env.integer("CATALOG_REFRESH_INTERVAL", 30, minimum=1)
