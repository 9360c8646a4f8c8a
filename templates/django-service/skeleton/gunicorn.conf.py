"""Gunicorn's settings (it reads this file from the working directory), tuned through the environment."""

import os

from prometheus_client import multiprocess

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Requests are logged by the application, as JSON with their request id.
accesslog = None
errorlog = "-"
# No runtime control socket (gunicorn 25+): the container is managed by its orchestrator.
control_socket_disable = True


def child_exit(server, worker) -> None:
    """Let /metrics forget a stopped worker's live gauges (the metrics of all workers are merged)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
