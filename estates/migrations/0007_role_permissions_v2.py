from django.db import migrations


def sync(apps, schema_editor):
    from estates.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    """Reviewers no longer add reviews themselves (the ministry assigns them)."""

    dependencies = [("estates", "0006_english_texts_for_reference_data")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
