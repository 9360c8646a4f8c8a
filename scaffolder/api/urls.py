"""``/api/scaffolder/v2/``: Backstage's scaffolder API paths (no trailing slashes, as its clients call them)."""

from django.urls import path

from scaffolder.api import dry_run, events, views

app_name = "scaffolder-api"

urlpatterns = [
    path(
        "templates/<str:namespace>/<str:kind>/<str:name>/parameter-schema",
        views.ParameterSchemaView.as_view(),
        name="parameter-schema",
    ),
    path("actions", views.ActionsView.as_view(), name="actions"),
    path("tasks", views.TasksView.as_view(), name="tasks"),
    path("tasks/<str:taskId>", views.TaskView.as_view(), name="task"),
    path("tasks/<str:taskId>/events", events.TaskEventsView.as_view(), name="task-events"),
    path("tasks/<str:taskId>/eventstream", events.TaskEventStreamView.as_view(), name="task-eventstream"),
    path("tasks/<str:taskId>/cancel", views.CancelTaskView.as_view(), name="task-cancel"),
    path("tasks/<str:taskId>/retry", views.RetryTaskView.as_view(), name="task-retry"),
    path("dry-run", dry_run.DryRunView.as_view(), name="dry-run"),
]
