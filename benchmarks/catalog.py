"""Catalog at scale: importing and refreshing a large organisation, then reading it.

    .venv/bin/python benchmarks/catalog.py [--scale 1.0] [--requests 200] [--keep]

1. Writes an organisation of 100,000 entities at scale 1.0 (2,000 groups in a hierarchy, 10,000
   users, 5,000 systems, 60,000 components, 20,000 APIs, 3,000 resources, and a few domains) as
   multi-document YAML files in a temporary folder: the groups and users in files of 100, each
   system with its components, APIs and resources in a file of its own (one repository's
   catalog-info.yaml), and a root file whose Location entity names them by glob. Seeded: every
   run writes the same organisation.
2. Registers the root file as a file location and reads it in the foreground, as
   ``manage.py catalog_import --wait`` does (``services.register_location`` then
   ``services.process_location``): the first import, a refresh with nothing changed, and a
   refresh after 1% of the entities (chosen at random) got a new description; and the process's
   peak memory (``ru_maxrss``).
3. Times --requests requests of each read path through the Django test client, varying the
   parameters (owners, words, names, pages) from one request to the next, and counts the queries
   of each: the entity query API filtered by owner, its full-text search, the facets API, an
   entity page, the catalog list and its search. Facet counts are cached per revision of the
   catalog: the "uncached" rows measure them as the first request after a change sees them.

With DATABASE_URL set it runs against that server (in a database of its own, dropped after, or
kept with --keep); the targets are for PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import _django

os.environ.setdefault("LOG_LEVEL", "warning")
_django.setup()

import yaml  # noqa: E402

Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SEED = 20240601
PER_FILE = 100
API_VERSION = "backstage.io/v1alpha1"
WORDS = [
    "payments",
    "billing",
    "invoice",
    "ledger",
    "checkout",
    "cart",
    "catalog",
    "search",
    "index",
    "ranking",
    "recommend",
    "profile",
    "account",
    "identity",
    "auth",
    "session",
    "token",
    "gateway",
    "router",
    "proxy",
    "edge",
    "cache",
    "queue",
    "stream",
    "events",
    "audit",
    "metrics",
    "logging",
    "tracing",
    "alerting",
    "pager",
    "notify",
    "email",
    "sms",
    "push",
    "inventory",
    "stock",
    "warehouse",
    "shipping",
    "delivery",
    "tracking",
    "orders",
    "pricing",
    "discount",
    "coupon",
    "loyalty",
    "rewards",
    "fraud",
    "risk",
    "compliance",
    "kyc",
    "tax",
    "reporting",
    "analytics",
    "insights",
    "dashboard",
    "warehouse",
    "lake",
    "etl",
    "ingest",
    "export",
    "import",
    "sync",
    "scheduler",
    "cron",
    "batch",
    "worker",
    "media",
    "image",
    "video",
    "upload",
    "storage",
    "archive",
    "backup",
    "restore",
    "config",
    "feature",
    "flags",
    "experiment",
    "growth",
    "onboarding",
    "signup",
    "login",
    "partner",
    "vendor",
    "supplier",
    "merchant",
    "seller",
    "buyer",
    "customer",
    "support",
    "ticket",
    "chat",
    "feedback",
    "review",
    "rating",
    "content",
    "cms",
    "blog",
    "docs",
    "help",
    "portal",
    "mobile",
    "web",
    "desktop",
    "admin",
    "console",
    "billingplus",
    "geo",
    "maps",
    "location",
    "weather",
    "calendar",
    "booking",
    "reservation",
    "travel",
    "hotel",
    "flight",
    "ticketing",
    "transit",
    "fleet",
    "driver",
    "rider",
]
TAGS = [
    "python",
    "java",
    "go",
    "typescript",
    "kotlin",
    "rust",
    "grpc",
    "rest",
    "kafka",
    "postgres",
    "redis",
    "internal",
    "public",
    "pci",
    "gdpr",
]
LIFECYCLES = ["production"] * 6 + ["experimental"] * 3 + ["deprecated"]
COMPONENT_TYPES = ["service"] * 6 + ["website"] * 2 + ["library"] * 2
API_TYPES = ["openapi"] * 6 + ["grpc"] * 2 + ["asyncapi", "graphql"]
RESOURCE_TYPES = ["database", "s3-bucket", "queue", "cache", "topic"]
FIRST = [
    "ada",
    "alan",
    "barbara",
    "claude",
    "dana",
    "edsger",
    "frances",
    "grace",
    "hedy",
    "ivan",
    "john",
    "katherine",
    "linus",
    "margaret",
    "niklaus",
]
LAST = [
    "lovelace",
    "turing",
    "liskov",
    "shannon",
    "scott",
    "dijkstra",
    "allen",
    "hopper",
    "lamarr",
    "sutherland",
    "backus",
    "johnson",
    "torvalds",
]
TARGETS = {
    "first_import_s": 120,
    "unchanged_refresh_s": 15,
    "changed_refresh_s": 10,
    "api_p95_ms": 50,
    "search_p95_ms": 100,
    "peak_mib": 1024,
}


# --- the organisation ---------------------------------------------------------------------------


def entity(kind: str, name: str, spec: dict, *, description: str = "", tags: list[str] | None = None) -> dict:
    metadata = {"name": name}
    if description:
        metadata["description"] = description
    if tags:
        metadata["tags"] = tags
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def words(rng: random.Random, count: int = 2) -> str:
    return "-".join(rng.sample(WORDS, count))


def write_yaml(path: Path, documents: list[dict]) -> None:
    path.write_text(yaml.dump_all(documents, Dumper=Dumper, sort_keys=False, default_flow_style=False))


def generate(folder: Path, scale: float) -> dict:
    """Write the organisation into ``folder``; return what the read benchmarks and the change need."""
    rng = random.Random(SEED)
    count = {
        kind: max(1, round(number * scale))
        for kind, number in {
            "group": 2000,
            "user": 10000,
            "domain": 50,
            "system": 5000,
            "component": 60000,
            "api": 20000,
            "resource": 3000,
        }.items()
    }
    groups = ["engineering"] + [f"{words(rng)}-team-{i:04d}" for i in range(1, count["group"])]
    parents = [None] + [(i - 1) // 8 for i in range(1, count["group"])]  # 8 children per group: ~4 levels
    children = defaultdict(list)
    for index, parent in enumerate(parents):
        if parent is not None:
            children[parent].append(index)
    leaves = [index for index in range(len(groups)) if not children[index]] or [0]
    users = [f"{rng.choice(FIRST)}.{rng.choice(LAST)}-{i:05d}" for i in range(count["user"])]
    domains = [f"{words(rng, 1)}-domain-{i:03d}" for i in range(count["domain"])]
    systems = [f"{words(rng)}-system-{i:04d}" for i in range(count["system"])]
    components = [f"{words(rng)}-{i:05d}" for i in range(count["component"])]
    apis = [f"{words(rng)}-api-{i:05d}" for i in range(count["api"])]
    resources = [f"{words(rng, 1)}-{rng.choice(RESOURCE_TYPES)}-{i:04d}" for i in range(count["resource"])]

    def owner() -> str:
        return f"group:default/{groups[rng.choice(leaves)]}"

    by_system = defaultdict(lambda: {"component": [], "api": [], "resource": []})
    for kind, names in (("component", components), ("api", apis), ("resource", resources)):
        for index in range(len(names)):
            by_system[rng.randrange(len(systems))][kind].append(index)

    files: dict[str, list[str]] = {}  # relative path → refs it holds, in order
    (folder / "org").mkdir()
    (folder / "systems").mkdir()

    def chunked(kind: str, names: list[str], build) -> None:
        for start in range(0, len(names), PER_FILE):
            relative = f"org/{kind}s-{start // PER_FILE:04d}.yaml"
            write_yaml(folder / relative, [build(i) for i in range(start, min(start + PER_FILE, len(names)))])
            files[relative] = [f"{kind}:default/{names[i]}" for i in range(start, min(start + PER_FILE, len(names)))]

    def group(i: int) -> dict:
        spec = {
            "type": "team" if not children[i] else ("organization" if i == 0 else "department"),
            "profile": {"displayName": groups[i].replace("-", " ").title()},
            "children": [f"group:default/{groups[child]}" for child in children[i]],
        }
        if parents[i] is not None:
            spec["parent"] = f"group:default/{groups[parents[i]]}"
        return entity("Group", groups[i], spec, description=f"The {groups[i].replace('-', ' ')}.")

    def user(i: int) -> dict:
        teams = {groups[rng.choice(leaves)] for _ in range(rng.choice([1, 1, 1, 2]))}
        first, last = users[i].split("-")[0].split(".")
        spec = {
            "profile": {"displayName": f"{first.title()} {last.title()}", "email": f"{users[i]}@example.com"},
            "memberOf": sorted(f"group:default/{team}" for team in teams),
        }
        return entity("User", users[i], spec)

    def domain(i: int) -> dict:
        return entity("Domain", domains[i], {"owner": owner()}, description=f"Everything {domains[i][:-11]}.")

    chunked("group", groups, group)
    chunked("user", users, user)
    chunked("domain", domains, domain)

    for s, system in enumerate(systems):
        members = by_system[s]
        system_ref = f"system:default/{system}"
        spec = {"owner": owner()}
        if rng.random() < 0.6:
            spec["domain"] = f"domain:default/{rng.choice(domains)}"
        documents = [entity("System", system, spec, description=f"The {system.replace('-', ' ')}.")]
        refs = [system_ref]
        provided = defaultdict(list)
        for a in members["api"]:
            if members["component"]:
                provided[rng.choice(members["component"])].append(a)
        for c in members["component"]:
            name = components[c]
            spec = {
                "type": rng.choice(COMPONENT_TYPES),
                "lifecycle": rng.choice(LIFECYCLES),
                "owner": owner(),
                "system": system_ref,
            }
            if provided[c]:
                spec["providesApis"] = [f"api:default/{apis[a]}" for a in provided[c]]
            consumed = {apis[rng.randrange(len(apis))] for _ in range(rng.randint(0, 3))}
            if consumed:
                spec["consumesApis"] = sorted(f"api:default/{api}" for api in consumed)
            depends = {
                f"component:default/{components[rng.randrange(len(components))]}" for _ in range(rng.randint(0, 2))
            }
            if members["resource"] and rng.random() < 0.5:
                depends.add(f"resource:default/{resources[rng.choice(members['resource'])]}")
            depends.discard(f"component:default/{name}")
            if depends:
                spec["dependsOn"] = sorted(depends)
            description = f"The {name.rsplit('-', 1)[0].replace('-', ' ')} {spec['type']}."
            documents.append(
                entity("Component", name, spec, description=description, tags=sorted(set(rng.sample(TAGS, 2))))
            )
            refs.append(f"component:default/{name}")
        for a in members["api"]:
            name = apis[a]
            definition = (
                f"openapi: 3.0.3\ninfo:\n  title: {name}\n  version: 1.{a % 10}.0\n"
                f"paths:\n  /{name.split('-')[0]}:\n    get:\n      responses:\n        '200':\n"
                "          description: OK\n"
            )
            spec = {
                "type": rng.choice(API_TYPES),
                "lifecycle": rng.choice(LIFECYCLES),
                "owner": owner(),
                "system": system_ref,
                "definition": definition,
            }
            documents.append(entity("API", name, spec, description=f"The {name.replace('-', ' ')}."))
            refs.append(f"api:default/{name}")
        for r in members["resource"]:
            name = resources[r]
            spec = {"type": name.split("-")[-2], "owner": owner(), "system": system_ref}
            documents.append(entity("Resource", name, spec, description=f"The {name.replace('-', ' ')}."))
            refs.append(f"resource:default/{name}")
        relative = f"systems/{system}.yaml"
        write_yaml(folder / relative, documents)
        files[relative] = refs

    root = folder / "catalog-info.yaml"
    location = {
        "apiVersion": API_VERSION,
        "kind": "Location",
        "metadata": {"name": "benchmark-organisation"},
        "spec": {"targets": ["./org/*.yaml", "./systems/*.yaml"]},
    }
    write_yaml(root, [location])
    component_owners = sorted({f"group:default/{groups[leaf]}" for leaf in leaves})
    return {
        "root": root,
        "files": files,
        "total": sum(len(refs) for refs in files.values()) + 1,  # + the root Location entity
        "counts": count,
        "owners": component_owners,
        "components": components,
    }


def change_one_percent(folder: Path, files: dict[str, list[str]], total: int) -> tuple[int, int]:
    """Give 1% of the entities (seeded choice) a new description; return (entities, files) rewritten."""
    rng = random.Random(SEED + 1)
    every = [(relative, index) for relative, refs in files.items() for index in range(len(refs))]
    chosen = defaultdict(set)
    for relative, index in rng.sample(every, max(1, round(total * 0.01))):
        chosen[relative].add(index)
    for relative, indexes in chosen.items():
        documents = list(yaml.load_all((folder / relative).read_text(), Loader=Loader))
        for index in indexes:
            documents[index]["metadata"]["description"] = f"Changed for the benchmark ({index})."
        write_yaml(folder / relative, documents)
    return sum(len(indexes) for indexes in chosen.values()), len(chosen)


# --- measuring ----------------------------------------------------------------------------------


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def timed_refresh(location):
    from catalog import services

    started = time.perf_counter()
    report = services.process_location(location)
    elapsed = time.perf_counter() - started
    if report.failure:
        raise SystemExit(f"the location could not be read: {report.failure}")
    return elapsed, report


def check_report(report, label: str) -> str:
    if report.problems:
        shown = "; ".join(str(problem) for problem in report.problems[:5])
        raise SystemExit(f"{label}: {len(report.problems)} errors while reading the location: {shown}")
    stats = report.stats
    return (
        f"{stats.added} added, {stats.updated} updated, {stats.moved} moved, {stats.unchanged} unchanged, "
        f"{stats.orphaned} orphaned; "
        f"sources {stats.sources_read} read, {stats.sources_unchanged} skipped"
    )


def measure_requests(client, paths: list[str], headers: dict, *, cold: bool = False) -> tuple[dict, int, int]:
    """Time each request of ``paths`` (after a warm-up), then count the queries of a few of them.
    ``cold``: nothing the catalog cached for an earlier request is found (as after a change)."""
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog import revision

    def forget() -> None:
        if cold:
            revision.KEY_SALT = uuid.uuid4().hex

    for path in paths[:5]:
        response = client.get(path, **headers)
        assert response.status_code == 200, (path, response.status_code, response.content[:500])
    samples = []
    for path in paths:
        forget()
        started = time.perf_counter()
        response = client.get(path, **headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    counts = []
    for path in paths[:10]:
        forget()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **headers)
        counts.append(len(queries))  # read now: every request resets the connection's query log
    return _django.percentiles(samples), min(counts), max(counts)


def machine(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            database = f"{connection.vendor} {connection.Database.sqlite_version}"
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    return f"{cpus} CPUs ({usable} usable), {platform.machine()}, Python {platform.python_version()}, {database}"


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 entities")
    parser.add_argument("--requests", type=int, default=200, help="requests per read path")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the benchmark database afterwards; when it already holds the organisation, skip the "
        "import and measure the reads only",
    )
    args = parser.parse_args()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from catalog import services
    from catalog.models import Entity, LocationType
    from portal import tokens
    from tests.conftest import make_user

    User = get_user_model()

    folder = Path(tempfile.mkdtemp(prefix="atrium-bench-catalog-"))
    try:
        started = time.perf_counter()
        org = generate(folder, args.scale)
        generated_s = time.perf_counter() - started
        settings.CATALOG_FILE_ROOTS = [*settings.CATALOG_FILE_ROOTS, str(folder.resolve())]
        rows = []

        with _django.own_database(keep=args.keep) as db:
            print(f"machine: {machine(db)}")
            print(f"database: {_django.describe_database(db)}")
            counts = ", ".join(f"{number} {kind}s" for kind, number in org["counts"].items())
            print(
                f"organisation: {org['total']} entities ({counts}, 1 location) in {len(org['files'])} files, "
                f"written in {generated_s:.1f} s"
            )
            imported = Entity.objects.filter(orphan=False).count() == org["total"]
            if args.keep and imported:
                print("the kept database already holds the organisation: reads only")
            else:
                before_mib = peak_mib()
                location = services.register_location(
                    type=LocationType.FILE, target=str(org["root"].resolve()), refresh=False
                )
                first_s, report = timed_refresh(location)
                import_peak = peak_mib()
                print(f"first import: {check_report(report, 'first import')}")
                stored = Entity.objects.filter(orphan=False).count()
                if stored != org["total"]:
                    raise SystemExit(f"{stored} entities stored, {org['total']} expected")
                unchanged_s, report = timed_refresh(location)
                print(f"unchanged refresh: {check_report(report, 'unchanged refresh')}")
                changed, touched = change_one_percent(folder, org["files"], org["total"])
                changed_s, report = timed_refresh(location)
                outcome = check_report(report, "1% refresh")
                print(f"1% refresh: {changed} entities changed in {touched} files; {outcome}")
                if report.stats.updated != changed:
                    raise SystemExit(f"{report.stats.updated} entities updated, {changed} expected")
                rows += [
                    ("first import", f"{first_s:.1f} s", TARGETS["first_import_s"], "s", first_s),
                    (
                        "refresh, nothing changed",
                        f"{unchanged_s:.1f} s",
                        TARGETS["unchanged_refresh_s"],
                        "s",
                        unchanged_s,
                    ),
                    (
                        f"refresh, 1% changed ({changed} entities)",
                        f"{changed_s:.1f} s",
                        TARGETS["changed_refresh_s"],
                        "s",
                        changed_s,
                    ),
                    (
                        f"peak memory (process; {before_mib:.0f} MiB before import)",
                        f"{import_peak:.0f} MiB",
                        TARGETS["peak_mib"],
                        "MiB",
                        import_peak,
                    ),
                ]

            user = User.objects.filter(email="bench@example.com").first() or make_user(
                "bench@example.com", first_name="Bench"
            )
            client = Client()
            client.force_login(user)
            token = {"HTTP_AUTHORIZATION": f"Bearer {tokens.create_token(user, name='bench').plaintext}"}
            rng = random.Random(SEED + 2)
            n = args.requests
            owners = [rng.choice(org["owners"]) for _ in range(n)]
            names = [rng.choice(org["components"]) for _ in range(n)]
            terms = [rng.choice(WORDS) for _ in range(n)]
            api = "/api/catalog"
            paths = {
                "API: entities by owner": (
                    [f"{api}/entities/by-query?filter=kind=component,spec.owner={owner}&limit=20" for owner in owners],
                    token,
                    "api_p95_ms",
                ),
                "API: full-text search": (
                    [f"{api}/entities/by-query?fullTextFilterTerm={term}&limit=20" for term in terms],
                    token,
                    "search_p95_ms",
                ),
                "API: facets kind, type, lifecycle": (
                    [f"{api}/entity-facets?facet=kind&facet=spec.type&facet=spec.lifecycle"] * n,
                    token,
                    "api_p95_ms",
                ),
                "page: entity (component)": (
                    [f"/catalog/component/default/{name}" for name in names],
                    {},
                    "api_p95_ms",
                ),
                "page: catalog list, kind=component": (
                    [f"/catalog/?kind=component&page={1 + i % 10}" for i in range(n)],
                    {},
                    "api_p95_ms",
                ),
                "page: catalog list, search": (
                    [f"/catalog/?q={term}" for term in terms],
                    {},
                    "search_p95_ms",
                ),
                # Last: each of their requests leaves cache entries no later request reads, and a
                # local-memory cache (the benchmark's, without REDIS_URL) evicts at 300 entries.
                "API: facets kind, type, lifecycle, uncached": (
                    [f"{api}/entity-facets?facet=kind&facet=spec.type&facet=spec.lifecycle"] * n,
                    token,
                    "api_p95_ms",
                ),
                "page: catalog list, kind=component, facets uncached": (
                    [f"/catalog/?kind=component&page={1 + i % 10}" for i in range(n)],
                    {},
                    "api_p95_ms",
                ),
            }
            found = client.get(f"{api}/entities/by-query?fullTextFilterTerm={terms[0]}&limit=20", **token).json()
            if not found.get("items"):
                raise SystemExit(f"the full-text search for {terms[0]!r} found nothing")
            for label, (urls, headers, target) in paths.items():
                figures, fewest, most = measure_requests(client, urls, headers, cold="uncached" in label)
                queries = f"{fewest}" if fewest == most else f"{fewest}-{most}"
                rows.append(
                    (
                        f"{label} p95 (p50 {figures['p50']:.1f}, {queries} queries)",
                        f"{figures['p95']:.1f} ms",
                        TARGETS[target],
                        "ms",
                        figures["p95"],
                    )
                )

        whole_run = peak_mib()
        rows.append(("peak memory (process, whole run)", f"{whole_run:.0f} MiB", TARGETS["peak_mib"], "MiB", whole_run))
        width = max(len(row[0]) for row in rows)
        print()
        print(f"{'figure':<{width}}  {'measured':>10}  {'target':>10}")
        for label, shown, target, unit, value in rows:
            print(f"{label:<{width}}  {shown:>10}  {'≤ ' + str(target) + ' ' + unit:>10}  {verdict(value, target)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
