from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import health, views

admin.site.site_header = "Atrium administration"
admin.site.site_title = "Atrium admin"
admin.site.index_title = "Administration"

urlpatterns = [
    path("", include("portal.web_urls")),
    path("accounts/", include("allauth.urls")),
    path("catalog/", include("catalog.urls")),
    path("create/", include("scaffolder.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", views.favicon),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("django_prometheus.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(url_name="api-schema", template_name="portal/api_docs.html"),
        name="api-docs",
    ),
    path("api/portal/", include("portal.api.urls")),
    path("api/catalog/", include("catalog.api.urls")),
    path("api/scaffolder/v2/", include("scaffolder.api.urls")),
]

handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error
