"""A small catalog for the catalog API and query tests, read through the real ingestion service.

``ingest`` writes YAML files into a temporary folder, registers the folder's root file as a file
location and processes it as a refresh job would (``catalog.services.process_location``).
"""

from __future__ import annotations

import hashlib

from catalog import services
from catalog.models import Location

ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: example-root
spec:
  targets:
    - ./org.yaml
    - ./services/*.yaml
"""

ORG = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
  title: Team A
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-b
spec:
  type: team
  parent: team-a
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: alice
spec:
  profile:
    email: alice@example.com
  memberOf: [team-a]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: bob
spec:
  profile:
    email: bob@example.com
  memberOf: [team-b]
"""

PAYMENTS = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  description: Takes card payments and refunds
  tags: [java, payments]
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: payments-platform
  providesApis: [payments-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: payments-api
  description: The payments REST API
spec:
  type: openapi
  lifecycle: production
  owner: team-a
  system: payments-platform
  definition: "openapi: 3.0.0"
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: payments-platform
spec:
  owner: team-a
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: orders-db
spec:
  type: database
  owner: team-a
  system: payments-platform
"""

SHOP = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: search
  title: Search Service
  description: Finds products for the shop
  tags: [python]
spec:
  type: service
  lifecycle: experimental
  owner: team-b
  dependsOn: [component:payments]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web-shop
  title: Web Shop
  description: The shop front, which calls payments
  tags: [javascript]
spec:
  type: website
  lifecycle: production
  owner: team-b
  consumesApis: [payments-api]
"""

#: The example catalog: 11 entities in 4 files, the three below a Location entity in the root file.
EXAMPLE = {"root.yaml": ROOT, "org.yaml": ORG, "services/payments.yaml": PAYMENTS, "services/shop.yaml": SHOP}

#: Refs of the example catalog in the default order (kind, namespace, name).
EXAMPLE_REFS = [
    "api:default/payments-api",
    "component:default/payments",
    "component:default/search",
    "component:default/web-shop",
    "group:default/team-a",
    "group:default/team-b",
    "location:default/example-root",
    "resource:default/orders-db",
    "system:default/payments-platform",
    "user:default/alice",
    "user:default/bob",
]


def components(count: int, *, owner: str = "team-a") -> str:
    """``count`` components named ``service-000``…, each owned by ``owner`` and depending on the next."""
    documents = [
        f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-{index:03d}
  tags: [generated]
spec:
  type: service
  lifecycle: production
  owner: {owner}
  dependsOn: [component:service-{(index + 1) % count:03d}]
"""
        for index in range(count)
    ]
    return "---\n".join(documents)


def ingest(tmp_path, settings, files: dict[str, str], *, root: str = "root.yaml", user=None) -> Location:
    """Write ``files`` under ``tmp_path``, register ``root`` as a file location and read it now."""
    settings.CATALOG_FILE_ROOTS = [str(tmp_path)]
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    location = services.register_location(type="file", target=str(tmp_path / root), user=user, refresh=False)
    report = services.process_location(location)
    assert (report.failure, [str(problem) for problem in report.problems]) == ("", [])
    return location


def example(tmp_path, settings, *, user=None) -> Location:
    return ingest(tmp_path, settings, EXAMPLE, user=user)


def generated_ref(location_type: str, target: str) -> str:
    """The ref of the Location entity Backstage generates for a registered location."""
    digest = hashlib.sha1(f"{location_type}:{target}".encode(), usedforsecurity=False).hexdigest()
    return f"location:default/generated-{digest}"
