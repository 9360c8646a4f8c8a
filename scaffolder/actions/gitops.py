"""Git for the publish actions: one commit of the workspace, pushed only where it is not already.

The repository's own folder (``--git-dir``) is in the task's scratch folder, outside the workspace: nothing a
template writes (a ``.git/config``, a hook) is ever read by git. Local operations run with no system or global
configuration, hooks and fsmonitor off. Only the ``https``, ``http``, ``ssh``, ``git`` and ``file`` transports
are allowed (never ``ext::``).

Credentials: ``publish:github`` hands its token to git through a credential helper, configured in the git
process's environment (``GIT_CONFIG_COUNT``) for the one remote's origin, which reads the token from another
variable of that environment: the token is never in a URL, in an argument (what ``ps`` shows) or on disk.
``publish:git`` uses the worker's own git configuration for remotes (a credential helper, SSH keys).

Idempotence: before pushing, the branch of the remote is looked up; if it already holds exactly the tree of the
workspace (a re-run after a crash), nothing is pushed and its commit is the result; if it holds anything else,
the action fails rather than overwrite or add to someone's repository.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scaffolder.actions.registry import ActionError
from scaffolder.engine.context import ActionContext

LOCAL_TIMEOUT = 120
NETWORK_TIMEOUT = 300
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
ALLOWED_PROTOCOLS = "https:http:ssh:git:file"
_KEPT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "SSH_AUTH_SOCK",
    "GIT_SSH_COMMAND",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)
_CONFIG = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.autocrlf=false",
    "-c",
    "core.symlinks=true",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "core.quotePath=false",
    "-c",
    "advice.detachedHead=false",
)
_HELPER = (
    '!f() { test "$1" = get || exit 0; echo "username=$ATRIUM_GIT_USERNAME"; echo "password=$ATRIUM_GIT_PASSWORD"; }; f'
)
DEFAULT_AUTHOR = ("Atrium", "atrium@localhost")


def environment(*, isolated: bool = True, credentials: tuple[str, str, str] | None = None) -> dict[str, str]:
    """The environment of a git process: a few variables of the worker's, and nothing secret of Atrium's.

    ``credentials`` is ``(origin, username, password)``: a credential helper answering for that origin only.
    """
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS, "GCM_INTERACTIVE": "never"})
    if isolated:
        env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "HOME": os.devnull})
    elif "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    if credentials is not None:
        origin, username, password = credentials
        env.update(
            {
                "GIT_CONFIG_COUNT": "2",
                "GIT_CONFIG_KEY_0": "credential.helper",
                "GIT_CONFIG_VALUE_0": "",
                "GIT_CONFIG_KEY_1": f"credential.{origin}.helper",
                "GIT_CONFIG_VALUE_1": _HELPER,
                "ATRIUM_GIT_USERNAME": username,
                "ATRIUM_GIT_PASSWORD": password,
            }
        )
    return env


def shown(url: str) -> str:
    """A remote URL without any user or password in it, for messages."""
    parts = urlsplit(url)
    if parts.scheme and parts.netloc and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def run(args: list[str], *, env: dict, what: str, timeout: int = LOCAL_TIMEOUT, hide=(), extra_env=None) -> str:
    """Run git; its output, or :class:`ActionError` saying what failed (the end of git's own message)."""
    try:
        result = subprocess.run(  # noqa: S603 -- a fixed program; arguments are never parsed by a shell
            ["git", *_CONFIG, *args],  # noqa: S607 -- git from the worker's PATH
            env={**env, **(extra_env or {})},
            cwd="/",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ActionError(f"{what}: git did not finish within {timeout} s; try again") from None
    except FileNotFoundError:
        raise ActionError("git is not installed on this worker") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.strip().splitlines() if line.strip()]
        message = " ".join(lines[-3:]) or f"exit status {result.returncode}"
        for secret in hide:
            if secret:
                message = message.replace(secret, "***")
        raise ActionError(f"{what}: {message}")
    return result.stdout.strip()


def check_branch(branch: str) -> str:
    if not isinstance(branch, str) or not branch or branch.startswith("-"):
        raise ActionError(f"{branch!r} is not a valid branch name")
    run(["check-ref-format", "--branch", branch], env=environment(), what=f"{branch!r} is not a valid branch name")
    return branch


@dataclass
class Result:
    commit: str
    #: False when the remote branch already held exactly this content (nothing was pushed).
    pushed: bool


class Publisher:
    """One commit of a folder of the workspace, and its push."""

    def __init__(self, ctx: ActionContext, work_tree: Path, *, remote_env: dict, hide=()) -> None:
        self.ctx = ctx
        self.work_tree = work_tree
        self.git_dir = ctx.task_dir / "git" / uuid.uuid4().hex
        self.remote_env = remote_env
        self.hide = tuple(hide)
        self._tree: str | None = None

    def _local(self, *args: str, what: str, extra_env=None) -> str:
        base = ["--git-dir", str(self.git_dir), "--work-tree", str(self.work_tree)]
        return run([*base, *args], env=environment(), what=what, hide=self.hide, extra_env=extra_env)

    def _remote(self, *args: str, what: str) -> str:
        base = ["--git-dir", str(self.git_dir)]
        return run([*base, *args], env=self.remote_env, what=what, timeout=NETWORK_TIMEOUT, hide=self.hide)

    def tree(self) -> str:
        """The tree of the workspace's files (computed once); :class:`ActionError` when there are none."""
        if self._tree is not None:
            return self._tree
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        self._local("init", "--quiet", "--template=", what="preparing the commit")
        self._local("add", "--all", what="adding the workspace's files")
        tree = self._local("write-tree", what="preparing the commit")
        if tree == EMPTY_TREE:
            raise ActionError("there is nothing to publish: the workspace (or sourcePath) has no files")
        self._tree = tree
        return tree

    def remote_head(self, remote: str, branch: str) -> tuple[str, str] | None:
        """``(commit, tree)`` of the remote branch, or None when it does not exist."""
        where = shown(remote)
        listed = self._remote("ls-remote", "--heads", remote, f"refs/heads/{branch}", what=f"reading {where}")
        if not listed:
            return None
        self.ctx.check_cancelled()
        ref = f"+refs/heads/{branch}:refs/atrium/remote"
        self._remote("fetch", "--quiet", "--no-tags", "--depth=1", remote, ref, what=f"fetching {where}")
        commit = self._local("rev-parse", "refs/atrium/remote", what="reading the remote branch")
        return commit, self._local("rev-parse", "refs/atrium/remote^{tree}", what="reading the remote branch")

    def publish(self, remote: str, branch: str, *, message: str, author: tuple[str, str]) -> Result:
        tree = self.tree()
        self.ctx.check_cancelled()
        existing = self.remote_head(remote, branch)
        where = shown(remote)
        if existing is not None:
            commit, remote_tree = existing
            if remote_tree == tree:
                self.ctx.logger.info(f"{where} already holds exactly this content on {branch}: nothing to push")
                return Result(commit, pushed=False)
            raise ActionError(
                f"the branch {branch} of {where} already has other content; the repository must be empty "
                "(or hold exactly what this task publishes)"
            )
        name, email = author
        people = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }
        commit = self._local("commit-tree", tree, "-m", message, what="committing", extra_env=people)
        self.ctx.check_cancelled()
        self._remote("push", "--quiet", remote, f"{commit}:refs/heads/{branch}", what=f"pushing to {where}")
        self.ctx.logger.info(f"Pushed commit {commit} to {where} ({branch})")
        return Result(commit, pushed=True)


def author(ctx: ActionContext) -> tuple[str, str]:
    """The commit's author: the step's gitAuthorName/gitAuthorEmail, else the task's user, else Atrium."""
    user = ctx.user
    name = ctx.input.get("gitAuthorName") or (user.get_full_name() if user is not None else "") or ""
    email = ctx.input.get("gitAuthorEmail") or (getattr(user, "email", "") if user is not None else "") or ""
    return (name or (email.split("@")[0] if email else DEFAULT_AUTHOR[0]), email or DEFAULT_AUTHOR[1])
