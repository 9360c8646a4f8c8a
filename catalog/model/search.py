"""The search rows of an entity (Backstage's ``search`` table) and its free text.

:func:`search_entries` flattens an entity the way Backstage's ``buildEntitySearch`` (catalog-backend
4.0.0) does, so that filters such as ``spec.owner=group:default/team-a``, ``metadata.tags=java``,
``metadata.tags.java`` (a ``true`` row for each string of a list) or ``relations.ownedby=...`` mean
the same in Atrium as in Backstage:

* every scalar leaf gives a row keyed by its dotted path; a list gives one row per item under the
  list's own path, and for each string item also a row ``<path>.<item>`` with the value ``true``;
* ``attachments``, ``relations``, ``status``, ``metadata.uid`` and ``metadata.etag`` are not walked;
  ``metadata.name``, ``metadata.namespace`` (``default`` when absent) and ``metadata.uid`` are added
  explicitly, then one ``relations.<type>`` row per outgoing relation, ordered by type and target;
* keys and values are lower-cased; a key longer than 200 characters is left out and a value longer
  than 200 characters is kept as a row with no value; repeated ``(key, value)`` pairs are dropped.

Lengths are counted as JavaScript counts them (UTF-16 code units), which never exceeds the column's
200 characters.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time

from .refs import DEFAULT_NAMESPACE, RefError, entity_ref

MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 200

_NOT_WALKED = frozenset(
    {"attachments", "relations", "status", "metadata.name", "metadata.namespace", "metadata.uid", "metadata.etag"}
)


def _js_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _js_string(value: object) -> str:
    """``String(value)`` as JavaScript writes a JSON scalar."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def scalar_value(value: object) -> str:
    """The value of a single-valued field as its search row holds it: lower-cased, ``""`` for none,
    a list or an object, or a value longer than a search value may be (the denormalised columns that
    facets and sorting read hold this, so that they agree with the search rows)."""
    if value is None or isinstance(value, list | dict):
        return ""
    text = _js_string(value)
    lowered = text.lower()
    if _js_length(lowered) > MAX_VALUE_LENGTH or _js_length(text) > MAX_VALUE_LENGTH:
        return ""
    return lowered


def _walk(entity: dict) -> list[tuple[str, object]]:
    """(path, scalar) pairs of the whole entity, in document order, paths in their original case."""
    output: list[tuple[str, object]] = []
    seen_item_keys: set[str] = set()

    def visit(path: str, current: object) -> None:
        if path in _NOT_WALKED:
            return
        if isinstance(current, list):
            for item in current:
                visit(path, item)
                if isinstance(item, str):
                    item_key = f"{path}.{item}"
                    if item_key.lower() not in seen_item_keys:
                        seen_item_keys.add(item_key.lower())
                        output.append((item_key, True))
            return
        if isinstance(current, dict):
            for key, value in current.items():
                visit(f"{path}.{key}" if path else str(key), value)
            return
        output.append((path, current))

    visit("", entity)
    return output


#: The lists Backstage's BuiltinKindsEntityProcessor sorts before storing an entity.
_SORTED_LISTS = ("providesApis", "consumesApis", "dependsOn", "dependencyOf", "memberOf", "children", "members")


def _as_stored(entity: dict) -> dict:
    """The entity with the reference lists sorted, as Backstage stores it (this decides which spelling
    of two items differing only in case gives the ``original_value`` of their row)."""
    spec = entity.get("spec")
    if not isinstance(spec, dict):
        return entity
    changed = {
        field: sorted(spec[field])
        for field in _SORTED_LISTS
        if isinstance(spec.get(field), list) and all(isinstance(item, str) for item in spec[field])
    }
    return {**entity, "spec": {**spec, **changed}} if changed else entity


def _raw_pairs(entity: dict) -> list[tuple[str, object]]:
    pairs = _walk(_as_stored(entity))
    metadata = found if isinstance(found := entity.get("metadata"), dict) else {}
    pairs.append(("metadata.name", metadata.get("name")))
    namespace = metadata.get("namespace")
    pairs.append(("metadata.namespace", namespace if namespace else DEFAULT_NAMESPACE))
    if metadata.get("uid") is not None:
        pairs.append(("metadata.uid", metadata.get("uid")))
    return pairs


def case_conflicts(entity: dict) -> list[tuple[str, str]]:
    """Pairs ``(path, earlier path)`` of keys that differ only in letter case (``metadata.labels.Team``
    and ``metadata.labels.team``): Backstage refuses such an entity, as its search keys would clash."""
    first_spelling: dict[str, str] = {}
    conflicts: list[tuple[str, str]] = []
    for path, _value in _raw_pairs(entity):
        earlier = first_spelling.setdefault(path.lower(), path)
        if earlier != path and (path, earlier) not in conflicts:
            conflicts.append((path, earlier))
    return conflicts


def search_entries(entity: dict, relations: list[tuple[str, str, str]]) -> list[tuple[str, str | None, str | None]]:
    """``(key, lower-cased value or None, original value or None)`` rows for one entity.

    ``relations`` are ``(source_key, type, target_key)`` triples; those whose source is this entity
    give ``relations.<type>`` rows.
    """
    pairs = _raw_pairs(entity)
    try:
        own_key = entity_ref(entity).key()
    except RefError:
        own_key = None
    outgoing = sorted({(kind, target) for source, kind, target in relations if source == own_key})
    pairs.extend((f"relations.{kind}", target) for kind, target in outgoing)

    rows: list[tuple[str, str | None, str | None]] = []
    seen: set[tuple[str, str | None]] = set()
    for raw_key, raw_value in pairs:
        key = raw_key.lower()
        if _js_length(key) > MAX_KEY_LENGTH:
            continue
        value: str | None = None
        original: str | None = None
        if raw_value is not None:
            text = _js_string(raw_value)
            lowered = text.lower()
            if _js_length(lowered) <= MAX_VALUE_LENGTH and _js_length(text) <= MAX_VALUE_LENGTH:
                value, original = lowered, text
        if (key, value) not in seen:
            seen.add((key, value))
            rows.append((key, value, original))
    return rows


def search_text(entity: dict) -> str:
    """Lower-cased words to search: name, title, description, tags, kind, spec.type, owner, system
    and lifecycle, as written."""
    metadata = found if isinstance(found := entity.get("metadata"), dict) else {}
    spec = found if isinstance(found := entity.get("spec"), dict) else {}
    parts: list[object] = [metadata.get("name"), metadata.get("title"), metadata.get("description")]
    tags = metadata.get("tags")
    if isinstance(tags, list):
        parts.extend(tags)
    parts.append(entity.get("kind"))
    parts.extend(spec.get(field) for field in ("type", "owner", "system", "lifecycle"))
    words = [" ".join(part.split()) for part in parts if isinstance(part, str)]
    return " ".join(word for word in words if word).lower()
