from django.urls import path

from portal import views
from portal.views import runs

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.create_token, name="token-create"),
    path("profile/tokens/<int:pk>/revoke", views.revoke_token, name="token-revoke"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/<uuid:pk>/", runs.run_page, name="run"),
    path("runs/<uuid:pk>/cancel", runs.cancel_run, name="run-cancel"),
    path("runs/<uuid:pk>/retry", runs.retry_run, name="run-retry"),
]
