#!/bin/sh
# Atrium's container entrypoint. The first argument picks the role:
#
#   web [GUNICORN OPTIONS]    gunicorn serving Atrium on port 8000 (docker/gunicorn.conf.py)
#   worker [CELERY OPTIONS]   a Celery worker, e.g. `worker --concurrency 8`
#   beat [CELERY OPTIONS]     Celery beat with django-celery-beat's schedule; run exactly one
#   migrate [OPTIONS]         `manage.py migrate`, then exit (the one-shot upgrade step)
#   manage COMMAND [ARGS]     any manage.py command, e.g. `manage api_token create alice`
#   anything else             run as given, e.g. `sh`
#
# web, worker, beat and migrate first run Django's deploy checks with Atrium's own
# (portal/checks.py) and stop, with the reasons, on any warning or error: an unsafe production
# configuration never starts. Every role replaces this shell (exec), so the process receives the
# container's signals directly: SIGTERM is a graceful stop for gunicorn and Celery alike.
set -eu

cd "$(dirname "$0")/.."

role="${1:-web}"
if [ "$#" -gt 0 ]; then
    shift
fi

deploy_checks() {
    # Issues go to stderr and stop the start; the "no issues" line is dropped from stdout, so that
    # the container's output stays JSON log lines.
    python manage.py check --deploy --fail-level WARNING > /dev/null
}

remember_role() {
    # Read by docker/healthcheck.py, which only probes HTTP in a web container.
    printf '%s\n' "$role" > /tmp/atrium-role 2>/dev/null || true
}

case "$role" in
    web)
        remember_role
        deploy_checks
        exec gunicorn --config docker/gunicorn.conf.py "$@" portal.wsgi:application
        ;;
    worker)
        remember_role
        deploy_checks
        exec celery --quiet --app portal worker --hostname "atrium@%h" "$@"
        ;;
    beat)
        remember_role
        deploy_checks
        exec celery --quiet --app portal beat "$@"
        ;;
    migrate)
        remember_role
        deploy_checks
        exec python manage.py migrate --no-input "$@"
        ;;
    manage)
        exec python manage.py "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
