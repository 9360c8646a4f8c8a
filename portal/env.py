"""Typed readers for environment variables.

Every setting Atrium reads from the environment goes through these helpers, so that:

* a bad value stops the process at start with an error that names the variable;
* a secret can be given as ``NAME`` or as ``NAME_FILE`` (a path whose content is the value,
  the way Docker and Kubernetes mount secrets);
* the set of variables the settings read is known (``READ``), which the tests compare with
  ``.env.example``, ``docs/configuration.md`` and ``docker-compose.yml``.

Each helper reads the process environment, or the mapping given as ``environ``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
Environ = Mapping[str, str] | None

#: Names of every variable read from the process environment (``*_FILE`` variants implied).
READ: set[str] = set()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ImproperlyConfigured):
    """A variable holds a value the settings cannot use."""

    def __init__(self, name: str, message: str) -> None:
        self.variable = name
        super().__init__(f"Environment variable {name}: {message}")


def _raw(name: str, *, secret: bool = False, environ: Environ = None) -> str | None:
    if environ is None:
        environ = os.environ
        READ.add(name)
    value = environ.get(name)
    if secret:
        file_name = f"{name}_FILE"
        path = environ.get(file_name)
        if path:
            if value:
                raise EnvError(file_name, f"set both {name} and {file_name}; choose one")
            try:
                return Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise EnvError(file_name, f"cannot read {path!r}: {exc.strerror}") from None
    return value


def _parse(name: str, raw: str | None, default: T, parse: Callable[[str], T], expected: str) -> T:
    if raw is None:
        return default
    try:
        return parse(raw)
    except (TypeError, ValueError):
        raise EnvError(name, f"expected {expected}, got {raw!r}") from None


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(raw)


def string(name: str, default: str = "", *, secret: bool = False, environ: Environ = None) -> str:
    raw = _raw(name, secret=secret, environ=environ)
    return default if raw is None else raw


def boolean(name: str, default: bool, *, environ: Environ = None) -> bool:
    return _parse(name, _raw(name, environ=environ), default, _boolean, "true or false")


def integer(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None, environ: Environ = None
) -> int:
    value = _parse(name, _raw(name, environ=environ), default, lambda raw: int(raw.strip()), "an integer")
    if minimum is not None and value < minimum:
        raise EnvError(name, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise EnvError(name, f"must be at most {maximum}, got {value}")
    return value


def string_list(name: str, default: list[str], *, secret: bool = False, environ: Environ = None) -> list[str]:
    raw = _raw(name, secret=secret, environ=environ)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def choice(name: str, default: str, choices: tuple[str, ...], *, environ: Environ = None) -> str:
    value = string(name, default, environ=environ).strip().lower()
    if value not in choices:
        raise EnvError(name, f"expected one of {', '.join(choices)}, got {value!r}")
    return value
