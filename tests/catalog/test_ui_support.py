"""Fixtures of the catalog UI tests (imported by the other ``test_ui_*`` modules), and tests of the
small helpers every catalog page uses."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings as django_settings

from catalog import services
from catalog.models import Location
from catalog.views.common import humanize, ref_url, split_ref

EXAMPLES = Path(django_settings.BASE_DIR) / "tests" / "data" / "backstage" / "examples"
#: A port nothing listens on: the example org's three remote ``$text`` definitions fail at once.
CLOSED_PORT_URL = "http://127.0.0.1:9"


def load_file(path: Path | str) -> Location:
    """Register a file location and read it now, in this process."""
    try:
        location = services.register_location(type="file", target=str(path), refresh=False)
    except services.LocationExists as exists:
        location = exists.location
    services.process_location(location)
    location.refresh_from_db()
    return location


def offline(settings) -> None:
    """Point GitHub reads at a closed port: remote ``$text`` placeholders fail at once."""
    settings.CATALOG_GITHUB_API_URL = CLOSED_PORT_URL
    settings.CATALOG_GITHUB_TOKEN = ""


def load_examples(settings) -> list[Location]:
    """Backstage's example organisation and entities (all.yaml and acme-corp.yaml), read now."""
    offline(settings)
    return [load_file(EXAMPLES / "all.yaml"), load_file(EXAMPLES / "acme-corp.yaml")]


def file_writer(settings, folder: Path):
    """A function writing descriptor files under ``folder``, which the catalog may then read."""
    offline(settings)
    settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(folder)]

    def write(name: str, text: str) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def test_split_ref_reads_kind_namespace_and_name():
    assert split_ref("component:default/artist-web") == ("component", "default", "artist-web")
    assert split_ref("user:development/guest") == ("user", "development", "guest")


def test_humanize_drops_default_namespace_and_implied_kind():
    assert humanize("group:default/team-a", "group") == "team-a"
    assert humanize("group:default/team-a") == "group:team-a"
    assert humanize("user:development/guest", "group") == "user:development/guest"
    assert humanize("") == ""


def test_ref_url_is_the_entity_page():
    assert ref_url("group:default/team-a") == "/catalog/group/default/team-a"
