"""Catalog health: locations with their status and counts, errors with where they were found,
filters, "Refresh now", and deleting a location (allowed users only, no trace otherwise)."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.models import Entity, Location, LocationError
from portal.models import AuditEntry, Run
from tests.catalog.test_ui_support import file_writer, load_file
from tests.conftest import make_user

GOOD = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: good}
spec: {type: service, lifecycle: production, owner: team-x}
"""
BAD = """apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: bad}
spec: {type: service}
---
this: [is not yaml
"""


@pytest.fixture
def locations(db, settings, tmp_path):
    write = file_writer(settings, tmp_path)
    owner = make_user("owner@example.com")
    good = load_file(write("good/catalog-info.yaml", GOOD))
    bad = load_file(write("bad/catalog-info.yaml", BAD))
    Location.objects.filter(pk=good.pk).update(created_by=owner)
    good.refresh_from_db()
    return {"good": good, "bad": bad, "owner": owner}


def test_every_location_with_status_counts_and_actions(signed_in, locations):
    response = signed_in.get("/catalog/health")

    html = response.content.decode()
    assert response.status_code == 200
    good, bad = locations["good"], locations["bad"]
    good_row = html[html.index(f'<a href="/catalog/locations/{good.pk}">') :].split("</tr>")[0]
    assert '<span class="badge badge-ok">read without errors</span>' in good_row
    assert "<td>1</td>\n      <td>0</td>" in good_row
    assert f'<form method="post" action="/catalog/locations/{good.pk}/refresh">' in good_row
    assert "Delete location" not in good_row  # dev@example.com did not register it
    bad_row = html[html.index(f'<a href="/catalog/locations/{bad.pk}">') :].split("</tr>")[0]
    assert '<span class="badge badge-warn">read, with errors</span>' in bad_row
    assert f'<td><a href="?location={bad.pk}#errors">3</a></td>' in bad_row
    assert html.index(f"/catalog/locations/{bad.pk}") < html.index(f"/catalog/locations/{good.pk}")  # worst first


def test_every_error_with_file_document_line_and_message(signed_in, locations):
    html = signed_in.get("/catalog/health").content.decode()

    errors = html[html.index('id="errors"') :]
    path = str(locations["bad"].target)
    assert f"<code>{path}</code>" in errors
    assert '<span class="where-detail">document 1, line 4</span>' in errors
    assert '<span class="where-detail">document 2, line 7</span>' in errors
    assert "spec.lifecycle is missing; it is required for kind Component" in errors
    assert '<span class="badge badge-danger">parse</span>' in errors


def test_errors_filter_by_location_and_kind(signed_in, locations):
    bad = locations["bad"]

    by_kind = signed_in.get("/catalog/health?kind=parse").content.decode()
    by_location = signed_in.get(f"/catalog/health?location={locations['good'].pk}").content.decode()
    nonsense = signed_in.get("/catalog/health?location=not-a-uuid&kind=nonsense").content.decode()

    assert '<h2 id="errors-heading">Errors <span class="badge">1</span></h2>' in by_kind
    assert '<option value="parse" selected>parse</option>' in by_kind
    assert '<h2 id="errors-heading">Errors <span class="badge">0</span></h2>' in by_location
    assert "No errors match these filters." in by_location
    assert f'<h2 id="errors-heading">Errors <span class="badge">{bad.errors.count()}</span></h2>' in nonsense


def test_the_health_page_takes_a_handful_of_queries(signed_in, locations, django_assert_max_num_queries):
    # session, user, locations, entity counts, error counts, refreshes running, the errors
    with django_assert_max_num_queries(7):
        assert signed_in.get("/catalog/health").status_code == 200


def test_refresh_now_queues_a_refresh_once(signed_in, locations):
    good = locations["good"]

    first = signed_in.post(f"/catalog/locations/{good.pk}/refresh")
    second = signed_in.post(f"/catalog/locations/{good.pk}/refresh")

    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/catalog/locations/{good.pk}"
    assert list(Run.objects.filter(object_id=str(good.pk)).values_list("kind", "status")) == [
        ("catalog.refresh_location", "pending")
    ]
    page = signed_in.get("/catalog/health").content.decode()
    assert '<span class="badge">refreshing…</span>' in page


def test_its_creator_deletes_a_location_with_its_entities(client, locations):
    good = locations["good"]
    client.force_login(locations["owner"])

    confirm = client.get(f"/catalog/locations/{good.pk}/delete")
    response = client.post(f"/catalog/locations/{good.pk}/delete")

    assert "Its <strong>1 entity</strong> leave the catalog with it." in confirm.content.decode()
    assert response["Location"] == "/catalog/health"
    assert not Location.objects.filter(pk=good.pk).exists()
    assert not Entity.objects.filter(name="good").exists()
    assert AuditEntry.objects.filter(action="delete", object_id=str(good.pk)).exists()


def test_someone_else_may_not_delete_a_location_and_it_stays(signed_in, locations):
    good = locations["good"]
    audit_before = AuditEntry.objects.count()

    page = signed_in.get(f"/catalog/locations/{good.pk}/delete")
    response = signed_in.post(f"/catalog/locations/{good.pk}/delete")

    assert page.status_code == response.status_code == 403
    assert Location.objects.filter(pk=good.pk).exists()
    assert Entity.objects.filter(name="good").exists()
    assert AuditEntry.objects.filter(action="delete").count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_the_managed_templates_location_cannot_be_deleted_even_by_an_administrator(client, db):
    client.force_login(make_user("lead@example.com", staff=True, is_superuser=True))
    templates = services.ensure_templates_location()

    html = client.get("/catalog/health").content.decode()
    response = client.post(f"/catalog/locations/{templates.pk}/delete")

    row = html[html.index(f'<a href="/catalog/locations/{templates.pk}">') :].split("</tr>")[0]
    assert "managed by Atrium" in row
    assert "Delete location" not in row
    assert response.status_code == 403
    assert Location.objects.filter(pk=templates.pk).exists()


def test_the_location_page_shows_its_entities_and_errors(signed_in, locations):
    bad = locations["bad"]

    html = signed_in.get(f"/catalog/locations/{bad.pk}").content.decode()

    assert '<span class="badge badge-warn">read, with errors</span>' in html
    assert '<h2 id="location-errors-heading">Errors <span class="badge badge-danger">3</span></h2>' in html
    assert "No entities from this location." in html
    assert LocationError.objects.filter(location=bad).count() == 3


def test_an_unknown_location_is_404(signed_in, db):
    assert signed_in.get("/catalog/locations/3f1d1f4e-5b0c-4a53-9a55-3a0c4a8a1b2c").status_code == 404
