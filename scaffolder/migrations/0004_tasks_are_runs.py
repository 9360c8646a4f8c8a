"""Golden-path tasks become runs of the run engine: each task's status, claim, heartbeat, steps and
events move to portal's Run, RunStep and RunEvent (keeping the task's id), and Task keeps what is
its own (the template, the values, the dry-run files)."""

import django.db.models.deletion
from django.db import migrations, models

import portal.fields

TASK_TO_RUN = {
    "open": "pending",
    "processing": "pending",  # no message of the former task names it: the engine's sweep publishes it
    "completed": "succeeded",
    "failed": "failed",
    "cancelled": "cancelled",
}
STEP_TO_RUN = {
    "pending": "pending",
    "running": "pending",
    "completed": "succeeded",
    "failed": "failed",
    "skipped": "skipped",
    "cancelled": "cancelled",
}
#: Backstage's words in event bodies, in the engine's (the API translates them back).
EVENT_STATUS = {"processing": "running", "completed": "succeeded", "open": "pending"}


def tasks_to_runs(apps, schema_editor):
    LegacyTask = apps.get_model("scaffolder", "Task")
    TaskStep = apps.get_model("scaffolder", "TaskStep")
    TaskEvent = apps.get_model("scaffolder", "TaskEvent")
    Task = apps.get_model("scaffolder", "NewTask")
    Run = apps.get_model("portal", "Run")
    RunStep = apps.get_model("portal", "RunStep")
    RunEvent = apps.get_model("portal", "RunEvent")
    for legacy in LegacyTask.objects.order_by("created").iterator():
        Task.objects.create(
            id=legacy.id,
            kind="scaffolder.task",
            status=TASK_TO_RUN.get(legacy.status, "failed"),
            created_by_id=legacy.created_by_id,
            started=legacy.started,
            completed=legacy.completed,
            attempts=legacy.attempts,
            heartbeat=legacy.heartbeat,
            cancel_requested=legacy.cancel_requested,
            output=legacy.output,
            error=legacy.error,
            secrets_encrypted=legacy.secrets_encrypted,
            template_ref=legacy.template_ref,
            template=legacy.template,
            values=legacy.values,
            files=legacy.files,
            dry_run=legacy.dry_run,
        )
        Run.objects.filter(pk=legacy.id).update(created=legacy.created)
        for step in TaskStep.objects.filter(task_id=legacy.id).order_by("index"):
            RunStep.objects.create(
                run_id=legacy.id,
                index=step.index,
                key=step.step_id,
                name=step.name,
                action=step.action,
                status=STEP_TO_RUN.get(step.status, "pending"),
                started=step.started,
                completed=step.completed,
                output=step.output,
                error=step.error,
            )
        for event in TaskEvent.objects.filter(task_id=legacy.id).order_by("id"):
            body = dict(event.body) if isinstance(event.body, dict) else {}
            if body.get("status") in EVENT_STATUS:
                body["status"] = EVENT_STATUS[body["status"]]
            created = RunEvent.objects.create(run_id=legacy.id, type=event.type, body=body)
            RunEvent.objects.filter(pk=created.pk).update(created=event.created)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_runs"),
        ("scaffolder", "0003_dry_run_files_in_the_task"),
    ]

    operations = [
        # A new table, under a name of its own while the old one exists (their index names would clash).
        migrations.CreateModel(
            name="NewTask",
            fields=[
                (
                    "run_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to="portal.run",
                    ),
                ),
                ("template_ref", models.CharField(db_index=True, max_length=400)),
                ("template", portal.fields.OrderedJSONField()),
                ("values", portal.fields.OrderedJSONField(blank=True, default=dict)),
                ("files", models.BinaryField(blank=True, default=b"", editable=False)),
                ("dry_run", models.BooleanField(default=False)),
            ],
            options={"ordering": ["-created"]},
            bases=("portal.run",),
        ),
        migrations.RunPython(tasks_to_runs, migrations.RunPython.noop),
        migrations.DeleteModel(name="TaskEvent"),
        migrations.DeleteModel(name="TaskStep"),
        migrations.DeleteModel(name="Task"),
        migrations.RenameModel(old_name="NewTask", new_name="Task"),
    ]
