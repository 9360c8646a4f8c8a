"""Gunicorn settings of Atrium's web process (``docker/entrypoint.sh web``).

Atrium's own configuration is the environment variables of docs/configuration.md; this file only
shapes the gunicorn server. To change a value without rebuilding the image, give gunicorn options
after the role (``web --workers 8``) or in gunicorn's own ``GUNICORN_CMD_ARGS``: both override
this file. docs/operations.md explains the choices.
"""

from __future__ import annotations

import os

from gunicorn.glogging import Logger


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


bind = "0.0.0.0:8000"

# Threads share a process's memory; each thread holds at most one database connection, kept for
# DATABASE_CONN_MAX_AGE seconds: a container opens up to workers x threads connections.
worker_class = "gthread"
workers = min(_cpus() + 1, 4)
threads = 4

# A request taking longer than this is cut off and its worker restarted.
timeout = 30
# On SIGTERM, requests in flight get this long to finish.
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows unbounded.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat files of the workers: in memory, not on the container's overlay file system.
worker_tmp_dir = "/dev/shm"  # noqa: S108

# Load Django once in the master (a start-up error stops the container at once, with its message,
# and the workers share the loaded code); this also configures logging before gunicorn logs.
preload_app = True
proc_name = "atrium-web"
# gunicorn's control socket (gunicorn 25.1 and later; older versions ignore the name): somewhere the
# non-root user may write, as the default, in its home directory /app, is read-only.
control_socket = "/tmp/gunicorn.ctl"  # noqa: S108

# Whether a request came over HTTPS is Django's decision alone (TRUST_X_FORWARDED_PROTO); gunicorn
# must not draw its own conclusion from X-Forwarded-Proto and friends.
secure_scheme_headers: dict[str, str] = {}

# RequestIdMiddleware logs every request (with its request id), so no access log of gunicorn's.
accesslog = None
errorlog = "-"


class StructuredLogger(Logger):
    """Send gunicorn's own lines through the root logger, which portal.logging renders as JSON."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True


logger_class = StructuredLogger
