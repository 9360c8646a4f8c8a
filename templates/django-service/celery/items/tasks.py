from datetime import timedelta

import structlog
from celery import shared_task
from django.utils import timezone

from items.models import Item

logger = structlog.get_logger(__name__)


@shared_task
def archive_stale_items(older_than_days: int = 90) -> int:
    """Archive the active items created more than ``older_than_days`` ago; returns how many.

    Safe to run twice (it only touches items not archived yet), as acks_late requires.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    count = Item.objects.filter(archived_at__isnull=True, created_at__lt=cutoff).update(archived_at=timezone.now())
    logger.info("archived stale items", count=count, older_than_days=older_than_days)
    return count
