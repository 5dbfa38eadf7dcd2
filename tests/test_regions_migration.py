"""Migration 0026 gives an existing database every city of the national list with its code,
keeping the cities its estates point to (see tests/test_migrations.py for the method)."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from estates.models import City, Estate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("estates", "0025_metric_type_plausible_range")]


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():
    yield
    executor = MigrationExecutor(connection)
    if executor.migration_plan(latest()):
        migrate(latest())


def fixture_city_count():
    path = Path(settings.BASE_DIR) / "fixtures" / "regions.json"
    return sum(1 for row in json.loads(path.read_text()) if row["model"] == "estates.city")


def old_estate(apps, name, slug, city):
    return apps.get_model("estates", "Estate").objects.create(
        name=name,
        slug=slug,
        name_pinyin=slug,
        name_initials=slug[:4],
        province_id=city.province_id,
        city=city,
    )


def previous_release_database():
    """The seed as the previous release held it: two cities (北京市, 临沂市), and what clerks
    added by hand: 济南 (with an estate) and an unused 测试市."""
    call_command("load_seed", verbosity=0)
    apps = migrate(BEFORE)
    old_city = apps.get_model("estates", "City")
    old_city.objects.exclude(slug__in=["beijing", "linyi"]).delete()
    shandong = apps.get_model("estates", "Province").objects.get(code="370000")
    jinan = old_city.objects.create(province=shandong, name="济南", slug="jinan-shoudong")
    old_city.objects.create(province=shandong, name="测试市", slug="ceshi")
    linyi = old_city.objects.get(slug="linyi")
    return apps, {
        "linyi": old_estate(apps, "升级临沂小区", "shengjilinyi", linyi).pk,
        "jinan": old_estate(apps, "升级济南小区", "shengjijinan", jinan).pk,
        "jinan_city": jinan.pk,
        "linyi_city": linyi.pk,
    }


def test_upgrade_gives_every_city_its_code_and_keeps_the_estates_cities():
    _apps, made = previous_release_database()

    migrate(latest())

    assert City.objects.count() == fixture_city_count()
    linyi = Estate.objects.get(pk=made["linyi"]).city
    assert (linyi.pk, linyi.code, linyi.name, linyi.slug) == (
        made["linyi_city"],
        "371300",
        "临沂市",
        "linyi",
    )
    jinan = Estate.objects.get(pk=made["jinan"]).city
    assert (jinan.pk, jinan.code, jinan.name, jinan.slug) == (
        made["jinan_city"],
        "370100",
        "济南市",
        "jinan",
    )
    assert not City.objects.filter(name="测试市").exists()
    assert City.objects.get(code="370200").name == "青岛市"
    # The fixture loads again over the upgraded rows: the natural keys match.
    call_command("load_seed", verbosity=0)
    assert City.objects.count() == fixture_city_count()
    assert Estate.objects.get(pk=made["jinan"]).city_id == made["jinan_city"]


def test_upgrade_stops_at_a_used_city_that_is_not_in_the_list():
    apps, _made = previous_release_database()
    old_city = apps.get_model("estates", "City")
    beijing = apps.get_model("estates", "Province").objects.get(code="110000")
    chaoyang = old_city.objects.create(province=beijing, name="朝阳区", slug="chaoyang")
    estate = old_estate(apps, "朝阳测试小区", "chaoyangceshi", chaoyang)

    with pytest.raises(RuntimeError) as stop:
        migrate(latest())
    assert "北京市“朝阳区”（1 处使用）" in str(stop.value)
    assert old_city.objects.filter(pk=chaoyang.pk).exists()  # nothing was changed

    estate.delete()
