from django.contrib.auth.management import create_permissions
from django.db import migrations


def sync(apps, schema_editor):
    # Province quotas came after the groups' first migration: on a new database their
    # permissions exist only once created here (normally after all migrations).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from estates.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """The ministry sets each province's quota on a campaign's form."""

    dependencies = [("estates", "0014_estate_pinyin_order_index")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
