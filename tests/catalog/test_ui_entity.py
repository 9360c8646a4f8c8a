"""The entity page: every kind of the example organisation, case-insensitive URLs, about and source,
relations (graph and table), entities not in the catalog, banners, the descriptor, deleting orphans."""

from __future__ import annotations

import pytest

from catalog.models import Entity, LocationError
from catalog.views.common import url_of
from catalog.views.entity import edit_url
from tests.catalog.test_ui_support import EXAMPLES, file_writer, load_examples, load_file, offline
from tests.conftest import make_user

SERVICE = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: {name}
  annotations: {{backstage.io/edit-url: "https://git.example.com/edit/{name}.yaml"}}
spec: {{type: service, lifecycle: production, owner: {owner}, dependsOn: [component:ghost]}}
"""
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


@pytest.fixture
def example_org(db, settings):
    return load_examples(settings)


@pytest.fixture
def write(settings, tmp_path):
    return file_writer(settings, tmp_path)


def test_every_entity_of_the_example_org_has_a_page(signed_in, example_org):
    entities = list(Entity.objects.all())
    assert {entity.kind for entity in entities} == {
        "API",
        "Component",
        "Domain",
        "Group",
        "Location",
        "Resource",
        "System",
        "User",
    }
    for entity in entities:
        response = signed_in.get(url_of(entity))
        html = response.content.decode()
        assert response.status_code == 200, entity.ref
        assert f"<code>{entity.ref}</code>" in html, entity.ref
        assert '<section class="card section" aria-labelledby="descriptor-heading">' in html, entity.ref


def test_templates_have_a_page_too(signed_in, db, settings):
    offline(settings)
    load_file(EXAMPLES.parent / "templates" / "*" / "template.yaml")
    templates = list(Entity.objects.filter(kind="Template"))

    assert len(templates) == 3
    for template in templates:
        response = signed_in.get(url_of(template))
        assert response.status_code == 200, template.ref
        assert '<p class="entity-kind">Template' in response.content.decode()


def test_the_url_ignores_letter_case(signed_in, example_org):
    response = signed_in.get("/catalog/Component/DEFAULT/Artist-Lookup")

    assert response.status_code == 200
    assert "<h1>artist-lookup</h1>" in response.content.decode()


def test_about_and_source(signed_in, example_org):
    html = signed_in.get("/catalog/component/default/artist-lookup").content.decode()

    assert '<p class="entity-kind">Component · service</p>' in html
    assert '<dt>Owner</dt><dd><a href="/catalog/group/default/team-a">team-a</a></dd>' in html
    system = '<a href="/catalog/system/default/artist-engagement-portal">artist-engagement-portal</a>'
    assert f"<dt>System</dt><dd>{system}</dd>" in html
    assert '<a class="tag" href="/catalog/?tag=java">java</a><a class="tag" href="/catalog/?tag=data">data</a>' in html
    assert '<li><a href="https://example.com/dashboard" rel="noopener noreferrer">Dashboard</a></li>' in html
    assert "/tests/data/backstage/examples/components/artist-lookup-component.yaml</code>" in html
    assert '<span class="badge badge-ok">owned by your team</span>' not in html  # dev@example.com is nobody here


def test_a_system_page_links_its_domain(signed_in, example_org):
    html = signed_in.get("/catalog/system/default/artist-engagement-portal").content.decode()

    assert '<dt>Domain</dt><dd><a href="/catalog/domain/default/artists">artists</a></dd>' in html


def test_relations_as_graph_and_table(signed_in, example_org):
    html = signed_in.get("/catalog/component/default/artist-lookup").content.decode()

    graph = html[html.index('<div class="graph-wrap"') :].split("</div>")[0]
    assert graph.count("<svg ") == 2  # the wide drawing and the phone one
    assert (
        '<a class="graph-node" href="/catalog/group/default/team-a" data-ref="group:default/team-a" '
        'aria-label="Owned by: Group team-a">'
    ) in graph
    table = html[html.index('<div class="table-wrap" id="relations">') :].split("</table>")[0]
    assert (
        '<td>Depends on</td>\n        <td><a href="/catalog/resource/default/artists-db">artists-db</a> '
        '<span class="muted rel-ref">resource:artists-db</span></td>\n        <td>Resource</td>'
    ) in table
    assert table.count("<tr>") == 4  # the header and three relations


def test_an_unresolved_target_is_dashed_and_has_a_404_page(signed_in, db, write):
    load_file(write("svc/catalog-info.yaml", SERVICE.format(name="shop", owner="owners")))

    html = signed_in.get("/catalog/component/default/shop").content.decode()
    missing = signed_in.get("/catalog/component/default/ghost")

    assert '<g class="graph-node graph-unresolved" data-ref="component:default/ghost">' in html
    assert (
        '<span class="unresolved">component:ghost</span> <span class="badge badge-warn">not in catalog</span>' in html
    )
    assert missing.status_code == 404
    text = missing.content.decode()
    assert "<h1>ghost is not (yet) in the catalog</h1>" in text
    assert (
        '<li>Dependency of: <a href="/catalog/component/default/shop">shop</a> '
        '<span class="muted">Component</span></li>' in text
    )


def test_the_edit_link_comes_from_the_annotation_or_a_github_source(signed_in, db, write):
    load_file(write("svc/catalog-info.yaml", SERVICE.format(name="shop", owner="owners")))

    html = signed_in.get("/catalog/component/default/shop").content.decode()

    edit = '<a class="button button-small" href="https://git.example.com/edit/shop.yaml" rel="noopener noreferrer">'
    assert f"{edit}Edit the descriptor</a>" in html
    managed = {"backstage.io/managed-by-location": "url:https://github.com/acme/shop/blob/main/catalog-info.yaml"}
    assert edit_url(managed) == "https://github.com/acme/shop/edit/main/catalog-info.yaml"
    assert edit_url({"backstage.io/managed-by-location": "file:/srv/catalog-info.yaml"}) == ""


def test_links_of_other_schemes_than_web_and_mail_are_left_out(signed_in, db, write):
    load_file(
        write(
            "xss/catalog-info.yaml",
            """apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: sly
  links: [{url: "javascript:alert(1)", title: Click}, {url: "https://ok.example", title: Fine}]
  annotations: {backstage.io/edit-url: "javascript:alert(2)", backstage.io/view-url: "data:text/html,hi"}
spec: {type: service, lifecycle: production, owner: team-x}
""",
        )
    )

    html = signed_in.get("/catalog/component/default/sly").content.decode()

    assert '<li><a href="https://ok.example" rel="noopener noreferrer">Fine</a></li>' in html
    assert 'href="javascript:' not in html
    assert 'href="data:' not in html
    assert "Edit the descriptor" not in html


def test_the_descriptor_is_shown_as_yaml_with_definitions_as_blocks(signed_in, example_org):
    html = signed_in.get("/catalog/api/default/petstore").content.decode()

    descriptor = html[html.index('<details class="descriptor">') :].split("</details>")[0]
    assert "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: petstore\n" in descriptor
    assert "  definition: |\n    openapi: &quot;3.0.0&quot;\n" in descriptor


def test_a_group_page_has_members_parent_sub_teams_and_what_it_owns(signed_in, example_org):
    team_c = signed_in.get("/catalog/group/default/team-c").content.decode()
    members = team_c[team_c.index('id="members-heading"') :].split("</section>")[0]
    assert '<a href="/catalog/user/default/peadar.macmahon">Peadar MacMahon</a>' in members
    html = signed_in.get("/catalog/group/default/backstage").content.decode()
    place = html[html.index('id="teams-heading"') :].split("</section>")[0]
    assert '<dt>Parent</dt>\n      <dd><a href="/catalog/group/default/infrastructure">infrastructure</a></dd>' in place
    assert '<li><a href="/catalog/group/default/team-a">team-a</a></li>' in place
    assert '<li><a href="/catalog/group/default/team-b">Team B</a></li>' in place
    owned = signed_in.get("/catalog/group/default/team-a").content.decode()
    owned = owned[owned.index('id="owned-heading"') :].split("</section>")[0]
    assert '<p class="muted">5 Components · 1 Domain · 1 Resource · 1 System</p>' in owned
    assert '<a href="/catalog/component/default/artist-lookup">artist-lookup</a>' in owned


def test_a_user_page_has_its_teams_with_inherited_ones_and_what_they_own(client, example_org):
    client.force_login(make_user("janelle-dawe@example.com"))

    html = client.get("/catalog/user/default/janelle.dawe").content.decode()

    assert '<span class="badge badge-ok">this is you</span>' in html
    teams = html[html.index('id="groups-heading"') :].split("</section>")[0]
    assert '<li><a href="/catalog/group/default/team-a">team-a</a></li>' in teams
    assert (
        '<li><a href="/catalog/group/default/backstage">Backstage</a> '
        '<span class="muted">(through a sub-team)</span></li>' in teams
    )
    owned = html[html.index('id="owned-heading"') :].split("</section>")[0]
    assert '<h2 id="owned-heading">Owned through these teams <span class="badge">9</span></h2>' in html
    assert '<a href="/catalog/domain/default/audio">audio</a>' in owned  # owned by acme-corp, her org


def test_the_entity_page_takes_a_bounded_number_of_queries(signed_in, example_org, django_assert_max_num_queries):
    # session, user; entity, relations, targets, errors; identity (addresses, GitHub, User entity)
    with django_assert_max_num_queries(9):
        assert signed_in.get("/catalog/component/default/artist-lookup").status_code == 200
    with django_assert_max_num_queries(13):  # a team page adds its owned entities
        assert signed_in.get("/catalog/group/default/team-a").status_code == 200


def test_an_entity_reported_with_errors_shows_them(signed_in, db, write):
    load_file(write("one/catalog-info.yaml", SERVICE.format(name="shop", owner="owners")))
    load_file(write("two/catalog-info.yaml", SERVICE.format(name="shop", owner="owners")))
    error = LocationError.objects.get(entity_ref="component:default/shop")

    html = signed_in.get("/catalog/component/default/shop").content.decode()

    assert '<div class="banner banner-danger" role="alert" data-testid="error-banner">' in html
    assert f'<li><span class="badge">conflict</span> {error.message}' in html


# --- orphans ---------------------------------------------------------------------------------------


@pytest.fixture
def orphan(db, write):
    """``shop`` owned by the team ``owners`` (of olga@example.com), no longer in its file."""
    load_file(write("team/catalog-info.yaml", TEAM))
    path = write("svc/catalog-info.yaml", SERVICE.format(name="shop", owner="owners"))
    load_file(path)
    write("svc/catalog-info.yaml", SERVICE.format(name="other", owner="owners"))
    load_file(path)
    entity = Entity.objects.get(name="shop")
    assert entity.orphan
    return entity


def test_an_orphan_has_a_banner_and_its_owner_a_delete_button(client, orphan):
    client.force_login(make_user("olga@example.com"))

    html = client.get("/catalog/component/default/shop").content.decode()

    assert '<div class="banner banner-warn" role="status" data-testid="orphan-banner">' in html
    assert "<strong>This entity is no longer in its location.</strong>" in html
    assert (
        '<a class="button button-danger button-small" href="/catalog/component/default/shop/delete">Delete…</a>' in html
    )
    confirm = client.get("/catalog/component/default/shop/delete")
    assert confirm.status_code == 200
    assert '<h1 id="delete-heading">Delete component shop?</h1>' in confirm.content.decode()


def test_the_owner_deletes_an_orphan(client, orphan):
    client.force_login(make_user("olga@example.com"))

    response = client.post("/catalog/component/default/shop/delete")

    assert response.status_code == 302
    assert response["Location"] == "/catalog/"
    assert not Entity.objects.filter(name="shop").exists()


def test_someone_else_may_not_delete_an_orphan_and_it_stays(signed_in, orphan):
    html = signed_in.get("/catalog/component/default/shop").content.decode()
    page = signed_in.get("/catalog/component/default/shop/delete")
    response = signed_in.post("/catalog/component/default/shop/delete")

    assert '/delete">Delete…</a>' not in html
    assert page.status_code == 403
    assert response.status_code == 403
    assert Entity.objects.filter(name="shop", orphan=True).exists()


def test_an_entity_still_in_its_location_is_not_deleted_here(client, orphan):
    client.force_login(make_user("olga@example.com"))

    response = client.post("/catalog/component/default/other/delete")

    assert response.status_code == 403
    assert Entity.objects.filter(name="other", orphan=False).exists()
