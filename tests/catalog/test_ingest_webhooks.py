"""POST /api/catalog/webhooks/github: signed GitHub deliveries refresh the locations of a pushed branch."""

from __future__ import annotations

import json

import pytest

from catalog.models import Location, Source
from catalog.webhooks import signature_for
from portal.models import Run

pytestmark = [pytest.mark.django_db]


URL = "/api/catalog/webhooks/github"
SECRET = "webhook-test-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.CATALOG_GITHUB_WEBHOOK_SECRET = SECRET


def deliver(client, event: str, payload: dict, *, signature: str | None = None, secret: str = SECRET):
    body = json.dumps(payload).encode("utf-8")
    headers = {"HTTP_X_GITHUB_EVENT": event}
    signature = signature if signature is not None else signature_for(secret, body)
    if signature:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(URL, body, content_type="application/json", **headers)


def push(full_name: str = "acme/shop", ref: str = "refs/heads/main", default_branch: str = "main") -> dict:
    return {
        "ref": ref,
        "repository": {
            "full_name": full_name,
            "html_url": f"https://github.com/{full_name}",
            "default_branch": default_branch,
        },
    }


def url_location(target: str) -> Location:
    return Location.objects.create(type="url", target=target)


def queued() -> set[str]:
    return set(Run.objects.filter(kind="catalog.refresh_location").values_list("object_id", flat=True))


def test_a_push_refreshes_every_location_reading_the_pushed_branch_of_the_repository(client):
    # Given locations on the pushed repository and branch, a discovery of its organisation, a location
    # reaching the repository through a Location entity, and locations that do not read that branch
    direct = url_location("https://github.com/acme/shop/blob/main/catalog-info.yaml")
    case = url_location("https://github.com/ACME/Shop/blob/main/other.yaml")
    discovery = Location.objects.create(type="github-discovery", target="https://github.com/acme")
    nested = url_location("https://github.com/acme/platform/blob/main/all.yaml")
    Source.objects.create(location=nested, url="https://github.com/acme/shop/blob/main/catalog/api.yaml")
    url_location("https://github.com/acme/shop/blob/dev/catalog-info.yaml")
    url_location("https://github.com/acme/shopping/blob/main/catalog-info.yaml")
    Location.objects.create(type="github-discovery", target="https://github.com/other")

    # When GitHub delivers the push
    response = deliver(client, "push", push())

    # Then exactly those reading acme/shop@main are queued
    assert response.status_code == 202
    assert queued() == {str(direct.pk), str(case.pk), str(discovery.pk), str(nested.pk)}
    assert sorted(response.json()["locations"]) == sorted(queued())
    assert sorted(response.json()["runs"]) == sorted(str(pk) for pk in Run.objects.values_list("pk", flat=True))


def test_a_push_to_another_branch_than_the_default_does_not_refresh_discovery(client):
    Location.objects.create(type="github-discovery", target="https://github.com/acme")

    response = deliver(client, "push", push(ref="refs/heads/feature"))

    assert (response.status_code, response.json()["runs"]) == (202, [])
    assert Run.objects.count() == 0


def test_a_tag_push_refreshes_nothing(client):
    url_location("https://github.com/acme/shop/blob/main/catalog-info.yaml")

    response = deliver(client, "push", push(ref="refs/tags/v1.0.0"))

    assert (response.status_code, Run.objects.count()) == (202, 0)


@pytest.mark.parametrize(
    "signature", ["", "sha256=" + "0" * 64, "sha1=abc"], ids=["missing", "wrong", "other-algorithm"]
)
def test_a_delivery_without_the_right_signature_is_refused_and_queues_nothing(client, signature):
    url_location("https://github.com/acme/shop/blob/main/catalog-info.yaml")

    response = deliver(client, "push", push(), signature=signature)

    assert response.status_code == 403
    assert response.json() == {"detail": "Missing or wrong X-Hub-Signature-256 signature."}
    assert Run.objects.count() == 0


def test_a_delivery_signed_with_another_secret_is_refused(client):
    response = deliver(client, "push", push(), secret="another-secret")

    assert (response.status_code, Run.objects.count()) == (403, 0)


def test_the_webhook_is_refused_while_no_secret_is_configured(client, settings):
    settings.CATALOG_GITHUB_WEBHOOK_SECRET = ""

    response = deliver(client, "push", push(), secret="anything")

    assert response.status_code == 503
    assert response.json() == {"detail": "The GitHub webhook is not configured: set CATALOG_GITHUB_WEBHOOK_SECRET."}


def test_a_ping_is_answered(client):
    response = deliver(client, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})

    assert (response.status_code, response.json()) == (200, {"event": "ping", "ok": True})


def test_other_events_are_acknowledged_and_ignored(client):
    response = deliver(client, "issues", {"action": "opened"})

    assert (response.status_code, response.json()) == (202, {"event": "issues", "ignored": True})


def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405
