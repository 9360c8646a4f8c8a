"""``manage.py catalog_refresh [--all] [LOCATION_ID …] [--wait]``: refresh catalog locations."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from catalog import services
from catalog.ingest.errors import ConcurrentRefresh
from catalog.management.commands.catalog_import import print_outcome
from catalog.models import Location


class Command(BaseCommand):
    help = "Refresh catalog locations: in the background, or here and now with --wait."

    def add_arguments(self, parser):
        parser.add_argument("location_ids", nargs="*", metavar="LOCATION_ID")
        parser.add_argument("--all", action="store_true", help="every location (and register the templates folder)")
        parser.add_argument("--wait", action="store_true", help="read here and now, and print the outcome")

    def _locations(self, ids: list[str], everything: bool) -> list[Location]:
        if everything:
            services.ensure_templates_location()
            return list(Location.objects.order_by("created"))
        if not ids:
            raise CommandError("Give location ids, or --all.")
        try:
            wanted = [uuid.UUID(value) for value in ids]
        except ValueError as exc:
            raise CommandError(f"Not a location id: {exc}") from None
        found = {location.pk: location for location in Location.objects.filter(pk__in=wanted)}
        missing = [str(pk) for pk in wanted if pk not in found]
        if missing:
            raise CommandError(f"No such location: {', '.join(missing)}")
        return [found[pk] for pk in wanted]

    def handle(self, *args, location_ids: list[str], all: bool, wait: bool, **options):
        locations = self._locations(location_ids, all)
        if not wait:
            if all:
                job = services.refresh_all()
                self.stdout.write(f"Refresh of every location queued as run {job.pk}.")
                return
            for location in locations:
                job = services.refresh_location(location)
                self.stdout.write(f"Refresh of {location.type}:{location.target} queued as run {job.pk}.")
            return
        failed = []
        for location in locations:
            try:
                print_outcome(self, location, services.process_location(location))
            except ConcurrentRefresh as exc:
                failed.append(str(exc))
            except CommandError as exc:
                self.stderr.write(str(exc))
                failed.append(str(exc))
        if failed:
            raise CommandError(f"{len(failed)} of {len(locations)} locations could not be refreshed.")
