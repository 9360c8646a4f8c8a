from django.urls import path

from portal.api import views

app_name = "portal-api"

urlpatterns = [
    path("me", views.MeView.as_view(), name="me"),
    path("audit", views.AuditEntryList.as_view(), name="audit-list"),
    path("jobs", views.JobList.as_view(), name="job-list"),
    path("jobs/<int:pk>", views.JobDetail.as_view(), name="job-detail"),
]
