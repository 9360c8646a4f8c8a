"""The catalog list at /catalog/: it opens on components, with a kind picker (all kinds on request);
columns, facets that keep the other filters, search, pages, badges, what it says when nothing matches,
and the few queries it takes."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from catalog import services
from catalog.models import Entity
from tests.catalog.test_ui_support import file_writer, load_examples, load_file

COMPONENT = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  description: {description}
  tags: [{tags}]
spec: {{type: service, lifecycle: production, owner: team-x}}
"""


@pytest.fixture
def example_org(db, settings):
    return load_examples(settings)


@pytest.fixture
def write(settings, tmp_path):
    return file_writer(settings, tmp_path)


def component(name: str, description: str = "A service", tags: str = "") -> str:
    return COMPONENT.format(name=name, description=description, tags=tags)


def names(html: str) -> list[str]:
    return re.findall(r'<td class="cell-name"><a href="[^"]+">([^<]+)</a>', html)


def kind_options(html: str) -> list[tuple[str, str, bool]]:
    """The kind picker's options: (value, label, selected)."""
    picker = html[html.index('<select id="catalog-kind" name="kind">') :].split("</select>")[0]
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(r'<option value="([^"]*)"( selected)?>([^<]+)</option>', picker)
    ]


def test_the_list_opens_on_components_with_each_column_linked(signed_in, example_org):
    response = signed_in.get("/catalog/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="catalog-results-heading" class="results-count">\n        1\u201313 of 13 entities' in html
    assert kind_options(html)[:3] == [
        ("all", "All kinds (59)", False),
        ("User", "User (17)", False),
        ("Component", "Component (13)", True),
    ]
    assert set(names(html)) == set(Entity.objects.filter(kind="Component").values_list("name", flat=True))
    row = html[html.index('<a href="/catalog/component/default/artist-lookup">') :].split("</tr>")[0]
    assert '<a href="/catalog/component/default/artist-lookup">artist-lookup</a>' in row
    assert '<span class="row-description">Artist Lookup</span>' in row
    assert "<td>Component</td>\n            <td>service</td>" in row
    owner = '<td data-label="owner" class="cell-owner"><a href="/catalog/group/default/team-a">team-a</a></td>'
    assert owner in row
    system = '<a href="/catalog/system/default/artist-engagement-portal">artist-engagement-portal</a>'
    assert f'<td data-label="system">{system}</td>' in row
    assert '<span class="badge lifecycle-experimental">experimental</span>' in row
    assert '<span class="tag">java</span><span class="tag">data</span>' in row
    assert '<td class="cell-description col-description">Artist Lookup</td>' in row
    assert 'rel="next"' not in html


def test_all_kinds_is_a_choice_of_its_own_with_pages(signed_in, example_org):
    html = signed_in.get("/catalog/?kind=all").content.decode()

    assert "1\u201350 of 59 entities" in html
    assert kind_options(html)[0] == ("all", "All kinds (59)", True)
    assert not any(selected for _value, _label, selected in kind_options(html)[1:])
    assert names(html)[:3] == ["hello-world", "hello-world-trpc", "petstore"]  # by kind, then name
    assert '<a class="button button-small" href="?kind=all&amp;page=2" rel="next">Next →</a>' in html
    second = signed_in.get("/catalog/?kind=all&page=2").content.decode()
    assert "51\u201359 of 59 entities" in second
    guest = '<a href="/catalog/user/development/guest">Guest User</a>\n              <span class="muted ns">development'
    assert guest in second


def test_links_that_name_a_kind_or_filter_something_else_keep_working(signed_in, example_org):
    by_kind = signed_in.get("/catalog/?kind=api").content.decode()  # as the entity page's breadcrumb links
    by_tag = signed_in.get("/catalog/?tag=rest").content.decode()  # as a tag on an entity page links
    searched = signed_in.get("/catalog/?q=petstore").content.decode()  # as the header's search box

    assert "1\u20136 of 6 entities" in by_kind
    assert ("API", "API (6)", True) in kind_options(by_kind)
    assert kind_options(by_tag)[0][2] is True  # every kind with the tag, not only components
    assert names(by_tag) == ["petstore", "petstore-webhook"]  # two APIs
    assert kind_options(searched)[0][2] is True
    assert "petstore" in names(searched)


def test_a_link_naming_several_kinds_is_one_choice_of_the_picker(signed_in, example_org):
    html = signed_in.get("/catalog/?kind=Component&kind=API").content.decode()

    assert "1\u201319 of 19 entities" in html
    assert kind_options(html)[:2] == [("all", "All kinds (59)", False), ("Component,API", "Component, API (19)", True)]
    assert signed_in.get("/catalog/?kind=Component,API").content.decode().count("of 19 entities") == 1


def test_the_list_takes_a_handful_of_queries(signed_in, example_org, django_assert_num_queries):
    # Session, user and the catalog's revision; then, unless cached for this revision, the facets of
    # the unticked fields (one query for those served from columns, one for tags) and one per ticked
    # field; then the page, when something matches.
    with django_assert_num_queries(7):  # the list opens on components: a ticked kind, one query more
        assert signed_in.get("/catalog/").status_code == 200
    with django_assert_num_queries(4):
        assert signed_in.get("/catalog/?page=1").status_code == 200
    with django_assert_num_queries(8):
        assert signed_in.get("/catalog/?kind=Component&lifecycle=production&q=wayback").status_code == 200
    url = "/catalog/?kind=Component&lifecycle=production&owner=group:default/team-a&tag=java"
    with django_assert_num_queries(8):  # nothing matches all four: no page to read
        assert signed_in.get(url).status_code == 200
    with django_assert_num_queries(3):
        assert signed_in.get(url + "&page=1").status_code == 200


def test_the_facets_follow_a_change_of_the_catalog(signed_in, example_org):
    before = signed_in.get("/catalog/?kind=Component").content.decode()
    assert "1\u201313 of 13 entities" in before

    services.delete_entity(Entity.objects.get(ref="component:default/wayback-search"), orphans_only=False)

    after = signed_in.get("/catalog/?kind=Component").content.decode()
    assert "1\u201312 of 12 entities" in after
    assert "wayback-search" not in after


def test_facets_keep_the_other_filters(signed_in, example_org):
    response = signed_in.get("/catalog/?kind=Component&lifecycle=production")

    html = response.content.decode()
    assert "1\u20139 of 9 entities" in html
    # A ticked facet counts what each of its values would give with the other filters: adding API
    # to Component would add the two production APIs.
    # The picker counts what each kind would give with the other filters: the two production APIs.
    assert kind_options(html) == [
        ("all", "All kinds (11)", False),
        ("Component", "Component (9)", True),
        ("API", "API (2)", False),
    ]
    lifecycle = html[html.index('data-facet="lifecycle"') :].split("</fieldset>")[0]
    assert re.findall(
        r'value="([^"]+)"( checked)?>\s*<label[^>]*>[^<]+</label><span class="count"[^>]*>(\d+)', lifecycle
    ) == [
        ("production", " checked", "9"),
        ("experimental", "", "4"),
    ]
    # Removing one filter keeps the other (removing the kind gives every kind); sorting is part of the
    # one form, so a new order keeps both.
    kind_chip = '<a class="chip" href="?kind=all&amp;lifecycle=production" aria-label="Remove filter Kind: Component">'
    assert kind_chip in html
    assert '<a class="chip" href="?kind=Component" aria-label="Remove filter Lifecycle: production">' in html
    form = html[html.index('<form id="catalog-browser"') :].split("</form>")[0]
    assert '<select id="catalog-sort" name="sort">' in form
    assert '<select id="catalog-kind" name="kind">' in form
    sorted_by_name = signed_in.get("/catalog/?kind=Component&lifecycle=production&sort=name").content.decode()
    assert "1\u20139 of 9 entities" in sorted_by_name
    assert names(sorted_by_name) == sorted(names(sorted_by_name), key=str.lower)


def test_an_owner_facet_value_is_a_ref_shown_short(signed_in, example_org):
    html = signed_in.get("/catalog/?owner=group:default/team-a").content.decode()

    assert "1\u20138 of 8 entities" in html
    assert '<input type="checkbox" id="f-owner-a1" name="owner" value="group:default/team-a" checked>' in html
    assert '<label for="f-owner-a1" title="team-a">team-a</label>' in html
    assert set(Entity.objects.filter(owner_ref="group:default/team-a").values_list("name", flat=True)) == {
        name.lower() for name in names(html)
    }


def test_htmx_gets_only_the_browser(signed_in, example_org):
    response = signed_in.get("/catalog/?kind=API", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.startswith('<form id="catalog-browser" class="catalog-browser" method="get" action="/catalog/"')
    assert "<html" not in html
    assert "1\u20136 of 6 entities" in html


def test_the_browser_queues_its_requests_and_swaps_results_and_facets(signed_in, example_org):
    html = signed_in.get("/catalog/").content.decode()

    form = html[html.index('<form id="catalog-browser"') :].split(">")[0]
    # A new request waits for the one in flight (none is aborted); the form itself, with the search
    # box being typed in, stays: the results and the facets are swapped into it.
    assert 'hx-sync="this:queue last"' in form
    assert 'hx-target="#catalog-results" hx-select="#catalog-results"' in form
    assert 'hx-select-oob="#catalog-facets,#catalog-filter-count"' in form
    assert "replace" not in form
    assert '<section id="catalog-results" class="catalog-results"' in html
    assert '<div id="catalog-facets" class="facets">' in html


def test_going_back_to_a_list_htmx_no_longer_holds_gets_the_whole_page(signed_in, example_org):
    response = signed_in.get("/catalog/?kind=API", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    html = response.content.decode()
    assert html.startswith("<!doctype html>")
    assert "1\u20136 of 6 entities" in html


def test_search_without_postgresql_matches_every_word_in_name_order(signed_in, example_org):
    html = signed_in.get("/catalog/?q=wayback+archive").content.decode()

    assert names(html) == ["wayback-archive", "wayback-archive-ingestion", "wayback-archive-storage"]
    assert '<option value="" selected>Relevance</option>' in html
    assert (
        '<input id="header-search" type="search" name="q" placeholder="Search services, APIs, teams…" '
        'value="wayback archive"' in html
    )


def test_search_ranks_name_over_description_over_tags_on_postgresql(signed_in, db, write):
    load_file(
        write(
            "search/catalog-info.yaml",
            "---\n".join(
                [
                    component("zeta-billing"),
                    component("alpha", description="Sends billing reminders"),
                    component("beta", tags="billing"),
                    component("gamma"),
                ]
            ),
        )
    )

    html = signed_in.get("/catalog/?q=billing").content.decode()

    if connection.vendor == "postgresql":
        assert names(html) == ["zeta-billing", "alpha", "beta"]  # by rank: name, description, tags
    else:
        assert names(html) == ["alpha", "beta", "zeta-billing"]  # no rank: kind, namespace, name
    assert "1\u20133 of 3 entities" in html


def test_a_search_that_finds_nothing_says_so_once_with_a_link_that_clears_the_filters(signed_in, example_org):
    html = signed_in.get("/catalog/?q=nothing-like-this&kind=API&lifecycle=production").content.decode()

    assert '<h2 id="catalog-results-heading" class="results-count">\n        0 entities' in html
    assert '<p>Nothing matches these filters. <a href="?kind=all">Clear filters</a></p>' in html
    assert html.count("Nothing matches") == 1
    assert html.count("Clear") == 1
    # Facets with nothing to choose are left out; the ticked ones stay, to be unticked.
    facets = html[html.index('<div id="catalog-facets"') :].split("</details>")[0]
    assert "None" not in facets
    assert re.findall(r'<fieldset class="facet" data-facet="([^"]+)"', facets) == ["user", "lifecycle"]
    assert '<input type="checkbox" id="f-lifecycle-a1" name="lifecycle" value="production" checked>' in facets
    chips = re.findall(r'<a class="chip" href="([^"]+)" aria-label="Remove filter ([^"]+)">', html)
    assert chips == [
        ("?kind=API&amp;lifecycle=production", "Search: “nothing-like-this”"),
        ("?kind=all&amp;lifecycle=production&amp;q=nothing-like-this", "Kind: API"),
        ("?kind=API&amp;q=nothing-like-this", "Lifecycle: production"),
    ]
    cleared = signed_in.get("/catalog/?kind=all").content.decode()
    assert "1\u201350 of 59 entities" in cleared


def test_an_empty_catalog_says_so_without_a_second_register_entry(signed_in, db):
    html = signed_in.get("/catalog/").content.decode()

    assert "The catalog is empty: register a <code>catalog-info.yaml</code>" in html
    assert "Nothing matches" not in html
    assert html.count(">Register existing component<") == 1  # the tab


def test_one_register_entry_on_the_list(signed_in, example_org):
    html = signed_in.get("/catalog/").content.decode()

    assert html.count("Register existing component") == 1
    assert '<a href="/catalog/register">Register existing component</a>' in html  # the catalog's tab


def test_a_facet_with_many_values_shows_the_first_and_loads_the_rest_on_demand(signed_in, db, write):
    documents = [COMPONENT.format(name=f"s{n:02d}", description="x", tags=f"t{n:02d}") for n in range(12)]
    load_file(write("many/catalog-info.yaml", "---\n".join(documents)))

    def tag_values(html: str) -> list[str]:
        block = html[html.index('data-facet="tag"') :].split("</fieldset>")[0]
        return re.findall(r'name="tag" value="([^"]+)"', block)

    folded = signed_in.get("/catalog/").content.decode()
    assert tag_values(folded) == [f"t{n:02d}" for n in range(8)]
    assert "<summary>4 more</summary>" in folded
    link = '<a class="facet-load" href="?kind=Component&amp;more=tag" hx-get="?kind=Component&amp;more=tag"'
    assert link in folded
    assert 'hx-select="#facet-more-tag" hx-target="#facet-more-tag" hx-select-oob="unset"' in folded

    unfolded = signed_in.get("/catalog/?kind=Component&more=tag").content.decode()
    assert tag_values(unfolded) == [f"t{n:02d}" for n in range(12)]
    assert '<details class="facet-more" open>' in unfolded
    assert "more=" not in unfolded.split('id="catalog-results-heading"')[1]  # pages and sorting drop it


def test_a_ticked_value_beyond_the_first_stays_in_the_form(signed_in, db, write):
    documents = [COMPONENT.format(name=f"s{n:02d}", description="x", tags=f"t{n:02d}") for n in range(12)]
    load_file(write("many/catalog-info.yaml", "---\n".join(documents)))
    ticked = "&".join(f"tag=t{n:02d}" for n in range(10))

    html = signed_in.get(f"/catalog/?{ticked}").content.decode()

    block = html[html.index('data-facet="tag"') :].split("</fieldset>")[0]
    assert re.findall(r'name="tag" value="([^"]+)" checked', block) == [f"t{n:02d}" for n in range(10)]
    assert "<summary>4 more</summary>" in block  # two ticked shown, two folded


def test_pages_of_fifty_keep_the_filters(signed_in, db, write):
    load_file(write("many/catalog-info.yaml", "---\n".join(component(f"service-{n:03d}") for n in range(120))))

    first = signed_in.get("/catalog/?kind=Component").content.decode()
    last = signed_in.get("/catalog/?kind=Component&page=3").content.decode()
    beyond = signed_in.get("/catalog/?kind=Component&page=99").content.decode()

    assert "1\u201350 of 120 entities" in first
    assert names(first) == [f"service-{n:03d}" for n in range(50)]
    assert 'href="?kind=Component&amp;page=2" rel="next"' in first
    assert "101\u2013120 of 120 entities" in last
    assert names(last) == [f"service-{n:03d}" for n in range(100, 120)]
    assert 'href="?kind=Component&amp;page=2" rel="prev"' in last
    assert "Page 3 of 3" in beyond


def test_orphans_and_entities_with_errors_carry_badges(signed_in, db, write):
    first = write("one/catalog-info.yaml", component("kept") + "---\n" + component("dropped"))
    location = load_file(first)
    write("one/catalog-info.yaml", component("kept"))
    load_file(first)
    # A second location describing "kept" too: a conflict error recorded against that entity.
    load_file(write("two/catalog-info.yaml", component("kept")))

    html = signed_in.get("/catalog/").content.decode()

    dropped = html[html.index(">dropped</a>") :].split("</td>")[0]
    kept = html[html.index(">kept</a>") :].split("</td>")[0]
    assert '<span class="badge badge-warn" title="No longer in its location">orphan</span>' in dropped
    assert "badge-danger" not in dropped
    assert '<span class="badge badge-danger" title="Its location reported errors">errors</span>' in kept
    assert "orphan" not in kept
    assert Entity.objects.get(name="dropped").location == location


def test_the_shell_has_the_catalog_entry_and_search(signed_in, db):
    html = signed_in.get("/").content.decode()

    assert '<li><a href="/catalog/"  data-nav="catalog">' in html
    assert '<form role="search" action="/catalog/" method="get">' in html
    assert '<label class="visually-hidden" for="header-search">Search the catalog</label>' in html


def test_the_list_needs_a_signed_in_user(client, db):
    response = client.get("/catalog/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/catalog/"
