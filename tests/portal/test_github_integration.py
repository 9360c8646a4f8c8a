"""``portal.integrations.github``: which settings apply to which app, GitHub's hosts, the token of
``GITHUB_TOKEN_FILE``, a GitHub App installation against the fake GitHub, and the errors classified;
and ``portal.paths``, the containment check of the apps' file paths."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import GithubException, UnknownObjectException

from portal.integrations import github
from portal.paths import is_inside, resolves_inside
from tests.fakes.github import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISE = "https://ghe.example.com/api/v3"
INSTALLATION_TOKEN = "ghs_fake-installation-token"


@pytest.fixture
def fake():
    """The fake GitHub, which no app setting points at: each test says how it is reached."""
    server = FakeGitHub().start()
    yield server
    server.stop()


def pem_pair() -> tuple[str, str]:
    """(private key, public key) of a new RSA key, in PEM, as GitHub gives an App's key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode("ascii"), public.decode("ascii")


def configure_app(settings, *, app_id: str = "12345", key: str = "", installation: int = 42) -> None:
    settings.GITHUB_APP_ID = app_id
    settings.GITHUB_APP_PRIVATE_KEY = key
    settings.GITHUB_APP_INSTALLATION_ID = installation


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- which settings apply -------------------------------------------------------------------------


def test_without_any_setting_an_app_reads_githubs_api_anonymously():
    assert github.api_url("catalog") == "https://api.github.com"
    assert github.credentials("catalog") == github.ANONYMOUS


def test_an_app_without_overrides_uses_the_shared_settings(settings):
    settings.GITHUB_API_URL = ENTERPRISE
    settings.GITHUB_TOKEN = "shared-token"

    assert github.api_url("catalog") == ENTERPRISE
    assert github.credentials("catalog") == github.Credentials("token", "GITHUB_TOKEN", token="shared-token")
    assert github.api_url("scaffolder") == ENTERPRISE
    assert github.credentials("scaffolder").token == "shared-token"


def test_an_app_override_wins_for_that_app_only(settings):
    settings.GITHUB_API_URL = ENTERPRISE
    settings.GITHUB_TOKEN = "shared-token"
    settings.CATALOG_GITHUB_API_URL = "https://github.internal.example.com/api/v3/"
    settings.CATALOG_GITHUB_TOKEN = "catalog-token"

    assert github.api_url("catalog") == "https://github.internal.example.com/api/v3"
    assert github.credentials("catalog") == github.Credentials("token", "CATALOG_GITHUB_TOKEN", token="catalog-token")
    assert (github.api_url("scaffolder"), github.credentials("scaffolder").token) == (ENTERPRISE, "shared-token")


def test_an_empty_override_falls_back_to_the_shared_setting(settings):
    settings.GITHUB_API_URL = ENTERPRISE
    settings.GITHUB_TOKEN = "shared-token"
    settings.SCAFFOLDER_GITHUB_API_URL = ""
    settings.SCAFFOLDER_GITHUB_TOKEN = ""

    assert github.api_url("scaffolder") == ENTERPRISE
    assert github.credentials("scaffolder").source == "GITHUB_TOKEN"


def test_an_app_without_settings_of_its_own_gets_the_shared_ones(settings):
    settings.GITHUB_TOKEN = "shared-token"

    assert github.credentials("dora") == github.Credentials("token", "GITHUB_TOKEN", token="shared-token")


def test_the_shared_token_is_not_sent_to_another_server_than_the_shared_api(settings):
    settings.GITHUB_TOKEN = "github-com-token"
    settings.CATALOG_GITHUB_API_URL = ENTERPRISE

    assert github.credentials("catalog") == github.ANONYMOUS


def test_an_override_naming_the_shared_api_keeps_the_shared_token(settings):
    settings.GITHUB_API_URL = ENTERPRISE
    settings.GITHUB_TOKEN = "shared-token"
    settings.CATALOG_GITHUB_API_URL = "HTTPS://GHE.example.com/api/v3/"

    assert github.credentials("catalog").token == "shared-token"


def test_a_github_app_is_preferred_to_the_shared_token_but_not_to_an_app_token(settings):
    private, _public = pem_pair()
    settings.GITHUB_TOKEN = "shared-token"
    configure_app(settings, key=private)
    settings.SCAFFOLDER_GITHUB_TOKEN = "scaffolder-token"

    catalog = github.credentials("catalog")

    assert (catalog.kind, catalog.source, catalog.app_id, catalog.installation_id) == (
        "app",
        "GITHUB_APP_ID",
        "12345",
        42,
    )
    assert catalog.private_key == private.strip()
    assert github.credentials("scaffolder").token == "scaffolder-token"


def test_a_half_configured_github_app_is_not_used(settings):
    settings.GITHUB_TOKEN = "shared-token"
    configure_app(settings, key="", installation=42)

    assert github.missing_app_settings() == ["GITHUB_APP_PRIVATE_KEY"]
    assert github.credentials("catalog").source == "GITHUB_TOKEN"


def test_a_private_key_written_on_one_line_gets_its_line_breaks_back():
    private, _public = pem_pair()
    one_line = private.strip().replace("\n", "\\n")

    assert github.private_key_pem(one_line) == private.strip()
    assert github.valid_private_key(one_line) is True
    assert (
        github.valid_private_key("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----") is False
    )


def test_the_token_is_read_from_github_token_file(tmp_path):
    # given a fresh interpreter whose environment names the token's file, as a mounted secret does
    secret = tmp_path / "github-token"
    secret.write_text("token-from-the-file\n", encoding="utf-8")
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEBUG": "true",
        "DATA_DIR": str(tmp_path / "data"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "GITHUB_TOKEN_FILE": str(secret),
    }
    script = (
        "import json, django; django.setup(); from portal.integrations import github; "
        "c = github.credentials('catalog'); print(json.dumps([c.kind, c.source, c.token]))"
    )

    # when the settings are loaded
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )

    # then the catalog, with no token of its own, reads GitHub with the file's token, without its newline
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == ["token", "GITHUB_TOKEN", "token-from-the-file"]


# --- the client -----------------------------------------------------------------------------------


def test_the_client_sends_the_shared_token_to_the_shared_api(settings, fake):
    fake.add_file("acme/shop", "catalog-info.yaml", "kind: Component\n")
    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_TOKEN = "shared-token"

    content = github.client("catalog").get_repo("acme/shop").get_contents("catalog-info.yaml")

    assert not isinstance(content, list)  # a file, not a folder
    assert content.decoded_content == b"kind: Component\n"
    assert [(r.method, r.path, r.authorization) for r in fake.requests] == [
        ("GET", "/repos/acme/shop/contents/catalog-info.yaml", "token shared-token"),
    ]


def test_a_github_app_signs_a_jwt_then_uses_the_installation_token(settings, fake):
    # given a GitHub App that the fake knows by its public key, with installation 42
    private, public = pem_pair()
    fake.add_app("12345", public, {42: INSTALLATION_TOKEN})
    fake.add_file("acme/shop", "catalog-info.yaml", "kind: Component\n")
    settings.GITHUB_API_URL = fake.url
    configure_app(settings, key=private)

    # when the catalog reads a file
    content = github.client("catalog").get_repo("acme/shop").get_contents("catalog-info.yaml")

    # then the client asked for the installation's token with a JWT of the App, and read with that token
    assert not isinstance(content, list)  # a file, not a folder
    assert content.decoded_content == b"kind: Component\n"
    requests = [(r.method, r.path) for r in fake.requests]
    assert requests == [
        ("POST", "/app/installations/42/access_tokens"),
        ("GET", "/repos/acme/shop/contents/catalog-info.yaml"),
    ]
    scheme, _, signed = fake.requests[0].authorization.partition(" ")
    claims = jwt.decode(signed, public, algorithms=["RS256"])
    assert (scheme, claims["iss"], claims["exp"] - claims["iat"]) == ("Bearer", "12345", 360)
    assert fake.requests[1].authorization == f"token {INSTALLATION_TOKEN}"


def test_the_access_token_of_a_github_app_is_its_installation_token_asked_for_once(settings, fake):
    private, public = pem_pair()
    fake.add_app("12345", public, {42: INSTALLATION_TOKEN})
    settings.GITHUB_API_URL = fake.url
    configure_app(settings, key=private)

    tokens = [github.access_token("scaffolder"), github.access_token("scaffolder")]

    assert tokens == [INSTALLATION_TOKEN, INSTALLATION_TOKEN]
    assert fake.paths_requested() == ["/app/installations/42/access_tokens"]


def test_a_github_app_the_server_does_not_know_is_refused_with_githubs_answer(settings, fake):
    private, _public = pem_pair()
    _other_private, other_public = pem_pair()
    fake.add_app("12345", other_public, {42: INSTALLATION_TOKEN})
    settings.GITHUB_API_URL = fake.url
    configure_app(settings, key=private)

    with pytest.raises(GithubException) as raised:
        github.client("catalog").get_repo("acme/shop").raw_data  # noqa: B018 -- a lazy object reads on first use

    failure = github.classify(raised.value)
    assert failure == github.Failure(
        github.ANSWERED, 401, ("A JSON web token could not be decoded",), "GithubException"
    )
    assert (failure.transient, failure.answered) == (
        False,
        "GitHub answered 401 (A JSON web token could not be decoded)",
    )
    assert fake.paths_requested() == ["/app/installations/42/access_tokens"]


def test_an_explicit_empty_token_reads_anonymously(settings, fake):
    fake.add_repo("acme/shop")
    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_TOKEN = "shared-token"

    github.client("scaffolder", token="").get_repo("acme/shop").raw_data  # noqa: B018

    assert [r.authorization for r in fake.requests] == [""]


# --- hosts ----------------------------------------------------------------------------------------


def test_on_github_com_only_github_com_urls_are_githubs():
    assert github.hosts("catalog") == frozenset({"github.com"})
    assert github.web_host("https://api.github.com") == "github.com"
    assert github.is_github_url("https://github.com/acme/shop/blob/main/catalog-info.yaml", "catalog") is True
    assert github.is_github_url("https://ghe.example.com/acme/shop/blob/main/catalog-info.yaml", "catalog") is False


def test_an_enterprise_api_url_adds_its_host(settings):
    settings.GITHUB_API_URL = ENTERPRISE

    assert github.web_host(ENTERPRISE + "/") == "ghe.example.com"
    assert github.hosts("scaffolder") == frozenset({"github.com", "ghe.example.com"})
    assert github.is_github_host("GHE.example.com", "scaffolder") is True
    assert github.is_github_url("https://ghe.example.com/acme/shop/tree/main/skeleton", "scaffolder") is True
    assert github.is_github_url("https://gitlab.example.com/acme/shop/tree/main", "scaffolder") is False


def test_the_enterprise_host_follows_the_apps_own_api_url(settings):
    settings.CATALOG_GITHUB_API_URL = ENTERPRISE

    assert github.hosts("catalog") == frozenset({"github.com", "ghe.example.com"})
    assert github.hosts("scaffolder") == frozenset({"github.com"})


def test_a_url_is_githubs_only_with_an_allowed_scheme():
    url = "http://github.com/acme/shop/blob/main/catalog-info.yaml"

    assert github.is_github_url(url, "catalog") is True
    assert github.is_github_url(url, "scaffolder", schemes=("https",)) is False
    assert github.is_github_url("ftp://github.com/acme/shop", "catalog") is False


def test_an_api_url_that_is_neither_github_nor_enterprise_has_no_web_host():
    assert github.web_host("http://127.0.0.1:8080") is None
    assert github.web_host("https://ghe.example.com/api/v4") is None


# --- errors ---------------------------------------------------------------------------------------


def test_a_missing_repository_is_not_found_and_permanent(settings, fake):
    settings.GITHUB_API_URL = fake.url

    with pytest.raises(UnknownObjectException) as raised:
        github.client("catalog").get_repo("acme/missing").raw_data  # noqa: B018

    failure = github.classify(raised.value)
    assert failure == github.Failure(github.NOT_FOUND, 404, ("Not Found",), "UnknownObjectException")
    assert failure.transient is False


def test_a_server_that_cannot_be_reached_is_transient(settings):
    settings.GITHUB_API_URL = f"http://127.0.0.1:{closed_port()}"

    with pytest.raises(github.ERRORS) as raised:
        github.client("catalog", timeout=2).get_repo("acme/shop").raw_data  # noqa: B018

    failure = github.classify(raised.value)
    assert (failure.kind, failure.status, failure.error_name, failure.transient) == (
        github.UNREACHABLE,
        None,
        "ConnectionError",
        True,
    )


@pytest.mark.parametrize(
    ("status", "transient"),
    [(400, False), (401, False), (403, True), (404, False), (422, False), (429, True), (500, True), (503, True)],
)
def test_an_answer_is_transient_for_rate_limits_and_server_errors(status, transient):
    assert github.Failure(github.ANSWERED, status).transient is transient


def test_an_answer_names_githubs_message_and_its_errors():
    error = GithubException(
        422,
        {"message": "Repository creation failed.", "errors": [{"message": "name already exists on this account"}]},
        None,
    )

    failure = github.classify(error)

    assert failure.answered == "GitHub answered 422 (Repository creation failed.; name already exists on this account)"


# --- paths ----------------------------------------------------------------------------------------


def test_a_path_below_the_folder_or_the_folder_itself_is_inside(tmp_path):
    root = tmp_path / "root"

    assert is_inside(root / "a" / "b.yaml", root) is True
    assert is_inside(root, root) is True
    assert is_inside(str(root) + "/", root) is True
    assert is_inside("/any/path", "/") is True


def test_a_dot_dot_escape_is_outside(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)

    assert is_inside(root / ".." / "secret", root) is False
    assert resolves_inside(root / "a" / ".." / ".." / "secret", root) is False
    assert is_inside(root / "a" / ".." / "b", root) is True


def test_a_sibling_that_shares_the_folders_name_as_a_prefix_is_outside(tmp_path):
    assert is_inside(tmp_path / "root-other" / "x", tmp_path / "root") is False


def test_an_absolute_path_elsewhere_is_outside(tmp_path):
    assert is_inside("/etc/passwd", tmp_path) is False
    assert resolves_inside("/etc/passwd", tmp_path) is False


def test_a_symbolic_link_out_of_the_folder_is_outside_once_resolved(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret").write_text("x", encoding="utf-8")
    (root / "link").symlink_to(outside)

    assert is_inside(root / "link" / "secret", root) is True  # as written
    assert resolves_inside(root / "link" / "secret", root) is False


def test_a_folder_reached_through_a_symbolic_link_still_contains_its_files(tmp_path):
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(real)

    assert resolves_inside(real / "sub" / "file", tmp_path / "alias") is True
    assert is_inside(real / "sub" / "file", tmp_path / "alias") is False
