"""An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, and can answer with a failure."""

from __future__ import annotations

import email
import socket
from email.message import Message

from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakeSmtp:
    """``messages``: what was delivered; ``fail_next(code, text, times)``: answer DATA with an error."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._failures: list[str] = []
        self.port = _free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def fail_next(self, code: int, text: str, times: int = 1) -> None:
        self._failures.extend([f"{code} {text}"] * times)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self._failures:
            return self._failures.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"

    def start(self) -> FakeSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
