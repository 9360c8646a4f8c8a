"""The catalog list at /catalog/: columns, facets that keep the other filters, search, pages, badges,
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


def test_the_list_shows_each_column_with_links(signed_in, example_org):
    response = signed_in.get("/catalog/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="catalog-results-heading" class="results-count">\n      1\u201350 of 59 entities' in html
    row = html[html.index('<a href="/catalog/component/default/artist-lookup">') :].split("</tr>")[0]
    assert '<a href="/catalog/component/default/artist-lookup">artist-lookup</a>' in row
    assert '<span class="row-description">Artist Lookup</span>' in row
    assert "<td>Component</td>\n          <td>service</td>" in row
    assert '<td data-label="owner"><a href="/catalog/group/default/team-a">team-a</a></td>' in row
    system = '<a href="/catalog/system/default/artist-engagement-portal">artist-engagement-portal</a>'
    assert f'<td data-label="system">{system}</td>' in row
    assert '<span class="badge lifecycle-experimental">experimental</span>' in row
    assert '<span class="tag">java</span><span class="tag">data</span>' in row
    assert '<td class="cell-description col-description">Artist Lookup</td>' in row
    assert '<a class="button button-small" href="?page=2" rel="next">Next →</a>' in html
    second = signed_in.get("/catalog/?page=2").content.decode()
    assert "51\u201359 of 59 entities" in second
    guest = '<a href="/catalog/user/development/guest">Guest User</a>\n            <span class="muted ns">development'
    assert guest in second
    assert names(html)[:3] == ["hello-world", "hello-world-trpc", "petstore"]  # by kind, then name


def test_the_list_takes_a_handful_of_queries(signed_in, example_org, django_assert_num_queries):
    # Session, user and the catalog's revision; then, unless cached for this revision, the facets of
    # the unticked fields (one query for those served from columns, one for tags) and one per ticked
    # field; then the page, when something matches.
    with django_assert_num_queries(6):
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
    kind = html[html.index('data-facet="kind"') :].split("</fieldset>")[0]
    assert re.findall(
        r'value="([^"]+)"( checked)?>\s*<label[^>]*>[^<]+</label><span class="count"[^>]*>(\d+)', kind
    ) == [
        ("Component", " checked", "9"),
        ("API", "", "2"),
    ]
    lifecycle = html[html.index('data-facet="lifecycle"') :].split("</fieldset>")[0]
    assert re.findall(
        r'value="([^"]+)"( checked)?>\s*<label[^>]*>[^<]+</label><span class="count"[^>]*>(\d+)', lifecycle
    ) == [
        ("production", " checked", "9"),
        ("experimental", "", "4"),
    ]
    # Removing one filter keeps the other; the sort form carries both.
    assert '<a class="chip" href="?lifecycle=production" aria-label="Remove filter Kind: Component">' in html
    assert '<a class="chip" href="?kind=Component" aria-label="Remove filter Lifecycle: production">' in html
    sort_form = html[html.index('class="sort-form"') :].split("</form>")[0]
    assert '<input type="hidden" name="kind" value="Component">' in sort_form
    assert '<input type="hidden" name="lifecycle" value="production">' in sort_form


def test_an_owner_facet_value_is_a_ref_shown_short(signed_in, example_org):
    html = signed_in.get("/catalog/?owner=group:default/team-a").content.decode()

    assert "1\u20138 of 8 entities" in html
    assert '<input type="checkbox" id="f-owner-a1" name="owner" value="group:default/team-a" checked>' in html
    assert '<label for="f-owner-a1">team-a</label>' in html
    assert set(Entity.objects.filter(owner_ref="group:default/team-a").values_list("name", flat=True)) == {
        name.lower() for name in names(html)
    }


def test_htmx_gets_only_the_browser(signed_in, example_org):
    response = signed_in.get("/catalog/?kind=API", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.startswith('<div id="catalog-browser" class="catalog-browser">')
    assert "<html" not in html
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


def test_a_search_that_finds_nothing_says_so(signed_in, example_org):
    html = signed_in.get("/catalog/?q=nothing-like-this&kind=API").content.decode()

    assert "No entities match" in html
    assert "Nothing in the catalog matches “nothing-like-this” with these filters." in html


def test_a_facet_with_many_values_shows_the_first_and_loads_the_rest_on_demand(signed_in, db, write):
    documents = [COMPONENT.format(name=f"s{n:02d}", description="x", tags=f"t{n:02d}") for n in range(12)]
    load_file(write("many/catalog-info.yaml", "---\n".join(documents)))

    def tag_values(html: str) -> list[str]:
        block = html[html.index('data-facet="tag"') :].split("</fieldset>")[0]
        return re.findall(r'name="tag" value="([^"]+)"', block)

    folded = signed_in.get("/catalog/").content.decode()
    assert tag_values(folded) == [f"t{n:02d}" for n in range(8)]
    assert "<summary>4 more</summary>" in folded
    link = '<a class="facet-load" href="?more=tag" hx-get="?more=tag"'
    assert link in folded

    unfolded = signed_in.get("/catalog/?more=tag").content.decode()
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
