from django.db import migrations


def sync(apps, schema_editor):
    from estates.roles import sync_role_groups_in_migration

    sync_role_groups_in_migration(apps)


class Migration(migrations.Migration):
    """The ministry sets each province's quota on a campaign's form."""

    dependencies = [("estates", "0014_estate_pinyin_order_index")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
