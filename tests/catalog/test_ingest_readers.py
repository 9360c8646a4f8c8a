"""Reading files and URLs for the catalog, contained (catalog.ingest.readers), against a local server."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from catalog import services
from catalog.ingest import readers
from catalog.ingest.errors import ReadError
from catalog.models import Entity, Location, LocationError, LocationStatus, Source
from tests.fakes.server import LoopbackServer

COMPONENT = b"""apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: served
spec:
  type: service
  lifecycle: production
  owner: team-x
"""


class Site:
    """A local http server: path → (status, headers, body, delay before answering, trickle delay)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple] = {}
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_GET(self):
                site.requests.append(self.path)
                status, headers, body, delay, trickle = site.routes.get(self.path, (404, {}, b"missing", 0, 0))
                time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if trickle:
                        for byte in body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(trickle)
                    else:
                        self.wfile.write(body)
                except OSError:
                    return

        self.server = LoopbackServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False
        self.port = self.server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path, body=b"", *, status=200, headers=None, delay=0.0, trickle=0.0, length=True):
        headers = dict(headers or {})
        if length:
            headers.setdefault("Content-Length", str(len(body)))
        self.routes[path] = (status, headers, body, delay, trickle)


@pytest.fixture
def site(settings):
    served = Site()
    thread = threading.Thread(target=served.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.CATALOG_URL_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.CATALOG_READ_TIMEOUT = 1
    settings.CATALOG_READ_MAX_BYTES = 2048
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def roots(tmp_path, settings):
    inside = tmp_path / "inside"
    inside.mkdir()
    settings.CATALOG_FILE_ROOTS = [str(inside)]
    return inside


# --- resolution and files -----------------------------------------------------------------------


def test_a_relative_target_resolves_against_the_folder_of_its_file():
    assert readers.resolve("file:/srv/cat/a/b.yaml", "./c.yaml") == "file:/srv/cat/a/c.yaml"
    assert readers.resolve("file:/srv/cat/a/b.yaml", "../d/e.yaml") == "file:/srv/cat/d/e.yaml"
    assert readers.resolve("file:/srv/cat/a/b.yaml", "/srv/other.yaml") == "file:/srv/other.yaml"
    assert readers.resolve("file:/srv/cat/a/b.yaml", "https://example.com/x.yaml") == "https://example.com/x.yaml"


def test_a_relative_target_of_a_url_stays_on_that_url_and_never_reaches_a_file():
    base = "https://github.com/acme/repo/blob/main/catalog/all.yaml"

    assert readers.resolve(base, "./apis/a.yaml") == "https://github.com/acme/repo/blob/main/catalog/apis/a.yaml"
    assert readers.resolve(base, "../top.yaml") == "https://github.com/acme/repo/blob/main/top.yaml"
    assert readers.resolve(base, "/etc/passwd") == "https://github.com/etc/passwd"
    with pytest.raises(ReadError, match="cannot refer to a file on the server"):
        readers.resolve(base, "file:/etc/passwd")


def test_a_file_inside_the_roots_is_read(roots):
    (roots / "a.yaml").write_bytes(COMPONENT)

    assert readers.read(readers.file_url(str(roots / "a.yaml"))) == COMPONENT


def test_a_working_copy_of_the_local_git_host_is_read_outside_the_roots(roots, settings, tmp_path):
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = tmp_path / "git-checkouts"
    checkout = tmp_path / "git-checkouts" / "acme" / "orders-api"
    checkout.mkdir(parents=True)
    (checkout / "catalog-info.yaml").write_bytes(COMPONENT)
    (tmp_path / "beside.yaml").write_bytes(COMPONENT)

    assert readers.read(readers.file_url(str(checkout / "catalog-info.yaml"))) == COMPONENT
    with pytest.raises(ReadError):
        readers.read(readers.file_url(str(tmp_path / "beside.yaml")))


def test_a_dot_dot_escape_out_of_the_roots_is_refused(roots):
    (roots.parent / "secret.yaml").write_text("kind: Secret\n")
    escaping = readers.resolve(readers.file_url(str(roots / "a.yaml")), "../secret.yaml")

    with pytest.raises(ReadError) as raised:
        readers.read(escaping)

    assert str(raised.value) == (
        f"{roots.parent / 'secret.yaml'} is outside the folders the catalog may read (CATALOG_FILE_ROOTS: {roots})"
    )


def test_a_symbolic_link_out_of_the_roots_is_refused(roots):
    (roots.parent / "secret.yaml").write_text("kind: Secret\n")
    os.symlink(roots.parent / "secret.yaml", roots / "link.yaml")

    with pytest.raises(ReadError, match="is outside the folders the catalog may read"):
        readers.read(readers.file_url(str(roots / "link.yaml")))


def test_a_missing_file_is_reported_as_missing(roots):
    with pytest.raises(ReadError) as raised:
        readers.read(readers.file_url(str(roots / "nope.yaml")))

    assert raised.value.missing is True
    assert str(raised.value) == f"{roots / 'nope.yaml'} does not exist"


def test_a_file_over_the_size_limit_is_refused(roots, settings):
    settings.CATALOG_READ_MAX_BYTES = 1024
    (roots / "big.yaml").write_bytes(b"#" * 1025)

    with pytest.raises(ReadError, match=r"is 1025 bytes, larger than the limit of 1024 bytes$"):
        readers.read(readers.file_url(str(roots / "big.yaml")))


def test_a_glob_names_its_matching_files_in_order_and_only_inside_the_roots(roots):
    for name in ("b", "a", "c"):
        (roots / name).mkdir()
        (roots / name / "template.yaml").write_text("kind: X\n")
    (roots / "c" / "other.yaml").write_text("kind: X\n")

    found = readers.expand(readers.file_url(str(roots / "*" / "template.yaml")))

    assert found == [readers.file_url(str(roots / name / "template.yaml")) for name in ("a", "b", "c")]
    with pytest.raises(ReadError, match="is outside the folders"):
        readers.expand(readers.file_url(str(roots.parent / "*" / "template.yaml")))


# --- http(s) URLs -------------------------------------------------------------------------------


def test_a_url_on_an_allowed_host_is_read(site):
    site.route("/catalog-info.yaml", COMPONENT)

    assert readers.read(site.url("/catalog-info.yaml")) == COMPONENT


def test_a_url_on_a_host_not_allowed_is_refused_without_a_request(site):
    site.route("/catalog-info.yaml", COMPONENT)
    url = site.url("/catalog-info.yaml", host="localhost")

    with pytest.raises(ReadError) as raised:
        readers.read(url)

    assert str(raised.value) == (
        f"Reading {url} is not allowed: the host localhost is not in CATALOG_URL_ALLOWED_HOSTS"
    )
    assert site.requests == []


def test_a_redirect_to_a_host_not_allowed_is_refused(site):
    target = site.url("/catalog-info.yaml", host="localhost")
    site.route("/moved", status=302, headers={"Location": target})
    site.route("/catalog-info.yaml", COMPONENT)

    with pytest.raises(ReadError, match=r"redirects to .*, whose host is not in CATALOG_URL_ALLOWED_HOSTS"):
        readers.read(site.url("/moved"))

    assert site.requests == ["/moved"]


def test_a_url_announcing_more_than_the_size_limit_is_refused(site):
    site.route("/big.yaml", b"#" * 4096)

    with pytest.raises(ReadError) as raised:
        readers.read(site.url("/big.yaml"))

    assert str(raised.value) == f"{site.url('/big.yaml')} is 4096 bytes, larger than the limit of 2048 bytes"


def test_a_url_sending_more_than_the_size_limit_without_a_length_is_cut_off(site):
    site.route("/big.yaml", b"#" * 100_000, length=False)

    with pytest.raises(ReadError) as raised:
        readers.read(site.url("/big.yaml"))

    assert str(raised.value) == f"{site.url('/big.yaml')} is larger than the limit of 2048 bytes"


def test_a_url_that_does_not_answer_in_time_is_a_timeout(site):
    site.route("/slow.yaml", COMPONENT, delay=3)

    started = time.monotonic()
    with pytest.raises(ReadError) as raised:
        readers.read(site.url("/slow.yaml"))

    assert str(raised.value) == f"{site.url('/slow.yaml')} did not answer within 1 s"
    assert raised.value.transient is True
    assert time.monotonic() - started < 2.5


def test_a_url_that_trickles_past_the_time_limit_is_a_timeout(site):
    site.route("/trickle.yaml", b"a: 1\n" * 10, trickle=0.2)

    with pytest.raises(ReadError, match=r"did not answer within 1 s$"):
        readers.read(site.url("/trickle.yaml"))


def test_a_url_answering_404_is_missing_and_500_is_transient(site):
    site.route("/broken.yaml", b"oops", status=500)

    with pytest.raises(ReadError) as missing:
        readers.read(site.url("/nothing.yaml"))
    with pytest.raises(ReadError) as broken:
        readers.read(site.url("/broken.yaml"))

    assert (missing.value.missing, missing.value.transient) == (True, False)
    assert str(missing.value) == f"{site.url('/nothing.yaml')} answered 404 Not Found"
    assert (broken.value.missing, broken.value.transient) == (False, True)


# --- what reaches the database ------------------------------------------------------------------


@pytest.mark.django_db
def test_registering_a_url_on_a_host_not_allowed_is_refused_and_writes_nothing(site):
    before = Location.objects.count()

    with pytest.raises(services.CatalogError, match="the host localhost is not in CATALOG_URL_ALLOWED_HOSTS"):
        services.register_location(type="url", target=site.url("/catalog-info.yaml", host="localhost"))

    assert Location.objects.count() == before
    assert site.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"body": b"#" * 4096}, "is 4096 bytes, larger than the limit of 2048 bytes"),
        ({"body": COMPONENT, "delay": 3}, "did not answer within 1 s"),
    ],
    ids=["oversize", "slow"],
)
def test_a_url_location_that_cannot_be_read_fails_with_its_reason_and_writes_no_entity(site, route, message):
    site.route("/catalog-info.yaml", **route)
    location = services.register_location(type="url", target=site.url("/catalog-info.yaml"), refresh=False)

    report = services.process_location(location)

    location.refresh_from_db()
    assert report.failure == f"{site.url('/catalog-info.yaml')} {message}"
    assert (location.status, location.last_error) == (LocationStatus.FAILED, report.failure)
    assert Entity.objects.filter(location=location).count() == 0
    assert Source.objects.filter(location=location).count() == 0
    assert LocationError.objects.filter(location=location).count() == 0


@pytest.mark.django_db
def test_a_url_location_on_an_allowed_host_imports_its_entity(site):
    site.route("/catalog-info.yaml", COMPONENT)
    location = services.register_location(type="url", target=site.url("/catalog-info.yaml"), refresh=False)

    services.process_location(location)

    entity = Entity.objects.get(location=location)
    assert entity.ref == "component:default/served"
    assert entity.body["metadata"]["annotations"] == {
        "backstage.io/managed-by-location": f"url:{site.url('/catalog-info.yaml')}",
        "backstage.io/managed-by-origin-location": f"url:{site.url('/catalog-info.yaml')}",
    }


@pytest.mark.django_db
def test_a_target_that_times_out_keeps_its_entities_and_what_it_leads_to(site):
    # Given a root URL whose Location leads to a child file, itself a Location leading to a leaf
    location_doc = (
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  target: {target}\n"
    )
    child = location_doc.format(name="child", target="./leaf.yaml").encode()
    site.route("/root.yaml", location_doc.format(name="root", target="./child.yaml").encode())
    site.route("/child.yaml", child)
    site.route("/leaf.yaml", COMPONENT)
    location = services.register_location(type="url", target=site.url("/root.yaml"), refresh=False)
    services.process_location(location)

    # When the child stops answering in time
    site.route("/child.yaml", child, delay=3)
    report = services.process_location(location)

    # Then nothing becomes an orphan, and the error says which target failed
    assert report.status == LocationStatus.ERRORS
    assert sorted(Entity.objects.filter(orphan=False).values_list("ref", flat=True)) == [
        "component:default/served",
        "location:default/child",
        "location:default/root",
    ]
    assert list(LocationError.objects.values_list("kind", "source_url", "message")) == [
        (
            "read",
            site.url("/child.yaml"),
            f"{site.url('/child.yaml')} did not answer within 1 s (a target of {site.url('/root.yaml')}, line 1)",
        )
    ]
