"""The fake services' HTTP server can always be stopped."""

import threading
from http.server import BaseHTTPRequestHandler

from tests.fakes.server import LoopbackServer


def test_accepting_with_no_connection_waiting_gives_up_instead_of_blocking():
    # What a client that resets its connection between the server's poll and its accept() leaves:
    # accept() with nothing to accept. It must return, or shutdown() would wait for ever.
    server = LoopbackServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    try:
        attempt = threading.Thread(
            target=server._handle_request_noblock,  # type: ignore[attr-defined]  # socketserver's, not in typeshed
            daemon=True,
        )
        attempt.start()
        attempt.join(timeout=5)

        assert not attempt.is_alive()
    finally:
        server.server_close()
