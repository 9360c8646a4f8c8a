"""The HTTP server under the fake services of the tests, on 127.0.0.1, and what every fake shares."""

from __future__ import annotations

import abc
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server that a test can always stop.

    Clients open several connections in a burst, and the default backlog of 5 resets some under load:
    the backlog is 128. The listening socket has a timeout: a client that resets its connection
    between the server's poll and its ``accept()`` would otherwise leave ``accept()`` waiting for
    the next connection, and ``shutdown()`` waiting for it for ever. Accepted connections stay
    blocking (Python makes them so when no default timeout is set).
    """

    request_queue_size = 128
    daemon_threads = True

    def server_activate(self) -> None:
        super().server_activate()
        self.socket.settimeout(0.5)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean (no access log on stderr)."""

    def log_message(self, *args) -> None:
        return


class FakeServer(abc.ABC):
    """A fake service on a free port of 127.0.0.1, served by a thread of its own.

    A subclass gives :meth:`handler_class`, the handler that serves it (usually one that reads its state
    from the fake), and may add what ``start`` and ``stop`` must also bring up and down.
    """

    def __init__(self) -> None:
        self._server = LoopbackServer(("127.0.0.1", 0), self.handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @abc.abstractmethod
    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class that serves this fake."""

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address: the server listens on the loopback
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
