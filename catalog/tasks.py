"""Celery tasks of the catalog: thin, scheduled by django-celery-beat."""

from __future__ import annotations

import uuid

from celery import shared_task

from catalog import services


@shared_task(name=services.REFRESH_ALL_TASK)
def refresh_all() -> uuid.UUID:
    """Start the ``catalog.refresh_all`` job (every CATALOG_REFRESH_INTERVAL minutes)."""
    return services.refresh_all().pk
