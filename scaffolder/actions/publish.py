"""``publish:git`` (any git remote; by default a local bare repository) and ``publish:github``.

In a dry run both only log what they would do, with the outputs a real run would give (no commit hash).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from github import GithubException

from portal.integrations import github as integration
from portal.paths import is_inside, resolves_inside
from scaffolder.actions import github as gh
from scaffolder.actions import gitops
from scaffolder.actions.registry import Action, ActionError, object_schema, register
from scaffolder.engine.context import ActionContext
from scaffolder.engine.workspace import inside_workspace
from scaffolder.templating.filters import parse_repo_url

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")
_SCP = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")
_NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CATALOG_FILE = "catalog-info.yaml"


def _local_default(name: str) -> Path:
    parts = name.strip("/").split("/")
    if not name.strip("/") or not all(_NAME_PART.match(part) and part not in (".", "..") for part in parts):
        raise ActionError(f"{name!r} is not a repository name (letters, digits, '.', '_', '-', and '/' between)")
    path = Path(settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR, *parts)
    return path if path.name.endswith(".git") else path.with_name(f"{path.name}.git")


def remote_of(ctx: ActionContext) -> tuple[str, Path | None]:
    """``(remote URL for git, local bare repository or None)`` of the step's ``remoteUrl``/``repoUrl``."""
    value = (ctx.input.get("remoteUrl") or "").strip()
    if not value:
        repo_url = ctx.input.get("repoUrl")
        if repo_url:
            try:
                parsed = parse_repo_url(repo_url)
            except ValueError as error:
                raise ActionError(str(error)) from None
            value = "/".join(part for part in (parsed.get("owner"), parsed["repo"]) if part)
        else:
            value = f"task-{ctx.task_id}"
    scheme = _SCHEME.match(value)
    if scheme is None and _SCP.match(value):
        return value, None
    if scheme is not None and scheme["scheme"].lower() != "file":
        if scheme["scheme"].lower() not in ("https", "http", "ssh", "git"):
            raise ActionError(f"publish:git cannot push to {scheme['scheme']}: URLs")
        if urlsplit(value).password:
            raise ActionError("remoteUrl must not contain a password: configure the worker's git credentials")
        return value, None
    path = Path(unquote(urlsplit(value).path)) if scheme is not None else None
    if path is None:
        path = Path(value) if value.startswith("/") else _local_default(value)
    if not resolves_inside(path, settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR):
        raise ActionError("publish:git pushes to local repositories only inside SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR")
    return f"file://{path}", path


def _ensure_bare(path: Path, branch: str) -> None:
    env = gitops.environment()
    if path.exists():
        answer = gitops.run(
            ["--git-dir", str(path), "rev-parse", "--is-bare-repository"], env=env, what=f"{path} is not a repository"
        )
        if answer != "true":
            raise ActionError(f"{path} is not a bare git repository")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    gitops.run(
        ["init", "--quiet", "--bare", "--template=", f"--initial-branch={branch}", str(path)],
        env=env,
        what="creating the repository",
    )


def _has_branch(bare: Path, branch: str) -> bool:
    if not bare.exists():
        return False
    try:
        gitops.run(
            ["--git-dir", str(bare), "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            env=gitops.environment(),
            what="reading the repository",
        )
    except ActionError:
        return False
    return True


def _checkout_path(bare: Path) -> Path:
    """Where the working copy of a local bare repository is kept (what catalog:register reads)."""
    root = Path(settings.SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR)
    normal = Path(os.path.abspath(bare))
    relative = normal.relative_to(root) if is_inside(normal, root) else Path(bare.name)
    return Path(settings.SCAFFOLDER_GIT_CHECKOUT_DIR, relative.parent, relative.name.removesuffix(".git"))


def _checkout(bare: Path, branch: str) -> Path:
    """The working copy of a local bare repository, brought up to date."""
    checkout = _checkout_path(bare)
    env = gitops.environment()
    base = ["--git-dir", str(checkout / ".git"), "--work-tree", str(checkout)]
    if not (checkout / ".git").is_dir():
        checkout.mkdir(parents=True, exist_ok=True)
        gitops.run([*base, "init", "--quiet", "--template="], env=env, what="preparing the working copy")
    source = f"file://{bare}"
    gitops.run(
        [*base, "fetch", "--quiet", "--no-tags", source, f"+refs/heads/{branch}:refs/remotes/origin/{branch}"],
        env=env,
        what="updating the working copy",
    )
    gitops.run(
        [*base, "checkout", "--quiet", "--force", "-B", branch, f"refs/remotes/origin/{branch}"],
        env=env,
        what="updating the working copy",
    )
    gitops.run([*base, "clean", "--quiet", "-d", "--force", "-x"], env=env, what="updating the working copy")
    return checkout


def _source(ctx: ActionContext) -> Path:
    folder = inside_workspace(ctx.workspace, ctx.input.get("sourcePath"), "sourcePath", must_exist=True)
    if not folder.is_dir():
        raise ActionError("sourcePath must be a folder of the workspace")
    return folder


def publish_git(ctx: ActionContext) -> dict:
    branch = gitops.check_branch(ctx.input.get("defaultBranch") or "main")
    remote, bare = remote_of(ctx)
    source = _source(ctx)
    message = ctx.input.get("gitCommitMessage") or "Initial commit"
    if ctx.is_dry_run:
        ctx.logger.info(f"Dry run: would push the workspace to {gitops.shown(remote)} ({branch})")
        outputs = {"remoteUrl": gitops.shown(remote)}
        if bare is not None:
            if _has_branch(bare, branch):
                ctx.would_fail(f"the repository {bare} already has a branch {branch}")
            checkout = _checkout_path(bare)
            outputs["repoContentsUrl"] = f"file:{checkout}"
            if (source / CATALOG_FILE).is_file():
                outputs["catalogInfoUrl"] = f"file:{checkout / CATALOG_FILE}"
        return outputs
    publisher = gitops.Publisher(ctx, source, remote_env=gitops.environment(isolated=bare is not None))
    publisher.tree()
    if bare is not None:
        _ensure_bare(bare, branch)
    result = publisher.publish(remote, branch, message=message, author=gitops.author(ctx))
    outputs = {"remoteUrl": gitops.shown(remote), "commitHash": result.commit}
    if bare is not None:
        checkout = _checkout(bare, branch)
        outputs["repoContentsUrl"] = f"file:{checkout}"
        if (checkout / CATALOG_FILE).is_file():
            outputs["catalogInfoUrl"] = f"file:{checkout / CATALOG_FILE}"
    elif gh.is_github_url(remote):
        path = urlsplit(remote).path.removesuffix(".git").strip("/")
        outputs["repoContentsUrl"] = f"https://{urlsplit(remote).hostname}/{path}/blob/{branch}"
    return outputs


# --- publish:github ---------------------------------------------------------------------------------------------


def _create(ctx: ActionContext, client, owner: str, name: str):
    visibility = ctx.input.get("repoVisibility") or "private"
    description = ctx.input.get("description") or ""
    account = client.get_user(owner)
    if account.type == "Organization":
        return client.get_organization(owner).create_repo(name, description=description, visibility=visibility)
    me = client.get_user()
    if me.login.lower() != owner.lower():
        raise ActionError(f"the token belongs to {me.login}: it cannot create a repository for the user {owner}")
    if visibility == "internal":
        raise ActionError("a repository of a user cannot be internal; use private or public")
    return me.create_repo(name, description=description, private=visibility != "public")


def _clone_url(repo) -> str:
    url = repo.clone_url
    api_scheme = urlsplit(integration.api_url(gh.APP)).scheme
    if urlsplit(url).scheme not in ("https", api_scheme):
        raise ActionError(f"GitHub gave the clone URL {url}, which Atrium does not push a token to")
    return url


def _protect(ctx: ActionContext, repo, branch: str) -> None:
    if not ctx.input.get("protectDefaultBranch", True):
        return
    try:
        repo.get_branch(branch).edit_protection(
            enforce_admins=bool(ctx.input.get("protectEnforceAdmins", True)),
            required_approving_review_count=int(ctx.input.get("requiredApprovingReviewCount", 1)),
            require_code_owner_reviews=bool(ctx.input.get("requireCodeOwnerReviews", False)),
        )
    except (GithubException, *gh.NETWORK_ERRORS) as error:
        ctx.logger.warning(f"Skipping the protection of {branch}: {gh.failure(error, 'protecting the branch')}")


def publish_github(ctx: ActionContext) -> dict:
    host, owner, name = gh.repo_of(ctx.input["repoUrl"])
    branch = gitops.check_branch(ctx.input.get("defaultBranch") or "master")
    source = _source(ctx)
    if ctx.is_dry_run:
        ctx.logger.info(f"Dry run: would create {owner}/{name} on {host} and push the workspace to {branch}")
        gh.check_configured(ctx)
        return {
            "remoteUrl": f"https://{host}/{owner}/{name}.git",
            "repoContentsUrl": f"https://{host}/{owner}/{name}/blob/{branch}",
        }
    token = gh.token_for(ctx)
    client = gh.client(token)
    try:
        repo = gh.find_repo(client, owner, name)
        if repo is None:
            repo = _create(ctx, client, owner, name)
            ctx.logger.info(f"Created the repository {owner}/{name}")
        else:
            ctx.logger.info(f"The repository {owner}/{name} already exists")
        topics = list(ctx.input.get("topics") or [])
        if topics and sorted(repo.get_topics()) != sorted(topics):
            repo.replace_topics(topics)
        clone_url = _clone_url(repo)
    except (GithubException, *gh.NETWORK_ERRORS) as error:
        raise gh.failure(error, f"creating {owner}/{name}") from None
    parts = urlsplit(clone_url)
    credentials = (f"{parts.scheme}://{parts.netloc}", "x-access-token", token)
    remote_env = gitops.environment(credentials=credentials)
    publisher = gitops.Publisher(ctx, source, remote_env=remote_env, hide=(token,))
    message = ctx.input.get("gitCommitMessage") or "initial commit"
    result = publisher.publish(clone_url, branch, message=message, author=gitops.author(ctx))
    try:
        if repo.default_branch != branch:
            repo.edit(default_branch=branch)
    except (GithubException, *gh.NETWORK_ERRORS) as error:
        raise gh.failure(error, f"setting the default branch of {owner}/{name}") from None
    _protect(ctx, repo, branch)
    return {"remoteUrl": clone_url, "repoContentsUrl": f"{repo.html_url}/blob/{branch}", "commitHash": result.commit}


_COMMON = {
    "defaultBranch": {"type": "string", "description": "The branch to push to"},
    "gitCommitMessage": {"type": "string", "description": "The message of the commit"},
    "gitAuthorName": {"type": "string", "description": "Author of the commit (default: the task's user)"},
    "gitAuthorEmail": {"type": "string", "description": "E-mail of the author (default: the task's user's)"},
    "sourcePath": {"type": "string", "description": "Folder of the workspace to publish (default: all of it)"},
}
_OUTPUTS = {
    "remoteUrl": {"type": "string", "description": "URL of the repository to clone"},
    "repoContentsUrl": {"type": "string", "description": "Where the files of the branch can be read"},
    "commitHash": {"type": "string", "description": "The commit the branch points at"},
}

register(
    Action(
        id="publish:git",
        description=(
            "Commits the workspace and pushes it to a git repository: any remote URL (credentials from the worker's "
            "git configuration), or by default a local bare repository under SCAFFOLDER_GIT_DEFAULT_REMOTE_DIR. "
            "The branch must not exist yet, or already hold exactly this content."
        ),
        input_schema=object_schema(
            {
                "remoteUrl": {
                    "type": "string",
                    "description": "https://, ssh:// or git@host:path URL, or a name (acme/orders-api) of a local "
                    "bare repository; default: the repoUrl's owner/repo, else one named after the task",
                },
                "repoUrl": {"type": "string", "description": "github.com?owner=o&repo=r, naming the local repository"},
                **_COMMON,
            }
        ),
        output_schema=object_schema({**_OUTPUTS, "catalogInfoUrl": {"type": "string"}}),
        handler=publish_git,
        examples=[
            {
                "description": "Publish to the embedded local repositories",
                "example": "steps:\n  - id: publish\n    action: publish:git\n    input:\n"
                "      remoteUrl: acme/${{ parameters.name }}\n      defaultBranch: main\n",
            }
        ],
    )
)
register(
    Action(
        id="publish:github",
        description="Creates a repository on GitHub (in an organisation or for the token's user) and pushes the "
        "workspace to it.",
        input_schema=object_schema(
            {
                "repoUrl": {"type": "string", "description": "github.com?owner=o&repo=r"},
                "description": {"type": "string"},
                "repoVisibility": {"enum": ["private", "internal", "public"]},
                "topics": {"type": "array", "items": {"type": "string"}},
                "protectDefaultBranch": {"type": "boolean"},
                "protectEnforceAdmins": {"type": "boolean"},
                "requiredApprovingReviewCount": {"type": "integer", "minimum": 0, "maximum": 6},
                "requireCodeOwnerReviews": {"type": "boolean"},
                "token": {"type": "string", "description": "A GitHub token (default: the configured one)"},
                **_COMMON,
            },
            ["repoUrl"],
        ),
        output_schema=object_schema(_OUTPUTS),
        handler=publish_github,
        examples=[
            {
                "description": "Publish a private repository with main as its default branch",
                "example": "steps:\n  - id: publish\n    action: publish:github\n    input:\n"
                "      repoUrl: ${{ parameters.repoUrl }}\n      defaultBranch: main\n      repoVisibility: private\n",
            }
        ],
    )
)
