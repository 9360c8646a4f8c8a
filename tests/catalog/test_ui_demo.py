"""Demo data (catalog.demo): Backstage's example organisation and the generated Lumen, read at once,
idempotent, with the demo accounts linked to their User entities."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from catalog import demo, identity
from catalog.models import Entity, Location, LocationError
from portal import demo as portal_demo
from tests.catalog.test_ui_support import offline
from tests.conftest import make_user


@pytest.fixture
def data_dir(db, settings, tmp_path):
    offline(settings)
    settings.DATA_DIR = tmp_path
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(tmp_path)]
    return tmp_path


def lumen() -> Counter:
    folder = Location.objects.get(target__endswith="demo-catalog/catalog-info.yaml")
    rows = Entity.objects.filter(location=folder).values_list("kind").annotate(n=Count("id"))
    return Counter(dict(rows))


def test_the_seeder_is_registered_after_the_accounts():
    keys = [seeder.key for seeder in portal_demo.seeders()]

    assert keys.index("portal.accounts") < keys.index("catalog.demo")


def test_seed_loads_the_example_org_and_lumen(data_dir):
    said: list[str] = []

    demo.seed_catalog(said.append)

    assert lumen() == Counter(
        {"Component": 120, "User": 62, "API": 48, "Group": 16, "Resource": 15, "System": 8, "Domain": 3, "Location": 1}
    )
    assert Entity.objects.filter(location__target__endswith="examples/all.yaml").count() == 32
    assert Entity.objects.filter(location__target__endswith="examples/acme-corp.yaml").count() == 27
    # The three example APIs whose definitions live on GitHub fail, and say so.
    assert sorted(LocationError.objects.values_list("entity_ref", flat=True)) == [
        "api:default/spotify",
        "api:default/wayback-archive",
        "api:default/wayback-search",
    ]
    assert not LocationError.objects.filter(location__target__contains="demo-catalog").exists()
    assert said[0] == "Catalog demo data:"
    # The golden paths are read too, so that Create lists them from the first start.
    assert said[1].endswith("templates/*/template.yaml: 3 entities (3 Template)")
    assert sorted(Entity.objects.filter(kind="Template").values_list("name", flat=True)) == [
        "django-service",
        "fastapi-service",
        "python-library",
    ]
    assert said[4] == f"  wrote 28 files of the Lumen organisation to {data_dir / 'demo-catalog'}"
    assert said[5].endswith("demo-catalog/catalog-info.yaml: 273 entities (48 API, 120 Component, 3 Domain, "
                            "16 Group, 1 Location, 15 Resource, 8 System, 62 User)")  # fmt: skip


def test_seeding_twice_changes_nothing(data_dir):
    demo.seed_catalog(lambda line: None)
    before = dict(Entity.objects.values_list("ref", "etag"))
    files = {path: path.stat().st_mtime_ns for path in (data_dir / "demo-catalog").rglob("*.yaml")}
    said: list[str] = []

    demo.seed_catalog(said.append)

    assert dict(Entity.objects.values_list("ref", "etag")) == before
    assert {path: path.stat().st_mtime_ns for path in (data_dir / "demo-catalog").rglob("*.yaml")} == files
    assert Location.objects.filter(managed=False).count() == 3
    assert f"  {data_dir / 'demo-catalog'} is up to date" in said


def test_the_demo_accounts_are_people_of_lumen(data_dir):
    demo.seed_catalog(lambda line: None)
    developer = make_user(portal_demo.DEMO_USER_EMAIL)
    admin = make_user(portal_demo.DEMO_ADMIN_EMAIL, staff=True, is_superuser=True)

    linked = identity.user_entity_for(developer)
    assert linked is not None
    assert linked.ref == "user:default/dev.eloper"
    assert [group.name for group in identity.my_groups(developer)] == ["checkout", "payments", "lumen"]
    assert [group.name for group in identity.my_groups(admin)] == ["developer-experience", "platform", "lumen"]
    assert identity.owned_entities(developer).filter(kind="Component", owner_ref="group:default/checkout").count() == 10


def test_lumen_is_believable(data_dir):
    demo.seed_catalog(lambda line: None)

    api = Entity.objects.get(ref="component:default/checkout-api")
    assert api.system_ref == "system:default/storefront-checkout"
    assert api.body["spec"]["providesApis"] == ["checkout-public"]
    assert api.body["spec"]["dependsOn"] == [
        "resource:checkout-db",
        "resource:shared-cache",
        "component:legacy-monolith",
    ]
    assert api.body["spec"]["consumesApis"] == ["billing-internal", "cloud-public"]
    public = Entity.objects.get(ref="api:default/checkout-public")
    assert public.body["spec"]["definition"].startswith("openapi: 3.0.3\ninfo:\n  title: Checkout API\n")
    assert Entity.objects.get(ref="api:default/billing-internal").spec_type == "grpc"
    team = Entity.objects.get(ref="group:default/checkout")
    assert team.body["spec"]["parent"] == "payments"


def test_lumen_is_skipped_when_no_folder_may_be_read(db, settings, tmp_path):
    offline(settings)
    settings.DATA_DIR = tmp_path / "data"
    settings.CATALOG_FILE_ROOTS = [str(tmp_path / "elsewhere")]
    said: list[str] = []

    demo.seed_catalog(said.append)

    assert said[-1] == f"  skipped Lumen: neither {tmp_path / 'data'} nor var/ is inside CATALOG_FILE_ROOTS"
    assert not Location.objects.filter(managed=False).exists()
