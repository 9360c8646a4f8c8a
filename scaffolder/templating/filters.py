"""The filters a template may use: Backstage's own, nunjucks' ``dump``, and the safe Jinja built-ins nunjucks has too.

A filter that rejects its input raises ``ValueError`` with a message for the template author; the engine turns it
into a ``TemplateError`` (with secret values redacted). No filter gives a value larger than ``Limits.file_bytes``:
those that join, encode or repeat (``dump``, ``join``, ``replace``, ``indent``, ``escape``, ``urlencode``, ``string``,
``list``, ``sum``) check the size before building their result, and every filter's result is measured.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Undefined, pass_environment
from jinja2 import filters as jinja_filters
from jinja2.utils import url_quote

from .bounds import checked, joined, json_text, size_of, text_of, too_large
from .limits import current_limits

DEFAULT_NAMESPACE = "default"
MAX_INDENT = 100

# Jinja built-ins that nunjucks also has and that cannot build a value much larger than their input.
# Left out on purpose: attr, format, map, xmlattr, pprint, tojson (HTML-escapes), wordwrap, center, batch and slice
# (a size argument builds arbitrarily large output), random (not reproducible), filesizeformat, forceescape.
_SAFE_BUILTINS = (
    "abs",
    "capitalize",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "first",
    "float",
    "groupby",
    "int",
    "last",
    "length",
    "list",
    "lower",
    "max",
    "min",
    "reject",
    "rejectattr",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "wordcount",
)


def to_json_data(value: Any) -> Any:
    """``json.dumps`` fallback: undefined is null, any other iterable a list, anything else its string."""
    if isinstance(value, Undefined):
        return None
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)):
        return list(value)
    return str(value)


def dump(value: Any, indent: int | str | None = None) -> str:
    """nunjucks' ``dump``: ``JSON.stringify(value, null, indent)``; undefined dumps to an empty string."""
    if isinstance(value, Undefined):
        return ""
    if isinstance(indent, int) and not isinstance(indent, bool):
        indent = min(max(indent, 0), 10) or None  # JSON.stringify clamps the indent to 10 spaces
    elif isinstance(indent, str):
        indent = indent[:10] or None
    else:
        indent = None
    separators = (",", ":") if indent is None else (",", ": ")
    return json_text(value, indent=indent, separators=separators, default=to_json_data)


def _host_kind(host: str) -> str:
    hostname = host.split(":", 1)[0]
    if hostname == "dev.azure.com" or hostname.endswith(".visualstudio.com"):
        return "azure"
    for kind in ("bitbucket", "gitlab", "gitea", "gerrit"):
        if kind in hostname:
            return kind
    return "github"


def parse_repo_url(url: Any) -> dict[str, str]:
    """Backstage's ``parseRepoUrl``: ``"github.com?owner=o&repo=r"`` → ``{"host": ..., "owner": ..., "repo": ...}``.

    Backstage picks the required parameters from the integration configured for the host; without that
    configuration the kind of host is guessed from its name (dev.azure.com, bitbucket…, gitlab…, gitea…,
    gerrit…, anything else is GitHub-like and needs ``owner`` and ``repo``).
    """
    if not isinstance(url, str) or not url:
        raise ValueError("parseRepoUrl needs a repository URL such as github.com?owner=acme&repo=service")
    parts = urlsplit(f"https://{url}")
    try:
        port = parts.port
    except ValueError:
        port = None
        bad_port = True
    else:
        bad_port = False
    if not parts.hostname or bad_port:
        raise ValueError(f"Invalid repo URL passed to parseRepoUrl, got {url}")
    host = parts.hostname if port is None else f"{parts.hostname}:{port}"
    query = parse_qs(parts.query, keep_blank_values=True)
    found: dict[str, str] = {
        name: query[name][0].strip("/")
        for name in ("owner", "repo", "organization", "workspace", "project")
        if name in query
    }
    kind = _host_kind(host)
    required_by_kind: dict[str, tuple[str, ...]] = {
        "azure": ("project", "repo"),
        "bitbucket": ("workspace", "project", "repo") if host == "bitbucket.org" else ("project", "repo"),
        "gitlab": ("repo",) if found.get("project") else ("owner", "repo"),
        "gitea": ("repo",),
        "gerrit": ("repo",),
    }
    required = required_by_kind.get(kind, ("repo", "owner"))
    for name in required:
        if not found.get(name):
            raise ValueError(f"Invalid repo URL passed to parseRepoUrl: {url}, missing {name}")
    result = {"host": host}
    for name in ("owner", "repo", "organization", "workspace", "project"):
        if name in found:
            result[name] = found[name]
    return result


def project_slug(url: Any) -> str:
    """Backstage's ``projectSlug``: ``"github.com?owner=o&repo=r"`` → ``"o/r"``."""
    parsed = parse_repo_url(url)
    if "owner" not in parsed:
        raise ValueError(f"projectSlug needs an owner in the repo URL {url}")
    return f"{parsed['owner']}/{parsed['repo']}"


def _split_ref(ref: str) -> tuple[str | None, str | None, str]:
    colon = ref.find(":")
    slash = ref.find("/")
    if slash != -1 and slash < colon:  # a "/" before the ":" makes the rest the name
        colon = -1
    kind = ref[:colon] if colon != -1 else None
    namespace = ref[colon + 1 : slash] if slash != -1 else None
    name = ref[max(colon + 1, slash + 1) :]
    if kind == "" or namespace == "" or name == "":
        raise ValueError(f'Entity reference "{ref}" was not on the form [<kind>:][<namespace>/]<name>')
    return kind, namespace, name


def parse_entity_ref(ref: Any, context: Any = None) -> dict[str, str]:
    """Backstage's ``parseEntityRef``: ``"group:default/team"`` → ``{"kind", "namespace", "name"}``.

    ``context`` may give ``defaultKind`` and ``defaultNamespace`` (``"default"`` when not given).
    """
    if isinstance(ref, Undefined) or not ref:
        raise ValueError("Entity reference must not be empty")
    context = context if isinstance(context, Mapping) else {}
    default_kind = context.get("defaultKind")
    default_namespace = context.get("defaultNamespace") or DEFAULT_NAMESPACE
    kind: str | None
    namespace: str | None
    name: str | None
    if isinstance(ref, str):
        kind, namespace, name = _split_ref(ref)
    elif isinstance(ref, Mapping):
        kind, namespace, name = ref.get("kind"), ref.get("namespace"), ref.get("name")
    else:
        raise ValueError("Entity reference must be a string or an object with kind, namespace and name")
    kind = kind if kind is not None else default_kind
    namespace = namespace if namespace is not None else default_namespace
    textual = json.dumps(ref, default=str)
    if not kind:
        raise ValueError(
            f'Entity reference {textual} had missing or empty kind (e.g. did not start with "component:" or similar)'
        )
    if not namespace:
        raise ValueError(f"Entity reference {textual} had missing or empty namespace")
    if not name:
        raise ValueError(f"Entity reference {textual} had missing or empty name")
    return {"kind": kind, "namespace": namespace, "name": name}


_PATH_PART = re.compile(r"""[^.\[\]]+|\[(?:(\d+)|'([^']*)'|"([^"]*)")\]""")


@pass_environment
def pick(environment: Any, value: Any, path: Any) -> Any:
    """Backstage's ``pick`` (lodash ``get``): ``entity | pick("metadata.name")``; undefined when absent."""
    if not isinstance(path, str):
        raise ValueError("pick needs a property path such as metadata.name")
    current = value
    for match in _PATH_PART.finditer(path):
        index, single, double = match.groups()
        key: Any = match.group(0)
        if index is not None:
            key = int(index)
        elif single is not None or double is not None:
            key = single if single is not None else double
        if isinstance(key, str) and isinstance(current, list) and key.isdigit():
            key = int(key)
        if isinstance(current, Mapping) and str(key) in current:
            current = current[str(key)]
        elif isinstance(current, list) and isinstance(key, int) and key < len(current):
            current = current[key]
        else:
            return environment.undefined(name=path)
    return current


@jinja_filters.pass_eval_context
def replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: int | None = None) -> Any:
    text, old_text, new_text = text_of(value), text_of(old), text_of(new)
    occurrences = text.count(old_text) if old_text else len(text) + 1
    if count is not None and count >= 0:
        occurrences = min(occurrences, count)
    too_large(len(text) + occurrences * max(len(new_text) - len(old_text), 0))
    return jinja_filters.do_replace(eval_ctx, value, old, new, count)


@jinja_filters.pass_eval_context
def join(eval_ctx: Any, value: Any, separator: Any = "", attribute: Any = None) -> str:
    """Jinja's ``join`` (autoescape is off), refusing a result larger than the value limit before building it."""
    if attribute is not None:
        value = map(jinja_filters.make_attrgetter(eval_ctx.environment, attribute), value)
    return joined(map(text_of, value), text_of(separator))


def indent(value: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    if (isinstance(width, int) and width > MAX_INDENT) or (isinstance(width, str) and len(width) > MAX_INDENT):
        raise ValueError(f"indent takes a width of at most {MAX_INDENT}")
    text = text_of(value)
    step = len(width) if isinstance(width, str) else max(int(width), 0)
    too_large(len(text) + step * (text.count("\n") + (1 if first else 0)))
    return jinja_filters.do_indent(text, width, first, blank)


#: What ``escape`` adds for each character it replaces (``&`` becomes ``&amp;``, ``<`` becomes ``&lt;`` …).
_ESCAPE_GROWTH = {"&": 4, "<": 3, ">": 3, '"': 4, "'": 4}


def escape(value: Any) -> Any:
    if not hasattr(value, "__html__"):
        text = text_of(value)
        too_large(len(text) + sum(text.count(char) * growth for char, growth in _ESCAPE_GROWTH.items()))
    return jinja_filters.escape(value)


_URL_CHUNK = 64 * 1024


def urlencode(value: Any) -> str:
    """Jinja's ``urlencode``; a string is quoted piece by piece and refused as soon as it passes the limit."""
    if isinstance(value, Mapping) or (isinstance(value, Iterable) and not isinstance(value, str)):
        return str(jinja_filters.do_urlencode(value))
    data = text_of(value).encode("utf-8")
    return joined(url_quote(data[start : start + _URL_CHUNK]) for start in range(0, len(data), _URL_CHUNK))


def string(value: Any) -> str:
    return text_of(value)


def to_list(value: Any) -> list:
    if isinstance(value, str):
        too_large(2 * len(value))  # one item per character
    return list(value)


@pass_environment
def total(environment: Any, iterable: Any, attribute: str | int | None = None, start: Any = 0) -> Any:
    """Jinja's ``sum``; summing lists or strings is refused before it starts when the result would be too large."""
    if attribute is not None:
        iterable = map(jinja_filters.make_attrgetter(environment, attribute), iterable)
    if isinstance(start, (str, list, tuple)):
        items = list(iterable)
        limit = current_limits().file_bytes
        size = size_of(start, limit)
        for item in items:
            size += size_of(item, limit - size)
            too_large(size)
        iterable = items
    return sum(iterable, start)


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, with its result measured (``functools.wraps`` keeps Jinja's ``pass_*`` mark of the filter)."""

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        return checked(function(*args, **kwargs))

    return bounded


def build_filters(*, cookiecutter_compat: bool = False) -> dict[str, Any]:
    """The complete filter table of an environment (the environment's default table is discarded)."""
    table: dict[str, Any] = {name: jinja_filters.FILTERS[name] for name in _SAFE_BUILTINS}
    table.update(
        {
            "dump": dump,
            "e": escape,
            "escape": escape,
            "indent": indent,
            "join": join,
            "list": to_list,
            "replace": replace,
            "string": string,
            "sum": total,
            "urlencode": urlencode,
            "parseRepoUrl": parse_repo_url,
            "parseEntityRef": parse_entity_ref,
            "pick": pick,
            "projectSlug": project_slug,
        }
    )
    if cookiecutter_compat:
        table["jsonify"] = dump
    return {name: _bounded(function) for name, function in table.items()}
