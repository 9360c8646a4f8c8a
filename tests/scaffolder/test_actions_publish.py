"""publish:git (local bare repositories, any remote) and publish:github (the fake GitHub over smart HTTP)."""

import subprocess

import pytest

from scaffolder.actions.registry import ActionError
from scaffolder.engine.workspace import PathError
from tests.conftest import make_user
from tests.fakes.git_http import GitHttpServer, git
from tests.scaffolder.engine_support import action_context, make_task, run_action, template_doc, tree, write_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scaffolder_dirs")]

FILES = {"README.md": "# orders\n", "catalog-info.yaml": "kind: Component\n", "bin/run": "#!/bin/sh\n"}


@pytest.fixture
def author(db):
    return make_user("dana@example.com", first_name="Dana", last_name="Developer")


def workspace_context(tmp_path, data, *, user=None, dry_run=False):
    task = make_task(template_doc("svc", []), user=user, dry_run=dry_run)
    ctx = action_context(task, tmp_path / "task", data)
    write_files(ctx.workspace, FILES)
    (ctx.workspace / "bin" / "run").chmod(0o755)
    return ctx


def files_at(bare, ref="main") -> dict:
    listing = git("--git-dir", str(bare), "ls-tree", "-r", "--full-tree", ref)
    return {line.split("\t")[1]: line.split()[0] for line in listing.splitlines()}


# --- publish:git ------------------------------------------------------------------------------------------------


def test_publish_git_pushes_to_a_new_local_bare_repository_with_a_working_copy(tmp_path, author, scaffolder_dirs):
    ctx = workspace_context(tmp_path, {"remoteUrl": "acme/orders", "gitCommitMessage": "Start"}, user=author)

    outputs = run_action("publish:git", ctx)

    bare = scaffolder_dirs / "git" / "acme" / "orders.git"
    checkout = scaffolder_dirs / "git-checkouts" / "acme" / "orders"
    assert outputs == {
        "remoteUrl": f"file://{bare}",
        "commitHash": git("--git-dir", str(bare), "rev-parse", "main"),
        "repoContentsUrl": f"file:{checkout}",
        "catalogInfoUrl": f"file:{checkout / 'catalog-info.yaml'}",
    }
    assert files_at(bare) == {"README.md": "100644", "bin/run": "100755", "catalog-info.yaml": "100644"}
    log = git("--git-dir", str(bare), "log", "--format=%an <%ae>|%s", "main")
    assert log == "Dana Developer <dana@example.com>|Start"
    assert {path: text for path, text in tree(checkout).items() if not path.startswith(".git/")} == FILES


def test_publish_git_names_the_default_repository_after_the_repo_url(tmp_path, scaffolder_dirs):
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=billing", "defaultBranch": "trunk"})

    outputs = run_action("publish:git", ctx)

    assert outputs["remoteUrl"] == f"file://{scaffolder_dirs / 'git' / 'acme' / 'billing.git'}"
    assert list(files_at(scaffolder_dirs / "git" / "acme" / "billing.git", "trunk")) == [
        "README.md",
        "bin/run",
        "catalog-info.yaml",
    ]


def test_publish_git_again_with_the_same_content_is_a_no_op(tmp_path, scaffolder_dirs):
    first = run_action("publish:git", workspace_context(tmp_path / "one", {"remoteUrl": "acme/same"}))

    second = run_action("publish:git", workspace_context(tmp_path / "two", {"remoteUrl": "acme/same"}))

    bare = scaffolder_dirs / "git" / "acme" / "same.git"
    assert second == first
    assert git("--git-dir", str(bare), "rev-list", "--count", "main") == "1"


def test_publish_git_refuses_a_branch_that_holds_other_content(tmp_path, scaffolder_dirs):
    run_action("publish:git", workspace_context(tmp_path / "one", {"remoteUrl": "acme/taken"}))
    ctx = workspace_context(tmp_path / "two", {"remoteUrl": "acme/taken"})
    (ctx.workspace / "README.md").write_text("# something else\n")

    with pytest.raises(ActionError) as raised:
        run_action("publish:git", ctx)

    bare = scaffolder_dirs / "git" / "acme" / "taken.git"
    assert str(raised.value) == (
        f"the branch main of file://{bare} already has other content; the repository must be empty "
        "(or hold exactly what this task publishes)"
    )
    assert git("--git-dir", str(bare), "rev-list", "--count", "main") == "1"


def test_publish_git_pushes_to_a_remote_url(tmp_path):
    server = GitHttpServer(tmp_path / "remote").start()
    try:
        server.create("team/app")
        ctx = workspace_context(tmp_path, {"remoteUrl": f"{server.url}/team/app.git", "sourcePath": "bin"})

        outputs = run_action("publish:git", ctx)

        assert outputs == {"remoteUrl": f"{server.url}/team/app.git", "commitHash": server.commits("team/app")[0]}
        assert server.files("team/app") == {"run": ("100755", b"#!/bin/sh\n")}
    finally:
        server.stop()


def test_publish_git_in_a_dry_run_only_says_what_it_would_do(tmp_path, scaffolder_dirs):
    ctx = workspace_context(tmp_path, {"remoteUrl": "acme/dry"}, dry_run=True)

    outputs = run_action("publish:git", ctx)

    checkout = scaffolder_dirs / "git-checkouts" / "acme" / "dry"
    assert outputs == {
        "remoteUrl": f"file://{scaffolder_dirs / 'git' / 'acme' / 'dry.git'}",
        "repoContentsUrl": f"file:{checkout}",
        "catalogInfoUrl": f"file:{checkout / 'catalog-info.yaml'}",
    }
    assert ctx.problems == []
    assert not (scaffolder_dirs / "git").exists()
    assert not (scaffolder_dirs / "git-checkouts").exists()


def test_publish_git_in_a_dry_run_says_it_would_fail_on_a_branch_that_exists(tmp_path, scaffolder_dirs):
    run_action("publish:git", workspace_context(tmp_path / "first", {"remoteUrl": "acme/taken"}))
    ctx = workspace_context(tmp_path / "second", {"remoteUrl": "acme/taken"}, dry_run=True)

    run_action("publish:git", ctx)

    bare = scaffolder_dirs / "git" / "acme" / "taken.git"
    assert ctx.problems == [f"the repository {bare} already has a branch main"]


def test_publish_github_in_a_dry_run_says_it_would_fail_without_credentials(tmp_path, scaffolder_dirs):
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=svc"}, dry_run=True)

    outputs = run_action("publish:github", ctx)

    assert outputs["remoteUrl"] == "https://github.com/acme/svc.git"
    assert ctx.problems == [
        "GitHub is not configured: an administrator sets GITHUB_TOKEN (or SCAFFOLDER_GITHUB_TOKEN, or a GitHub App), "
        "or the step is given a token input"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"remoteUrl": "/etc/repo.git"},
            "publish:git pushes to local repositories only inside SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR",
        ),
        (
            {"remoteUrl": "file:///tmp/elsewhere.git"},
            "publish:git pushes to local repositories only inside SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR",
        ),
        (
            {"remoteUrl": "acme/../../escape"},
            "'acme/../../escape' is not a repository name (letters, digits, '.', '_', '-', and '/' between)",
        ),
        (
            {"remoteUrl": "ext::sh -c touch% /tmp/pwned"},
            "'ext::sh -c touch% /tmp/pwned' is not a repository name (letters, digits, '.', '_', '-', and '/' between)",
        ),
        ({"remoteUrl": "ftp://example.com/repo.git"}, "publish:git cannot push to ftp: URLs"),
        (
            {"remoteUrl": "https://bot:hunter2@example.com/repo.git"},
            "remoteUrl must not contain a password: configure the worker's git credentials",
        ),
        ({"remoteUrl": "acme/x", "defaultBranch": "-bad"}, "'-bad' is not a valid branch name"),
        ({"remoteUrl": "acme/x", "sourcePath": "missing"}, "sourcePath 'missing' does not exist in the workspace"),
        ({"remoteUrl": 7}, "Invalid input passed to action publish:git: input.remoteUrl: 7 is not of type 'string'"),
    ],
)
def test_publish_git_refuses_bad_input_and_publishes_nothing(tmp_path, scaffolder_dirs, data, message):
    ctx = workspace_context(tmp_path, data)

    with pytest.raises((ActionError, PathError)) as raised:
        run_action("publish:git", ctx)

    assert str(raised.value) == message
    assert not (scaffolder_dirs / "git").exists()
    assert not (tmp_path / "pwned").exists()


def test_publish_git_refuses_an_empty_workspace(tmp_path, scaffolder_dirs):
    task = make_task(template_doc("svc", []))
    ctx = action_context(task, tmp_path / "task", {"remoteUrl": "acme/empty"})

    with pytest.raises(ActionError) as raised:
        run_action("publish:git", ctx)

    assert str(raised.value) == "there is nothing to publish: the workspace (or sourcePath) has no files"
    assert not (scaffolder_dirs / "git" / "acme" / "empty.git").exists()


# --- publish:github ---------------------------------------------------------------------------------------------


def test_publish_github_creates_the_repository_and_pushes_with_the_token(tmp_path, github_fake):
    data = {
        "repoUrl": "github.com?owner=acme&repo=orders",
        "description": "Takes orders",
        "defaultBranch": "main",
        "repoVisibility": "internal",
        "topics": ["python", "service"],
    }
    ctx = workspace_context(tmp_path, data)

    outputs = run_action("publish:github", ctx)

    assert outputs == {
        "remoteUrl": f"{github_fake.git.url}/acme/orders.git",
        "repoContentsUrl": "https://github.com/acme/orders/blob/main",
        "commitHash": github_fake.git.commits("acme/orders")[0],
    }
    assert [(item["owner"], item["name"], item["description"], item["visibility"]) for item in github_fake.created] == [
        ("acme", "orders", "Takes orders", "internal")
    ]
    assert github_fake.repos["acme/orders"].topics == ["python", "service"]
    assert {path: data for path, (_mode, data) in github_fake.git.files("acme/orders").items()} == {
        path: text.encode() for path, text in FILES.items()
    }
    assert [
        (item["branch"], item["required_pull_request_reviews"]["required_approving_review_count"])
        for item in github_fake.protections
    ] == [("main", 1)]
    pushes = [request for request in github_fake.git.requests if request.credentials is not None]
    assert pushes
    assert all(request.credentials == ("x-access-token", github_fake.token) for request in pushes)
    assert all(github_fake.token not in request.path + request.query for request in github_fake.git.requests)


def test_publish_github_creates_a_repository_of_the_tokens_user(tmp_path, github_fake):
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=atrium-bot&repo=mine", "repoVisibility": "public"})

    run_action("publish:github", ctx)

    assert [(item["owner"], item["name"], item["private"]) for item in github_fake.created] == [
        ("atrium-bot", "mine", False)
    ]
    assert github_fake.git.commits("atrium-bot/mine", "master") != []


def test_publish_github_again_with_the_same_content_creates_and_pushes_nothing_more(tmp_path, github_fake):
    data = {"repoUrl": "github.com?owner=acme&repo=twice", "defaultBranch": "main"}
    first = run_action("publish:github", workspace_context(tmp_path / "one", data))

    second = run_action("publish:github", workspace_context(tmp_path / "two", data))

    assert second == first
    assert len(github_fake.created) == 1
    assert len(github_fake.git.commits("acme/twice")) == 1


def test_publish_github_fails_clearly_without_a_token_and_creates_nothing(tmp_path, github_fake, settings):
    settings.SCAFFOLDER_GITHUB_TOKEN = ""
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=orders"})

    with pytest.raises(ActionError) as raised:
        run_action("publish:github", ctx)

    assert str(raised.value) == (
        "GitHub is not configured: an administrator sets GITHUB_TOKEN (or SCAFFOLDER_GITHUB_TOKEN, or a GitHub App), "
        "or the step is given a token input"
    )
    assert github_fake.created == []


def test_publish_github_reports_a_refused_token(tmp_path, github_fake, settings):
    settings.SCAFFOLDER_GITHUB_TOKEN = "wrong-token"
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=orders"})

    with pytest.raises(ActionError) as raised:
        run_action("publish:github", ctx)

    assert str(raised.value) == "creating acme/orders: GitHub refused the token (check SCAFFOLDER_GITHUB_TOKEN)"
    assert github_fake.created == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"repoUrl": "gitlab.com?owner=acme&repo=x"},
            "this Atrium publishes to GitHub at github.com, not to gitlab.com",
        ),
        ({"repoUrl": "github.com?repo=x"}, "Invalid repo URL passed to parseRepoUrl: github.com?repo=x, missing owner"),
        (
            {"repoUrl": "github.com?owner=someone-else&repo=x"},
            "the token belongs to atrium-bot: it cannot create a repository for the user someone-else",
        ),
        (
            {"repoUrl": "github.com?owner=acme&repo=x", "repoVisibility": "secret"},
            "Invalid input passed to action publish:github: input.repoVisibility: 'secret' is not one of "
            "['private', 'internal', 'public']",
        ),
        ({}, "Invalid input passed to action publish:github: input.repoUrl is required"),
    ],
)
def test_publish_github_refuses_bad_input_and_publishes_nothing(tmp_path, github_fake, data, message):
    ctx = workspace_context(tmp_path, data)

    with pytest.raises(ActionError) as raised:
        run_action("publish:github", ctx)

    assert str(raised.value) == message
    assert github_fake.created == []


def test_publish_github_in_a_dry_run_calls_no_api(tmp_path, github_fake):
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=orders"}, dry_run=True)

    outputs = run_action("publish:github", ctx)

    assert outputs == {
        "remoteUrl": "https://github.com/acme/orders.git",
        "repoContentsUrl": "https://github.com/acme/orders/blob/master",
    }
    assert github_fake.requests == []
    assert github_fake.git.requests == []


def test_the_token_is_never_on_a_git_command_line(tmp_path, github_fake, monkeypatch):
    seen: list[list[str]] = []
    original = subprocess.run

    def recording(args, *positional, **keywords):
        seen.append(list(args))
        return original(args, *positional, **keywords)

    monkeypatch.setattr(subprocess, "run", recording)
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=argv", "defaultBranch": "main"})

    run_action("publish:github", ctx)

    git_calls = [args for args in seen if args[:1] == ["git"] and "push" in args]
    assert git_calls
    assert all(github_fake.token not in " ".join(args) for args in seen)


def test_publish_github_says_when_github_cannot_be_reached(tmp_path, settings):
    settings.SCAFFOLDER_GITHUB_API_URL = "http://127.0.0.1:9"
    settings.SCAFFOLDER_GITHUB_TOKEN = "any-token"
    ctx = workspace_context(tmp_path, {"repoUrl": "github.com?owner=acme&repo=orders"})

    with pytest.raises(ActionError) as raised:
        run_action("publish:github", ctx)

    assert str(raised.value) == (
        "creating acme/orders: cannot reach GitHub at http://127.0.0.1:9 (ConnectionError); try again"
    )
