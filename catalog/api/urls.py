"""``/api/catalog/``: Backstage's catalog API paths (no trailing slashes, as Backstage's clients call them)."""

from django.urls import path

from catalog import webhooks
from catalog.api import ancestry, locations, views

app_name = "catalog-api"

ENTITY = "<str:kind>/<str:namespace>/<str:name>"

urlpatterns = [
    path("entities", views.EntitiesView.as_view(), name="entities"),
    path("entities/by-query", views.EntitiesQueryView.as_view(), name="entities-by-query"),
    path("entities/by-refs", views.EntitiesByRefsView.as_view(), name="entities-by-refs"),
    path("entities/by-uid/<str:uid>", views.EntityByUidView.as_view(), name="entity-by-uid"),
    path(f"entities/by-name/{ENTITY}", views.EntityByNameView.as_view(), name="entity-by-name"),
    path(f"entities/by-name/{ENTITY}/ancestry", ancestry.EntityAncestryView.as_view(), name="entity-ancestry"),
    path("entity-facets", views.FacetsView.as_view(), name="entity-facets"),
    path("refresh", views.RefreshView.as_view(), name="refresh"),
    path("validate-entity", views.ValidateEntityView.as_view(), name="validate-entity"),
    path("locations", locations.LocationsView.as_view(), name="locations"),
    path(f"locations/by-entity/{ENTITY}", locations.LocationByEntityView.as_view(), name="location-by-entity"),
    path("locations/<str:location_id>", locations.LocationView.as_view(), name="location"),
    path("locations/<str:location_id>/errors", locations.LocationErrorsView.as_view(), name="location-errors"),
    path("analyze-location", locations.AnalyzeLocationView.as_view(), name="analyze-location"),
    path("errors", locations.ErrorsView.as_view(), name="errors"),
    # Signed with CATALOG_GITHUB_WEBHOOK_SECRET; needs no session or token.
    path("webhooks/github", webhooks.github_webhook, name="github-webhook"),
]
