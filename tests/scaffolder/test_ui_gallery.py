"""The Create gallery and a template's page: cards of the templates the user may run, filters, text search,
what a template asks, does and gives, and the few queries they take."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.catalog.test_ui_support import load_file
from tests.scaffolder import test_ui_support as support
from tests.scaffolder.test_ui_support import text_of

# Fixtures of the Create tests.
golden, org, samples, widgets, write = support.golden, support.org, support.samples, support.widgets, support.write


def cards(html: str) -> list[str]:
    return re.findall(r'data-template="template:default/([^"]+)"', html)


def test_the_gallery_shows_a_card_per_template(signed_in, golden):
    response = signed_in.get("/create/")

    html = response.content.decode()
    assert response.status_code == 200
    assert cards(html) == ["django-service", "fastapi-service", "python-library"]
    assert '<h2 id="gallery-heading" class="results-count">3 of 3 templates</h2>' in html
    card = html[html.index('data-template="template:default/python-library"') :].split("</li>")[0]
    assert '<span class="template-type">library</span>' in card
    assert '<h3><a href="/create/templates/default/python-library">Python library</a></h3>' in card
    assert '<p class="template-description">A Python library in the src layout' in card
    assert '<dt>Owner</dt><dd><a href="/catalog/group/default/platform">platform</a></dd>' in card
    assert '<span class="tag">python</span><span class="tag">library</span><span class="tag">recommended</span>' in card
    assert '<a class="button button-primary" href="/create/templates/default/python-library/run"' in card
    assert 'aria-current="page" data-nav="create"' in html


def test_filters_by_type_tag_owner_and_text(signed_in, golden, widgets):
    assert cards(signed_in.get("/create/?type=library").content.decode()) == ["python-library"]
    assert cards(signed_in.get("/create/?tag=forms").content.decode()) == ["widgets"]
    assert cards(signed_in.get("/create/?owner=group:default/platform&type=service").content.decode()) == [
        "django-service",
        "fastapi-service",
    ]
    assert cards(signed_in.get("/create/?q=celery workers").content.decode()) == ["django-service"]
    assert cards(signed_in.get("/create/?q=every").content.decode()) == ["widgets"]
    empty = signed_in.get("/create/?q=nothing-like-this").content.decode()
    assert cards(empty) == []
    assert "No template matches “nothing-like-this”." in text_of(empty)


def test_facet_counts_follow_the_other_filters(signed_in, golden, widgets):
    html = signed_in.get("/create/?type=library").content.decode()

    type_facet = html[html.index('data-facet="type"') :].split("</fieldset>")[0]
    tag_facet = html[html.index('data-facet="tag"') :].split("</fieldset>")[0]
    assert re.findall(
        r'value="([^"]+)"( checked)?>\s*<label[^>]*>[^<]*</label><span class="count">(\d+)', type_facet
    ) == [
        ("service", "", "3"),
        ("library", " checked", "1"),
    ]
    assert re.findall(r'value="([^"]+)"[^>]*>\s*<label[^>]*>[^<]*</label><span class="count">(\d+)', tag_facet) == [
        ("library", "1"),
        ("python", "1"),
        ("recommended", "1"),
    ]
    assert '<a class="chip" href="?" aria-label="Remove filter Type: library">' in html


def test_htmx_gets_only_the_gallery(signed_in, golden):
    response = signed_in.get("/create/?type=library", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.startswith('<div id="template-gallery" class="gallery">')
    assert "<html" not in html


def test_the_gallery_takes_the_same_queries_whatever_the_number_of_templates(
    signed_in, golden, samples, settings, tmp_path
):
    signed_in.get("/create/")
    with CaptureQueriesContext(connection) as few:
        signed_in.get("/create/")
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(tmp_path)]
    for number in range(5):
        path = tmp_path / f"t{number}.yaml"
        path.write_text(
            f"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {{name: extra-{number}}}\n"
            "spec: {owner: team-a, type: service, steps: []}\n",
            encoding="utf-8",
        )
        load_file(path)
    with CaptureQueriesContext(connection) as many:
        html = signed_in.get("/create/").content.decode()

    assert len(cards(html)) == 11
    assert len(many) == len(few)
    assert len(few) <= 8


def test_no_template_yet_says_how_to_add_one(signed_in, db):
    from django.utils import timezone

    from catalog.models import Location

    Location.objects.update(last_refreshed=timezone.now())  # every location has been read: nothing to wait for
    html = signed_in.get("/create/").content.decode()

    assert "There is no template you may run yet." in html
    assert '<a href="/catalog/register">register a <code>template.yaml</code></a>' in html


def test_no_template_while_locations_are_still_being_read_says_so(signed_in, db):
    """A fresh installation: migrate registered the templates folder, and its first read has not ended."""
    html = signed_in.get("/create/").content.decode()

    assert "There is no template you may run yet." not in html
    assert "The catalog is still reading 1 location; the templates they hold appear here once read." in html
    assert '<a href="/catalog/health">See what is being read</a>' in html


def test_a_template_page_shows_what_it_asks_does_and_gives(signed_in, golden):
    response = signed_in.get("/create/templates/default/django-service")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Django service</h1>" in html
    assert '<a class="button button-primary" href="/create/templates/default/django-service/run">Start</a>' in html
    assert '<span><a href="/catalog/template/default/django-service">In the catalog</a></span>' in html
    assert list(re.findall(r"<h3>\d\. ([^<]+)</h3>", html)) == [
        "Service details",
        "Options",
        "Repository",
    ]
    assert (
        '<tr><td class="depth-0"><strong>Owner</strong> <span class="badge">required</span> <code>owner</code></td>\n'
        "            <td>owner (catalog group or user)</td>"
        "<td>The team that owns the service and is paged for it.</td></tr>"
    ) in html
    assert "<td>repository location</td>" in html
    steps = re.findall(r"<li><strong>([^<]+)</strong> <code>([^<]+)</code>", html)
    assert steps == [
        ("Render the skeleton", "fetch:template"),
        ("Add the Celery worker", "fetch:template"),
        ("Publish to Atrium&#x27;s git host", "publish:git"),
        ("Publish to GitHub", "publish:github"),
        ("Register in the catalog", "catalog:register"),
    ]
    assert '<span class="muted">only if <code>${{ parameters.celery }}</code></span>' in html
    assert "Renders a skeleton folder of the template into the workspace" in html
    assert '<li>Repository</li><li>Open in catalog <span class="muted">(in the catalog)</span></li>' in html


def test_a_template_page_names_unknown_actions_and_conditional_pages(signed_in, samples):
    nodejs = signed_in.get("/create/templates/default/example-nodejs-template").content.decode()
    demo = signed_in.get("/create/templates/default/conditional-parameters-demo").content.decode()

    assert "Atrium has no action “notification:send”: a run fails at this step." in nodejs
    assert (
        '<h3>2. AWS Configuration <span class="badge" title="${{ parameters.cloudProvider === &#x27;AWS&#x27; }}">'
        in demo
    )


def test_an_unknown_template_is_404(signed_in, golden):
    assert signed_in.get("/create/templates/default/nothing").status_code == 404
    assert signed_in.get("/create/templates/default/nothing/run").status_code == 404
