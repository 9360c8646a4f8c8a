from django.urls import path

from portal.api import views

app_name = "portal-api"

urlpatterns = [
    path("me", views.MeView.as_view(), name="me"),
    path("audit", views.AuditEntryList.as_view(), name="audit-list"),
    path("runs", views.RunList.as_view(), name="run-list"),
    path("runs/<uuid:pk>", views.RunDetail.as_view(), name="run-detail"),
    path("runs/<uuid:pk>/events", views.RunEvents.as_view(), name="run-events"),
    path("runs/<uuid:pk>/cancel", views.RunCancel.as_view(), name="run-cancel"),
    path("runs/<uuid:pk>/retry", views.RunRetry.as_view(), name="run-retry"),
]
