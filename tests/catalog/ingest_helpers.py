"""Helpers shared by the catalog ingestion tests: descriptor text, files, write counting."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.db import connection

from catalog import services

WRITES = ("INSERT", "UPDATE", "DELETE")


def component(name: str, *, owner: str = "team-x", description: str = "", tags: list[str] | None = None) -> str:
    lines = [
        "apiVersion: backstage.io/v1alpha1",
        "kind: Component",
        "metadata:",
        f"  name: {name}",
    ]
    if description:
        lines.append(f"  description: {description}")
    if tags:
        lines.append(f"  tags: [{', '.join(tags)}]")
    lines += ["spec:", "  type: service", "  lifecycle: production", f"  owner: {owner}"]
    return "\n".join(lines) + "\n"


def location(name: str, *targets: str) -> str:
    listed = "".join(f"    - {target}\n" for target in targets)
    return f"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  targets:\n{listed}"


def write(path: Path, *documents: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n".join(documents), encoding="utf-8")
    return path


def register(path: Path | str, **options):
    return services.register_location(type="file", target=str(path), refresh=False, **options)


@contextlib.contextmanager
def captured_writes():
    """The INSERT, UPDATE and DELETE statements run on the default connection inside the block."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        if sql.lstrip().split(None, 1)[0].upper() in WRITES:
            statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


def written_tables(statements: list[str]) -> set[str]:
    tables = set()
    for sql in statements:
        words = sql.replace('"', " ").split()
        verb = words[0].upper()
        tables.add(words[1] if verb == "UPDATE" else words[2])
    return tables
