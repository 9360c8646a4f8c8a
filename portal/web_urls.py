from django.urls import path, re_path

from portal import views
from portal.views import audit, repositories, runs

app_name = "portal"
#: A local repository's name: folders and a name, as portal.integrations.localgit checks them.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*){0,3}"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.create_token, name="token-create"),
    path("profile/tokens/<int:pk>/revoke", views.revoke_token, name="token-revoke"),
    path("git/", repositories.repository_list, name="repositories"),
    re_path(
        rf"^git/(?P<name>{_NAME})/-/(?P<view>tree|blob|raw)/(?P<ref>[^/]+)(?:/(?P<path>.*))?$",
        repositories.repository_view,
        name="repository-view",
    ),
    re_path(rf"^git/(?P<name>{_NAME})/$", repositories.repository_home, name="repository"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<uuid:pk>/", runs.run_page, name="run"),
    path("runs/<uuid:pk>/cancel", runs.cancel_run, name="run-cancel"),
    path("runs/<uuid:pk>/retry", runs.retry_run, name="run-retry"),
    path("audit/", audit.audit_log, name="audit"),
]
