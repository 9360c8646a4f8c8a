from django.apps import AppConfig


class ScaffolderConfig(AppConfig):
    name = "scaffolder"
    verbose_name = "Golden paths"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal import home_sections, navigation
        from scaffolder import actions, home, rules  # noqa: F401  (rules registers)

        actions.load()
        navigation.register(
            navigation.NavEntry(
                "create",
                "Create",
                "scaffolder:gallery",
                icon="create",
                order=20,
                description="Start a new service or library from a golden path.",
            )
        )
        home_sections.register(
            home_sections.HomeSection(
                "scaffolder.running_tasks", "scaffolder/home/running_tasks.html", home.running_tasks_context, order=20
            )
        )
