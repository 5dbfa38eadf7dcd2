from django.db import migrations


def create_role_groups(apps, schema_editor):
    from estates.roles import sync_role_groups_in_migration

    sync_role_groups_in_migration(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("estates", "0004_staff_history_photo_renditions"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
