"""Reading a location into a plan: which sources changed, which entities to write, which errors.

The walk starts at the location's target (a file, a glob, a URL, or every repository of a GitHub
organisation) and follows ``Location`` entities depth first, relative to the file that holds them,
with a depth limit and cycle detection. A source whose bytes have the digest stored last time is
not parsed again: its entities are kept as they are and its stored ``Location`` entities are
followed. Every entity gets its ``managed-by`` annotations (and for GitHub its view and edit URLs);
only entities whose digest, position or orphan flag changed are spooled for writing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import deque
from dataclasses import dataclass

from catalog.ingest import github, readers
from catalog.ingest.errors import ErrorKind, LocationFailure, Problem, ReadError, SubstitutionError
from catalog.ingest.parsing import Document, ParseProblem, parse_documents
from catalog.ingest.state import (
    CHANGED,
    MOVED,
    NEW,
    SOURCE_CHANGED,
    SOURCE_KEPT,
    SOURCE_NEW,
    SOURCE_REPROCESSED,
    SOURCE_SKIPPED,
    EntityRecord,
    LocationChild,
    Plan,
    Snapshot,
    Spool,
)
from catalog.ingest.substitution import Substituter, has_placeholders
from catalog.model.refs import RefError, entity_ref, parse_ref
from catalog.model.relations import relations_for
from catalog.model.search import scalar_value, search_entries, search_text
from catalog.model.validation import validate_entity
from catalog.models import LocationType

#: Location entities followed from a registered target, at most this many levels deep.
MAX_DEPTH = 10
ANNOTATION_LOCATION = "backstage.io/managed-by-location"
ANNOTATION_ORIGIN = "backstage.io/managed-by-origin-location"
ANNOTATION_VIEW = "backstage.io/view-url"
ANNOTATION_EDIT = "backstage.io/edit-url"
ANNOTATION_SOURCE = "backstage.io/source-location"
#: Root kinds: the registered target itself, a repository found by discovery, a Location target.
ROOT, DISCOVERED, CHILD = "root", "discovered", "child"


@dataclass(frozen=True, slots=True)
class _Item:
    url: str
    kind: str
    depth: int = 0
    #: The sources from the registered target down to the one that named this target.
    ancestors: tuple[str, ...] = ()
    #: (source URL, document index, line, ref) of the Location entity that named this target.
    parent: tuple[str, int, int, str] | None = None


def location_ref(type_: str, target: str) -> str:
    """Backstage's string form of a location: ``url:https://…``, ``file:/abs/path``."""
    return f"{type_}:{target}"


def _source_ref(url: str) -> str:
    return url if readers.is_file(url) else f"url:{url}"


def digest_of(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _targets(spec: dict) -> list[str]:
    found = [spec["target"]] if isinstance(spec.get("target"), str) else []
    targets = spec.get("targets")
    if isinstance(targets, list):
        found.extend(target for target in targets if isinstance(target, str))
    return found


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _ref_key(value, default_kind: str, namespace: str) -> str:
    if not isinstance(value, str | dict):
        return ""
    try:
        return parse_ref(value, default_kind=default_kind, default_namespace=namespace).key()[:400]
    except RefError:
        return ""


def with_identity(body: dict, uid: str, etag: str) -> dict:
    """The body as served: ``metadata.uid`` (stable) and ``metadata.etag`` (the content digest)."""
    return {**body, "metadata": {**body["metadata"], "uid": uid, "etag": etag}}


def columns_for(body: dict, ref) -> tuple[dict, list, list]:
    """The Entity columns, relations and search rows of a processed descriptor (with its uid)."""
    metadata, spec = body["metadata"], found if isinstance(found := body.get("spec"), dict) else {}
    relations = list(dict.fromkeys(relations_for(body)))
    search = [
        (key[:200], value[:200] if value is not None else None, original[:200] if original is not None else None)
        for key, value, original in search_entries(body, relations)
    ]
    columns = {
        "kind": ref.kind,
        "namespace": ref.namespace,
        "name": ref.name,
        "api_version": str(body.get("apiVersion", ""))[:100],
        "title": _text(metadata.get("title"), 400),
        "description": _text(metadata.get("description"), 100_000),
        "spec_type": scalar_value(spec.get("type")),
        "lifecycle": scalar_value(spec.get("lifecycle")),
        "owner_ref": _ref_key(spec.get("owner"), "group", ref.namespace),
        "system_ref": _ref_key(spec.get("system"), "system", ref.namespace),
        "search_text": search_text(body),
    }
    return columns, relations, search


class Walker:
    """Reads one location into a :class:`Plan`."""

    def __init__(self, location_type: str, target: str, options: dict, snapshot: Snapshot, plan: Plan) -> None:
        self.type, self.target, self.options = location_type, target, options or {}
        self.snapshot, self.plan = snapshot, plan
        self.origin = location_ref(location_type, target)
        self.substituter = Substituter()
        self.visited: set[str] = set()

    # --- problems ---------------------------------------------------------------------------------

    def problem(self, kind: str, message: str, url: str = "", index=None, line=None, ref: str = "") -> None:
        self.plan.problems.append(Problem(kind, message, url, index, line, ref))

    # --- the walk ---------------------------------------------------------------------------------

    def _roots(self) -> list[_Item]:
        if self.type == LocationType.GITHUB_DISCOVERY:
            org = github.parse_org_url(self.target)
            try:
                repos = github.discover(
                    org,
                    topic=str(self.options.get("topic") or ""),
                    include_archived=bool(self.options.get("include_archived", False)),
                    include_forks=bool(self.options.get("include_forks", False)),
                )
            except ReadError as exc:
                raise LocationFailure(str(exc), transient=exc.transient, retry_after=exc.retry_after) from None
            self.plan.stats.repositories = len(repos)
            path = str(self.options.get("catalog_path") or "catalog-info.yaml")
            return [_Item(github.repo_file_url(repo, path), DISCOVERED) for repo in repos]
        if self.type == LocationType.FILE:
            return [_Item(readers.file_url(self.target), ROOT)]
        return [_Item(self.target, ROOT)]

    def run(self) -> Plan:
        try:
            stack = deque(self._roots())
            while stack:
                item = stack.popleft()
                try:
                    urls = readers.expand(item.url)
                except ReadError as exc:
                    stack.extendleft(
                        reversed(self._children_items(item, item.url, self._read_failed(item, item.url, exc)))
                    )
                    continue
                for url in urls:
                    children = self._visit(item, url)
                    stack.extendleft(reversed(children))
        except LocationFailure as failure:
            self.plan.failure = failure
        return self.plan

    def _visit(self, item: _Item, url: str) -> list[_Item]:
        if url in item.ancestors:
            chain = " → ".join((*item.ancestors, url))
            self._parent_problem(item, f"Location cycle: {url} is already being read ({chain})")
            return []
        if url in self.visited:
            return []
        if item.depth > MAX_DEPTH:
            self._parent_problem(item, f"Locations nested deeper than {MAX_DEPTH} levels: {url} is not read")
            return []
        self.visited.add(url)
        try:
            targets = self._source(url, readers.read(url))
        except ReadError as exc:
            targets = self._read_failed(item, url, exc)
        return self._children_items(item, url, targets)

    def _children_items(self, item: _Item, url: str, targets: list[tuple[str, tuple]]) -> list[_Item]:
        ancestors = (*item.ancestors, url)
        return [_Item(child, CHILD, item.depth + 1, ancestors, parent) for child, parent in targets]

    def _parent_problem(self, item: _Item, message: str) -> None:
        assert item.parent is not None  # only an item a Location entity named can cycle or nest too deep
        url, index, line, ref = item.parent
        self.problem(ErrorKind.READ, message, url, index, line, ref)

    def _read_failed(self, item: _Item, url: str, exc: ReadError) -> list[tuple[str, tuple]]:
        """Record a failed read; a source read before that may work again later (not missing) keeps
        its entities, and its stored Location entities are still followed. Returns their targets."""
        if item.kind == ROOT and url == item.url:
            raise LocationFailure(str(exc), transient=exc.transient, retry_after=exc.retry_after)
        if item.kind == DISCOVERED and exc.missing:
            self.plan.stats.repositories_without_file += 1
            return []
        self.plan.stats.sources_failed += 1
        message = str(exc)
        if item.parent is not None:
            message += f" (a target of {item.parent[0]}, line {item.parent[2]})"
        self.problem(ErrorKind.READ, message, url)
        previous = self.snapshot.sources.get(url)
        if previous is None or exc.missing or not self._keep(previous[0], url):
            return []
        self.plan.sources[url] = (previous[1], SOURCE_KEPT)
        return self._stored_children(previous[0], url)

    def _stored_children(self, source_id: int, url: str) -> list[tuple[str, tuple]]:
        stored = self.snapshot.locations_by_source.get(source_id, ())
        return [target for child in stored for target in self._children(url, child)]

    # --- one source -------------------------------------------------------------------------------

    def _keep(self, source_id: int, url: str) -> bool:
        """Count the stored entities of a source as provided again, if none is claimed already."""
        refs = self.snapshot.refs_by_source.get(source_id, ())
        if any(ref in self.plan.seen for ref in refs):
            return False
        for ref in refs:
            self.plan.seen[ref] = (url, self.snapshot.entities[ref].line)
        self.plan.stats.unchanged += len(refs)
        return True

    def _source(self, url: str, data: bytes) -> list[tuple[str, tuple]]:
        stats = self.plan.stats
        stats.sources_read += 1
        digest = hashlib.sha256(data).hexdigest()
        previous = self.snapshot.sources.get(url)
        if (
            previous is not None
            and previous[1] == digest
            and url not in self.snapshot.volatile_urls
            and not has_placeholders(data)
            and self._keep(previous[0], url)
        ):
            stats.sources_unchanged += 1
            self.plan.sources[url] = (digest, SOURCE_SKIPPED)
            return self._stored_children(previous[0], url)
        state = SOURCE_NEW if previous is None else SOURCE_CHANGED if previous[1] != digest else SOURCE_REPROCESSED
        self.plan.sources[url] = (digest, state)
        children = []
        placeholders = has_placeholders(data)
        for document in parse_documents(data):
            stats.documents += 1
            if isinstance(document, ParseProblem):
                self.problem(ErrorKind.PARSE, document.message, url, document.index, document.line)
                continue
            children.extend(self._document(url, document, placeholders=placeholders))
        return children

    def _children(self, url: str, child: LocationChild) -> list[tuple[str, tuple]]:
        parent = (url, child.document_index, child.line, child.ref)
        found = []
        for target in _targets(child.spec):
            try:
                found.append((readers.resolve(url, target), parent))
            except ReadError as exc:
                message = f"Target {target!r}: {exc}"
                self.problem(ErrorKind.READ, message, url, child.document_index, child.line, child.ref)
        return found

    def _document(self, url: str, document: Document, *, placeholders: bool) -> list[tuple[str, tuple]]:
        data, index, line = document.data, document.index, document.line
        if not isinstance(data, dict):
            message = f"A document must be a mapping (an entity), not a {type(data).__name__}"
            self.problem(ErrorKind.VALIDATION, message, url, index, line)
            return []
        try:
            key = entity_ref(data).key()
        except RefError:
            key = ""
        try:
            if placeholders:
                data = self.substituter.substitute(data, url)
        except SubstitutionError as exc:
            self.problem(ErrorKind.SUBSTITUTION, str(exc), url, index, document.line_of(exc.path), key)
            return []
        problems = validate_entity(data)
        if problems:
            for found in problems:
                message = f"{found.path}: {found.message}" if found.path else found.message
                self.problem(ErrorKind.VALIDATION, message, url, index, document.line_of(found.path), key)
            return []
        ref = entity_ref(data)
        key = ref.key()
        if key in self.plan.seen:
            other_url, other_line = self.plan.seen[key]
            message = f"{key} is already provided by {other_url}:{other_line} in this location"
            self.problem(ErrorKind.CONFLICT, message, url, index, line, key)
            return []
        try:
            body = self._body(data, url, ref)
            digest = digest_of(body)
        except (TypeError, ValueError) as exc:
            message = f"The entity holds a value JSON cannot represent ({exc})"
            self.problem(ErrorKind.VALIDATION, message, url, index, line, key)
            return []
        self.plan.seen[key] = (url, line)
        self._record(key, ref, body, digest, url, index, line)
        if ref.kind.lower() != "location":
            return []
        spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
        return self._children(url, LocationChild(spec, index, line, key))

    def _body(self, data: dict, url: str, ref) -> dict:
        body = json.loads(json.dumps(data, allow_nan=False))
        metadata = body["metadata"]
        metadata.pop("uid", None)
        metadata.pop("etag", None)
        metadata["namespace"] = ref.namespace
        annotations = {ANNOTATION_LOCATION: _source_ref(url), ANNOTATION_ORIGIN: self.origin}
        if github.is_github_url(url):
            source = github.parse_file_url(url)
            annotations.update(
                {
                    ANNOTATION_VIEW: source.view_url,
                    ANNOTATION_EDIT: source.edit_url,
                    ANNOTATION_SOURCE: source.source_location,
                }
            )
        own = metadata.get("annotations")
        metadata["annotations"] = {**annotations, **(own if isinstance(own, dict) else {})}
        return body

    def _record(self, key: str, ref, body: dict, digest: str, url: str, index: int, line: int) -> None:
        previous = self.snapshot.entities.get(key)
        stats = self.plan.stats
        if previous is None or previous.content_hash != digest:
            uid = previous.uid if previous is not None else str(uuid.uuid4())
            body = with_identity(body, uid, digest)
            columns, relations, search = columns_for(body, ref)
            columns.update(uid=uid, body=body, etag=digest, content_hash=digest)
            status = NEW if previous is None else CHANGED
            if status == NEW:
                stats.added += 1
            else:
                stats.updated += 1
            self.plan.spool.add(EntityRecord(status, key, url, index, line, previous, columns, relations, search))
            return
        source = self.snapshot.sources.get(url)
        same_source = source is not None and source[0] == previous.source_id
        if same_source and (previous.document_index, previous.line, previous.orphan) == (index, line, False):
            stats.unchanged += 1
            return
        stats.moved += 1
        self.plan.spool.add(EntityRecord(MOVED, key, url, index, line, previous))


def read_location(
    location_type: str, target: str, options: dict, snapshot: Snapshot, *, location_id=None, in_memory: bool = False
) -> Plan:
    """Walk a location and return its plan (the caller closes ``plan.spool``)."""
    plan = Plan(location_id, snapshot.version, snapshot, Spool(in_memory=in_memory))
    return Walker(location_type, target, options, snapshot, plan).run()
