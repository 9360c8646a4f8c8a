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

__all__ = ["bump", "cached", "cached_each", "current"]

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


def _key(name: str, number: int, parts: Any) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"catalog:{name}:{KEY_SALT}:{number}:{digest}"


def _unavailable(error: Exception) -> None:
    log.warning("catalog.cache_unavailable", error=type(error).__name__)


def cached(name: str, parts: Any, compute: Callable[[], T], *, number: int | None = None) -> T:
    """``compute()``, cached under ``name``, the JSON of ``parts`` and the revision (``number``, read
    from the database when not given)."""
    key = _key(name, current() if number is None else number, parts)
    try:
        found = cache.get(key)
    except Exception as error:  # any cache failure: answer without the cache
        _unavailable(error)
        return compute()
    if found is None:
        found = compute()
        try:
            cache.set(key, found, CACHE_SECONDS)
        except Exception as error:
            _unavailable(error)
    return found


def cached_each(
    name: str, parts: dict[str, Any], compute: Callable[[list[str]], dict[str, T]], *, number: int | None = None
) -> dict[str, T]:
    """Items cached one by one (``parts``: each item's key parts), those missing computed together by
    ``compute(missing items)``: what one request computed, another with a part in common reuses."""
    number = current() if number is None else number
    keys = {item: _key(name, number, item_parts) for item, item_parts in parts.items()}
    try:
        found = cache.get_many(list(keys.values()))
    except Exception as error:
        _unavailable(error)
        return compute(list(parts))
    result = {item: found[key] for item, key in keys.items() if key in found}
    missing = [item for item in parts if item not in result]
    if missing:
        computed = compute(missing)
        result.update(computed)
        try:
            cache.set_many({keys[item]: computed[item] for item in missing}, CACHE_SECONDS)
        except Exception as error:
            _unavailable(error)
    return result
