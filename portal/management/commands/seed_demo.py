"""Load the demo data of every app (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import demo


class Command(BaseCommand):
    help = "Create the demo accounts and load each app's demo data. Refuses to run with DEBUG off."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with a known password).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with a published password; it runs only with DEBUG=true "
                "(or with --force on a throwaway instance)."
            )
        for seeder in demo.seeders():
            seeder.run(self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
