"""On PostgreSQL, a trigger makes the audit table append-only for every client, not just Django.

UPDATE and DELETE of audit rows are refused by the database itself. TRUNCATE is left to the
owner of the database (test runs flush tables with it). A retention job that must remove old
entries runs as the table owner with ``ALTER TABLE portal_auditentry DISABLE TRIGGER
portal_auditentry_append_only``. SQLite, the embedded development database, has no such trigger:
there the model and its queryset refuse the changes.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_auditentry_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'portal_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_auditentry_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS portal_auditentry_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_auditentry_base_manager"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
