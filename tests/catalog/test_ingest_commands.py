"""manage.py catalog_import and catalog_refresh."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Entity, Location
from portal.models import Run
from tests.catalog.ingest_helpers import component, register, write

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[1] / "data" / "catalog"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_with_wait_reads_the_file_here_and_prints_counts_and_every_error_with_file_and_line():
    path = DATA / "broken" / "catalog-info.yaml"

    output = run("catalog_import", str(path), "--wait")

    location = Location.objects.get(target=str(path))
    assert output.splitlines() == [
        f"Registered file:{path} (id {location.pk}).",
        f"file:{path} — 2 entities, status errors",
        "  API: 1",
        "  Component: 1",
        "  (2 added, 0 updated, 0 unchanged, 0 orphaned; 1 files read, 0 unchanged)",
        "3 errors:",
        f"  {path}:16: [parse] YAML: did not find expected ',' or ']' (column 5), "
        "while parsing a flow sequence that starts on line 15",
        f'  {path}:22: [validation] metadata.name: metadata.name "not a valid name!" is not valid; '
        "expected a string of 1-63 characters of [a-zA-Z0-9], separated by [-_.]",
        f"  {path}:44: [parse] YAML: the key 'type' appears twice (column 3)",
    ]
    assert Run.objects.count() == 0


def test_import_of_a_relative_path_registers_its_absolute_path_and_queues_a_refresh(monkeypatch):
    monkeypatch.chdir(DATA)

    output = run("catalog_import", "groups/org.yaml")

    location = Location.objects.get(target=str(DATA / "groups" / "org.yaml"))
    assert location.type == "file"
    assert output.splitlines()[0] == f"Registered file:{DATA / 'groups' / 'org.yaml'} (id {location.pk})."
    assert Run.objects.get().params == {"location_id": str(location.pk)}
    assert Entity.objects.count() == 0


def test_import_of_an_organisation_url_registers_discovery(fake_github):
    fake_github.add_file("acme/alpha", "catalog-info.yaml", component("alpha"))
    fake_github.add_repo("acme/bare")

    output = run("catalog_import", "https://github.com/acme", "--wait", "--topic", "")

    location = Location.objects.get(type="github-discovery")
    assert (location.target, location.options["catalog_path"]) == ("https://github.com/acme", "catalog-info.yaml")
    assert "  Component: 1" in output.splitlines()
    assert list(Entity.objects.values_list("ref", flat=True)) == ["component:default/alpha"]


def test_import_of_a_path_outside_the_roots_is_refused_and_writes_nothing(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(DATA)]
    outside = write(tmp_path / "catalog-info.yaml", component("outside"))
    before = Location.objects.count()

    with pytest.raises(CommandError) as refused:
        run("catalog_import", str(outside), "--wait")

    assert str(refused.value) == (
        f"{outside} is outside the folders the catalog may read (CATALOG_FILE_ROOTS: {DATA}). The catalog reads "
        f"files only there, now and at every scheduled refresh: set CATALOG_FILE_ROOTS={DATA},{tmp_path} for web, "
        "workers and this command, then run it again."
    )
    assert Location.objects.count() == before


def test_import_of_a_glob_outside_the_roots_names_its_fixed_folder(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(DATA)]

    with pytest.raises(CommandError, match=f"set CATALOG_FILE_ROOTS={DATA},{tmp_path / 'teams'} for web"):
        run("catalog_import", str(tmp_path / "teams" / "*" / "catalog-info.yaml"))


def test_import_of_a_registered_location_refreshes_it_again():
    path = DATA / "groups" / "org.yaml"
    location = register(path)

    output = run("catalog_import", str(path), "--wait")

    assert output.splitlines()[0] == f"Already registered: file:{path} (id {location.pk})."
    assert Entity.objects.filter(location=location).count() == 2


def test_refresh_with_wait_refreshes_the_given_locations_here():
    location = register(DATA / "groups" / "org.yaml")

    output = run("catalog_refresh", str(location.pk), "--wait")

    assert output.splitlines()[0] == f"file:{DATA / 'groups' / 'org.yaml'} — 2 entities, status ok"
    assert Run.objects.count() == 0


def test_refresh_all_queues_the_refresh_all_run():
    output = run("catalog_refresh", "--all")

    refresh = Run.objects.get()
    assert refresh.kind == "catalog.refresh_all"
    assert output == f"Refresh of every location queued as run {refresh.pk}.\n"


def test_refresh_without_locations_or_of_an_unknown_one_is_an_error():
    with pytest.raises(CommandError, match=r"^Give location ids, or --all\.$"):
        run("catalog_refresh")
    with pytest.raises(CommandError, match="No such location: 00000000-0000-0000-0000-000000000000"):
        run("catalog_refresh", "00000000-0000-0000-0000-000000000000")
    with pytest.raises(CommandError, match="Not a location id"):
        run("catalog_refresh", "seven")


def test_refresh_with_wait_reports_a_location_that_cannot_be_read(tmp_path, settings):
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    path = write(tmp_path / "catalog-info.yaml", component("a"))
    location = register(path)
    os.remove(path)

    with pytest.raises(CommandError, match="1 of 1 locations could not be refreshed"):
        run("catalog_refresh", str(location.pk), "--wait")

    assert Location.objects.get(pk=location.pk).last_error == f"{path} does not exist"


def test_refresh_all_registers_the_templates_folder_again_when_it_is_missing(settings):
    Location.objects.filter(managed=True).delete()

    run("catalog_refresh", "--all")

    templates = Location.objects.get(managed=True)
    assert (templates.type, templates.target) == ("file", str(settings.BASE_DIR / "templates" / "*" / "template.yaml"))
