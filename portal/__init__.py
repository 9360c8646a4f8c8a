"""The project package. ``celery_app`` (Celery's ``-A portal``) is loaded when first asked for, and
by ``PortalConfig.ready`` in every Django process, so that a bare process importing a Django-free
module of the package (the templating sandbox imports ``portal.redaction``) does not start Celery."""

from __future__ import annotations

from typing import Any

__all__ = ["celery_app"]


def __getattr__(name: str) -> Any:
    if name == "celery_app":
        from portal.celery import app

        return app
    raise AttributeError(f"module 'portal' has no attribute {name!r}")
