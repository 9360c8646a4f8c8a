"""The built-in actions of golden-path templates; :func:`load` registers them (``ScaffolderConfig.ready``)."""

from __future__ import annotations

import importlib

MODULES = ("catalog", "debug", "fetch", "github", "publish")


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"scaffolder.actions.{name}")
