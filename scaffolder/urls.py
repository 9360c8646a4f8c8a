"""``/create/``: the gallery, a template's page and form, tasks, and the installed actions."""

from django.urls import path

from scaffolder.views import actions, gallery, run, task_lists, tasks, template

app_name = "scaffolder"

urlpatterns = [
    path("", gallery.gallery, name="gallery"),
    path("templates/<str:namespace>/<str:name>", template.template_page, name="template"),
    path("templates/<str:namespace>/<str:name>/run", run.run, name="run"),
    path("tasks/", task_lists.my_tasks, name="tasks"),
    path("tasks/all", task_lists.all_tasks, name="tasks-all"),
    path("tasks/<uuid:pk>", tasks.task_page, name="task"),
    path("tasks/<uuid:pk>/events", tasks.task_events, name="task-events"),
    path("tasks/<uuid:pk>/cancel", tasks.cancel, name="task-cancel"),
    path("tasks/<uuid:pk>/retry", tasks.retry, name="task-retry"),
    path("actions", actions.actions_page, name="actions"),
]
