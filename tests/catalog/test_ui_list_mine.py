"""The catalog list's "Owned" and "Starred" filters: what the signed-in user's teams own (through
catalog.identity), and what they starred; with the other filters, and in a bounded number of queries."""

from __future__ import annotations

import re

import pytest

from catalog import services
from catalog.models import Entity
from tests.catalog.test_ui_support import load_examples
from tests.conftest import make_user


@pytest.fixture
def example_org(db, settings):
    return load_examples(settings)


@pytest.fixture
def janelle(client, example_org):
    """Janelle Dawe, of team-a (under backstage, under infrastructure, under acme-corp), signed in."""
    user = make_user("janelle-dawe@example.com")
    client.force_login(user)
    return user


def names(html: str) -> list[str]:
    return re.findall(r'<td class="cell-name"><a href="[^"]+">([^<]+)</a>', html)


def star(user, *refs: str) -> None:
    for ref in refs:
        services.set_star(user, Entity.objects.get(ref=ref), starred=True)


def test_owned_lists_what_the_user_s_teams_own_of_every_kind(client, janelle):
    html = client.get("/catalog/?user=owned").content.decode()

    assert "1\u20139 of 9 entities" in html
    assert '<input type="radio" id="f-user-owned" name="user" value="owned" checked>' in html
    assert names(html) == [  # by kind, then name
        "artist-lookup",
        "wayback-archive",
        "wayback-archive-storage",
        "wayback-search",
        "www-artist",
        "Artists",
        "audio",
        "artists-db",
        "artist-engagement-portal",
    ]
    owners = set(re.findall(r'<td data-label="owner" class="cell-owner"><a href="[^"]+">([^<]+)</a>', html))
    assert owners == {"team-a", "acme-corp"}
    chips = re.findall(r'<a class="chip" href="([^"]+)" aria-label="Remove filter ([^"]+)">', html)
    assert chips == [("?kind=all", "Owned")]


def test_owned_combines_with_the_kind_and_the_other_facets(client, janelle):
    html = client.get("/catalog/?kind=Component&user=owned&lifecycle=production").content.decode()

    assert names(html) == ["wayback-archive", "wayback-archive-storage", "wayback-search", "www-artist"]
    picker = html[html.index('<select id="catalog-kind" name="kind">') :].split("</select>")[0]
    assert '<option value="Component" selected>Component (4)</option>' in picker


def test_owned_says_why_it_is_empty_for_someone_the_catalog_does_not_know(signed_in, example_org):
    html = signed_in.get("/catalog/?kind=all&user=owned").content.decode()

    assert '<p>Nothing matches these filters. <a href="?kind=all">Clear filters</a></p>' in html
    assert "your account is linked to no person of the catalog" in html


def test_starred_lists_the_user_s_stars_only(client, janelle, example_org):
    other = make_user("other@example.com")
    star(janelle, "api:default/petstore", "component:default/artist-lookup")
    star(other, "component:default/wayback-search")

    every = client.get("/catalog/?kind=all&user=starred").content.decode()
    components = client.get("/catalog/?kind=Component&user=starred").content.decode()

    assert names(every) == ["petstore", "artist-lookup"]  # by kind, then name
    assert names(components) == ["artist-lookup"]
    assert '<input type="radio" id="f-user-starred" name="user" value="starred" checked>' in every


def test_a_new_star_shows_at_once_though_the_catalog_did_not_change(client, janelle):
    before = client.get("/catalog/?kind=all&user=starred").content.decode()
    star(janelle, "api:default/petstore")

    after = client.get("/catalog/?kind=all&user=starred").content.decode()

    assert names(before) == []
    assert names(after) == ["petstore"]
    assert "1\u20131 of 1 entity" in after


def test_owned_and_starred_take_a_bounded_number_of_queries(client, janelle, django_assert_num_queries):
    star(janelle, "api:default/petstore", "component:default/artist-lookup")
    # Session, user, the stars, the revision, the facets (columns, then tags), the page.
    with django_assert_num_queries(7):
        assert client.get("/catalog/?kind=all&user=starred").status_code == 200
    # Session, user, who the account is (addresses, GitHub, User entity, groups), the revision, the
    # facets (columns, then tags), the page.
    with django_assert_num_queries(10):
        assert client.get("/catalog/?kind=all&user=owned").status_code == 200
    with django_assert_num_queries(8):  # the same again: the facets come from the cache
        assert client.get("/catalog/?kind=all&user=owned").status_code == 200
