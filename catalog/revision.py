"""The catalog's revision: a number raised by every write to its entities, in the same transaction.

Reads that are expensive to compute and identical for everyone (facet counts) are cached under the
current revision (:func:`cached`): a reader sees either the old revision with the old rows, or the
new revision with the new rows, so a cached value is never served for a catalog it was not computed
from. The cache may be per process (local memory): the revision is read from the database. When the
cache cannot be reached, reads are computed as if nothing were cached (and a warning is logged).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from django.core.cache import cache
from django.db.models import F

from catalog.models import Revision

__all__ = ["bump", "cached", "current"]

log = structlog.get_logger("catalog.revision")
T = TypeVar("T")
_ROW = 1
#: How long a cached read lives at most, though the revision it was computed for is still current.
CACHE_SECONDS = 600
#: Part of every cache key (tests give each test its own, as each starts from the same revision).
KEY_SALT = "1"


def current() -> int:
    return Revision.objects.filter(pk=_ROW).values_list("number", flat=True).first() or 0


def bump() -> None:
    """Raise the revision; call it inside the transaction that changes entities."""
    if not Revision.objects.filter(pk=_ROW).update(number=F("number") + 1):
        Revision.objects.get_or_create(pk=_ROW, defaults={"number": 1})


def cached(name: str, parts: Any, compute: Callable[[], T]) -> T:
    """``compute()``, cached under ``name``, the JSON of ``parts`` and the current revision."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
    key = f"catalog:{name}:{KEY_SALT}:{current()}:{digest}"
    try:
        found = cache.get(key)
    except Exception as error:  # any cache failure: answer without the cache
        log.warning("catalog.cache_unavailable", error=type(error).__name__)
        return compute()
    if found is None:
        found = compute()
        try:
            cache.set(key, found, CACHE_SECONDS)
        except Exception as error:
            log.warning("catalog.cache_unavailable", error=type(error).__name__)
    return found
