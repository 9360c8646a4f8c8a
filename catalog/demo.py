"""Demo data for the catalog (``manage.py seed_demo``): Backstage's example organisation and a
generated one, Lumen, with departments, teams, people, systems, components, APIs and resources.

Lumen is written as YAML files into ``DATA_DIR/demo-catalog/`` (or ``var/demo-catalog/`` in the
repository when DATA_DIR is outside CATALOG_FILE_ROOTS), registered as file locations and read at
once, in this process. Running it again rewrites nothing that did not change and adds nothing twice.
The demo accounts are people of Lumen (by ``spec.profile.email``), so Home shows their teams.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import yaml
from django.conf import settings

from catalog import services
from catalog.ingest import readers
from catalog.ingest.errors import ReadError
from catalog.models import LocationType
from portal.demo import DEMO_ADMIN_EMAIL, DEMO_USER_EMAIL

V1 = "backstage.io/v1alpha1"
EXAMPLES = ("tests/data/backstage/examples/all.yaml", "tests/data/backstage/examples/acme-corp.yaml")
EMAIL_DOMAIN = "lumen.example"

# fmt: off
#: department → (title, [(team, title, name prefix, resource noun, system)])
DEPARTMENTS = {
    "payments": ("Payments", [
        ("checkout", "Checkout", "checkout", "order", "storefront-checkout"),
        ("billing", "Billing", "billing", "invoice", "billing-platform"),
        ("fraud-prevention", "Fraud Prevention", "fraud", "assessment", "risk-engine"),
        ("ledger", "Ledger", "ledger", "entry", "general-ledger"),
    ]),
    "platform": ("Platform", [
        ("developer-experience", "Developer Experience", "devex", "template", "developer-portal"),
        ("cloud-foundations", "Cloud Foundations", "cloud", "cluster", "cloud-platform"),
        ("observability", "Observability", "telemetry", "alert", "telemetry"),
        ("data-platform", "Data Platform", "data", "dataset", "cloud-platform"),
    ]),
    "growth": ("Growth", [
        ("search-discovery", "Search & Discovery", "search", "query", "discovery"),
        ("recommendations", "Recommendations", "recs", "recommendation", "discovery"),
        ("notifications", "Notifications", "notify", "notification", "discovery"),
        ("mobile", "Mobile", "mobile", "device", "discovery"),
    ]),
}
#: system → (title, owner, domain, description)
SYSTEMS = {
    "storefront-checkout": ("Storefront Checkout", "checkout", "payments", "From the basket to a paid order."),
    "billing-platform": ("Billing Platform", "billing", "payments", "Invoices, subscriptions and dunning."),
    "risk-engine": ("Risk Engine", "fraud-prevention", "payments", "Scores every payment for fraud in real time."),
    "general-ledger": ("General Ledger", "ledger", "payments", "Double-entry bookkeeping of every money movement."),
    "developer-portal": ("Developer Portal", "developer-experience", "platform", "Atrium, templates and tooling."),
    "cloud-platform": ("Cloud Platform", "cloud-foundations", "platform", "Clusters, networks, storage and data."),
    "telemetry": ("Telemetry", "observability", "platform", "Metrics, logs, traces and alerting."),
    "discovery": ("Discovery", "search-discovery", "growth", "How customers find, hear about and use products."),
}
# fmt: on
#: suffix → (component type, description); each team has one component of each.
COMPONENTS = {
    "api": ("service", "The {title} HTTP API, used by the web and mobile clients."),
    "web": ("website", "The {title} web front end."),
    "worker": ("service", "Background worker that processes {title} jobs from the queue."),
    "gateway": ("service", "Edge gateway routing {title} traffic, with rate limits and authentication."),
    "scheduler": ("service", "Runs the periodic {title} jobs."),
    "importer": ("service", "Imports {title} data from partner feeds."),
    "exporter": ("service", "Exports {title} data to the warehouse every night."),
    "sdk": ("library", "Client library for talking to the {title} services."),
    "admin": ("website", "Back-office screens of the {title} team."),
    "events": ("service", "Publishes {title} domain events to the event bus."),
}
LIFECYCLES = ("production", "production", "experimental", "production", "production", "deprecated", "production")
LANGUAGES = ("python", "go", "java", "kotlin", "typescript", "rust")
FIRST = "Amara Bruno Chloe Dmitri Elif Farah Gustav Hana Idris Jonas Keiko Lars Mei Nadia Oskar Priya Quentin Rosa"
LAST = (
    "Okafor Rossi Dubois Ivanov Yilmaz Haddad Lind Sato Bello Weber Tanaka Berg Chen Petrova Nilsson Rao Moreau Silva"
)
SHARED_RESOURCES = (
    ("event-bus", "queue", "data-platform", "Kafka cluster carrying every domain event."),
    ("object-storage", "storage-bucket", "cloud-foundations", "S3-compatible buckets for files and backups."),
    ("shared-cache", "cache", "cloud-foundations", "Redis cluster for sessions and caches."),
)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (API definitions) as literal blocks."""


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def _entity(kind: str, name: str, spec: dict, **metadata) -> dict:
    return {"apiVersion": V1, "kind": kind, "metadata": {"name": name, **metadata}, "spec": spec}


def _teams() -> list[tuple[str, str, str, str, str, str]]:
    return [(dept, *team) for dept, (_title, teams) in DEPARTMENTS.items() for team in teams]


OPENAPI = """openapi: 3.0.3
info:
  title: {title} API
  version: 1.4.0
  description: Create, read and close {plural}.
servers:
  - url: https://api.lumen.example/{plural}/v1
tags:
  - name: {plural}
    description: Working with {plural}
paths:
  /{plural}:
    get:
      tags: [{plural}]
      summary: List {plural}
      operationId: list{schema}s
      parameters:
        - {{name: limit, in: query, description: At most this many (max 100), schema: {{type: integer, maximum: 100}}}}
        - {{name: cursor, in: query, description: Where the previous page ended, schema: {{type: string}}}}
      responses:
        "200":
          description: A page of {plural}
          content: {{application/json: {{schema: {{$ref: "#/components/schemas/{schema}Page"}}}}}}
        default: {{$ref: "#/components/responses/Error"}}
    post:
      tags: [{plural}]
      summary: Create {a_noun}
      operationId: create{schema}
      requestBody:
        required: true
        content: {{application/json: {{schema: {{$ref: "#/components/schemas/{schema}"}}}}}}
      responses:
        "201":
          description: Created
          content: {{application/json: {{schema: {{$ref: "#/components/schemas/{schema}"}}}}}}
        default: {{$ref: "#/components/responses/Error"}}
  /{plural}/{{id}}:
    parameters:
      - {{name: id, in: path, required: true, schema: {{type: string, format: uuid}}}}
    get:
      tags: [{plural}]
      summary: Read {a_noun}
      operationId: get{schema}
      responses:
        "200":
          description: The {noun}
          content: {{application/json: {{schema: {{$ref: "#/components/schemas/{schema}"}}}}}}
        "404": {{$ref: "#/components/responses/Error"}}
    delete:
      tags: [{plural}]
      summary: Close {a_noun}
      operationId: close{schema}
      responses:
        "204": {{description: Closed}}
        "404": {{$ref: "#/components/responses/Error"}}
components:
  responses:
    Error:
      description: Something went wrong
      content: {{application/json: {{schema: {{$ref: "#/components/schemas/Error"}}}}}}
  schemas:
    {schema}:
      type: object
      required: [id, status]
      properties:
        id: {{type: string, format: uuid, readOnly: true}}
        status: {{type: string, enum: [pending, active, closed], description: Where the {noun} is.}}
        created_at: {{type: string, format: date-time, readOnly: true}}
        labels: {{type: object, additionalProperties: {{type: string}}}}{parent}
    {schema}Page:
      type: object
      properties:
        items: {{type: array, items: {{$ref: "#/components/schemas/{schema}"}}}}
        next_cursor: {{type: string, nullable: true}}
    Error:
      type: object
      required: [code, message]
      properties:
        code: {{type: string}}
        message: {{type: string}}
"""
#: A schema that refers to itself (a tree of things), to show how cycles are drawn.
PARENT = """
        parent: {{$ref: "#/components/schemas/{schema}", description: The {noun} this one belongs to.}}"""
ASYNCAPI = """asyncapi: 2.6.0
info: {{title: {title} events, version: 1.0.0}}
channels:
  {noun}.created:
    subscribe:
      message:
        payload: {{type: object, properties: {{id: {{type: string}}, at: {{type: string, format: date-time}}}}}}
  {noun}.closed:
    subscribe:
      message:
        payload: {{type: object, properties: {{id: {{type: string}}, reason: {{type: string}}}}}}
"""
GRPC = """syntax = "proto3";
package lumen.{package}.v1;

// Internal {title} operations.
service {schema}Internal {{
  rpc Get{schema}(Get{schema}Request) returns ({schema});
}}
message Get{schema}Request {{ string id = 1; }}
message {schema} {{ string id = 1; string status = 2; }}
"""


def definition(template: str, title: str, noun: str, *, cyclic: bool = False) -> str:
    schema = noun.title().replace("-", "")
    parent = PARENT.format(schema=schema, noun=noun) if cyclic else ""
    fields = {"title": title, "noun": noun, "plural": f"{noun}s", "schema": schema, "package": noun.replace("-", "_")}
    fields["a_noun"] = f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
    return template.format(parent=parent, **fields)


def people() -> dict[str, list[dict]]:
    """Team → its User entities: five people per team, the demo accounts in two teams."""
    members: dict[str, list[dict]] = {}
    for index, (_dept, team, *_rest) in enumerate(_teams()):
        members[team] = []
        for seat in range(5):
            n = index * 5 + seat
            first, last = FIRST.split()[n % 18], LAST.split()[(n * 7 + index) % 18]
            name = f"{first}.{last}".lower()
            profile = {"displayName": f"{first} {last}", "email": f"{name}@{EMAIL_DOMAIN}"}
            annotations = {"github.com/user-login": f"{first[0]}{last}".lower()}
            members[team].append(
                _entity("User", name, {"profile": profile, "memberOf": [team]}, annotations=annotations)
            )
    for name, display, email, team in (
        ("ada.admin", "Ada Admin", DEMO_ADMIN_EMAIL, "developer-experience"),
        ("dev.eloper", "Dev Eloper", DEMO_USER_EMAIL, "checkout"),
    ):
        members[team].append(
            _entity("User", name, {"profile": {"displayName": display, "email": email}, "memberOf": [team]})
        )
    return members


def _group(name: str, kind: str, display: str, description: str, *, parent: str = "", children=(), email=""):
    spec = {"type": kind, "profile": {"displayName": display, **({"email": email} if email else {})}}
    spec.update({"parent": parent} if parent else {}, children=list(children))
    return _entity("Group", name, spec, description=description)


def _apis(index: int, title: str, prefix: str, noun: str) -> dict[str, tuple[str, str, str]]:
    """API name → (type, definition, suffix of the component that provides it)."""
    internal = ("grpc", definition(GRPC, title, noun)) if index % 2 else ("openapi", definition(OPENAPI, title, noun))
    return {
        f"{prefix}-public": ("openapi", definition(OPENAPI, title, noun, cyclic=index % 3 == 0), "api"),
        f"{prefix}-internal": (*internal, "worker"),
        f"{prefix}-events": ("asyncapi", definition(ASYNCAPI, title, noun), "events"),
        f"{prefix}-admin": ("openapi", definition(OPENAPI, f"{title} admin", noun), "admin"),
    }


def _uses(suffix: str, index: int, prefix: str, teams: list) -> dict:
    """What a component consumes and depends on: its team's database, other teams' APIs, …"""
    partner, other = teams[(index + 1) % len(teams)][3], teams[(index + 5) % len(teams)][3]
    if suffix == "api":
        legacy = ["component:legacy-monolith"] if index == 0 else []  # not in the catalog: drawn dashed
        return {
            "consumesApis": [f"{partner}-internal", f"{other}-public"],
            "dependsOn": [f"resource:{prefix}-db", "resource:shared-cache", *legacy],
        }
    if suffix in ("worker", "events"):
        return {"consumesApis": [f"{partner}-events"], "dependsOn": ["resource:event-bus", f"resource:{prefix}-db"]}
    if suffix in ("web", "admin"):
        return {"consumesApis": [f"{prefix}-public"], "dependsOn": [f"component:{prefix}-sdk"]}
    return {"dependsOn": ["resource:object-storage"]} if suffix == "exporter" else {}


def _team_documents(index: int, teams: list) -> list[dict]:
    _dept, team, title, prefix, noun, system = teams[index]
    owned = {"owner": team, "system": system}
    database = {"type": "database", **owned}
    documents = [_entity("Resource", f"{prefix}-db", database, description=f"PostgreSQL database of {title}.")]
    apis = _apis(index, title, prefix, noun)
    for api, (kind, text, _provider) in apis.items():
        spec = {"type": kind, "lifecycle": "production", **owned, "definition": text}
        what = api.removeprefix(prefix + "-")
        documents.append(_entity("API", api, spec, description=f"{title}: the {what} interface."))
    for position, (suffix, (kind, description)) in enumerate(COMPONENTS.items()):
        spec = {"type": kind, "lifecycle": LIFECYCLES[(index + position) % len(LIFECYCLES)], **owned}
        spec["providesApis"] = [api for api, (_kind, _text, provider) in apis.items() if provider == suffix]
        spec = {key: value for key, value in {**spec, **_uses(suffix, index, prefix, teams)}.items() if value}
        language = "typescript" if suffix in ("web", "admin") else LANGUAGES[index % len(LANGUAGES)]
        metadata = {
            "description": description.format(title=title),
            "tags": [language, noun],
            "annotations": {"github.com/project-slug": f"lumen/{prefix}-{suffix}"},
            "links": [{"url": f"https://grafana.{EMAIL_DOMAIN}/d/{prefix}-{suffix}", "title": "Dashboard"}],
        }
        documents.append(_entity("Component", f"{prefix}-{suffix}", spec, **metadata))
    return documents


def organisation() -> dict[str, list[dict]]:
    """File name → the documents of the Lumen organisation."""
    root = _group(
        "lumen",
        "organization",
        "Lumen",
        "Lumen, the whole company.",
        children=DEPARTMENTS,
        email=f"hello@{EMAIL_DOMAIN}",
    )
    departments = [
        _group(dept, "department", title, f"The {title} department.", parent="lumen", children=[t[0] for t in teams])
        for dept, (title, teams) in DEPARTMENTS.items()
    ]
    files: dict[str, list[dict]] = {"org.yaml": [root, *departments]}
    files["systems.yaml"] = [
        _entity("Domain", dept, {"owner": dept}, title=title, description=f"Everything the {title} department builds.")
        for dept, (title, _teams) in DEPARTMENTS.items()
    ] + [
        _entity("System", name, {"owner": owner, "domain": domain}, title=title, description=description)
        for name, (title, owner, domain, description) in SYSTEMS.items()
    ]
    files["resources.yaml"] = [
        _entity("Resource", name, {"type": kind, "owner": owner, "system": "cloud-platform"}, description=description)
        for name, kind, owner, description in SHARED_RESOURCES
    ]
    members, teams = people(), _teams()
    for index, (dept, team, title, *_rest) in enumerate(teams):
        description = f"The {title} team, in {DEPARTMENTS[dept][0]}."
        group = _group(team, "team", title, description, parent=dept, email=f"{team}@{EMAIL_DOMAIN}")
        files[f"teams/{team}.yaml"] = [group, *members[team]]
        files[f"components/{team}.yaml"] = _team_documents(index, teams)
    targets = [f"./{name}" for name in files]
    files["catalog-info.yaml"] = [_entity("Location", "lumen", {"targets": targets}, description="The Lumen demo.")]
    return files


def demo_folder() -> Path | None:
    """Where to write Lumen: DATA_DIR/demo-catalog, else var/demo-catalog, whichever the catalog may read."""
    for folder in (Path(settings.DATA_DIR) / "demo-catalog", Path(settings.BASE_DIR) / "var" / "demo-catalog"):
        try:
            readers.check_file(str(folder / "catalog-info.yaml"))
        except ReadError:
            continue
        return folder
    return None


def write_files(folder: Path, files: dict[str, list[dict]]) -> int:
    """Write each file whose content changed (atomically); return how many were written."""
    written = 0
    for name, documents in files.items():
        path = folder / name
        text = yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        written += 1
    return written


def load_location(target: str, say: Callable[[str], None]) -> None:
    try:
        location = services.register_location(type=LocationType.FILE, target=target, refresh=False)
    except services.LocationExists as exists:
        location = exists.location
    except services.CatalogError as exc:
        say(f"  skipped {target}: {exc}")
        return
    report = services.process_location(location)
    counts = services.counts_by_kind(location)
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    errors = f"; {len(report.problems)} errors (see Catalog health)" if report.problems else ""
    say(f"  {target}: {sum(counts.values())} entities ({summary}){errors}")


def seed_catalog(say: Callable[[str], None]) -> None:
    say("Catalog demo data:")
    # The golden paths under templates/: Create lists them from the first start.
    load_location(services.templates_target(), say)
    for example in EXAMPLES:
        path = Path(settings.BASE_DIR) / example
        if path.exists():
            load_location(str(path), say)
        else:
            say(f"  skipped Backstage's example {example}: not in this installation")
    folder = demo_folder()
    if folder is None:
        say(f"  skipped Lumen: neither {settings.DATA_DIR} nor var/ is inside CATALOG_FILE_ROOTS")
        return
    written = write_files(folder, organisation())
    say(f"  wrote {written} files of the Lumen organisation to {folder}" if written else f"  {folder} is up to date")
    load_location(str(folder / "catalog-info.yaml"), say)
