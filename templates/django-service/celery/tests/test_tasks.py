from datetime import timedelta

import pytest
from django.utils import timezone

from items.models import Item
from items.tasks import archive_stale_items


@pytest.mark.django_db
def test_stale_items_are_archived_once():
    stale = Item.objects.create(name="Stale")
    fresh = Item.objects.create(name="Fresh")
    Item.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=91))

    assert archive_stale_items.apply(kwargs={"older_than_days": 90}).get() == 1
    assert archive_stale_items.apply(kwargs={"older_than_days": 90}).get() == 0

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.archived_at is not None
    assert fresh.archived_at is None
