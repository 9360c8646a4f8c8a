"""Keeping secret values out of what is written: text, JSON values and bytes.

No Django here: the sandboxed template renderer, a process of its own, uses it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def redact(message: str, secrets: Iterable[str]) -> str:
    """Replace every secret value (as is, JSON-escaped or repr-escaped) in a message with ``***``."""
    for secret in secrets:
        for form in {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1]}:
            if form:
                message = message.replace(form, "***")
    return message


class Redactor:
    """Replaces every secret value of a run by ``***``, in text, in JSON values and in bytes."""

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        self.secrets: list[str] = []
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[Any]) -> None:
        found: set[str] = set()

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                for item in value.values():
                    collect(item)
            elif isinstance(value, list | tuple):
                for item in value:
                    collect(item)
            elif value is not None and not isinstance(value, bool) and str(value):
                found.add(str(value))

        collect(list(secrets))
        self.secrets = sorted(found, key=len, reverse=True)

    def text(self, message: str) -> str:
        return redact(message, self.secrets) if self.secrets else message

    def value(self, value: Any) -> Any:
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(key)): self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def data(self, content: bytes) -> bytes:
        for secret in self.secrets:
            content = content.replace(secret.encode("utf-8"), b"***")
        return content
