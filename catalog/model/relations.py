"""The relations an entity's own fields make, each with its inverse, as Backstage emits them.

Backstage's ``BuiltinKindsEntityProcessor`` (and ``ScaffolderEntitiesProcessor`` for a v1beta3
Template) reads each reference field of an entity with the field's default kind and the entity's
own namespace, and emits ``entity --type--> target`` and ``target --inverse--> entity``. The list
fields are sorted first (Backstage's ``preProcessEntity`` sorts them), so the order of the result
does not depend on how a descriptor orders its lists.
"""

from __future__ import annotations

from .kinds import RefField, ref_fields
from .refs import EntityRef, RefError, entity_ref, parse_ref

OWNED_BY, OWNER_OF = "ownedBy", "ownerOf"
CONSUMES_API, API_CONSUMED_BY = "consumesApi", "apiConsumedBy"
PROVIDES_API, API_PROVIDED_BY = "providesApi", "apiProvidedBy"
DEPENDS_ON, DEPENDENCY_OF = "dependsOn", "dependencyOf"
PARENT_OF, CHILD_OF = "parentOf", "childOf"
MEMBER_OF, HAS_MEMBER = "memberOf", "hasMember"
PART_OF, HAS_PART = "partOf", "hasPart"

_PAIRS = (
    (OWNED_BY, OWNER_OF),
    (CONSUMES_API, API_CONSUMED_BY),
    (PROVIDES_API, API_PROVIDED_BY),
    (DEPENDS_ON, DEPENDENCY_OF),
    (PARENT_OF, CHILD_OF),
    (MEMBER_OF, HAS_MEMBER),
    (PART_OF, HAS_PART),
)

#: Every well-known relation type -> its inverse (both directions are keys).
RELATION_PAIRS: dict[str, str] = {
    **dict(_PAIRS),
    **{reverse: forward for forward, reverse in _PAIRS},
}


def _targets(entity: dict, field: RefField, self_ref: EntityRef, *, sort: bool) -> list[EntityRef]:
    spec = entity.get("spec")
    value = spec.get(field.field) if isinstance(spec, dict) else None
    if isinstance(value, str):
        written = [value]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        written = sorted(value) if sort else list(value)
    else:
        return []
    targets = []
    for text in written:
        try:
            targets.append(parse_ref(text, default_kind=field.default_kind, default_namespace=self_ref.namespace))
        except RefError:
            continue  # validate_entity reports it; a valid entity has none
    return targets


def relations_for(entity: dict) -> list[tuple[str, str, str]]:
    """``(source_key, type, target_key)`` for each relation of a valid entity and its inverse,
    in Backstage's emission order, without repeats. A reference that does not parse is left out."""
    self_ref = entity_ref(entity)
    self_key = self_ref.key()
    result: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for field in ref_fields(entity):
        inverse = RELATION_PAIRS[field.relation]
        for target in _targets(entity, field, self_ref, sort=True):
            for triple in ((self_key, field.relation, target.key()), (target.key(), inverse, self_key)):
                if triple not in seen:
                    seen.add(triple)
                    result.append(triple)
    return result


def field_refs(entity: dict) -> dict[str, list[str]]:
    """``{"spec.owner": ["group:default/team-a"], ...}``: the target keys of each reference field
    present, in the order the descriptor writes them, without repeats."""
    self_ref = entity_ref(entity)
    result: dict[str, list[str]] = {}
    for field in ref_fields(entity):
        keys: list[str] = []
        for target in _targets(entity, field, self_ref, sort=False):
            if target.key() not in keys:
                keys.append(target.key())
        if keys:
            result[f"spec.{field.field}"] = keys
    return result
