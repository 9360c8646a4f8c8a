"""Model fields shared by the apps."""

from __future__ import annotations

from django.db import models


class OrderedJSONField(models.JSONField):
    """A JSON document kept as written, keys in their order.

    PostgreSQL's ``jsonb`` (Django's choice for ``JSONField``) re-sorts object keys, which loses the
    order of a form's fields or of a descriptor's keys: on PostgreSQL this field is ``json``, the
    text as given, and is sent as ``json`` too (a ``jsonb`` value would be re-sorted on the way in).
    Path lookups (``->``, ``#>``, ``->>``) work on both types; containment and key-existence
    lookups (``@>``, ``?``) exist for ``jsonb`` only and are not used on these fields.
    """

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        adapted = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor == "postgresql":
            from psycopg.types.json import Json, Jsonb

            if isinstance(adapted, Jsonb):
                return Json(adapted.obj, dumps=adapted.dumps)
        return adapted

    def from_db_value(self, value, expression, connection):
        if connection.vendor == "postgresql":
            return value  # psycopg decodes ``json`` itself (Django has it leave only ``jsonb`` as text)
        return super().from_db_value(value, expression, connection)
