"""Entity references: ``[<kind>:][<namespace>/]<name>``, as Backstage's catalog model reads them.

An entity's identity is ``kind:namespace/name`` compared without regard to case: :meth:`EntityRef.key`
is that lower-cased form (what Backstage's ``stringifyEntityRef`` returns and what ``Entity.ref``
stores), while the parts keep the spelling they were written with, for display.

A reference written in a descriptor may leave out its kind and namespace: the field it is written in
gives the default kind (``spec.owner`` → ``Group``), and the namespace defaults to the namespace of the
entity that holds the reference (``default`` when that has none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DEFAULT_NAMESPACE = "default"

_FORM = "[<kind>:][<namespace>/]<name>"


class RefError(ValueError):
    """A reference that cannot be read as ``[<kind>:][<namespace>/]<name>``."""


@dataclass(frozen=True)
class EntityRef:
    """A full reference: kind, namespace and name, each in its original spelling."""

    kind: str
    namespace: str
    name: str

    def key(self) -> str:
        """``kind:namespace/name``, all lower-cased: the identity of the entity referred to."""
        return f"{self.kind}:{self.namespace}/{self.name}".lower()

    def __str__(self) -> str:
        """``kind:namespace/name`` with the kind lower-cased and the namespace and name as written."""
        return f"{self.kind.lower()}:{self.namespace}/{self.name}"


def _show(ref: object) -> str:
    if isinstance(ref, str):
        return json.dumps(ref, ensure_ascii=False)
    try:
        return json.dumps(ref, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(ref)


def _split(ref: str) -> tuple[str | None, str | None, str]:
    """Split a string reference the way Backstage does, then refuse what Backstage would only accept
    into a name that no entity can have (a second ``:`` or ``/``)."""
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and slash < colon:
        # A ':' after the '/' is not a kind separator (Backstage reads it as part of the name).
        colon = -1
    kind = ref[:colon] if colon != -1 else None
    namespace = ref[colon + 1 : slash] if slash != -1 else None
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        empty = "kind" if kind == "" else "namespace" if namespace == "" else "name"
        raise RefError(f"Entity reference {_show(ref)} has an empty {empty}; expected the form {_FORM}")
    for separator in (":", "/"):
        if separator in name:
            raise RefError(f"Entity reference {_show(ref)} has more than one {separator!r}; expected the form {_FORM}")
    return kind, namespace, name


def parse_ref(
    ref: str | dict,
    *,
    default_kind: str | None = None,
    default_namespace: str = DEFAULT_NAMESPACE,
) -> EntityRef:
    """Read a reference, a string ``kind:ns/name``, ``kind:name``, ``ns/name``, ``name`` or a mapping
    ``{kind, namespace, name}``, filling in the missing kind and namespace from the defaults.

    Raises :class:`RefError` when the reference is empty, has an empty part or an extra ``:`` or ``/``,
    or has no kind while no default kind is given.
    """
    default_namespace = default_namespace or DEFAULT_NAMESPACE
    kind: str | None
    namespace: str | None
    name: str | None
    if isinstance(ref, str):
        if not ref:
            raise RefError("Entity reference must not be empty")
        kind, namespace, name = _split(ref)
    elif isinstance(ref, dict):
        if not ref:
            raise RefError("Entity reference must not be empty")
        for part in ("kind", "namespace", "name"):
            value = ref.get(part)
            if value is not None and not isinstance(value, str):
                raise RefError(f"Entity reference {_show(ref)} has a {part} that is not a string")
        kind, namespace, name = ref.get("kind"), ref.get("namespace"), ref.get("name")
        for part, value in (("kind", kind), ("namespace", namespace), ("name", name)):
            if value is not None and (":" in value or "/" in value):
                raise RefError(f"Entity reference {_show(ref)} has a {part} containing ':' or '/'")
    else:
        raise RefError(f"Entity reference must be a string or a mapping, not {_show(ref)}")

    kind = kind if kind is not None else default_kind
    namespace = namespace if namespace is not None else default_namespace
    if not kind:
        raise RefError(
            f"Entity reference {_show(ref)} has no kind and there is no default kind here; "
            'write it with its kind, e.g. "component:my-service" or "resource:default/my-db"'
        )
    if not namespace:
        raise RefError(f"Entity reference {_show(ref)} has a missing or empty namespace")
    if not name:
        raise RefError(f"Entity reference {_show(ref)} has a missing or empty name")
    return EntityRef(kind=kind, namespace=namespace, name=name)


def entity_ref(entity: dict) -> EntityRef:
    """The reference of a descriptor: its kind, ``metadata.namespace`` (``default`` when absent or
    empty) and ``metadata.name``."""
    if not isinstance(entity, dict):
        raise RefError("An entity must be a mapping to have a reference")
    kind = entity.get("kind")
    metadata = entity.get("metadata")
    if not isinstance(kind, str) or not kind:
        raise RefError("The entity has no kind")
    if not isinstance(metadata, dict):
        raise RefError("The entity has no metadata")
    name = metadata.get("name")
    namespace = metadata.get("namespace") or DEFAULT_NAMESPACE
    if not isinstance(name, str) or not name:
        raise RefError("The entity has no metadata.name")
    if not isinstance(namespace, str):
        raise RefError("The entity's metadata.namespace is not a string")
    return EntityRef(kind=kind, namespace=namespace, name=name)
