"""Helpers of the API definition tests: the definitions of tests/data/definitions/ and of Backstage's
example entities, and schema trees as nested lists for exact comparison."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings as django_settings

from catalog.openapi_render import SchemaNode

DEFINITIONS = Path(django_settings.BASE_DIR) / "tests" / "data" / "definitions"


def definition(path: Path, index: int = 0) -> str:
    return list(yaml.safe_load_all(path.read_text()))[index]["spec"]["definition"]


def data(name: str) -> str:
    return (DEFINITIONS / name).read_text()


def tree(node: SchemaNode | None) -> list:
    assert node is not None
    return [node.name, node.type, node.facts, [tree(child) for child in node.children]]
