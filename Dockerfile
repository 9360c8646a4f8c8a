# syntax=docker/dockerfile:1
#
# Atrium's image: one image for every process. The command picks the role (docker/entrypoint.sh):
#   web (default)  gunicorn on port 8000
#   worker         a Celery worker
#   beat           Celery beat (run exactly one)
#   migrate        apply database migrations, then exit
#   manage ARGS    any manage.py command, e.g. `manage api_token create alice`
# web, worker, beat and migrate first run `manage.py check --deploy --fail-level WARNING` and refuse
# to start on unsafe production settings. Configuration: docs/configuration.md.

ARG PYTHON_VERSION=3.11

# --- builder: a virtualenv with Atrium's dependencies -----------------------------------------
FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# The dependencies first, in a layer of their own: it is rebuilt only when pyproject.toml changes.
# Every dependency ships wheels for linux/amd64 and linux/arm64 (psycopg[binary] brings libpq),
# so the builder needs no compiler.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt

# Then the project itself (`pip install .`), which also proves that pyproject.toml builds.
COPY . .
RUN pip install --no-deps .

# --- runtime -----------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime

# No extra system packages: the Python wheels carry the libraries they need.
RUN groupadd --system --gid 10001 atrium \
    && useradd --system --uid 10001 --gid atrium --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin atrium

COPY --from=builder /opt/venv /opt/venv

# The source tree in /app is what runs: PYTHONPATH puts it ahead of the installed package, whose
# wheel carries only the Python modules (no templates, static files or golden-path templates).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app
COPY . /app

# /srv/atrium/shared is where a deployment mounts the volume that web and workers share (the local
# git repositories publish:git creates by default): created here so that a new volume is atrium's.
# Static files are collected at build time into DATA_DIR/static, DATA_DIR being its default, /app/var
# (do not mount a volume there, nor set DATA_DIR elsewhere: the collected files would be hidden).
# collectstatic runs only the staticfiles checks, so no secret is needed here; DEBUG is off (its
# default) so the files get hashed names and whitenoise's manifest. The broker URL only keeps
# the settings from creating the embedded file broker's folders in the image; nothing connects.
RUN CELERY_BROKER_URL=redis://build.invalid:6379/0 python manage.py collectstatic --no-input --verbosity 0 \
    && chmod 0755 docker/entrypoint.sh \
    && chown atrium:atrium /app/var \
    && mkdir -p /srv/atrium/shared \
    && chown atrium:atrium /srv/atrium/shared

USER atrium:atrium

EXPOSE 8000

# Liveness of the web process (/healthz does no I/O). docker-compose.yml replaces it with /readyz
# for web and with a Celery ping for the worker.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py", "/healthz"]

ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
