"""Drop the single-column indexes of the order's foreign keys (see Order in models.py).

SQLite cannot alter a column in place, so AlterField would copy the whole orders table
(millions of rows) to drop an index; the indexes are dropped by name instead and only
Django's picture of the fields changes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = ("contact_id", "company_id", "created_by_id")


def drop_single_column_indexes(apps, schema_editor):
    table = apps.get_model("commerce", "Order")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        single = info["columns"] and len(info["columns"]) == 1 and info["columns"][0] in COLUMNS
        if single and info["index"] and not info["unique"] and not info["primary_key"] and not info["foreign_key"]:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):

    dependencies = [
        ("commerce", "0002_lookup_indexes"),
        ("contacts", "0003_search_performance"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_single_column_indexes, migrations.RunPython.noop)],
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="company",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="orders", to="contacts.company", verbose_name="company"),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="contact",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="orders", to="contacts.contact", verbose_name="contact"),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="created_by",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL),
                ),
            ],
        ),
    ]
