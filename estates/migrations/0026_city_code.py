"""Cities get their GB/T 2260 code, and a database with provinces gets every city of the
national list (fixtures/regions.json, made by `manage.py build_regions_fixture`).

The cities already there keep their rows, so the estates and campaigns pointing to them are
untouched: each is matched to the list within its province by its slug (the seed's 北京市/
beijing and 临沂市/linyi), else by its name, else by the name as clerks write it (济南 for
济南市), and takes the list's code, name and slug, so that loading the fixture again finds it
by its natural key. A city typed by hand that matches nothing is deleted when nothing points
to it; one that an estate or campaign uses stops the migration with its name, to be renamed
or merged in the admin first, rather than be guessed at.
"""

import json
from pathlib import Path

import django.core.validators
from django.conf import settings
from django.db import migrations, models

from estates.regions import aliases, clean


def fixture_cities():
    path = Path(settings.BASE_DIR) / "fixtures" / "regions.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [row["fields"] for row in rows if row["model"] == "estates.city"]


def in_use(city):
    """The rows that would stop a delete of the city (historical rows carry no constraint)."""
    count = 0
    for relation in city._meta.related_objects:
        if relation.related_model.__name__.startswith("Historical"):
            continue
        if relation.one_to_many or relation.one_to_one:
            count += relation.related_model._base_manager.filter(
                **{relation.field.name: city}
            ).count()
    return count


def give_codes(apps, schema_editor):
    Province = apps.get_model("estates", "Province")
    City = apps.get_model("estates", "City")
    provinces = {p.code: p for p in Province.objects.all()}
    if not provinces:
        return  # a new database: `load_seed` loads the provinces and cities together
    wanted = {}
    for fields in fixture_cities():
        province = provinces.get(fields["province"][0])
        if province is not None:
            wanted.setdefault(province.pk, []).append(fields)
    existing = list(City.objects.all())
    matched = {}  # city pk → fixture fields
    ways = [
        lambda city, fields: city.slug == fields["slug"],
        lambda city, fields: clean(city.name) == fields["name"],
        lambda city, fields: clean(city.name) in aliases(fields["name"]),
    ]
    for same in ways:
        for city in existing:
            if city.pk in matched:
                continue
            taken = [f["code"] for f in matched.values()]
            candidates = [
                f
                for f in wanted.get(city.province_id, [])
                if f["code"] not in taken and same(city, f)
            ]
            if len(candidates) == 1:
                matched[city.pk] = candidates[0]
    stuck = []
    for city in existing:
        if city.pk in matched:
            continue
        uses = in_use(city)
        if uses:
            stuck.append(f"{city.province.name}“{city.name}”（{uses} 处使用）")
        else:
            city.delete()
    if stuck:
        raise RuntimeError(
            "这些城市不在国家行政区划中，而有小区或评选活动使用："
            + "；".join(stuck)
            + "。请先在管理后台把它们改为正式名称（如“济南市”），"
            "或把其小区改到正式的城市，再运行迁移。"
        )
    # Free the names and slugs first: two cities could swap them.
    for city in existing:
        if city.pk in matched:
            city.slug, city.name = f"-{city.pk}", f"-{city.pk}"
            city.save(update_fields=["slug", "name"])
    for city in existing:
        if city.pk in matched:
            fields = matched[city.pk]
            city.slug, city.name, city.code = fields["slug"], fields["name"], fields["code"]
            city.save(update_fields=["slug", "name", "code"])
    have = {fields["code"] for fields in matched.values()}
    City.objects.bulk_create(
        City(province_id=province_id, code=f["code"], name=f["name"], slug=f["slug"])
        for province_id, rows in wanted.items()
        for f in rows
        if f["code"] not in have
    )
    if schema_editor.connection.vendor == "postgresql":
        # Check the new rows' foreign keys now: PostgreSQL refuses to alter a table (the
        # unique code below) while deferred checks of its rows are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("estates", "0025_metric_type_plausible_range"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="city",
            options={
                "ordering": ["province__display_order", "code"],
                "verbose_name": "城市",
                "verbose_name_plural": "城市",
            },
        ),
        migrations.AddField(
            model_name="city",
            name="code",
            field=models.CharField(
                default="",
                max_length=6,
                verbose_name="行政区划代码",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="city",
            name="code",
            field=models.CharField(
                help_text=(
                    "GB/T 2260 六位代码，如临沂市为 371300；"
                    "直辖市的代码即其本身的，如北京市为 110000。"
                ),
                max_length=6,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[0-9]{6}\\Z", "行政区划代码应为六位数字。"
                    )
                ],
                verbose_name="行政区划代码",
            ),
        ),
    ]
