"""Teams and people (catalog.identity): linking an account to its User entity, its groups (direct,
inherited, through a cycle), what it owns, and the catalog.own rule."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from catalog import identity
from catalog.models import Entity
from portal import permissions
from tests.catalog.test_ui_support import EXAMPLES, file_writer, load_file, offline
from tests.conftest import make_user

ORG = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: company}
spec: {type: organization, children: [engineering]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: engineering}
spec: {type: department, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments, title: Payments team}
spec: {type: team, parent: engineering, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: guild}
spec: {type: guild, children: [], members: [ana]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: outsiders}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
  annotations: {github.com/user-login: ana-gh}
spec:
  profile: {displayName: Ana Lima, email: Ana.Lima@Example.com}
  memberOf: [payments]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: octocat}
spec:
  profile: {email: cat@example.org}
  memberOf: [outsiders]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: service, lifecycle: production, owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: intranet}
spec: {type: website, lifecycle: production, owner: company}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: notes}
spec: {type: website, lifecycle: experimental, owner: user:ana}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: radar}
spec: {type: service, lifecycle: production, owner: outsiders}
"""

CYCLE = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: alpha}
spec: {type: team, parent: beta, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: beta}
spec: {type: team, parent: gamma, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: gamma}
spec: {type: team, parent: alpha, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: looper}
spec:
  profile: {email: looper@example.com}
  memberOf: [alpha]
"""


@pytest.fixture
def write(settings, tmp_path):
    return file_writer(settings, tmp_path)


@pytest.fixture
def org(db, write):
    return load_file(write("org/catalog-info.yaml", ORG))


def linked_ref(user) -> str | None:
    """The ref of the User entity the account is linked to, if any."""
    entity = identity.user_entity_for(user)
    return entity.ref if entity is not None else None


def account(email: str, *, verified: bool = True):
    user = get_user_model().objects.create_user(username=email, email=email, password="x" * 20)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def test_a_verified_address_links_the_account_ignoring_case(org):
    user = account("ana.lima@example.COM")

    assert linked_ref(user) == "user:default/ana"


def test_an_unverified_address_links_nothing(org):
    user = account("ana.lima@example.com", verified=False)

    assert identity.user_entity_for(user) is None
    assert identity.my_groups(user) == []
    assert identity.owner_groups_of(user) == set()
    assert list(identity.owned_entities(user)) == []


def test_a_second_verified_address_links_too(org):
    user = account("someone@else.example")
    EmailAddress.objects.create(user=user, email="ana.lima@example.com", primary=False, verified=True)

    assert linked_ref(user) == "user:default/ana"


def test_github_login_links_through_the_annotation(org):
    user = account("unrelated@example.net")
    SocialAccount.objects.create(user=user, provider="github", uid="101", extra_data={"login": "Ana-GH"})

    assert linked_ref(user) == "user:default/ana"


def test_github_login_links_through_the_entity_name(org):
    user = account("unrelated@example.net")
    SocialAccount.objects.create(user=user, provider="github", uid="102", extra_data={"login": "octocat"})

    assert linked_ref(user) == "user:default/octocat"


def test_a_login_of_another_provider_links_nothing(org):
    user = account("unrelated@example.net")
    SocialAccount.objects.create(user=user, provider="google", uid="103", extra_data={"login": "octocat"})

    assert identity.user_entity_for(user) is None


def test_the_same_address_in_two_namespaces_prefers_default(db, settings):
    offline(settings)
    load_file(EXAMPLES / "acme-corp.yaml")  # guest@example.com is user:default/guest and user:development/guest
    user = account("guest@example.com")

    assert linked_ref(user) == "user:default/guest"


def test_groups_are_direct_then_inherited_with_members_listed_by_the_group(org):
    user = account("ana.lima@example.com")

    groups = identity.my_groups(user)

    assert [(group.ref, group.depth, group.inherited) for group in groups] == [
        ("group:default/guild", 0, False),  # the guild lists her in spec.members
        ("group:default/payments", 0, False),  # her spec.memberOf
        ("group:default/engineering", 1, True),
        ("group:default/company", 2, True),  # through engineering's parent, given by company's children
    ]
    assert identity.owner_groups_of(user) == {
        "user:default/ana",
        "group:default/guild",
        "group:default/payments",
        "group:default/engineering",
        "group:default/company",
    }


def test_inherited_groups_stop_on_a_cycle(db, write):
    load_file(write("cycle/catalog-info.yaml", CYCLE))
    user = account("looper@example.com")

    groups = identity.my_groups(user)

    assert [(group.name, group.depth) for group in groups] == [("alpha", 0), ("beta", 1), ("gamma", 2)]


def test_ownership_through_groups_and_as_user(org):
    user = account("ana.lima@example.com")
    entities = {entity.name: entity for entity in Entity.objects.filter(kind="Component")}

    assert identity.is_owner(user, entities["checkout"])  # her team
    assert identity.is_owner(user, entities["intranet"])  # the company, through her team's parents
    assert identity.is_owner(user, entities["notes"])  # her own User entity owns it
    assert not identity.is_owner(user, entities["radar"])
    assert sorted(identity.owned_entities(user).filter(kind="Component").values_list("name", flat=True)) == [
        "checkout",
        "intranet",
        "notes",
    ]
    assert permissions.can(user, "catalog.own", entities["checkout"])
    assert not permissions.can(user, "catalog.own", entities["radar"])


def test_an_unlinked_account_owns_nothing(org):
    user = make_user("stranger@example.com")
    radar = Entity.objects.get(name="radar")

    assert not identity.is_owner(user, radar)
    assert not permissions.can(user, "catalog.own", radar)


def test_a_handful_of_queries_then_none_for_the_rest_of_the_request(org, django_assert_num_queries):
    user = account("ana.lima@example.com")

    with django_assert_num_queries(5):  # addresses, GitHub accounts, User entity, groups, Group entities
        identity.my_groups(user)
    with django_assert_num_queries(0):
        identity.my_groups(user)
        identity.owner_groups_of(user)
        identity.is_owner(user, "group:default/payments")
    identity.forget(user)
    with django_assert_num_queries(4):  # without the Group entities: refs are enough
        identity.owner_groups_of(user)
