"""Backstage's own catalog client (``@backstage/catalog-client``, tests/clients) against the live API."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from portal import tokens
from tests.catalog.api_support import SHOP, example, generated_ref
from tests.conftest import make_user

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
SCRIPT = CLIENTS / "catalog.mjs"


def node(package: str = "@backstage/catalog-client") -> str:
    """The node binary; without it or the installed client, skip (fail in CI, where they must be there)."""
    binary = shutil.which("node")
    missing = []
    if binary is None:
        missing.append("node is not installed")
    if not (CLIENTS / "node_modules" / package / "package.json").is_file():
        missing.append("tests/clients/node_modules is missing (npm ci --prefix tests/clients)")
    if missing:
        reason = f"Backstage's client {package} cannot run: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert binary is not None
    return binary


def test_backstage_catalog_client(tmp_path, settings, live_server):
    binary = node()
    location = example(tmp_path, settings)
    (tmp_path / "new.yaml").write_text(
        SHOP.replace("name: search", "name: search-v2").replace("name: web-shop", "name: shop-v2")
    )
    user = make_user("client@example.com", staff=True)  # its dry run reads server files
    token = tokens.create_token(user, name="backstage client", read_only=False).plaintext

    result = subprocess.run(
        [binary, str(SCRIPT), live_server.url, token, location.target, str(tmp_path / "new.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    root = location.target
    generated = generated_ref("file", root)
    production = {"value": "production", "count": 3}
    assert json.loads(result.stdout) == {
        "getEntities": ["api:default/payments-api", "component:default/payments", "component:default/web-shop"],
        "getEntitiesPage": ["component:default/search", "component:default/web-shop"],
        "getEntitiesByRefs": ["component:default/web-shop", None, "group:default/team-a"],
        "queryEntities": {
            "totalItems": 7,
            "pages": [
                ["component:default/web-shop", "group:default/team-b", "group:default/team-a"],
                ["component:default/search", "component:default/payments", "user:default/bob"],
                ["user:default/alice"],
            ],
            "back": ["component:default/search", "component:default/payments", "user:default/bob"],
        },
        "fullText": {"items": ["component:default/web-shop"], "totalItems": 1},
        "streamEntities": [4, 4, 3],
        "getEntityFacets": {
            "facets": {
                "kind": [{"value": "Component", "count": 3}, {"value": "API", "count": 1}],
                "spec.lifecycle": [production, {"value": "experimental", "count": 1}],
            }
        },
        "getEntityByRef": {
            "ref": "component:default/payments",
            "uid": "string",
            "relations": [
                "dependencyOf component:default/search",
                "ownedBy group:default/team-a",
                "partOf system:default/payments-platform",
                "providesApi api:default/payments-api",
            ],
        },
        "missingEntity": None,
        "getEntityAncestors": {
            "rootEntityRef": "component:default/search",
            "items": [
                ["component:default/search", ["location:default/example-root"]],
                ["location:default/example-root", [generated]],
                [generated, []],
            ],
        },
        "getLocationByRef": {"type": "file", "target": root, "entityRef": generated},
        "getLocationByEntity": root,
        "addLocationDryRun": {
            "exists": False,
            "target": str(tmp_path / "new.yaml"),
            "entities": ["component:default/search-v2", "component:default/shop-v2"],
        },
        "addLocationExisting": {
            "name": "ResponseError",
            "status": 409,
            "cause": "ConflictError",
            "message": f"Location file:{root} already exists.",
        },
        "validateEntity": {"valid": True},
        "validateInvalidEntity": {
            "valid": False,
            "errors": [
                {
                    "name": "InputError",
                    "message": "spec.lifecycle: spec.lifecycle is missing; it is required for kind Component",
                },
                {
                    "name": "InputError",
                    "message": "spec.owner: spec.owner is missing; it is required for kind Component",
                },
            ],
        },
        "badOrder": {
            "name": "ResponseError",
            "status": 400,
            "cause": "InputError",
            "message": "Invalid orderField 'metadata.name,sideways': the order must be asc or desc, not 'sideways'.",
        },
    }
