"""Reading the catalog from GitHub through PyGithub, against the fake GitHub (tests/fakes/github.py)."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.ingest import github
from catalog.models import Entity, LocationError, LocationStatus
from portal import runs
from portal.models import Run
from tests.catalog.ingest_helpers import component, location

pytestmark = pytest.mark.django_db

API = (
    "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {name}\nspec:\n  type: openapi\n"
    "  lifecycle: production\n  owner: team-x\n  definition:\n    $text: {definition}\n"
)


def refs(location_) -> list[str]:
    return sorted(Entity.objects.filter(location=location_).values_list("ref", flat=True))


def test_a_github_file_is_read_through_the_api_with_the_token_and_gets_its_view_and_edit_urls(fake_github):
    fake_github.add_file(
        "acme/shop", "catalog/catalog-info.yaml", component("shop") + "---\n" + location("more", "./apis/api.yaml")
    )
    fake_github.add_file(
        "acme/shop", "catalog/apis/api.yaml", API.format(name="shop-api", definition="../../openapi.yaml")
    )
    fake_github.add_file("acme/shop", "openapi.yaml", "openapi: 3.0.0\n")
    url = "https://github.com/acme/shop/blob/main/catalog/catalog-info.yaml"
    loc = services.register_location(type="url", target=url, refresh=False)

    report = services.process_location(loc)

    assert report.status == LocationStatus.OK
    assert refs(loc) == ["api:default/shop-api", "component:default/shop", "location:default/more"]
    assert Entity.objects.get(ref="component:default/shop").body["metadata"]["annotations"] == {
        "backstage.io/managed-by-location": f"url:{url}",
        "backstage.io/managed-by-origin-location": f"url:{url}",
        "backstage.io/view-url": url,
        "backstage.io/edit-url": "https://github.com/acme/shop/edit/main/catalog/catalog-info.yaml",
        "backstage.io/source-location": "url:https://github.com/acme/shop/tree/main/catalog/",
    }
    api = Entity.objects.get(ref="api:default/shop-api")
    assert api.body["spec"]["definition"] == "openapi: 3.0.0\n"
    assert api.body["metadata"]["annotations"]["backstage.io/managed-by-location"] == (
        "url:https://github.com/acme/shop/blob/main/catalog/apis/api.yaml"
    )
    assert [(request.path, request.query, request.authorization) for request in fake_github.requests] == [
        ("/repos/acme/shop/contents/catalog/catalog-info.yaml", {"ref": ["main"]}, "token fake-github-token"),
        ("/repos/acme/shop/contents/catalog/apis/api.yaml", {"ref": ["main"]}, "token fake-github-token"),
        ("/repos/acme/shop/contents/openapi.yaml", {"ref": ["main"]}, "token fake-github-token"),
    ]


def test_a_file_over_one_megabyte_is_read_from_the_git_blob_api(fake_github):
    definition = "openapi: 3.0.0\n" + "# padding\n" * 120_000
    fake_github.add_file("acme/shop", "catalog-info.yaml", API.format(name="big", definition="./big.yaml"))
    fake_github.add_file("acme/shop", "big.yaml", definition)
    loc = services.register_location(
        type="url", target="https://github.com/acme/shop/blob/main/catalog-info.yaml", refresh=False
    )

    services.process_location(loc)

    assert Entity.objects.get().body["spec"]["definition"] == definition
    assert any(path.startswith("/repos/acme/shop/git/blobs/") for path in fake_github.paths_requested())


def test_a_github_file_that_does_not_exist_fails_the_location_and_writes_nothing(fake_github):
    fake_github.add_repo("acme/shop")
    url = "https://github.com/acme/shop/blob/main/nothing.yaml"
    loc = services.register_location(type="url", target=url, refresh=False)

    report = services.process_location(loc)

    loc.refresh_from_db()
    assert (loc.status, loc.last_error) == (LocationStatus.FAILED, f"{url}: not found on GitHub")
    assert (report.failure, report.transient) == (f"{url}: not found on GitHub", False)
    assert Entity.objects.count() == 0


def test_a_github_url_that_names_no_file_is_refused_at_registration():
    with pytest.raises(services.CatalogError) as raised:
        services.register_location(type="url", target="https://github.com/acme/shop")

    assert str(raised.value) == (
        "https://github.com/acme/shop is not the URL of a file on GitHub; "
        "use https://github.com/OWNER/REPO/blob/BRANCH/PATH"
    )


def test_github_enterprise_urls_are_recognised_from_the_api_url(settings):
    settings.CATALOG_GITHUB_API_URL = "https://ghe.example.com/api/v3"

    assert github.is_github_url("https://ghe.example.com/acme/shop/blob/main/catalog-info.yaml") is True
    assert github.is_github_url("https://github.com/acme/shop/blob/main/catalog-info.yaml") is True
    assert github.is_github_url("https://gitlab.example.com/acme/shop/blob/main/catalog-info.yaml") is False
    assert github.parse_org_url("https://ghe.example.com/acme") == "acme"


def _organisation(fake):
    fake.page_size = 2  # five repositories: three pages
    fake.add_file("acme/alpha", "catalog-info.yaml", component("alpha"))
    fake.add_repo("acme/bare")  # no catalog file
    fake.add_repo("acme/old", archived=True)
    fake.add_file("acme/old", "catalog-info.yaml", component("old"))
    fake.add_repo("acme/copy", fork=True)
    fake.add_file("acme/copy", "catalog-info.yaml", component("copy"))
    fake.add_repo("acme/tagged", default_branch="trunk", topics=["backstage"])
    fake.add_file("acme/tagged", "catalog-info.yaml", component("tagged"))


def test_discovery_reads_each_repositorys_default_branch_skips_archived_and_forks_and_logs_the_counts(fake_github):
    # Given an organisation of five repositories, one without a catalog file, one archived, one fork
    _organisation(fake_github)
    loc = services.register_location(type="github-discovery", target="https://github.com/acme", refresh=False)
    refresh = services.refresh_location(loc)

    # When its refresh run runs
    outcome = runs.execute(refresh.pk)

    # Then the two regular repositories with a file are imported, and the run's log says what happened
    refresh = Run.objects.get(pk=refresh.pk)
    assert outcome.status == "succeeded"
    assert refs(loc) == ["component:default/alpha", "component:default/tagged"]
    messages = [event.message for event in refresh.events.order_by("id")]
    assert messages == [
        "Beginning step Read the location",
        "Reading github-discovery location https://github.com/acme",
        "Discovery: 3 repositories, 1 without a catalog file (skipped).",
        "Sources: 2 read, 0 unchanged (skipped), 0 could not be read.",
        "Entities: 2 added, 0 updated, 0 moved, 0 unchanged, 0 orphaned.",
        "Finished step Read the location",
        "Run completed with status: succeeded",
    ]
    assert refresh.params == {"location_id": str(loc.pk)}
    tagged = Entity.objects.get(ref="component:default/tagged")
    assert tagged.body["metadata"]["annotations"]["backstage.io/managed-by-location"] == (
        "url:https://github.com/acme/tagged/blob/trunk/catalog-info.yaml"
    )
    assert tagged.body["metadata"]["annotations"]["backstage.io/managed-by-origin-location"] == (
        "github-discovery:https://github.com/acme"
    )
    pages = [
        request.query.get("page", ["1"])[0] for request in fake_github.requests if request.path == "/orgs/acme/repos"
    ]
    assert pages == ["1", "2", "3"]
    assert LocationError.objects.count() == 0


def test_discovery_options_filter_by_topic_and_may_include_archived_and_forks(fake_github):
    _organisation(fake_github)
    by_topic = services.register_location(
        type="github-discovery", target="https://github.com/acme", options={"topic": "Backstage"}, refresh=False
    )

    services.process_location(by_topic)
    topic_refs = refs(by_topic)
    services.delete_location(by_topic)
    everything = services.register_location(
        type="github-discovery",
        target="https://github.com/acme",
        options={"include_archived": True, "include_forks": True},
        refresh=False,
    )
    services.process_location(everything)

    assert topic_refs == ["component:default/tagged"]
    assert refs(everything) == [
        "component:default/alpha",
        "component:default/copy",
        "component:default/old",
        "component:default/tagged",
    ]


def test_a_repository_that_loses_its_catalog_file_orphans_its_entities(fake_github):
    _organisation(fake_github)
    loc = services.register_location(type="github-discovery", target="https://github.com/acme", refresh=False)
    services.process_location(loc)

    fake_github.remove_file("acme/alpha", "catalog-info.yaml")
    report = services.process_location(loc)

    assert report.stats.repositories_without_file == 2
    assert list(Entity.objects.filter(orphan=True).values_list("ref", flat=True)) == ["component:default/alpha"]


def test_discovery_of_an_unknown_organisation_fails_with_a_clear_error(fake_github):
    loc = services.register_location(type="github-discovery", target="https://github.com/nobody", refresh=False)

    report = services.process_location(loc)

    assert report.failure == "GitHub organisation nobody: not found on GitHub"
    assert report.status == LocationStatus.FAILED


def test_discovery_options_are_checked_at_registration():
    with pytest.raises(services.CatalogError, match="must be a file path inside the repository"):
        services.register_location(
            type="github-discovery", target="https://github.com/acme", options={"catalog_path": "../../etc/passwd"}
        )
    with pytest.raises(services.CatalogError, match="Unknown discovery options: branch"):
        services.register_location(type="github-discovery", target="https://github.com/acme", options={"branch": "x"})
