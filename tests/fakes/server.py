"""The HTTP server under the fake services of the tests, on 127.0.0.1."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


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
