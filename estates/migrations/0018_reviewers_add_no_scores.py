from django.db import migrations


def sync(apps, schema_editor):
    from estates.roles import sync_role_groups_in_migration

    sync_role_groups_in_migration(apps)


class Migration(migrations.Migration):
    """Score rows are made when a reviewer is assigned; no role adds one on its own."""

    dependencies = [("estates", "0017_estate_search_vector")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
