from django.urls import path

from catalog.views import entity, health, locations, register
from catalog.views.list import catalog_list

app_name = "catalog"

urlpatterns = [
    path("", catalog_list, name="list"),
    path("register", register.register, name="register"),
    path("health", health.health, name="health"),
    path("locations/<uuid:pk>", locations.location_page, name="location"),
    path("locations/<uuid:pk>/refresh", locations.refresh, name="location-refresh"),
    path("locations/<uuid:pk>/delete", locations.delete, name="location-delete"),
    path("<str:kind>/<str:namespace>/<str:name>", entity.entity_page, name="entity"),
    path("<str:kind>/<str:namespace>/<str:name>/delete", entity.delete_entity, name="entity-delete"),
    path("<str:kind>/<str:namespace>/<str:name>/refresh", entity.refresh_entity, name="entity-refresh"),
    path("<str:kind>/<str:namespace>/<str:name>/unregister", entity.unregister_entity, name="entity-unregister"),
    path("<str:kind>/<str:namespace>/<str:name>/star", entity.star_entity, name="entity-star"),
]
