from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        # celery is the current app; checks and mail register themselves
        from portal import (  # noqa: F401
            accounts,
            audit,
            celery,
            checks,
            health,
            home_sections,
            mail,
            metrics,
            navigation,
            permissions,
        )
        from portal.models import ApiToken
        from portal.runs import schedule

        health.prepare()
        audit.connect_auth_signals()
        metrics.register_collectors()
        audit.register(get_user_model(), exclude={"last_login"}, redact={"password"})
        audit.register(ApiToken, exclude={"last_used"}, redact={"digest"})
        autodiscover_modules("runs")  # every app's runs.py registers its run kinds
        post_migrate.connect(schedule.install_schedule, sender=self, dispatch_uid="portal:runs-schedule")
        post_migrate.connect(accounts.sync_site, sender=self, dispatch_uid="portal:sync-site")
        navigation.register(navigation.NavEntry("home", "Home", "portal:home", icon="home", order=0, match_prefix="/"))
        navigation.register(
            navigation.NavEntry(
                "runs",
                "Runs",
                "portal:runs",
                icon="runs",
                order=990,
                visible=lambda user: permissions.can(user, "portal.view_runs"),
                description="Every background run: refreshes, golden-path tasks, provisioning; retry and cancel.",
            )
        )
        navigation.register(
            navigation.NavEntry(
                "audit",
                "Audit log",
                "portal:audit",
                icon="audit",
                order=995,
                visible=lambda user: permissions.can(user, "portal.view_audit"),
                description="Who did what, when, to which object: changes, sign-ins and the runs people start.",
            )
        )
        navigation.register(
            navigation.NavEntry(
                "admin",
                "Admin",
                "admin:index",
                icon="admin",
                order=1000,
                visible=lambda user: permissions.can(user, "portal.view_admin"),
                description="Users, background runs, schedules and the audit log.",
            )
        )
        home_sections.register(
            home_sections.HomeSection("account", "portal/home/account.html", home_sections.account_context, order=900)
        )
        home_sections.register(
            home_sections.HomeSection(
                "capabilities", "portal/home/capabilities.html", home_sections.capabilities_context, order=950
            )
        )
