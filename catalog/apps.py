from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Software catalog"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from catalog import demo, home, rules, services  # noqa: F401  (rules registers)
        from catalog.models import Location
        from portal import audit, home_sections, navigation
        from portal import demo as portal_demo

        # Refresh bookkeeping moves on every read; registering and deleting are what is audited.
        audit.register(Location, exclude={"last_refreshed", "status", "last_error"})
        post_migrate.connect(services.install_defaults, sender=self, dispatch_uid="catalog:install-defaults")

        navigation.register(
            navigation.NavEntry(
                "catalog",
                "Catalog",
                "catalog:list",
                icon="catalog",
                order=10,
                description="Every component, API, system, team and person, with owners and relations.",
            )
        )
        navigation.register_search(
            navigation.HeaderSearch("catalog:list", "Search the catalog", "Search services, APIs, teams…")
        )
        home_sections.register(
            home_sections.HomeSection("catalog.my_teams", "catalog/home/my_teams.html", home.my_teams_context, order=10)
        )
        home_sections.register(
            home_sections.HomeSection("catalog.owned", "catalog/home/owned.html", home.owned_context, order=11)
        )
        portal_demo.register(portal_demo.Seeder("catalog.demo", demo.seed_catalog, order=20))
