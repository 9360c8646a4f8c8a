"""GitHub for golden paths: the PyGithub client, GitHub URLs, errors worded for people, and the
``github:actions:dispatch`` action.

The client (:mod:`portal.integrations.github`'s) talks to ``SCAFFOLDER_GITHUB_API_URL``, else ``GITHUB_API_URL``
(github.com, GitHub Enterprise Server, or the test fake), with ``SCAFFOLDER_GITHUB_TOKEN``, else the shared
credentials (``GITHUB_TOKEN`` or the GitHub App), or with the step's own ``token`` input (a secret of the task).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import github
from github import GithubException, UnknownObjectException

from portal.integrations import github as integration
from scaffolder.actions.registry import Action, ActionError, object_schema, register
from scaffolder.engine.context import ActionContext
from scaffolder.templating.filters import parse_repo_url

#: The app whose ``SCAFFOLDER_GITHUB_*`` settings override the shared ones.
APP = "scaffolder"
TIMEOUT = integration.DEFAULT_TIMEOUT
_TREE_URL = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:tree|blob)/(?P<ref>[^/]+)(?:/(?P<path>.*))?$")
NETWORK_ERRORS = integration.NETWORK_ERRORS


@dataclass(frozen=True)
class GitHubPath:
    """A file or folder of a repository on GitHub: ``https://HOST/OWNER/REPO/tree/REF/PATH``."""

    host: str
    owner: str
    repo: str
    ref: str
    path: str  # "/"-separated, relative to the repository's root; "" for the root

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def url(self, mode: str = "tree") -> str:
        return f"https://{self.host}/{self.owner}/{self.repo}/{mode}/{self.ref}/{self.path}".rstrip("/")


def hosts() -> frozenset[str]:
    """Web hosts of the configured GitHub: github.com, and the Enterprise host of an ``/api/v3`` URL."""
    return integration.hosts(APP)


def is_github_url(url: str) -> bool:
    return integration.is_github_url(url, APP, schemes=("https",))


def parse_url(url: str) -> GitHubPath:
    parts = urlsplit(url)
    match = _TREE_URL.match(parts.path)
    if not is_github_url(url) or match is None:
        raise ActionError(f"{url} is not a GitHub URL like https://github.com/OWNER/REPO/tree/BRANCH/PATH")
    path = "/".join(piece for piece in unquote(match["path"] or "").split("/") if piece not in ("", "."))
    if ".." in path.split("/"):
        raise ActionError(f"{url} leaves its repository")
    return GitHubPath((parts.hostname or "").lower(), match["owner"], match["repo"], unquote(match["ref"]), path)


def repo_of(repo_url: str) -> tuple[str, str, str]:
    """``(host, owner, repo)`` of a ``github.com?owner=o&repo=r`` repoUrl on the configured GitHub."""
    try:
        parsed = parse_repo_url(repo_url)
    except ValueError as error:
        raise ActionError(str(error)) from None
    host = parsed["host"].lower()
    if host not in hosts():
        allowed = ", ".join(sorted(hosts()))
        raise ActionError(f"this Atrium publishes to GitHub at {allowed}, not to {host}")
    if not parsed.get("owner"):
        raise ActionError(f"the repoUrl {repo_url} names no owner")
    return host, parsed["owner"], parsed["repo"]


NOT_CONFIGURED = (
    "GitHub is not configured: an administrator sets GITHUB_TOKEN (or SCAFFOLDER_GITHUB_TOKEN, or a GitHub App), "
    "or the step is given a token input"
)


def token_for(ctx: ActionContext) -> str:
    """The step's ``token`` input, else the configured token (a GitHub App's installation token)."""
    token = ctx.input.get("token")
    if token:
        return token
    try:
        token = integration.access_token(APP, timeout=TIMEOUT)
    except integration.ERRORS as error:
        raise failure(error, "getting a token of the GitHub App") from None
    if not token:
        raise ActionError(NOT_CONFIGURED)
    return token


def check_configured(ctx: ActionContext) -> None:
    """In a dry run: say the step would fail when it has no token and none is configured."""
    if not ctx.input.get("token") and integration.credentials(APP).kind == "anonymous":
        ctx.would_fail(NOT_CONFIGURED)


def client(token: str | None = None) -> github.Github:
    """A client with ``token``; with the configured credentials when it is None."""
    return integration.client(APP, token=token, timeout=TIMEOUT)


def _credentials_hint() -> str:
    source = integration.credentials(APP).source
    if source == "GITHUB_APP_ID":
        return "check the GitHub App: GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_APP_INSTALLATION_ID"
    return f"check {source or 'SCAFFOLDER_GITHUB_TOKEN'}"


def failure(error: Exception, what: str) -> ActionError:
    """A GitHub or network error as a message for the task's page."""
    if isinstance(error, ActionError):
        return error
    found = integration.classify(error)
    if found.kind == integration.BAD_CREDENTIALS:
        return ActionError(f"{what}: GitHub refused the token ({_credentials_hint()})")
    if found.kind == integration.NOT_FOUND:
        return ActionError(f"{what}: not found on GitHub, or the token may not see it")
    if found.kind == integration.ANSWERED:
        return ActionError(f"{what}: {found.answered}")
    return ActionError(f"{what}: cannot reach GitHub at {integration.api_url(APP)} ({found.error_name}); try again")


def find_repo(gh: github.Github, owner: str, name: str):
    """The repository, or None when it does not exist."""
    repo = gh.get_repo(f"{owner}/{name}")
    try:
        repo.raw_data  # noqa: B018 -- a lazy object reads the repository on first use
    except UnknownObjectException:
        return None
    return repo


# --- github:actions:dispatch ----------------------------------------------------------------------------------


def dispatch(ctx: ActionContext) -> dict:
    host, owner, name = repo_of(ctx.input["repoUrl"])
    workflow_id, ref = ctx.input["workflowId"], ctx.input["branchOrTagName"]
    inputs = ctx.input.get("workflowInputs") or {}
    if ctx.is_dry_run:
        ctx.logger.info(f"Dry run: would start the workflow {workflow_id} of {owner}/{name} on {ref}")
        check_configured(ctx)
        return {}
    gh = client(token_for(ctx))
    what = f"starting the workflow {workflow_id} of {owner}/{name}"
    try:
        repo = gh.get_repo(f"{owner}/{name}")
        workflow = repo.get_workflow(workflow_id)
        workflow.create_dispatch(ref, {key: str(value) for key, value in inputs.items()}, throw=True)
    except (GithubException, *NETWORK_ERRORS) as error:
        raise failure(error, what) from None
    ctx.logger.info(f"Started the workflow {workflow_id} of {owner}/{name} on {ref} (on {host})")
    return {}


register(
    Action(
        id="github:actions:dispatch",
        description="Starts a GitHub Actions workflow of a repository (workflow_dispatch).",
        input_schema=object_schema(
            {
                "repoUrl": {"type": "string", "description": "github.com?owner=o&repo=r"},
                "workflowId": {"type": "string", "minLength": 1, "description": "The workflow's file name or id"},
                "branchOrTagName": {"type": "string", "minLength": 1, "description": "The git ref to run on"},
                "workflowInputs": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean"]},
                    "description": "Inputs of the workflow",
                },
                "token": {"type": "string", "description": "A GitHub token (default: the configured one)"},
            },
            ["repoUrl", "workflowId", "branchOrTagName"],
        ),
        output_schema=object_schema({}),
        handler=dispatch,
        examples=[
            {
                "description": "Deploy the new service",
                "example": "steps:\n  - id: deploy\n    action: github:actions:dispatch\n    input:\n"
                "      repoUrl: github.com?owner=acme&repo=orders-api\n      workflowId: deploy.yml\n"
                "      branchOrTagName: main\n      workflowInputs:\n        environment: staging\n",
            }
        ],
    )
)
