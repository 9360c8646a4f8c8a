"""``manage.py catalog_import PATH_OR_URL [--wait]``: register a location (and read it now)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog import services
from catalog.ingest import github, readers
from catalog.models import LocationType
from portal import audit


def print_outcome(command: BaseCommand, location, report) -> None:
    """Counts per kind and every error of the location, as ``file:line: [kind] message``."""
    style = command.style
    if report.failure:
        raise CommandError(f"{location.type}:{location.target} could not be read: {report.failure}")
    counts = services.counts_by_kind(location)
    total = sum(counts.values())
    command.stdout.write(f"{location.type}:{location.target} — {total} entities, status {report.status}")
    for kind, count in counts.items():
        command.stdout.write(f"  {kind}: {count}")
    stats = report.stats
    command.stdout.write(
        f"  ({stats.added} added, {stats.updated} updated, {stats.unchanged} unchanged, {stats.orphaned} orphaned; "
        f"{stats.sources_read} files read, {stats.sources_unchanged} unchanged)"
    )
    errors = list(location.errors.order_by("source_url", "document_index", "line", "id"))
    if errors:
        command.stdout.write(style.WARNING(f"{len(errors)} errors:"))
    for error in errors:
        where = readers.file_path(error.source_url) if readers.is_file(error.source_url) else error.source_url
        if error.line:
            where = f"{where}:{error.line}"
        command.stdout.write(style.WARNING(f"  {where}: [{error.kind}] {error.message}"))


class Command(BaseCommand):
    help = (
        "Register a catalog location: a file or glob (absolute or relative path), a URL (GitHub file URLs "
        "are read through the GitHub API), or https://github.com/ORG for organisation discovery."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", help="path, glob, URL, or https://github.com/ORG")
        parser.add_argument("--wait", action="store_true", help="read it now, here, and print the outcome")
        parser.add_argument("--topic", default="", help="discovery: only repositories with this topic")
        parser.add_argument("--include-archived", action="store_true", help="discovery: read archived repositories")
        parser.add_argument("--include-forks", action="store_true", help="discovery: read forks")
        parser.add_argument("--catalog-path", default="catalog-info.yaml", help="discovery: file read in each repo")

    @staticmethod
    def _check_readable(target: str) -> None:
        """A file the catalog may not read: say which setting lets it, with the value to give it."""
        try:
            readers.check_file(target)
        except readers.ReadError:
            current = list(settings.CATALOG_FILE_ROOTS)
            fixed = readers.fixed_part(target)
            wanted = ",".join([*current, fixed if fixed != target else os.path.dirname(target)])
            raise CommandError(
                f"{target} is outside the folders the catalog may read (CATALOG_FILE_ROOTS: {', '.join(current)}). "
                "The catalog reads files only there, now and at every scheduled refresh: set "
                f"CATALOG_FILE_ROOTS={wanted} for web, workers and this command, then run it again."
            ) from None

    def handle(self, *args, target: str, wait: bool, **options):
        kind = readers.location_type(target)
        if kind == LocationType.FILE:
            target = os.path.abspath(target)
            self._check_readable(target)
        discovery = {}
        if kind == LocationType.GITHUB_DISCOVERY:
            discovery = {
                "topic": options["topic"],
                "include_archived": options["include_archived"],
                "include_forks": options["include_forks"],
                "catalog_path": options["catalog_path"],
            }
            target = f"https://{urlsplit(target).hostname}/{github.parse_org_url(target)}"
        with audit.actor_context():
            try:
                location = services.register_location(type=kind, target=target, options=discovery, refresh=not wait)
                self.stdout.write(f"Registered {location.type}:{location.target} (id {location.pk}).")
            except services.LocationExists as exists:
                location = exists.location
                self.stdout.write(f"Already registered: {location.type}:{location.target} (id {location.pk}).")
                if not wait:
                    job = services.refresh_location(location)
                    self.stdout.write(f"Refresh queued as run {job.pk}.")
            except services.CatalogError as exc:
                raise CommandError(str(exc)) from None
        if wait:
            print_outcome(self, location, services.process_location(location))
        else:
            self.stdout.write(
                "It is read in the background; see its run in Admin → Runs or on the catalog health page."
            )
