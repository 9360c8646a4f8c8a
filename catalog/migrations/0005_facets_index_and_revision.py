"""Facet counts from columns: the covering index, the columns recomputed to agree with the search
rows (spec.type and spec.lifecycle as their search values), and the catalog's revision counter."""

from django.db import migrations, models

from catalog.model.search import scalar_value

BATCH = 2000


def recompute_columns(apps, schema_editor):
    Entity = apps.get_model("catalog", "Entity")
    changed = []
    for entity in Entity.objects.only("pk", "body", "spec_type", "lifecycle").iterator(chunk_size=BATCH):
        spec = entity.body.get("spec") if isinstance(entity.body, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        spec_type, lifecycle = scalar_value(spec.get("type")), scalar_value(spec.get("lifecycle"))
        if (spec_type, lifecycle) != (entity.spec_type, entity.lifecycle):
            entity.spec_type, entity.lifecycle = spec_type, lifecycle
            changed.append(entity)
    Entity.objects.bulk_update(changed, ["spec_type", "lifecycle"], batch_size=BATCH)


def create_revision(apps, schema_editor):
    apps.get_model("catalog", "Revision").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_search_entry_covering_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="Revision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name="entity",
            index=models.Index(
                fields=["kind", "namespace", "spec_type", "lifecycle", "owner_ref", "id"], name="catalog_entity_facets"
            ),
        ),
        migrations.RunPython(recompute_columns, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(create_revision, migrations.RunPython.noop),
    ]
