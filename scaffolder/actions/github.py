"""GitHub for golden paths: the PyGithub client, GitHub URLs, errors worded for people, and the
``github:actions:dispatch`` action.

The client talks to ``SCAFFOLDER_GITHUB_API_URL`` (github.com, GitHub Enterprise Server, or the test fake)
with ``SCAFFOLDER_GITHUB_TOKEN``, or with the step's own ``token`` input (a secret of the task).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import github
import requests
import urllib3
from django.conf import settings
from github import Auth, BadCredentialsException, GithubException, GithubRetry, UnknownObjectException

from scaffolder.actions.registry import Action, ActionError, object_schema, register
from scaffolder.engine.context import ActionContext
from scaffolder.templating.filters import parse_repo_url

TIMEOUT = 30
_TREE_URL = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?:tree|blob)/(?P<ref>[^/]+)(?:/(?P<path>.*))?$")
NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


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


def hosts() -> set[str]:
    """Web hosts of the configured GitHub: github.com, and the Enterprise host of an ``/api/v3`` URL."""
    found = {"github.com"}
    api = urlsplit(settings.SCAFFOLDER_GITHUB_API_URL)
    if api.hostname and api.path.rstrip("/").endswith("/api/v3"):
        found.add(api.hostname.lower())
    return found


def is_github_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").lower() in hosts()


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


def token_for(ctx: ActionContext) -> str:
    token = ctx.input.get("token") or settings.SCAFFOLDER_GITHUB_TOKEN
    if not token:
        raise ActionError("no GitHub token: set SCAFFOLDER_GITHUB_TOKEN (or give the step a token input)")
    return token


@functools.lru_cache(maxsize=8)
def _client(base_url: str, token: str) -> github.Github:
    return github.Github(
        base_url=base_url,
        auth=Auth.Token(token) if token else None,
        timeout=TIMEOUT,
        retry=GithubRetry(total=2, connect=0, read=0, backoff_factor=0.5),
        seconds_between_requests=None,
        per_page=100,
        lazy=True,
    )


def client(token: str | None = None) -> github.Github:
    token = settings.SCAFFOLDER_GITHUB_TOKEN if token is None else token
    return _client(settings.SCAFFOLDER_GITHUB_API_URL, token)


def failure(error: Exception, what: str) -> ActionError:
    """A GitHub or network error as a message for the task's page."""
    if isinstance(error, ActionError):
        return error
    if isinstance(error, BadCredentialsException):
        return ActionError(f"{what}: GitHub refused the token (check SCAFFOLDER_GITHUB_TOKEN)")
    if isinstance(error, UnknownObjectException):
        return ActionError(f"{what}: not found on GitHub, or the token may not see it")
    if isinstance(error, GithubException):
        data = error.data if isinstance(error.data, dict) else {}
        details = [str(data.get("message") or "")]
        details += [str(item.get("message") or "") for item in data.get("errors") or [] if isinstance(item, dict)]
        text = "; ".join(detail for detail in details if detail)
        return ActionError(f"{what}: GitHub answered {error.status}" + (f" ({text})" if text else ""))
    return ActionError(
        f"{what}: cannot reach GitHub at {settings.SCAFFOLDER_GITHUB_API_URL} ({type(error).__name__}); try again"
    )


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
                "token": {"type": "string", "description": "A GitHub token (default: SCAFFOLDER_GITHUB_TOKEN)"},
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
