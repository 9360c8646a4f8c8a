"""The catalog's sections of Home: "My teams" and "What my teams own" (or how to link an account)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Count, F, Window
from django.db.models.functions import Lower, RowNumber
from django.urls import reverse

from catalog import identity
from catalog.model.relations import HAS_MEMBER
from catalog.models import Entity, Relation
from catalog.views.common import url_of

#: Entities named per kind in "What my teams own"; the rest are in the linked list.
NAMED_PER_KIND = 5


def _group_name(group: Entity) -> str:
    spec = group.body.get("spec") if isinstance(group.body, dict) else None
    profile = spec.get("profile") if isinstance(spec, dict) else None
    name = profile.get("displayName") if isinstance(profile, dict) else None
    return name if isinstance(name, str) and name else group.display_name


def my_teams_context(request) -> dict:
    """The account's teams with their member counts; or, when it is not linked, how linking works."""
    user = request.user
    person = identity.user_entity_for(user)
    if person is None:
        return {"linked": False, "email": user.email}
    groups = identity.my_groups(user)
    counts = dict(
        Relation.objects.filter(source_ref__in=[group.ref for group in groups], type=HAS_MEMBER)
        .values_list("source_ref")
        .annotate(n=Count("target_ref", distinct=True))
        .order_by()
    )
    return {
        "linked": True,
        "person": {"name": _person_name(person), "url": url_of(person)},
        "teams": [
            {
                "name": _group_name(group),
                "url": url_of(group),
                "type": group.spec_type,
                "members": counts.get(group.ref, 0),
                "inherited": group.inherited,
            }
            for group in groups
        ],
    }


def _person_name(person: Entity) -> str:
    return _group_name(person)


def owned_context(request) -> dict | None:
    """Entities owned by the account's teams, by kind: absent when the account has no teams."""
    refs = identity.owner_groups_of(request.user)
    if not refs:
        return None
    owned = identity.owned_entities(request.user)
    by_kind = list(owned.values_list("kind").annotate(n=Count("id")).order_by("kind"))
    named: dict[str, list[dict]] = {kind: [] for kind, _count in by_kind}
    position = Window(RowNumber(), partition_by=[F("kind")], order_by=[Lower("name").asc(), F("ref").asc()])
    sample = (
        owned.only("kind", "namespace", "name", "title", "orphan")
        .annotate(position=position)
        .filter(position__lte=NAMED_PER_KIND)
        .order_by("kind", Lower("name"), "ref")
    )
    for entity in sample:
        named.setdefault(entity.kind, []).append(
            {"name": entity.display_name, "url": url_of(entity), "orphan": entity.orphan}
        )
    owners = [("owner", ref) for ref in sorted(refs)]
    list_url = reverse("catalog:list")
    return {
        "total": sum(count for _, count in by_kind),
        "kinds": [
            {
                "kind": kind,
                "count": count,
                "entities": named[kind],
                "url": f"{list_url}?{urlencode([('kind', kind.lower()), *owners])}",
            }
            for kind, count in by_kind
        ],
        "all_url": f"{list_url}?{urlencode(owners)}",
    }
