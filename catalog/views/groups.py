"""The team and person parts of entity pages: members, sub-teams, parents, groups, what they own."""

from __future__ import annotations

from django.db.models import Count

from catalog import identity
from catalog.models import Entity
from catalog.views.common import entity_link, row, with_summary

#: Owned entities listed on a team or person page; the rest is a link to the filtered list.
OWNED_SHOWN = 100


def _by_type(relations: list[dict], relation_type: str) -> list[dict]:
    return [item for item in relations if item["type"] == relation_type]


def owned(owner_refs: set[str]) -> dict:
    """Entities owned by any of ``owner_refs``: counts by kind and the first rows (two queries)."""
    if not owner_refs:
        return {"rows": [], "total": 0, "by_kind": [], "owner_refs": []}
    queryset = Entity.objects.filter(owner_ref__in=owner_refs)
    by_kind = list(queryset.values_list("kind").annotate(count=Count("id")).order_by("kind"))
    rows = [row(entity) for entity in with_summary(queryset).order_by("kind", "name", "ref")[:OWNED_SHOWN]]
    return {
        "rows": rows,
        "total": sum(count for _, count in by_kind),
        "by_kind": by_kind,
        "owner_refs": sorted(owner_refs),
    }


def _group_name(group: Entity) -> str:
    profile = group.body.get("spec", {}).get("profile") if isinstance(group.body, dict) else None
    name = profile.get("displayName") if isinstance(profile, dict) else None
    return name if isinstance(name, str) and name else group.display_name


def group_context(entity: Entity, relations: list[dict]) -> dict:
    members = _by_type(relations, "hasMember")
    for member in members:
        target = member["target"]
        member["email"] = (target.profile_email or "") if target is not None else ""
    return {
        "members": members,
        "children": _by_type(relations, "parentOf"),
        "parents": _by_type(relations, "childOf"),
        "owned": owned({entity.ref}),
        "profile": entity.body.get("spec", {}).get("profile") or {},
    }


def user_context(request, entity: Entity, relations: list[dict]) -> dict:
    membership = identity.memberships_of(entity.ref)
    mine = identity.user_entity_for(request.user)
    return {
        "groups": [
            {"link": entity_link(group, _group_name(group)), "inherited": group.inherited}
            for group in identity.group_entities(membership)
        ],
        "owned": owned(membership.owner_refs),
        "is_you": mine is not None and mine.pk == entity.pk,
    }
