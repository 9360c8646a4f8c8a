"""Backstage's catalog-aware fields: OwnerPicker, EntityPicker, RepoUrlPicker and EntityNamePicker.

- OwnerPicker: a choice among the catalog's groups and users (``ui:options.catalogFilter`` or the older
  ``allowedKinds`` narrows it), the signed-in user's own teams first; the value is an entity reference.
- EntityPicker: the same over any kind (``catalogFilter``, ``defaultKind``, ``defaultNamespace``), typed
  with the listed entities as suggestions (a list to choose from with ``allowArbitraryValues: false``).
- Both accept only an entity they list, one the user may see in the catalog, unless the template says
  ``allowArbitraryValues: true``: then any reference is accepted, completed from the defaults. The form
  (:func:`read`) and the server (:func:`ref_problem`, for values sent to the API) apply the same rule.
- RepoUrlPicker: a host among those configured (:mod:`scaffolder.hosts`; ``allowedHosts`` narrows them),
  an owner (free, or one of ``allowedOwners``) and a repository name (free, or one of ``allowedRepos``); the value is
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
from catalog.model.kinds import KNOWN_KINDS
from catalog.model.refs import DEFAULT_NAMESPACE, RefError, parse_ref
from catalog.models import Entity
from portal.permissions import can
from scaffolder import hosts as repo_hosts
from scaffolder.forms.schema import MISSING

#: Entities offered by one picker at most.
MAX_CHOICES = 1000
OWNER_KINDS = ("Group", "User")
OWNER_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$")
REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")
#: The same rules as HTML ``pattern`` attributes (JavaScript, ``v`` flag: ``-`` escaped in classes).
OWNER_HTML_PATTERN = r"[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*"
REPO_HTML_PATTERN = r"[A-Za-z0-9_.\-]+"
ENTITY_NAME_PATTERN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)?[A-Za-z0-9]$")
ENTITY_NAME_HTML_PATTERN = r"([A-Za-z0-9][A-Za-z0-9_.\-]*)?[A-Za-z0-9]"
ENTITY_NAME_MAX = 63
#: How much of a typed reference an error message repeats.
SHOWN_MAX = 100
_CANONICAL_KINDS = {kind.lower(): kind for kind in KNOWN_KINDS}


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


def _offered(kind: str, ui_field: str | None, options: dict, mine: set[str] | None):
    """The catalog's rows a picker may offer (before the policy's ``catalog.read``): not orphaned, of its
    filter, and for a MyGroupsPicker only the user's own teams (``mine``; None: no user to ask)."""
    groups = filter_groups(options, OWNER_KINDS if kind == "owner" else ())
    rows = Entity.objects.filter(orphan=False)
    if groups:
        rows = queries.apply_filters(rows, queries.parse_filters(groups))
    if ui_field == "MyGroupsPicker" and mine is not None:
        rows = rows.filter(ref__in=mine)
    return rows.only("ref", "kind", "namespace", "name", "title")


def _may_see(user, entity: Entity) -> bool:
    """Whether ``user`` may see ``entity`` in the catalog (no user: the catalog as everyone signed in sees it)."""
    return user is None or can(user, "catalog.read", entity)


def _mine(user, kind: str) -> set[str]:
    """The user's own teams, for an OwnerPicker (first in its list) and a MyGroupsPicker (all it lists)."""
    return identity.owner_groups_of(user) if kind == "owner" and user is not None else set()


def entity_choices(user, kind: str, ui_field: str | None, options: dict) -> list[Choice]:
    """The entities a picker offers ``user``, by name; an OwnerPicker lists the user's own teams first."""
    mine = _mine(user, kind)
    rows = _offered(kind, ui_field, options, mine).order_by(
        "kind", Lower(Coalesce(NullIf("title", Value("")), "name")), "ref"
    )[:MAX_CHOICES]
    entities = [entity for entity in rows if _may_see(user, entity)]
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
    """Whether the picker is typed in, with the listed entities as suggestions, rather than chosen from a
    list: an EntityPicker unless told not (``allowArbitraryValues: false``), an OwnerPicker only when told
    so. What it then accepts is :func:`accepts_unknown`'s to say."""
    value = options.get("allowArbitraryValues")
    return value is not False if kind == "entity" else value is True


def accepts_unknown(options: dict) -> bool:
    """Whether a reference to no entity the picker lists is accepted: only when the template says so."""
    return options.get("allowArbitraryValues") is True


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


def allowed_kinds(kind: str, options: dict) -> list[str]:
    """The kinds a picker lists, as the catalog spells them (none: any kind)."""
    catalog_filter = options.get("catalogFilter")
    candidates = catalog_filter if isinstance(catalog_filter, list) else [catalog_filter]
    filters = [item for item in candidates if isinstance(item, dict) and item]
    if filters:
        if any("kind" not in item for item in filters):
            return []
        written = [value for item in filters for value in _as_list(item["kind"])]
    elif isinstance(options.get("allowedKinds"), list):
        written = options["allowedKinds"]
    else:
        written = list(OWNER_KINDS) if kind == "owner" else []
    kinds: list[str] = []
    for value in written:
        if isinstance(value, str) and value and (name := _CANONICAL_KINDS.get(value.lower(), value)) not in kinds:
            kinds.append(name)
    return kinds


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _candidates(text: str, kinds: list[str], options: dict) -> list[str]:
    """The full references a typed text may stand for: as typed, completed with the defaults, or with each
    of the picker's kinds when it has none."""
    default_namespace = options.get("defaultNamespace")
    default_namespace = default_namespace if isinstance(default_namespace, str) else DEFAULT_NAMESPACE
    found = [text.lower(), complete_ref(text, options)]
    for kind in kinds:
        try:
            found.append(parse_ref(text, default_kind=kind, default_namespace=default_namespace).key())
        except RefError:
            continue
    return list(dict.fromkeys(found))


def find_ref(user, kind: str, ui_field: str | None, options: dict, text: str) -> str | None:
    """The reference of the entity ``text`` names among those the picker offers ``user``, or None: a full
    reference, one completed from the picker's defaults and kinds, or a bare name only one of them has."""
    text = text.strip()
    if not text:
        return None
    rows = _offered(kind, ui_field, options, _mine(user, kind) if user is not None else None)
    candidates = _candidates(text, allowed_kinds(kind, options), options)
    by_ref = {entity.ref: entity for entity in rows.filter(ref__in=candidates)}
    for ref in candidates:
        if ref in by_ref and _may_see(user, by_ref[ref]):
            return ref
    if ":" in text or "/" in text:
        return None
    named = [entity for entity in rows.filter(name__iexact=text)[:MAX_CHOICES] if _may_see(user, entity)]
    return named[0].ref if len(named) == 1 else None


def _plural(kind: str) -> str:
    return "APIs" if kind == "API" else f"{kind.lower()}s"


def _article(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _shown(text: str) -> str:
    """What was typed, as the message repeats it: without the kind and the default namespace."""
    try:
        ref = parse_ref(text, default_kind="any")  # the kind is not shown
        text = ref.name if ref.namespace == DEFAULT_NAMESPACE else f"{ref.namespace}/{ref.name}"
    except RefError:
        pass
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def unknown_message(kind: str, ui_field: str | None, options: dict, text: str) -> str:
    """Why a typed reference is refused, naming what was typed and the kinds the picker lists, never an
    entity of the catalog (the same words whether it does not exist or the user may not see it)."""
    text = text.strip()
    shown = _shown(text)
    if ui_field == "MyGroupsPicker":
        return f"None of your teams is named {shown}; choose one of the listed teams."
    kinds = allowed_kinds(kind, options)
    listed = " or ".join(_plural(item) for item in kinds) if kinds else "entities"
    typed_kind = text.split(":", 1)[0].lower() if ":" in text.split("/", 1)[0] else ""
    if typed_kind and kinds and typed_kind not in {item.lower() for item in kinds}:
        return f"{text[:SHOWN_MAX]} is not {_article(' or '.join(kinds))}; choose one of the listed {listed}."
    filters = [item for item in _as_list(options.get("catalogFilter")) if isinstance(item, dict)]
    narrowed = any(key != "kind" for item in filters for key in item)
    where = "among those this field offers" if narrowed else "in the catalog"
    noun = " or ".join(kinds) if kinds else "entity"
    return f"There is no {noun} named {shown} {where}; choose one of the listed {listed}."


def ref_problem(user, kind: str, ui_field: str | None, options: dict, value) -> str | None:
    """A picker's value checked on the server: None when it names an entity the picker offers ``user`` (or
    any reference, with ``allowArbitraryValues: true``; or nothing at all), else why it is refused."""
    if not isinstance(value, str) or not value.strip() or accepts_unknown(options):
        return None
    if find_ref(user, kind, ui_field, options, value) is not None:
        return None
    return unknown_message(kind, ui_field, options, value)


def _error(errors: dict, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _read_ref(kind, schema, path, data, choices, errors, user):
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
    completed = complete_ref(text, options)
    if completed in listed:
        return completed
    if len(choices) >= MAX_CHOICES:  # the list was cut short: the catalog may still have it
        found = find_ref(user, kind, schema.get("ui:field"), options, text)
        if found is not None:
            return found
    if not accepts_unknown(options):
        _error(errors, path, unknown_message(kind, schema.get("ui:field"), options, text))
        return text  # kept, to show it again with its error
    return completed


def hosts(options: dict) -> list[str]:
    return repo_hosts.names(options)


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


def read(kind: str, schema: dict, path: str, data, choices: list[Choice], errors: dict, user=None):
    """The value of a picker in a POST (None when left empty), with its own errors added to ``errors``
    (``choices``: what the picker offers ``user``)."""
    if kind == "repo":
        value = _read_repo(schema, path, data, errors)
    elif kind == "entity-name":
        value = _read_name(path, data, errors)
    else:
        value = _read_ref(kind, schema, path, data, choices, errors, user)
    return MISSING if value is None else value
