from django.db import migrations


def sync(apps, schema_editor):
    from estates.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """Editors may now set the order of a province's selected estates."""

    dependencies = [("estates", "0008_campaign_thresholds_quotas_objection_limits")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
