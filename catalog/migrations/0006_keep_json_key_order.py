"""Entity bodies as written (``json`` on PostgreSQL, where ``jsonb`` re-sorted their keys).

The bodies stored so far lost their key order: their content digests are cleared, so the next
refresh of each location reads every file again and rewrites its entities in the written order
(their uids and etags stay as they are)."""

from django.db import migrations

import portal.fields


def read_again(apps, schema_editor):
    apps.get_model("catalog", "Entity").objects.update(content_hash="")
    apps.get_model("catalog", "Source").objects.update(content_hash="")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_facets_index_and_revision"),
    ]

    operations = [
        migrations.AlterField(
            model_name="entity",
            name="body",
            field=portal.fields.OrderedJSONField(),
        ),
        migrations.RunPython(read_again, migrations.RunPython.noop, elidable=True),
    ]
