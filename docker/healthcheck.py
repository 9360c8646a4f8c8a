"""Container health check of the web process: GET a health endpoint of the local gunicorn.

Usage: ``python docker/healthcheck.py [PATH]`` with PATH ``/healthz`` (liveness, the default) or
``/readyz`` (readiness: database, cache and broker). Exits 0 on HTTP 200 and 1 otherwise, printing
the response (Docker keeps it: ``docker inspect --format '{{json .State.Health}}' CONTAINER`` shows
which dependency failed). Uses only the standard library: the image has no curl.

The request carries a ``Host`` header taken from ``ALLOWED_HOSTS``, because Django answers 400 to
any other host, including the loopback address a probe connects to.

In a container whose role (written by docker/entrypoint.sh) is not ``web``, there is no HTTP
server to ask: the check passes, and docker-compose.yml gives the worker a check of its own.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROLE_FILE = Path("/tmp/atrium-role")  # noqa: S108  (written by docker/entrypoint.sh)
PORT = 8000
TIMEOUT = 4.0


def host_header() -> str:
    """A host name Django accepts: the first usable entry of ALLOWED_HOSTS, else localhost."""
    for entry in os.environ.get("ALLOWED_HOSTS", "").split(","):
        entry = entry.strip()
        if entry and entry != "*":
            # ".example.com" allows example.com and its subdomains.
            return entry.lstrip(".")
    return "localhost"


def main(path: str = "/healthz") -> int:
    role = ROLE_FILE.read_text().strip() if ROLE_FILE.is_file() else "web"
    if role != "web":
        print(f"role {role}: no HTTP endpoint to check")
        return 0
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{path}", headers={"Host": host_header(), "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  (http, loopback)
            print(response.status, response.read(2000).decode("utf-8", "replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.code, exc.read(2000).decode("utf-8", "replace"))
    except OSError as exc:
        print(f"no answer from 127.0.0.1:{PORT}{path}: {exc}")
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
