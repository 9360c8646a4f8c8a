"""The catalog's REST API at ``/api/catalog/``: Backstage's catalog API (paths, parameters, shapes,
status codes and error bodies), so that Backstage's own ``CatalogClient`` works against Atrium, plus
Atrium's catalog health endpoints (``/errors``, ``/locations/{id}/errors``).

``base`` holds the view base (Backstage error bodies, the policy checks), ``views`` the entity
endpoints, ``ancestry`` the location chain of an entity, ``locations`` the location endpoints,
``pagination`` the cursors, ``serializers`` the request bodies and the documented response shapes.
"""
