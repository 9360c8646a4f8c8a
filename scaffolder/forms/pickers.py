"""Backstage's catalog-aware fields: OwnerPicker, EntityPicker, RepoUrlPicker and EntityNamePicker.

- OwnerPicker: a choice among the catalog's groups and users (``ui:options.catalogFilter`` or the older
  ``allowedKinds`` narrows it), the signed-in user's own teams first; the value is an entity reference.
- EntityPicker: the same over any kind (``catalogFilter``, ``defaultKind``, ``defaultNamespace``); with
  ``allowArbitraryValues`` (Backstage's default) any reference may be typed, completed from the
  defaults, otherwise only a listed entity is accepted.
- RepoUrlPicker: a host among ``allowedHosts`` (github.com by default), an owner (free, or one of
  ``allowedOwners``) and a repository name (free, or one of ``allowedRepos``); the value is
  ``host?owner=o&repo=r`` as Backstage builds it.
- EntityNamePicker: a name the catalog accepts (letters, digits, ``-_.``, at most 63 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from django.db.models import Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse

from catalog import identity, queries
from catalog.model.refs import DEFAULT_NAMESPACE, RefError, parse_ref
from catalog.models import Entity
from scaffolder.forms.schema import MISSING

#: Entities offered by one picker at most.
MAX_CHOICES = 1000
OWNER_KINDS = ("Group", "User")
DEFAULT_HOSTS = ("github.com",)
OWNER_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")
#: The same rules as HTML ``pattern`` attributes (JavaScript, ``v`` flag: ``-`` escaped in classes).
OWNER_HTML_PATTERN = r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*"
REPO_HTML_PATTERN = r"[A-Za-z0-9_.\-]+"
ENTITY_NAME_PATTERN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)?[A-Za-z0-9]$")
ENTITY_NAME_HTML_PATTERN = r"([A-Za-z0-9][A-Za-z0-9_.\-]*)?[A-Za-z0-9]"
ENTITY_NAME_MAX = 63


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    group: str = ""


def _filter_statements(item: dict) -> str:
    statements = []
    for key, value in item.items():
        if not isinstance(key, str) or "," in key:
            continue
        if isinstance(value, dict):
            if value.get("exists") is True:
                statements.append(key)
            continue
        for single in value if isinstance(value, list) else [value]:
            text = str(single).lower() if isinstance(single, bool) else str(single)
            if "," not in text:
                statements.append(f"{key}={text}")
    return ",".join(statements)


def filter_groups(options: dict, default_kinds: tuple[str, ...] = ()) -> list[str]:
    """``catalogFilter`` (one filter or a list of alternatives) as the catalog's ``filter`` strings."""
    catalog_filter = options.get("catalogFilter")
    candidates = catalog_filter if isinstance(catalog_filter, list) else [catalog_filter]
    filters = [item for item in candidates if isinstance(item, dict) and item]
    if not filters:
        kinds = options.get("allowedKinds")
        kinds = [kind for kind in kinds if isinstance(kind, str)] if isinstance(kinds, list) else list(default_kinds)
        filters = [{"kind": kinds}] if kinds else []
    return [statement for statement in (_filter_statements(item) for item in filters) if statement]


def _label(entity: Entity) -> str:
    label = entity.title or entity.name
    return label if entity.namespace == DEFAULT_NAMESPACE else f"{label} ({entity.namespace})"


def entity_choices(user, kind: str, ui_field: str | None, options: dict) -> list[Choice]:
    """The entities a picker offers, by name; an OwnerPicker lists the user's own teams first."""
    groups = filter_groups(options, OWNER_KINDS if kind == "owner" else ())
    rows = Entity.objects.filter(orphan=False)
    if groups:
        rows = queries.apply_filters(rows, queries.parse_filters(groups))
    mine = identity.owner_groups_of(user) if kind == "owner" and user is not None else set()
    if ui_field == "MyGroupsPicker":
        rows = rows.filter(ref__in=mine)
    rows = rows.only("ref", "kind", "namespace", "name", "title").order_by(
        "kind", Lower(Coalesce(NullIf("title", Value("")), "name")), "ref"
    )[:MAX_CHOICES]
    entities = list(rows)
    kinds = {entity.kind for entity in entities}
    choices = []
    for entity in entities:
        group = ""
        if entity.ref in mine:
            group = "Your teams"
        elif len(kinds) > 1 or mine:
            group = f"{entity.kind}s"
        choices.append(Choice(entity.ref, _label(entity), group))
    choices.sort(key=lambda choice: choice.group != "Your teams")
    return choices


def entity_url(ref: str) -> str:
    """The catalog page of a full reference (``kind:namespace/name``); empty for anything else."""
    try:
        parsed = parse_ref(ref)
    except RefError:
        return ""
    if ":" not in ref:
        return ""
    kwargs = {"kind": parsed.kind.lower(), "namespace": parsed.namespace, "name": parsed.name}
    return reverse("catalog:entity", kwargs=kwargs)


def short_ref(ref: str) -> str:
    """A reference as people read it: without the ``default`` namespace."""
    try:
        parsed = parse_ref(ref)
    except RefError:
        return ref
    name = parsed.name if parsed.namespace == DEFAULT_NAMESPACE else f"{parsed.namespace}/{parsed.name}"
    return f"{parsed.kind.lower()}:{name}" if ":" in ref else name


def allows_arbitrary(kind: str, options: dict) -> bool:
    """Whether a reference not in the list may be given: EntityPicker yes unless told not; OwnerPicker
    only when told so (it is a plain choice)."""
    value = options.get("allowArbitraryValues")
    return value is not False if kind == "entity" else value is True


def complete_ref(text: str, options: dict) -> str:
    """A typed reference completed with ``defaultKind`` and ``defaultNamespace`` when it can be."""
    default_namespace = options.get("defaultNamespace")
    default_namespace = default_namespace if isinstance(default_namespace, str) else DEFAULT_NAMESPACE
    default_kind = options.get("defaultKind") if isinstance(options.get("defaultKind"), str) else None
    try:
        ref = parse_ref(text, default_kind=default_kind, default_namespace=default_namespace)
    except RefError:
        return text
    return ref.key()


def _error(errors: dict, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _read_ref(kind, schema, path, data, choices, errors):
    options = schema.get("ui:options") if isinstance(schema.get("ui:options"), dict) else {}
    text = (data.get(path) or "").strip()
    if not text:
        return None
    listed = {choice.value for choice in choices}
    if text.lower() in listed:
        return text.lower()
    named = [choice.value for choice in choices if choice.value.rsplit("/", 1)[-1] == text.lower()]
    if len(named) == 1:  # a name typed as it is listed ("podcast" for system:default/podcast)
        return named[0]
    if not allows_arbitrary(kind, options):
        _error(errors, path, "Choose one of the listed entities.")
        return None
    return complete_ref(text, options)


def hosts(options: dict) -> list[str]:
    allowed = options.get("allowedHosts")
    allowed = [host for host in allowed if isinstance(host, str) and host] if isinstance(allowed, list) else []
    return allowed or list(DEFAULT_HOSTS)


def listed(options: dict, key: str) -> list[str]:
    values = options.get(key)
    return [value for value in values if isinstance(value, str) and value] if isinstance(values, list) else []


def split_repo_url(value) -> dict:
    """``host?owner=o&repo=r`` → ``{host, owner, repo}`` (missing parts empty)."""
    if not isinstance(value, str) or not value:
        return {"host": "", "owner": "", "repo": ""}
    host, _, query = value.partition("?")
    params = parse_qs(query)
    return {
        "host": host,
        "owner": (params.get("owner") or params.get("organization") or [""])[0],
        "repo": (params.get("repo") or [""])[0],
    }


def repo_url(host: str, owner: str, repo: str) -> str:
    return f"{host}?{urlencode([('owner', owner), ('repo', repo)])}"


def _read_repo(schema, path, data, errors):
    options = schema.get("ui:options") if isinstance(schema.get("ui:options"), dict) else {}
    host = (data.get(f"{path}.host") or "").strip()
    owner = (data.get(f"{path}.owner") or "").strip()
    repo = (data.get(f"{path}.repo") or "").strip()
    if not owner and not repo:
        return None
    allowed_hosts, owners, repos = hosts(options), listed(options, "allowedOwners"), listed(options, "allowedRepos")
    if host not in allowed_hosts:
        _error(errors, path, f"Choose a host among {', '.join(allowed_hosts)}.")
    if not owner:
        _error(errors, path, "Enter the owner (an organisation or a user).")
    elif owners and owner not in owners:
        _error(errors, path, "Choose one of the allowed owners.")
    elif not OWNER_PATTERN.match(owner):
        _error(errors, path, "The owner may use letters, digits, '-', '_' and '.' only.")
    if not repo:
        _error(errors, path, "Enter the repository's name.")
    elif repos and repo not in repos:
        _error(errors, path, "Choose one of the allowed repositories.")
    elif not REPO_PATTERN.match(repo):
        _error(errors, path, "The repository's name may use letters, digits, '-', '_' and '.' only.")
    return repo_url(host, owner, repo)  # kept even when wrong, to show it again with its errors


def _read_name(path, data, errors):
    text = (data.get(path) or "").strip()
    if not text:
        return None
    if len(text) > ENTITY_NAME_MAX or not ENTITY_NAME_PATTERN.match(text):
        _error(
            errors,
            path,
            f"Use letters, digits, '-', '_' and '.', starting and ending with a letter or a "
            f"digit, at most {ENTITY_NAME_MAX} characters.",
        )
    return text


def read(kind: str, schema: dict, path: str, data, choices: list[Choice], errors: dict):
    """The value of a picker in a POST (None when left empty), with its own errors added to ``errors``."""
    if kind == "repo":
        value = _read_repo(schema, path, data, errors)
    elif kind == "entity-name":
        value = _read_name(path, data, errors)
    else:
        value = _read_ref(kind, schema, path, data, choices, errors)
    return MISSING if value is None else value
