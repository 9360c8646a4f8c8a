"""The local git host's repositories in the portal: list, folders with their README, files, raw bytes; and the
portal page of a ``file:`` URL of a repository or of its working copy."""

import pytest
from django.urls import reverse

from portal.integrations import localgit
from tests.fakes.git_http import git

README = (
    "# Orders API\n\nTakes orders. See [the runbook](docs/runbook.md#deploy), [Django](https://www.djangoproject.com/)"
    " and [the source](../../etc/passwd).\n\n![diagram](docs/flow.png)\n\n<script>alert(1)</script>\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n"
)


@pytest.fixture
def roots(settings, tmp_path):
    settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR = tmp_path / "git"
    settings.SCAFFOLDER_GIT_CHECKOUT_DIR = tmp_path / "git-checkouts"
    return tmp_path


def make_repository(root, name: str, files: dict[str, bytes], *, branch: str = "main"):
    bare = root / "git" / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(bare))
    work = root / "work" / name
    git("init", "--quiet", f"--initial-branch={branch}", str(work))
    for path, data in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_bytes(data)
    git("-C", str(work), "add", "-A")
    git("-C", str(work), "-c", "user.name=Dana", "-c", "user.email=dana@example.com", "commit", "-qm", "Create it")
    git("-C", str(work), "push", "--quiet", str(bare), branch)
    return bare


@pytest.fixture
def orders(roots):
    files = {
        "README.md": README.encode(),
        "docs/runbook.md": b"# Runbook\n\nRestart it.\n",
        "docs/flow.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
        "src/app.py": b"print('hello')\n",
        "dist/blob.bin": b"\x00\x01\x02",
    }
    return make_repository(roots, "acme/orders-api", files)


def test_the_list_shows_each_repository_with_its_last_commit(signed_in, orders, roots):
    make_repository(roots, "solo", {"a.txt": b"a\n"})

    page = signed_in.get(reverse("portal:repositories"))

    assert page.status_code == 200
    assert [(row["repository"].name, row["url"], row["commit"].subject) for row in page.context["rows"]] == [
        ("acme/orders-api", "/git/acme/orders-api/", "Create it"),
        ("solo", "/git/solo/", "Create it"),
    ]


def test_a_repository_opens_on_its_default_branch_with_folders_first_and_its_readme(signed_in, orders):
    page = signed_in.get("/git/acme/orders-api/")

    assert page.status_code == 200
    assert [(row["entry"].name, row["url"]) for row in page.context["rows"]] == [
        ("dist", "/git/acme/orders-api/-/tree/main/dist"),
        ("docs", "/git/acme/orders-api/-/tree/main/docs"),
        ("src", "/git/acme/orders-api/-/tree/main/src"),
        ("README.md", "/git/acme/orders-api/-/blob/main/README.md"),
    ]
    html = str(page.context["readme"]["html"])
    assert '<a href="/git/acme/orders-api/-/blob/main/docs/runbook.md#deploy">the runbook</a>' in html
    assert '<a href="https://www.djangoproject.com/">Django</a>' in html
    assert '<a href="../../etc/passwd">the source</a>' in html  # leaves the repository: left as written
    assert '<img src="/git/acme/orders-api/-/raw/main/docs/flow.png" alt="diagram" />' in html
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<td>1</td>" in html
    assert f"git clone file://{orders}" in page.content.decode()


def test_a_folder_lists_its_entries_with_a_link_up(signed_in, orders):
    page = signed_in.get("/git/acme/orders-api/-/tree/main/docs")

    assert page.status_code == 200
    assert page.context["parent_url"] == "/git/acme/orders-api/-/tree/main"
    assert [row["entry"].path for row in page.context["rows"]] == ["docs/flow.png", "docs/runbook.md"]
    assert [crumb["label"] for crumb in page.context["crumbs"]] == ["orders-api", "docs"]


def test_a_text_file_is_shown_and_a_binary_one_offered_for_download(signed_in, orders):
    source = signed_in.get("/git/acme/orders-api/-/blob/main/src/app.py")
    binary = signed_in.get("/git/acme/orders-api/-/blob/main/dist/blob.bin")

    assert (source.status_code, source.context["text"], source.context["lines"]) == (200, "print('hello')\n", 1)
    assert (
        '<pre class="code file-text" data-testid="file-text">print(&#x27;hello&#x27;)\n</pre>'
        in source.content.decode()
    )
    assert (binary.status_code, binary.context["text"]) == (200, None)
    assert "This is a binary file." in binary.content.decode()


def test_raw_bytes_are_served_so_that_nothing_in_them_can_run(signed_in, orders):
    text = signed_in.get("/git/acme/orders-api/-/raw/main/README.md")
    image = signed_in.get("/git/acme/orders-api/-/raw/main/docs/flow.png")
    binary = signed_in.get("/git/acme/orders-api/-/raw/main/dist/blob.bin")

    assert (text["Content-Type"], text.content) == ("text/plain; charset=utf-8", README.encode())
    assert image["Content-Type"] == "image/png"
    assert binary["Content-Type"] == "application/octet-stream"
    assert binary["Content-Disposition"] == 'attachment; filename="blob.bin"'
    for response in (text, image, binary):
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/git/acme/nothing/",
        "/git/acme/orders-api/-/tree/nope",
        "/git/acme/orders-api/-/blob/main/missing.txt",
        "/git/acme/orders-api/-/blob/main/docs",
        "/git/acme/orders-api/-/tree/main/src/app.py",
        "/git/acme/orders-api/-/blob/main/../../../etc/passwd",
        "/git/acme/orders-api/-/blob/main/%2e%2e/%2e%2e/x",
        "/git/acme/orders-api/-/blob/HEAD@%7B1%7D/README.md",
        "/git/acme/orders-api/-/blob/--output=x/README.md",
    ],
)
def test_what_is_not_a_file_or_folder_of_a_branch_is_404(signed_in, orders, path):
    assert signed_in.get(path).status_code == 404


def test_a_repository_outside_the_folder_through_a_link_is_not_served(signed_in, roots, tmp_path):
    outside = make_repository(tmp_path / "elsewhere", "secret", {"key.txt": b"secret\n"})
    (roots / "git").mkdir(exist_ok=True)
    (roots / "git" / "leak.git").symlink_to(outside)

    assert signed_in.get("/git/leak/").status_code == 404
    assert localgit.find("leak") is None


def test_anonymous_visitors_are_sent_to_sign_in(client, orders):
    response = client.get("/git/acme/orders-api/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_empty_repository_says_nothing_was_pushed(signed_in, roots):
    bare = roots / "git" / "empty.git"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))

    page = signed_in.get("/git/empty/")

    assert page.status_code == 200
    assert "This repository has no branch main yet: nothing was pushed to it." in page.content.decode()


def test_file_urls_of_a_repository_and_of_its_working_copy_lead_to_its_pages(orders, roots):
    checkout = roots / "git-checkouts" / "acme" / "orders-api"
    checkout.mkdir(parents=True)

    assert localgit.browse_url(f"file://{orders}") == "/git/acme/orders-api/"
    assert localgit.browse_url(f"file:{checkout}/catalog-info.yaml") == (
        "/git/acme/orders-api/-/blob/main/catalog-info.yaml"
    )
    assert localgit.browse_url(f"file:{checkout}") == "/git/acme/orders-api/"
    assert localgit.browse_url("file:///etc/passwd") is None
    assert localgit.browse_url(f"file://{roots}/git/acme/unknown.git") is None
    assert localgit.browse_url("https://github.com/acme/orders-api") is None
