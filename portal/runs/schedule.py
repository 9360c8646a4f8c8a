"""The engine's own beat schedule (django-celery-beat): the sweep, and pruning finished runs."""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from portal.runs.control import PRUNE_TASK, SWEEP_TASK

#: The names this schedule had before runs replaced jobs: renamed in place, keeping an admin's changes.
_RENAMED = {"portal.prune_jobs": PRUNE_TASK}


def install_schedule(
    sender: Any = None, *, apps: Any = global_apps, using: str = DEFAULT_DB_ALIAS, **_kwargs: Any
) -> None:
    """Schedule the sweep every RUN_SWEEP_SECONDS and the prune daily, once (a ``post_migrate`` handler).

    An existing schedule is left as an administrator may have changed it (disabled, moved).
    """
    try:
        interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
        task_model = apps.get_model("django_celery_beat", "PeriodicTask")
        changes_model = apps.get_model("django_celery_beat", "PeriodicTasks")
    except LookupError:  # django_celery_beat is not migrated yet
        return
    tasks = task_model._default_manager.using(using)
    intervals = interval_model._default_manager.using(using)
    changed = False
    for old, new in _RENAMED.items():
        if tasks.filter(name=new).exists():
            deleted, _ = tasks.filter(name=old).delete()  # no worker knows the old task any more
            changed |= bool(deleted)
        else:
            changed |= bool(tasks.filter(name=old).update(name=new, task=new))
    wanted = [
        (SWEEP_TASK, int(settings.RUN_SWEEP_SECONDS), "seconds", "Publish again the runs no message will bring back."),
        (PRUNE_TASK, 1, "days", "Delete finished runs older than RUN_RETENTION_DAYS."),
    ]
    for name, every, period, description in wanted:
        if tasks.filter(name=name).exists():
            continue
        interval = intervals.filter(every=every, period=period).first() or intervals.create(every=every, period=period)
        tasks.create(name=name, task=name, interval=interval, description=description)
        changed = True
    if changed:
        # What PeriodicTasks.update_changed() does: a running beat reloads its schedule.
        changes_model._default_manager.using(using).update_or_create(ident=1, defaults={"last_update": timezone.now()})
