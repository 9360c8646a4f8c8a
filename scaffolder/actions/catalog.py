"""``catalog:register`` (a catalog-info.yaml into the catalog, read at once) and ``catalog:write``."""

from __future__ import annotations

import os
import posixpath
from urllib.parse import urlsplit

import yaml
from django.conf import settings

from catalog import services as catalog
from catalog.model.refs import RefError, entity_ref
from catalog.models import Entity, Location, LocationStatus, LocationType
from portal.paths import resolves_inside
from scaffolder.actions.registry import Action, ActionError, object_schema, register
from scaffolder.engine.context import ActionContext
from scaffolder.engine.workspace import PathError, clean_relative
from scaffolder.templating.files import open_folder, write_file

DEFAULT_CATALOG_PATH = "/catalog-info.yaml"


def catalog_info_url(data: dict) -> str:
    url = (data.get("catalogInfoUrl") or "").strip()
    if url:
        return url
    contents = (data.get("repoContentsUrl") or "").strip()
    if not contents:
        raise ActionError("catalog:register needs catalogInfoUrl, or repoContentsUrl (and catalogInfoPath)")
    path = (data.get("catalogInfoPath") or DEFAULT_CATALOG_PATH).strip()
    return f"{contents.rstrip('/')}/{path.lstrip('/')}"


def location_of(url: str) -> tuple[str, str]:
    """``(type, target)`` of the location to register; files only from publish:git's working copies."""
    if url.startswith("file:"):
        path = posixpath.normpath(url[len("file:") :])
        if not os.path.isabs(path) or not resolves_inside(path, settings.SCAFFOLDER_GIT_CHECKOUT_DIR):
            raise ActionError("catalog:register reads files on the server only from SCAFFOLDER_GIT_CHECKOUT_DIR")
        return LocationType.FILE, path
    if urlsplit(url).scheme in ("http", "https"):
        return LocationType.URL, url
    raise ActionError(f"{url} is neither an http(s) URL nor a file: URL of a published repository")


def _ref(entity: Entity) -> str:
    return f"{entity.kind.lower()}:{entity.namespace}/{entity.name}"


def _main_entity(location: Location) -> Entity | None:
    entities = list(Entity.objects.filter(location=location, orphan=False).order_by("document_index", "ref"))
    named = [entity for entity in entities if not entity.name.startswith("generated-")]
    for choices in ([entity for entity in named if entity.kind.lower() == "component"], named, entities):
        if choices:
            return choices[0]
    return None


def _check_conflicts(ctx: ActionContext, kind: str, target: str) -> None:
    """In a dry run: the entities of the workspace's descriptor that the catalog already holds from
    another location (the real run would register them, and the catalog refuse them as conflicts)."""
    path = (ctx.input.get("catalogInfoPath") or DEFAULT_CATALOG_PATH).strip().lstrip("/")
    try:
        relative = clean_relative(path, "catalogInfoPath")
    except PathError as error:
        ctx.would_fail(str(error))
        return
    descriptor = ctx.workspace / relative
    if not relative or not descriptor.is_file() or ctx.input.get("catalogInfoUrl"):
        return
    try:
        documents = [doc for doc in yaml.safe_load_all(descriptor.read_text("utf-8")) if isinstance(doc, dict)]
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as error:
        ctx.would_fail(f"{relative} is not a readable YAML descriptor ({type(error).__name__})")
        return
    keys = []
    for document in documents:
        try:
            keys.append(entity_ref(document).key())
        except RefError as error:
            ctx.would_fail(f"{relative}: {error}")
    taken = Entity.objects.filter(ref__in=keys).exclude(location__type=kind, location__target=target)
    for entity in taken.select_related("location").order_by("ref"):
        ctx.would_fail(f"{entity.ref} is already in the catalog, from {entity.location.target}")


def register_handler(ctx: ActionContext) -> dict:
    url = catalog_info_url(ctx.input)
    optional = bool(ctx.input.get("optional"))
    if ctx.is_dry_run:
        ctx.logger.info(f"Dry run: would register {url} in the catalog")
        kind, target = location_of(url)
        _check_conflicts(ctx, kind, target)
        return {"catalogInfoUrl": url}
    try:
        kind, target = location_of(url)
        try:
            location = catalog.register_location(type=kind, target=target, user=ctx.user, refresh=False)
            ctx.logger.info(f"Registered {url} in the catalog")
        except catalog.LocationExists as exists:
            location = exists.location
            ctx.logger.info(f"{url} is already registered in the catalog; reading it again")
        report = catalog.process_location(location, log=lambda _level, line: ctx.logger.info(line))
        if report.failure:
            raise ActionError(f"the catalog could not read {url}: {report.failure}")
    except catalog.CatalogError as error:
        if optional:
            ctx.logger.warning(f"Not registered (optional): {error}")
            return {}
        raise ActionError(str(error)) from None
    except ActionError as error:
        if optional:
            ctx.logger.warning(f"Not registered (optional): {error}")
            return {}
        raise
    location.refresh_from_db()
    entity = _main_entity(location)
    outputs = {"catalogInfoUrl": url}
    if entity is not None:
        outputs["entityRef"] = _ref(entity)
    elif location.status != LocationStatus.OK:
        ctx.logger.warning(f"{url} gave no entity; see the location's errors in the catalog")
    return outputs


def write_handler(ctx: ActionContext) -> dict:
    relative = clean_relative(ctx.input.get("filePath") or "catalog-info.yaml", "filePath")
    if not relative:
        raise ActionError("filePath must name a file")
    parts = relative.split("/")
    text = yaml.safe_dump(ctx.input["entity"], sort_keys=False, allow_unicode=True)
    root = os.open(ctx.workspace, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        folder = open_folder(root, parts[:-1])
        try:
            write_file(folder, parts[-1], text.encode("utf-8"), 0o644, relative, replace=True)
        finally:
            os.close(folder)
    except ValueError as error:
        raise ActionError(str(error)) from None
    finally:
        os.close(root)
    ctx.logger.info(f"Wrote {relative}")
    return {}


register(
    Action(
        id="catalog:register",
        description="Registers a catalog-info.yaml in the catalog and reads it at once.",
        input_schema=object_schema(
            {
                "catalogInfoUrl": {"type": "string", "description": "URL of the catalog-info.yaml"},
                "repoContentsUrl": {"type": "string", "description": "Where the repository's files can be read"},
                "catalogInfoPath": {"type": "string", "description": "Path in the repository (/catalog-info.yaml)"},
                "optional": {"type": "boolean", "description": "A failure to register is a warning only"},
            }
        ),
        output_schema=object_schema(
            {
                "entityRef": {"type": "string", "description": "The registered entity, e.g. component:default/x"},
                "catalogInfoUrl": {"type": "string"},
            }
        ),
        handler=register_handler,
        examples=[
            {
                "description": "Register what publish wrote",
                "example": "steps:\n  - id: register\n    action: catalog:register\n    input:\n"
                "      repoContentsUrl: ${{ steps['publish'].output.repoContentsUrl }}\n"
                "      catalogInfoPath: /catalog-info.yaml\n",
            }
        ],
    )
)
register(
    Action(
        id="catalog:write",
        description="Writes a catalog-info.yaml into the workspace from an entity given as an object.",
        input_schema=object_schema(
            {
                "entity": {"type": "object", "description": "The entity (apiVersion, kind, metadata, spec)"},
                "filePath": {"type": "string", "description": "Path in the workspace (catalog-info.yaml)"},
            },
            ["entity"],
        ),
        output_schema=object_schema({}),
        handler=write_handler,
        examples=[
            {
                "description": "Describe the new component",
                "example": "steps:\n  - id: write\n    action: catalog:write\n    input:\n      entity:\n"
                "        apiVersion: backstage.io/v1alpha1\n        kind: Component\n"
                "        metadata: {name: ${{ parameters.name }}}\n"
                "        spec: {type: service, lifecycle: experimental, owner: ${{ parameters.owner }}}\n",
            }
        ],
    )
)
