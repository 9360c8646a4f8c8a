"""The catalog's sections of Home: "My teams", "What my teams own", and how to link an account."""

from __future__ import annotations

import pytest

from tests.catalog.test_ui_support import load_examples
from tests.conftest import make_user


@pytest.fixture
def example_org(db, settings):
    return load_examples(settings)


def test_a_linked_account_sees_its_teams_with_member_counts(client, example_org):
    client.force_login(make_user("janelle-dawe@example.com", first_name="Janelle"))

    html = client.get("/").content.decode()

    teams = html[html.index('data-testid="home-my-teams"') :].split("</section>")[0]
    assert (
        '<p class="muted">You are <a href="/catalog/user/default/janelle.dawe">Janelle Dawe</a> in the catalog.</p>'
        in teams
    )
    assert (
        '<li><a href="/catalog/group/default/team-a">team-a</a>\n      <span class="muted">team · 5 members</span></li>'
    ) in teams
    assert (
        '<li><a href="/catalog/group/default/backstage">Backstage</a>\n'
        '      <span class="muted">sub-department · through a sub-team</span></li>'
    ) in teams
    assert teams.index("team-a") < teams.index("Backstage") < teams.index("infrastructure") < teams.index("ACME Corp")


def test_a_linked_account_sees_what_its_teams_own_by_kind(client, example_org):
    client.force_login(make_user("janelle-dawe@example.com"))

    html = client.get("/").content.decode()

    owned = html[html.index('data-testid="home-owned"') :].split("</section>")[0]
    owners = "owner=group%3Adefault%2Facme-corp&amp;owner=group%3Adefault%2Fbackstage"
    assert f'<dt><a href="/catalog/?kind=component&amp;{owners}' in owned
    assert ">5 Components</a></dt>" in owned
    assert '<a href="/catalog/component/default/artist-lookup">artist-lookup</a>' in owned
    assert ">2 Domains</a></dt>" in owned
    assert "All 9 in the catalog" in owned
    # The list link shows exactly those entities.
    link = owned[owned.index('<a class="button" href="') + len('<a class="button" href="') :].split('"')[0]
    assert "1\u20139 of 9 entities" in client.get(link.replace("&amp;", "&")).content.decode()


def test_an_unlinked_account_is_told_how_linking_works(signed_in, example_org):
    html = signed_in.get("/").content.decode()

    card = html[html.index('data-testid="home-link-account"') :].split("</section>")[0]
    assert "Your account is not linked to a person in the catalog yet" in card
    assert "whose <code>spec.profile.email</code> is one of your <strong>verified</strong> e-mail addresses" in card
    assert "<strong>dev@example.com</strong>" in card
    assert 'data-testid="home-owned"' not in html


def test_home_stays_cheap(client, example_org, django_assert_max_num_queries):
    client.force_login(make_user("janelle-dawe@example.com"))

    # session, user; identity (addresses, GitHub, User entity, groups, Group entities); member
    # counts; owned by kind; named entities; and the foundation's own sections.
    with django_assert_max_num_queries(14):
        assert client.get("/").status_code == 200
