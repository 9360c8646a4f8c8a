"""The entity page's actions: refresh its location now, view the descriptor's source, unregister its
location (owners and administrators only, after a confirmation listing what goes), star it."""

from __future__ import annotations

import re

import pytest

from catalog import queries, services
from catalog.models import Entity, Location, Relation, SearchEntry, Star
from portal.models import AuditEntry, Run
from tests.catalog.ingest_helpers import component
from tests.catalog.test_ui_support import file_writer, load_file
from tests.conftest import make_user
from tests.fakes.git_http import git

TEAM = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: owners}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: olga}
spec: {profile: {email: olga@example.com}, memberOf: [owners]}
"""
SHOP = component("shop", owner="owners") + "---\n" + component("shop-worker", owner="owners")
SHOP_URL = "/catalog/component/default/shop"


@pytest.fixture
def write(settings, tmp_path):
    return file_writer(settings, tmp_path)


@pytest.fixture
def shop(db, write):
    """``shop`` and ``shop-worker``, owned by the team ``owners`` (of olga@example.com), in one file."""
    load_file(write("team/catalog-info.yaml", TEAM))
    location = load_file(write("shop/catalog-info.yaml", SHOP))
    return location


@pytest.fixture
def olga(db):
    return make_user("olga@example.com")


def actions(html: str) -> str:
    return html[html.index('<div class="entity-actions"') :].split("</div>\n</div>")[0]


def catalog_state() -> dict:
    """What a denied action must leave as it was."""
    return {
        "locations": sorted(str(pk) for pk in Location.objects.values_list("pk", flat=True)),
        "entities": sorted(Entity.objects.values_list("ref", flat=True)),
        "relations": Relation.objects.count(),
        "search": SearchEntry.objects.count(),
        "audit": AuditEntry.objects.count(),
        "runs": Run.objects.count(),
        "stars": sorted(Star.objects.values_list("user_id", "entity_ref")),
    }


# --- refresh ---------------------------------------------------------------------------------------


def test_refresh_queues_the_location_s_catalog_refresh_and_links_to_its_run(signed_in, user, shop):
    response = signed_in.post(f"{SHOP_URL}/refresh")

    assert response.status_code == 302
    assert response["Location"] == SHOP_URL
    run = Run.objects.get()
    assert (run.kind, run.params, run.created_by) == (
        services.REFRESH_LOCATION_RUN,
        {"location_id": str(shop.pk)},
        user,
    )
    assert list(Run.objects.for_object(shop).values_list("pk", flat=True)) == [run.pk]
    html = signed_in.get(SHOP_URL).content.decode()
    assert (
        f'<div class="message message-success">A refresh of {shop.target} is queued. '
        f'<a href="/runs/{run.pk}/">Follow the refresh</a></div>'
    ) in html


def test_a_refresh_already_waiting_is_the_one_followed(client, signed_in, user, shop, olga):
    signed_in.post(f"{SHOP_URL}/refresh")
    client.force_login(olga)

    client.post(f"{SHOP_URL}/refresh")

    run = Run.objects.get()
    assert run.created_by == user
    html = client.get(SHOP_URL).content.decode()
    # Olga may not open a run someone else started: the location's page follows it for her.
    assert f'<a href="/catalog/locations/{shop.pk}">Follow the refresh</a>' in html


def test_refresh_is_a_post_only(signed_in, shop):
    before = catalog_state()

    response = signed_in.get(f"{SHOP_URL}/refresh")

    assert response.status_code == 405
    assert catalog_state() == before


def test_the_refresh_button_is_a_form_posting_to_it(signed_in, shop):
    html = actions(signed_in.get(SHOP_URL).content.decode())

    assert f'<form method="post" action="{SHOP_URL}/refresh">' in html
    assert f'title="Read {shop.target} again now">Refresh</button>' in html


# --- view source -----------------------------------------------------------------------------------


def annotated(where: str) -> Entity:
    return Entity(body={"metadata": {"annotations": {"backstage.io/managed-by-location": where}}})


def test_source_url_links_a_url_and_shows_a_path():
    assert queries.source_url(annotated("url:https://git.example.com/shop/catalog-info.yaml")) == (
        "https://git.example.com/shop/catalog-info.yaml",
        "https://git.example.com/shop/catalog-info.yaml",
    )
    blob = "https://github.com/acme/shop/blob/main/catalog-info.yaml"
    assert queries.source_url(annotated("url:https://github.com/acme/shop/raw/main/catalog-info.yaml")) == (blob, blob)
    assert queries.source_url(annotated("file:/srv/catalog/shop.yaml")) == (None, "/srv/catalog/shop.yaml")
    assert queries.source_url(annotated("url:javascript:alert(1)")) == (None, "javascript:alert(1)")
    assert queries.source_url(Entity(body={})) == (None, "")


def test_source_url_of_a_repository_of_the_local_git_host_is_its_page(settings, tmp_path):
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = tmp_path / "git"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = tmp_path / "git-checkouts"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(tmp_path / "git" / "acme" / "shop.git"))
    descriptor = tmp_path / "git-checkouts" / "acme" / "shop" / "catalog-info.yaml"

    assert queries.source_url(annotated(f"file:{descriptor}")) == (
        "/git/acme/shop/-/blob/main/catalog-info.yaml",
        str(descriptor),
    )


def test_a_file_descriptor_s_path_is_what_view_source_shows(signed_in, shop):
    html = actions(signed_in.get(SHOP_URL).content.decode())

    path = shop.target
    assert '<summary class="button button-small">View source</summary>' in html
    assert f'<code class="source-path">{path}</code>' in html
    assert "View source</a>" not in html


def test_a_github_descriptor_links_to_its_blob_page(signed_in, fake_github):
    fake_github.add_file("acme/shop", "catalog-info.yaml", component("shop"))
    location = services.register_location(
        type="url", target="https://github.com/acme/shop/raw/main/catalog-info.yaml", refresh=False
    )
    services.process_location(location)

    html = signed_in.get(SHOP_URL).content.decode()

    blob = "https://github.com/acme/shop/blob/main/catalog-info.yaml"
    assert f'<a class="button button-small" href="{blob}" rel="noopener noreferrer">View source</a>' in actions(html)
    assert f'<dd><a href="{blob}" rel="noopener noreferrer">{blob}</a>' in html  # the source card says the same


# --- unregister ------------------------------------------------------------------------------------


def test_an_owner_sees_unregister_and_a_confirmation_listing_the_location_and_its_entities(client, shop, olga):
    client.force_login(olga)
    before = catalog_state()

    html = actions(client.get(SHOP_URL).content.decode())
    confirm = client.get(f"{SHOP_URL}/unregister")

    assert f'<a class="button button-small button-danger" href="{SHOP_URL}/unregister">Unregister…</a>' in html
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert '<h1 id="unregister-heading">Unregister component shop?</h1>' in page
    assert f'<dd><a href="/catalog/locations/{shop.pk}">{shop.target}</a>' in page
    assert '<dd data-testid="unregister-summary"><strong>2</strong>: 2 Component</dd>' in page
    listed = page[page.index('data-testid="unregister-entities"') :].split("</div>")[0]
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', listed) == [
        ("/catalog/component/default/shop", "shop"),
        ("/catalog/component/default/shop-worker", "shop-worker"),
    ]
    assert "Unregister the location and its 2 entities</button>" in page
    assert catalog_state() == before  # showing the confirmation changes nothing


def test_an_owner_unregisters_the_location_with_its_entities_audited_as_them(client, shop, olga):
    client.force_login(olga)
    team = Location.objects.get(target__endswith="team/catalog-info.yaml")

    response = client.post(f"{SHOP_URL}/unregister")

    assert response.status_code == 302
    assert response["Location"] == "/catalog/"
    assert not Location.objects.filter(pk=shop.pk).exists()
    assert sorted(Entity.objects.values_list("ref", flat=True)) == ["group:default/owners", "user:default/olga"]
    assert Entity.objects.filter(location=team).count() == 2
    entries = AuditEntry.objects.filter(action="delete").order_by("object_type", "object_label")
    assert [(entry.object_type, entry.object_label, entry.actor_id) for entry in entries] == [
        ("catalog.entity", "Component:default/shop", olga.pk),
        ("catalog.entity", "Component:default/shop-worker", olga.pk),
        ("catalog.location", f"file:{shop.target}", olga.pk),
    ]
    html = client.get("/catalog/").content.decode()
    assert f"The location {shop.target} was unregistered: its 2 entities left the catalog." in html


def test_an_administrator_may_unregister_too(staff_client, shop):
    assert staff_client.get(f"{SHOP_URL}/unregister").status_code == 200

    staff_client.post(f"{SHOP_URL}/unregister")

    assert not Location.objects.filter(pk=shop.pk).exists()


def test_an_owner_of_some_of_what_the_location_holds_may_not_unregister_it(client, write, olga):
    load_file(write("team/catalog-info.yaml", TEAM))
    mixed = component("shop", owner="owners") + "---\n" + component("ledger", owner="finance")
    load_file(write("shop/catalog-info.yaml", mixed))
    client.force_login(olga)
    before = catalog_state()

    html = client.get(SHOP_URL).content.decode()
    response = client.post(f"{SHOP_URL}/unregister")

    assert "Unregister" not in actions(html)
    assert response.status_code == 403
    assert catalog_state() == before


def test_someone_else_gets_403_and_nothing_changes(signed_in, shop):
    before = catalog_state()

    html = signed_in.get(SHOP_URL).content.decode()
    page = signed_in.get(f"{SHOP_URL}/unregister")
    response = signed_in.post(f"{SHOP_URL}/unregister")

    assert "Unregister" not in actions(html)
    assert page.status_code == response.status_code == 403
    assert catalog_state() == before


def test_a_signed_out_visitor_is_sent_to_sign_in_and_nothing_changes(client, shop):
    before = catalog_state()

    response = client.post(f"{SHOP_URL}/unregister")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={SHOP_URL}/unregister"
    assert catalog_state() == before


def test_a_location_atrium_manages_is_not_unregistered_even_by_an_administrator(staff_client, settings, db):
    templates = services.ensure_templates_location()
    services.process_location(templates)
    template = Entity.objects.filter(location=templates).order_by("ref").first()
    assert template is not None
    url = f"/catalog/{template.kind.lower()}/{template.namespace}/{template.name}"
    before = catalog_state()

    html = staff_client.get(url).content.decode()
    page = staff_client.get(f"{url}/unregister")
    response = staff_client.post(f"{url}/unregister")

    assert "Unregister" not in actions(html)
    assert page.status_code == response.status_code == 403
    assert catalog_state() == before


# --- star ------------------------------------------------------------------------------------------


def test_a_star_without_javascript_is_a_form_that_comes_back_to_the_page(signed_in, user, shop):
    html = actions(signed_in.get(SHOP_URL).content.decode())
    assert f'<form id="entity-star" class="star-form" method="post" action="{SHOP_URL}/star"' in html
    assert '<input type="hidden" name="starred" value="1">' in html
    assert 'aria-pressed="false"' in html

    response = signed_in.post(f"{SHOP_URL}/star", {"starred": "1"})

    assert response.status_code == 302
    assert response["Location"] == SHOP_URL
    assert list(Star.objects.values_list("user_id", "entity_ref")) == [(user.pk, "component:default/shop")]
    starred = actions(signed_in.get(SHOP_URL).content.decode())
    assert '<input type="hidden" name="starred" value="0">' in starred
    assert 'aria-pressed="true"' in starred
    assert "<span>Starred</span>" in starred


def test_htmx_gets_the_new_star_button_and_unstarring_removes_the_star(signed_in, user, shop):
    starred = signed_in.post(f"{SHOP_URL}/star", {"starred": "1"}, HTTP_HX_REQUEST="true")
    again = signed_in.post(f"{SHOP_URL}/star", {"starred": "1"}, HTTP_HX_REQUEST="true")

    html = starred.content.decode()
    assert html.startswith(f'<form id="entity-star" class="star-form" method="post" action="{SHOP_URL}/star"')
    assert '<input type="hidden" name="starred" value="0">' in html
    assert "<span>Starred</span>" in html
    assert '<input type="hidden" name="starred" value="0">' in again.content.decode()
    assert Star.objects.filter(user=user).count() == 1  # starring twice stars once

    unstarred = signed_in.post(f"{SHOP_URL}/star", {"starred": "0"}, HTTP_HX_REQUEST="true")

    assert '<input type="hidden" name="starred" value="1">' in unstarred.content.decode()
    assert not Star.objects.exists()


def test_stars_are_each_user_s_own(client, signed_in, user, shop, olga):
    signed_in.post(f"{SHOP_URL}/star", {"starred": "1"})
    client.force_login(olga)

    html = actions(client.get(SHOP_URL).content.decode())

    assert 'aria-pressed="false"' in html
    assert list(Star.objects.values_list("user_id", flat=True)) == [user.pk]


def test_a_star_is_a_post_only_of_an_entity_in_the_catalog(signed_in, shop):
    before = catalog_state()

    read = signed_in.get(f"{SHOP_URL}/star")
    missing = signed_in.post("/catalog/component/default/nowhere/star", {"starred": "1"})

    assert read.status_code == 405
    assert missing.status_code == 404
    assert catalog_state() == before


def test_a_signed_out_visitor_stars_nothing(client, shop):
    before = catalog_state()

    response = client.post(f"{SHOP_URL}/star", {"starred": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={SHOP_URL}/star"
    assert catalog_state() == before


def test_the_entity_page_with_its_actions_takes_no_more_queries(client, shop, olga, django_assert_num_queries):
    client.force_login(olga)
    # session, user; entity (with whether it is starred), relations, targets, errors; identity
    # (addresses, GitHub, User entity, groups); whether the location holds an entity of another owner
    with django_assert_num_queries(11):
        assert client.get(SHOP_URL).status_code == 200
