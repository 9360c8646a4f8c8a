"""Teams and people: which User entity a signed-in account is, its groups, and what it owns.

An account is linked to the User entity whose ``spec.profile.email`` is one of the account's
*verified* e-mail addresses (compared without regard to case), or, failing that, to the User entity
whose ``github.com/user-login`` annotation (else ``metadata.name``) is the login of the account's
GitHub sign-in. An unverified address links nothing.

A user's groups are those it is a member of (its ``spec.memberOf``, or a group's ``spec.members``
naming it: both give ``memberOf`` relations) and every ancestor of those through ``childOf`` (a
group's ``spec.parent``, or a parent's ``spec.children``), found with one recursive query that stops
on cycles. Members of an entity's owner group own it; a User owner owns it too.

The answers are kept on the account object for the rest of the request (``request.user`` lives as
long as the request); :func:`forget` drops them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.db.models import Q, QuerySet

from catalog.model.relations import CHILD_OF, HAS_MEMBER, MEMBER_OF
from catalog.models import Entity

GITHUB_LOGIN_ANNOTATION = "github.com/user-login"
_CACHE_ATTRIBUTE = "_atrium_catalog_identity"
#: How far up the group tree ancestors are followed (a guard; real trees are a handful deep).
MAX_DEPTH = 32

_GROUPS_SQL = """
WITH RECURSIVE memberships(ref, depth) AS (
    SELECT target_ref, 0 FROM catalog_relation WHERE source_ref = %s AND type = %s
    UNION
    SELECT source_ref, 0 FROM catalog_relation WHERE target_ref = %s AND type = %s
    UNION
    SELECT relation.target_ref, memberships.depth + 1
    FROM catalog_relation AS relation JOIN memberships ON relation.source_ref = memberships.ref
    WHERE relation.type = %s AND memberships.depth < %s
)
SELECT ref, MIN(depth) FROM memberships GROUP BY ref
"""


@dataclass
class Membership:
    """The groups of one User entity: ref → distance (0 = a direct member, 1 = parent, …)."""

    user_ref: str
    depths: dict[str, int] = field(default_factory=dict)

    @property
    def direct(self) -> set[str]:
        return {ref for ref, depth in self.depths.items() if depth == 0}

    @property
    def owner_refs(self) -> set[str]:
        return {self.user_ref, *self.depths}


def memberships_of(user_ref: str) -> Membership:
    """The groups (refs, with their distance) of the User entity ``user_ref``: one query."""
    with connection.cursor() as cursor:
        cursor.execute(_GROUPS_SQL, [user_ref, MEMBER_OF, user_ref, HAS_MEMBER, CHILD_OF, MAX_DEPTH])
        rows = cursor.fetchall()
    return Membership(user_ref, {ref: depth for ref, depth in rows if ref.startswith("group:")})


def group_entities(membership: Membership) -> list[Entity]:
    """The Group entities of a membership in the catalog: direct ones first, then by distance, title."""
    if not membership.depths:
        return []
    groups = list(Entity.objects.filter(ref__in=list(membership.depths), kind__iexact="group"))
    for group in groups:
        group.depth = membership.depths[group.ref]
        group.inherited = group.depth > 0
    groups.sort(key=lambda group: (group.depth, group.display_name.lower(), group.ref))
    return groups


# --- accounts ---------------------------------------------------------------------------------


@dataclass
class Identity:
    entity: Entity | None
    membership: Membership | None
    groups: list[Entity] | None = None


def _emails(user) -> set[str]:
    return {
        email.lower() for email in EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    }


def _github_logins(user) -> set[str]:
    logins = set()
    for extra in SocialAccount.objects.filter(user=user, provider="github").values_list("extra_data", flat=True):
        login = extra.get("login") if isinstance(extra, dict) else None
        if isinstance(login, str) and login:
            logins.add(login.lower())
    return logins


def _match_rank(entity: Entity, emails: set[str], logins: set[str]) -> tuple | None:
    body = entity.body if isinstance(entity.body, dict) else {}
    metadata = found if isinstance(found := body.get("metadata"), dict) else {}
    spec = found if isinstance(found := body.get("spec"), dict) else {}
    profile = found if isinstance(found := spec.get("profile"), dict) else {}
    annotations = found if isinstance(found := metadata.get("annotations"), dict) else {}
    email = profile.get("email")
    login = annotations.get(GITHUB_LOGIN_ANNOTATION)
    if isinstance(email, str) and email.lower() in emails:
        rank = 0
    elif isinstance(login, str) and login.lower() in logins:
        rank = 1
    elif entity.name.lower() in logins:
        rank = 2
    else:
        return None
    # Several matches (the same person in two namespaces): the default namespace, then the ref.
    return (rank, entity.namespace.lower() != "default", entity.ref)


def find_user_entity(*, emails: set[str], logins: set[str]) -> Entity | None:
    """The User entity with one of these (lower-cased) e-mail addresses, else GitHub logins: one query."""
    if not emails and not logins:
        return None
    condition = Q()
    if emails:
        condition |= Q(search_entries__key="spec.profile.email", search_entries__value__in=emails)
    if logins:
        condition |= Q(
            search_entries__key=f"metadata.annotations.{GITHUB_LOGIN_ANNOTATION}", search_entries__value__in=logins
        )
        condition |= Q(search_entries__key="metadata.name", search_entries__value__in=logins)
    # A subquery rather than DISTINCT: bodies are json, which has no equality to compare rows by.
    matching = Entity.objects.filter(condition, kind__iexact="user", orphan=False).values("pk")
    candidates = Entity.objects.filter(pk__in=matching)
    ranked = [(rank, entity) for entity in candidates if (rank := _match_rank(entity, emails, logins)) is not None]
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def _identity(user) -> Identity:
    if user is None or not getattr(user, "is_authenticated", False):
        return Identity(None, None, [])
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    entity = find_user_entity(emails=_emails(user), logins=_github_logins(user))
    identity = Identity(entity, memberships_of(entity.ref) if entity is not None else None)
    setattr(user, _CACHE_ATTRIBUTE, identity)
    return identity


def forget(user) -> None:
    """Drop what was found out about ``user`` in this request (after its e-mail or data changed)."""
    if user is not None and hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def user_entity_for(user) -> Entity | None:
    """The User entity the account is linked to, or None."""
    return _identity(user).entity


def my_groups(user) -> list[Entity]:
    """The Group entities the account's User entity belongs to, directly or through parents.

    Each has ``depth`` (0: a direct member) and ``inherited`` set; direct groups come first.
    """
    identity = _identity(user)
    if identity.membership is None:
        return []
    if identity.groups is None:
        identity.groups = group_entities(identity.membership)
    return identity.groups


def owner_groups_of(user) -> set[str]:
    """Refs whose entities the account owns: its groups (direct and inherited) and its User entity."""
    identity = _identity(user)
    return identity.membership.owner_refs if identity.membership is not None else set()


def is_owner(user, entity) -> bool:
    """Whether the account owns ``entity`` (an :class:`Entity` or its owner ref as a string)."""
    owner = entity if isinstance(entity, str) else getattr(entity, "owner_ref", "")
    return bool(owner) and owner.lower() in owner_groups_of(user)


def owned_entities(user) -> QuerySet[Entity]:
    """The entities whose owner is one of the account's groups or its User entity."""
    refs = owner_groups_of(user)
    return Entity.objects.filter(owner_ref__in=refs) if refs else Entity.objects.none()
