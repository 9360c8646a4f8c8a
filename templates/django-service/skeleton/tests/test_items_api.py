import pytest

from items.models import Item


@pytest.mark.django_db
def test_the_api_refuses_anonymous_callers(api_client):
    response = api_client.get("/api/v1/items/")

    assert response.status_code == 403


@pytest.mark.django_db
def test_an_item_is_created_then_listed(signed_in):
    created = signed_in.post("/api/v1/items/", {"name": "First", "description": "The first one."}, format="json")

    assert created.status_code == 201
    listed = signed_in.get("/api/v1/items/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1
    assert listed.json()["results"] == [created.json()]
    assert {key: created.json()[key] for key in ("name", "description", "archived_at")} == {
        "name": "First",
        "description": "The first one.",
        "archived_at": None,
    }


@pytest.mark.django_db
def test_an_item_needs_a_name(signed_in):
    response = signed_in.post("/api/v1/items/", {"description": "No name."}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_an_archived_item_leaves_the_default_list(signed_in):
    kept = Item.objects.create(name="Kept")
    archived = Item.objects.create(name="Archived")

    response = signed_in.post(f"/api/v1/items/{archived.pk}/archive/")

    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    assert [item["id"] for item in signed_in.get("/api/v1/items/").json()["results"]] == [kept.pk]
    assert [item["id"] for item in signed_in.get("/api/v1/items/?archived=true").json()["results"]] == [archived.pk]


@pytest.mark.django_db
def test_archiving_twice_keeps_the_first_date(signed_in):
    item = Item.objects.create(name="Once")
    first = signed_in.post(f"/api/v1/items/{item.pk}/archive/").json()["archived_at"]

    second = signed_in.post(f"/api/v1/items/{item.pk}/archive/").json()["archived_at"]

    assert second == first
